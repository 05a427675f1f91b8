/*
 * test_lz4.c - LZ4 body compression: round trips, frame compression, and
 * refusal of corrupt or absurd input.
 */
#include <stdlib.h>

#include "cql/frame.h"
#include "cql/lz4.h"
#include "testing.h"

static void roundtrip(const uint8_t *p, size_t n)
{
    cql_writer c, d;
    cql_wr_init(&c);
    cql_wr_init(&d);
    CHECK_EQ(cql_lz4_compress(p, n, &c, NULL), CQL_OK);
    CHECK_EQ(cql_load_be32(c.data), n);
    CHECK_EQ(cql_lz4_decompress(c.data, c.len, 0, &d, NULL), CQL_OK);
    CHECK_EQ(d.len, n);
    if (n)
        CHECK_MEM(d.data, p, n);
    cql_wr_free(&c);
    cql_wr_free(&d);
}

static void test_roundtrip(void)
{
    roundtrip(NULL, 0);
    roundtrip((const uint8_t *)"a", 1);
    uint8_t *buf = malloc(1 << 20);
    for (size_t i = 0; i < (1 << 20); i++)
        buf[i] = (uint8_t)(i % 251 < 200 ? 'x' : i * 7); /* compressible-ish */
    roundtrip(buf, 1 << 20);
    uint32_t x = 12345;
    for (size_t i = 0; i < 70000; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16); /* incompressible */
    }
    roundtrip(buf, 70000);
    free(buf);
}

static void test_decompress_errors(void)
{
    cql_writer c, d;
    cql_wr_init(&c);
    cql_wr_init(&d);
    const char *text = "hello hello hello hello hello hello hello hello";
    size_t n = strlen(text);
    cql_lz4_compress((const uint8_t *)text, n, &c, NULL);
    cql_error err = {0, NULL};

    /* Shorter than the length prefix. */
    CHECK_EQ(cql_lz4_decompress(c.data, 3, 0, &d, &err), CQL_ETRUNC);
    /* Every truncation of the block fails and appends nothing. */
    for (size_t cut = 4; cut < c.len; cut++) {
        CHECK(cql_lz4_decompress(c.data, cut, 0, &d, &err) != CQL_OK);
        CHECK_EQ(d.len, 0);
    }
    /* Declared length larger than the data produces. */
    cql_store_be32(c.data, (uint32_t)n + 1);
    CHECK_EQ(cql_lz4_decompress(c.data, c.len, 0, &d, &err), CQL_ECOMPRESS);
    cql_store_be32(c.data, (uint32_t)n - 1);
    CHECK_EQ(cql_lz4_decompress(c.data, c.len, 0, &d, &err), CQL_ECOMPRESS);
    /* Absurd sizes are refused before allocating. */
    cql_writer fresh;
    cql_wr_init(&fresh);
    cql_store_be32(c.data, 0xFFFFFFFFu);
    CHECK_EQ(cql_lz4_decompress(c.data, c.len, 0, &fresh, &err), CQL_ELIMIT);
    CHECK(fresh.cap == 0);
    cql_store_be32(c.data, 100000); /* > 255x a ~20-byte block */
    CHECK_EQ(cql_lz4_decompress(c.data, c.len, 0, &d, &err), CQL_ELIMIT);
    cql_store_be32(c.data, (uint32_t)n);
    CHECK_EQ(cql_lz4_decompress(c.data, c.len, 10, &d, &err), CQL_ELIMIT); /* caller cap */
    CHECK_EQ(cql_lz4_decompress(c.data, c.len, 0, &d, &err), CQL_OK);
    /* Garbage block. */
    uint8_t junk[16] = {0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    cql_wr_reset(&d);
    CHECK_EQ(cql_lz4_decompress(junk, sizeof junk, 0, &d, &err), CQL_ECOMPRESS);
    CHECK_EQ(d.len, 0);
    /* Empty body: declared 0 with liblz4's single zero token, or nothing. */
    const uint8_t empty1[] = {0, 0, 0, 0, 0};
    const uint8_t empty2[] = {0, 0, 0, 0};
    const uint8_t empty_bad[] = {0, 0, 0, 0, 1, 2};
    CHECK_EQ(cql_lz4_decompress(empty1, sizeof empty1, 0, &d, &err), CQL_OK);
    CHECK_EQ(cql_lz4_decompress(empty2, sizeof empty2, 0, &d, &err), CQL_OK);
    CHECK_EQ(cql_lz4_decompress(empty_bad, sizeof empty_bad, 0, &d, &err), CQL_ECOMPRESS);
    cql_wr_free(&c);
    cql_wr_free(&d);
}

static void test_compress_frame(void)
{
    cql_writer w, d;
    cql_wr_init(&w);
    cql_wr_init(&d);
    cql_wr_raw(&w, "prefix", 6);
    size_t off = cql_frame_begin(&w, 4, CQL_FLAG_TRACING, 12, CQL_OP_QUERY);
    for (int i = 0; i < 100; i++)
        cql_wr_raw(&w, "SELECT * FROM t; ", 17);
    cql_frame_finish(&w, off, NULL);
    size_t plain = w.len - off - CQL_HEADER_SIZE;
    CHECK_EQ(cql_lz4_compress_frame(&w, off, NULL), CQL_OK);
    CHECK_MEM(w.data, "prefix", 6);
    cql_frame_header h;
    CHECK_EQ(cql_frame_header_decode(w.data + off, w.len - off, 0, &h, NULL), CQL_OK);
    CHECK_EQ(h.flags, CQL_FLAG_TRACING | CQL_FLAG_COMPRESSION);
    CHECK_EQ(h.stream, 12);
    CHECK_EQ(h.length, w.len - off - CQL_HEADER_SIZE);
    CHECK(h.length < plain);
    CHECK_EQ(cql_lz4_decompress(w.data + off + CQL_HEADER_SIZE, h.length, 0, &d, NULL), CQL_OK);
    CHECK_EQ(d.len, plain);
    CHECK_MEM(d.data, "SELECT * FROM t; SELECT", 23);
    CHECK_EQ(cql_lz4_compress_frame(&w, w.len, NULL), CQL_EINVAL);
    cql_wr_free(&w);
    cql_wr_free(&d);
}

void suite_lz4(void)
{
    RUN(test_roundtrip);
    RUN(test_decompress_errors);
    RUN(test_compress_frame);
}

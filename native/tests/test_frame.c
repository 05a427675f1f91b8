/*
 * test_frame.c - header encode/decode, frame splitting, response prelude.
 */
#include <stdlib.h>

#include "cql/frame.h"
#include "testing.h"

static void test_header_roundtrip(void)
{
    cql_frame_header h = {0x84, CQL_FLAG_TRACING | CQL_FLAG_WARNING, -1, CQL_OP_EVENT, 1234};
    uint8_t b[CQL_HEADER_SIZE];
    cql_frame_header_encode(&h, b);
    const uint8_t want[] = {0x84, 0x0A, 0xFF, 0xFF, 0x0C, 0, 0, 0x04, 0xD2};
    CHECK_MEM(b, want, sizeof want);
    cql_frame_header g;
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, NULL), CQL_OK);
    CHECK_EQ(g.version, 0x84);
    CHECK_EQ(g.flags, 0x0A);
    CHECK_EQ(g.stream, -1);
    CHECK_EQ(g.opcode, CQL_OP_EVENT);
    CHECK_EQ(g.length, 1234);

    /* Request direction, stream 32767. */
    h = (cql_frame_header){0x04, 0, 32767, CQL_OP_QUERY, 0};
    cql_frame_header_encode(&h, b);
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, NULL), CQL_OK);
    CHECK_EQ(g.stream, 32767);
    CHECK_EQ(g.version, 4);
}

static void test_header_errors(void)
{
    uint8_t b[CQL_HEADER_SIZE] = {0x84, 0, 0, 1, CQL_OP_RESULT, 0, 0, 0, 0};
    cql_frame_header g;
    cql_error err = {0, NULL};
    for (size_t n = 0; n < CQL_HEADER_SIZE; n++)
        CHECK_EQ(cql_frame_header_decode(b, n, 0, &g, &err), CQL_AGAIN);

    b[0] = 0x82; /* v2 used another header layout */
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_EPROTO);
    CHECK(err.msg != NULL);
    b[0] = 0x86;
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_EPROTO);
    b[0] = 0x83;
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_OK);
    b[0] = 0x85;
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_OK);

    b[0] = 0x84;
    b[4] = 0x04; /* no such opcode */
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_EPROTO);
    b[4] = 0x11;
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_EPROTO);
    b[4] = CQL_OP_RESULT;

    /* 256 MiB is the limit; one more byte is refused. */
    cql_store_be32(b + 5, CQL_MAX_BODY_LENGTH);
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_OK);
    cql_store_be32(b + 5, CQL_MAX_BODY_LENGTH + 1);
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_ELIMIT);
    cql_store_be32(b + 5, 0xFFFFFFFFu); /* "negative" length */
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 0, &g, &err), CQL_ELIMIT);
    /* A caller limit below the protocol's. */
    cql_store_be32(b + 5, 1025);
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 1024, &g, &err), CQL_ELIMIT);
    CHECK_EQ(cql_frame_header_decode(b, sizeof b, 2048, &g, &err), CQL_OK);

    for (int op = 0; op < 256; op++) {
        const char *name = cql_opcode_name((uint8_t)op);
        CHECK((name != NULL) == (op <= 0x10 && op != 0x04));
    }
}

static void make_frame(cql_writer *w, int16_t stream, uint8_t op, const char *body)
{
    size_t off = cql_frame_begin(w, 0x84, 0, stream, op);
    cql_wr_raw(w, body, strlen(body));
    cql_frame_finish(w, off, NULL);
}

static void test_frame_next(void)
{
    cql_writer w;
    cql_wr_init(&w);
    make_frame(&w, 1, CQL_OP_READY, "");
    make_frame(&w, 2, CQL_OP_RESULT, "abcdef");
    cql_frame f;
    size_t used;
    CHECK_EQ(cql_frame_next(w.data, w.len, 0, &f, &used, NULL), CQL_OK);
    CHECK_EQ(used, 9);
    CHECK_EQ(f.h.stream, 1);
    CHECK_EQ(f.h.length, 0);
    CHECK_EQ(cql_frame_next(w.data + used, w.len - used, 0, &f, &used, NULL), CQL_OK);
    CHECK_EQ(used, 15);
    CHECK_MEM(f.body, "abcdef", 6);
    for (size_t n = 9; n < 15; n++)
        CHECK_EQ(cql_frame_next(w.data + 9, n, 0, &f, &used, NULL), CQL_AGAIN);
    cql_wr_free(&w);
}

static void test_framer(void)
{
    cql_writer w;
    cql_wr_init(&w);
    for (int i = 0; i < 50; i++)
        make_frame(&w, (int16_t)i, CQL_OP_RESULT, i % 2 ? "xyz" : "hello world");

    /* Feed in chunks of every size 1..40 and recover all frames each time. */
    for (size_t chunk = 1; chunk <= 40; chunk++) {
        cql_framer fr;
        cql_framer_init(&fr, 0);
        int got = 0, bad = 0;
        for (size_t off = 0; off < w.len; off += chunk) {
            size_t n = w.len - off < chunk ? w.len - off : chunk;
            CHECK_EQ(cql_framer_feed(&fr, w.data + off, n, NULL), CQL_OK);
            cql_frame f;
            int rc;
            while ((rc = cql_framer_next(&fr, &f, NULL)) == CQL_OK) {
                const char *want = got % 2 ? "xyz" : "hello world";
                if (f.h.stream != got || f.h.length != strlen(want) ||
                    memcmp(f.body, want, f.h.length) != 0)
                    bad++;
                got++;
            }
            if (rc != CQL_AGAIN)
                bad++;
        }
        CHECK_EQ(got, 50);
        CHECK_EQ(bad, 0);
        CHECK_EQ(cql_framer_pending(&fr), 0);
        cql_framer_free(&fr);
    }

    /* A corrupt header is reported, not skipped. */
    cql_framer fr;
    cql_framer_init(&fr, 16);
    make_frame(&w, 0, CQL_OP_RESULT, "this body is longer than sixteen bytes");
    cql_frame f;
    cql_error err = {0, NULL};
    CHECK_EQ(cql_framer_feed(&fr, w.data + w.len - 47, 47, NULL), CQL_OK);
    CHECK_EQ(cql_framer_next(&fr, &f, &err), CQL_ELIMIT);
    cql_framer_free(&fr);
    cql_wr_free(&w);
}

static void test_prelude(void)
{
    cql_writer w;
    cql_wr_init(&w);
    uint8_t tid[16];
    for (int i = 0; i < 16; i++)
        tid[i] = (uint8_t)i;
    cql_wr_raw(&w, tid, 16);
    cql_str warns[2] = {{"w1", 2}, {"warning two", 11}};
    cql_wr_string_list(&w, warns, 2);
    cql_wr_u16(&w, 1);
    cql_wr_string(&w, "k", 1);
    cql_wr_bytes(&w, "v", 1);
    cql_wr_i32(&w, 1); /* the message: RESULT Void */

    uint8_t flags = CQL_FLAG_TRACING | CQL_FLAG_WARNING | CQL_FLAG_CUSTOM_PAYLOAD;
    cql_reader r = cql_reader_make(w.data, w.len);
    cql_prelude p;
    CHECK_EQ(cql_read_prelude(flags, &r, &p, NULL), CQL_OK);
    CHECK(p.tracing_id == w.data);
    CHECK(p.has_warnings);
    CHECK_EQ(p.warnings.count, 2);
    cql_str s;
    CHECK(cql_string_list_next(&p.warnings, &s));
    CHECK_STR(s, "w1");
    CHECK(p.has_custom_payload);
    cql_bytes b;
    CHECK(cql_bytes_map_next(&p.custom_payload, &s, &b));
    CHECK_STR(s, "k");
    CHECK_EQ(r.n, 4);

    /* No flags: nothing consumed. */
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_read_prelude(0, &r, &p, NULL), CQL_OK);
    CHECK_EQ(r.n, w.len);
    CHECK(p.tracing_id == NULL);

    /* Truncated anywhere inside the prelude fails and consumes nothing. */
    for (size_t cut = 0; cut < w.len - 4; cut++) {
        r = cql_reader_make(w.data, cut);
        CHECK(cql_read_prelude(flags, &r, &p, NULL) != CQL_OK);
        CHECK_EQ(r.n, cut);
    }

    /* Warning flag alone: warnings first. */
    r = cql_reader_make(w.data + 16, w.len - 16);
    CHECK_EQ(cql_read_prelude(CQL_FLAG_WARNING, &r, &p, NULL), CQL_OK);
    CHECK_EQ(p.warnings.count, 2);
    cql_wr_free(&w);
}

static void test_frame_build(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_wr_u8(&w, 0xEE); /* earlier content is preserved */
    size_t off = cql_frame_begin(&w, 4, CQL_FLAG_TRACING, 300, CQL_OP_OPTIONS);
    CHECK_EQ(off, 1);
    cql_wr_raw(&w, "abc", 3);
    CHECK_EQ(cql_frame_finish(&w, off, NULL), CQL_OK);
    const uint8_t want[] = {0xEE, 4, 2, 1, 44, 5, 0, 0, 0, 3, 'a', 'b', 'c'};
    CHECK_EQ(w.len, sizeof want);
    CHECK_MEM(w.data, want, sizeof want);
    CHECK_EQ(cql_frame_finish(&w, 100, NULL), CQL_EINVAL);
    cql_wr_free(&w);
}

void suite_frame(void)
{
    RUN(test_header_roundtrip);
    RUN(test_header_errors);
    RUN(test_frame_next);
    RUN(test_framer);
    RUN(test_prelude);
    RUN(test_frame_build);
}

/*
 * test_buf.c - reader primitives, composite notations, writer, arena.
 */
#include <stdlib.h>

#include "cql/buf.h"
#include "testing.h"

static void test_fixed_width(void)
{
    const uint8_t in[] = {0xAB, 0x12, 0x34, 0xFF, 0xFF, 0xFF, 0xFE,
                          0x80, 0, 0, 0, 0, 0, 0, 1};
    cql_reader r = cql_reader_make(in, sizeof in);
    uint8_t u8;
    uint16_t u16;
    int32_t i32;
    int64_t i64;
    CHECK_EQ(cql_rd_u8(&r, &u8), CQL_OK);
    CHECK_EQ(u8, 0xAB);
    CHECK_EQ(cql_rd_u16(&r, &u16), CQL_OK);
    CHECK_EQ(u16, 0x1234);
    CHECK_EQ(cql_rd_i32(&r, &i32), CQL_OK);
    CHECK_EQ(i32, -2);
    CHECK_EQ(cql_rd_i64(&r, &i64), CQL_OK);
    CHECK_EQ(i64, INT64_MIN + 1);
    CHECK_EQ(r.n, 0);
    CHECK_EQ(cql_rd_u8(&r, &u8), CQL_ETRUNC);
    CHECK_EQ(cql_rd_u16(&r, &u16), CQL_ETRUNC);
    CHECK_EQ(cql_rd_i32(&r, &i32), CQL_ETRUNC);
    CHECK_EQ(cql_rd_i64(&r, &i64), CQL_ETRUNC);

    /* A failed read leaves the cursor where it was. */
    cql_reader s = cql_reader_make(in, 3);
    CHECK_EQ(cql_rd_i32(&s, &i32), CQL_ETRUNC);
    CHECK_EQ(s.n, 3);
    CHECK(s.p == in);
    CHECK_EQ(cql_rd_skip(&s, 4), CQL_ETRUNC);
    CHECK_EQ(cql_rd_skip(&s, 3), CQL_OK);
    CHECK_EQ(s.n, 0);
}

static void test_strings(void)
{
    const uint8_t in[] = {0, 3, 'a', 'b', 'c', 0, 0, 0, 0, 0, 2, 'h', 'i'};
    cql_reader r = cql_reader_make(in, sizeof in);
    cql_str s;
    cql_error err = {0, NULL};
    CHECK_EQ(cql_rd_string(&r, &s, &err), CQL_OK);
    CHECK_STR(s, "abc");
    CHECK_EQ(cql_rd_string(&r, &s, &err), CQL_OK); /* empty string */
    CHECK_EQ(s.len, 0);
    CHECK_EQ(cql_rd_long_string(&r, &s, &err), CQL_OK);
    CHECK_STR(s, "hi");

    /* Declared length longer than the input. */
    const uint8_t bad[] = {0, 5, 'a', 'b'};
    r = cql_reader_make(bad, sizeof bad);
    CHECK_EQ(cql_rd_string(&r, &s, &err), CQL_ETRUNC);
    CHECK_EQ(err.code, CQL_ETRUNC);
    CHECK(err.msg != NULL);
    CHECK_EQ(r.n, sizeof bad);

    const uint8_t neg[] = {0xFF, 0xFF, 0xFF, 0xFF};
    r = cql_reader_make(neg, sizeof neg);
    CHECK_EQ(cql_rd_long_string(&r, &s, &err), CQL_EINVAL);
    const uint8_t huge[] = {0x7F, 0xFF, 0xFF, 0xFF, 'x'};
    r = cql_reader_make(huge, sizeof huge);
    CHECK_EQ(cql_rd_long_string(&r, &s, &err), CQL_ETRUNC);
    r = cql_reader_make(huge, 1);
    CHECK_EQ(cql_rd_string(&r, &s, &err), CQL_ETRUNC);
}

static void test_bytes_and_values(void)
{
    const uint8_t in[] = {0, 0, 0, 2, 7, 8,          /* bytes */
                          0xFF, 0xFF, 0xFF, 0xFF,    /* null */
                          0xFF, 0xFF, 0xFF, 0xFE,    /* -2 */
                          0x80, 0, 0, 0,             /* INT32_MIN */
                          0, 0, 0, 0};               /* empty */
    cql_reader r = cql_reader_make(in, sizeof in);
    cql_bytes b;
    CHECK_EQ(cql_rd_bytes(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, 2);
    CHECK_EQ(b.p[1], 8);
    CHECK_EQ(cql_rd_bytes(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, CQL_NULL_LEN);
    CHECK(b.p == NULL);
    /* [bytes]: every negative length is null. */
    CHECK_EQ(cql_rd_bytes(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, CQL_NULL_LEN);
    CHECK_EQ(cql_rd_bytes(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, CQL_NULL_LEN);
    CHECK_EQ(cql_rd_bytes(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, 0);
    CHECK_EQ(r.n, 0);

    /* [value]: -1 null, -2 unset, below -2 invalid. */
    r = cql_reader_make(in + 6, sizeof in - 6);
    CHECK_EQ(cql_rd_value(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, CQL_NULL_LEN);
    CHECK_EQ(cql_rd_value(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, CQL_UNSET_LEN);
    CHECK_EQ(cql_rd_value(&r, &b, NULL), CQL_EINVAL);

    const uint8_t over[] = {0, 0, 0, 9, 1, 2};
    r = cql_reader_make(over, sizeof over);
    CHECK_EQ(cql_rd_bytes(&r, &b, NULL), CQL_ETRUNC);
    CHECK_EQ(r.n, sizeof over);

    const uint8_t sb[] = {0, 2, 0xAA, 0xBB, 0, 3, 1};
    r = cql_reader_make(sb, sizeof sb);
    CHECK_EQ(cql_rd_short_bytes(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, 2);
    CHECK_EQ(cql_rd_short_bytes(&r, &b, NULL), CQL_ETRUNC);
}

static void test_inet(void)
{
    const uint8_t v4[] = {4, 127, 0, 0, 1, 0, 0, 0x23, 0x52};
    cql_reader r = cql_reader_make(v4, sizeof v4);
    const uint8_t *a;
    uint8_t alen;
    int32_t port;
    CHECK_EQ(cql_rd_inet(&r, &a, &alen, &port, NULL), CQL_OK);
    CHECK_EQ(alen, 4);
    CHECK_EQ(a[0], 127);
    CHECK_EQ(port, 9042);

    uint8_t v6[1 + 16 + 4] = {16};
    v6[16] = 1; /* ::1 */
    v6[20] = 80;
    r = cql_reader_make(v6, sizeof v6);
    CHECK_EQ(cql_rd_inet(&r, &a, &alen, &port, NULL), CQL_OK);
    CHECK_EQ(alen, 16);
    CHECK_EQ(a[15], 1);
    CHECK_EQ(port, 80);

    const uint8_t bad[] = {5, 1, 2, 3, 4, 5, 0, 0, 0, 0};
    r = cql_reader_make(bad, sizeof bad);
    CHECK_EQ(cql_rd_inet(&r, &a, &alen, &port, NULL), CQL_EINVAL);
    for (size_t k = 0; k < sizeof v4; k++) {
        r = cql_reader_make(v4, k);
        CHECK_EQ(cql_rd_inet(&r, &a, &alen, &port, NULL), CQL_ETRUNC);
        CHECK_EQ(r.n, k);
    }
}

static void build_multimap(cql_writer *w)
{
    cql_wr_u16(w, 2);
    cql_wr_string(w, "COMPRESSION", 11);
    cql_wr_u16(w, 2);
    cql_wr_string(w, "lz4", 3);
    cql_wr_string(w, "snappy", 6);
    cql_wr_string(w, "CQL_VERSION", 11);
    cql_wr_u16(w, 1);
    cql_wr_string(w, "3.4.7", 5);
}

static void test_lists_and_maps(void)
{
    cql_writer w;
    cql_wr_init(&w);
    build_multimap(&w);
    CHECK_EQ(w.err, CQL_OK);

    cql_reader r = cql_reader_make(w.data, w.len);
    cql_map_iter mm;
    CHECK_EQ(cql_rd_string_multimap(&r, &mm, NULL), CQL_OK);
    CHECK_EQ(mm.count, 2);
    CHECK_EQ(r.n, 0);
    cql_string_list l;
    cql_str s;
    CHECK(cql_string_multimap_find(&mm, "COMPRESSION", &l));
    CHECK_EQ(l.count, 2);
    CHECK(cql_string_list_next(&l, &s));
    CHECK_STR(s, "lz4");
    CHECK(cql_string_list_next(&l, &s));
    CHECK_STR(s, "snappy");
    CHECK(!cql_string_list_next(&l, &s));
    CHECK(!cql_string_multimap_find(&mm, "NOPE", &l));
    cql_str k;
    int n = 0;
    while (cql_string_multimap_next(&mm, &k, &l))
        n++;
    CHECK_EQ(n, 2);

    /* Every truncation fails and leaves the reader alone. */
    for (size_t cut = 0; cut < w.len; cut++) {
        r = cql_reader_make(w.data, cut);
        CHECK_EQ(cql_rd_string_multimap(&r, &mm, NULL), CQL_ETRUNC);
        CHECK_EQ(r.n, cut);
    }

    /* string map and bytes map */
    cql_wr_reset(&w);
    cql_str kv[4] = {{"a", 1}, {"1", 1}, {"bb", 2}, {"", 0}};
    cql_wr_string_map(&w, kv, 2);
    r = cql_reader_make(w.data, w.len);
    cql_map_iter m;
    CHECK_EQ(cql_rd_string_map(&r, &m, NULL), CQL_OK);
    cql_str v;
    CHECK(cql_string_map_next(&m, &k, &v));
    CHECK_STR(k, "a");
    CHECK_STR(v, "1");
    CHECK(cql_string_map_next(&m, &k, &v));
    CHECK_STR(k, "bb");
    CHECK_EQ(v.len, 0);
    CHECK(!cql_string_map_next(&m, &k, &v));

    cql_wr_reset(&w);
    cql_wr_u16(&w, 2);
    cql_wr_string(&w, "k", 1);
    cql_wr_bytes(&w, "xyz", 3);
    cql_wr_string(&w, "n", 1);
    cql_wr_bytes(&w, NULL, -1);
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_rd_bytes_map(&r, &m, NULL), CQL_OK);
    cql_bytes b;
    CHECK(cql_bytes_map_next(&m, &k, &b));
    CHECK_EQ(b.len, 3);
    CHECK(cql_bytes_map_next(&m, &k, &b));
    CHECK_EQ(b.len, CQL_NULL_LEN);
    CHECK(!cql_bytes_map_next(&m, &k, &b));
    for (size_t cut = 0; cut < w.len; cut++) {
        r = cql_reader_make(w.data, cut);
        CHECK(cql_rd_bytes_map(&r, &m, NULL) != CQL_OK);
    }

    /* A string list claiming 65535 items in a few bytes. */
    const uint8_t lie[] = {0xFF, 0xFF, 0, 0};
    r = cql_reader_make(lie, sizeof lie);
    CHECK_EQ(cql_rd_string_list(&r, &l, NULL), CQL_ETRUNC);
    cql_wr_free(&w);
}

static void test_writer(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_wr_u8(&w, 1);
    cql_wr_u16(&w, 0x0203);
    cql_wr_i32(&w, -1);
    cql_wr_i64(&w, 0x0102030405060708LL);
    cql_wr_string(&w, "ab", 2);
    cql_wr_long_string(&w, "c", 1);
    cql_wr_bytes(&w, NULL, -5);
    cql_wr_short_bytes(&w, "\x09", 1);
    cql_bytes unset = {NULL, CQL_UNSET_LEN}, val = {(const uint8_t *)"z", 1};
    cql_wr_value(&w, &unset);
    cql_wr_value(&w, &val);
    const uint8_t want[] = {1, 2, 3, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8,
                            0, 2, 'a', 'b', 0, 0, 0, 1, 'c', 0xFF, 0xFF, 0xFF, 0xFF,
                            0, 1, 9, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 1, 'z'};
    CHECK_EQ(w.err, CQL_OK);
    CHECK_EQ(w.len, sizeof want);
    CHECK_MEM(w.data, want, sizeof want);

    /* Growth across many reallocations keeps content. */
    cql_wr_reset(&w);
    for (int i = 0; i < 100000; i++)
        cql_wr_i32(&w, i);
    CHECK_EQ(w.len, 400000);
    CHECK_EQ((int32_t)cql_load_be32(w.data + 4 * 99999), 99999);

    /* Sticky errors: an oversized [string] poisons later writes. */
    cql_wr_reset(&w);
    static char big[70000];
    cql_wr_string(&w, big, sizeof big);
    CHECK_EQ(w.err, CQL_ELIMIT);
    cql_wr_u8(&w, 1);
    CHECK_EQ(w.len, 0);
    cql_error err = {0, NULL};
    CHECK_EQ(cql_wr_status(&w, &err), CQL_ELIMIT);
    CHECK(err.msg != NULL);
    cql_bytes badv = {NULL, -3};
    cql_wr_reset(&w);
    cql_wr_value(&w, &badv);
    CHECK_EQ(w.err, CQL_EINVAL);
    cql_wr_reset(&w);
    cql_wr_short_bytes(&w, big, sizeof big);
    CHECK_EQ(w.err, CQL_ELIMIT);
    cql_wr_free(&w);
    CHECK(w.data == NULL);
}

static void test_arena(void)
{
    cql_arena a;
    cql_arena_init(&a);
    void *p1 = cql_arena_alloc(&a, 3);
    void *p2 = cql_arena_alloc(&a, 5);
    CHECK(p1 && p2);
    CHECK_EQ(((uintptr_t)p2) % 8, 0);
    CHECK(p1 != p2);
    /* Larger than a chunk. */
    uint8_t *big = cql_arena_alloc(&a, 100000);
    CHECK(big != NULL);
    big[99999] = 1;
    CHECK_EQ(big[0], 0); /* zeroed */
    cql_str in = {"hello", 5}, out;
    CHECK_EQ(cql_arena_strdup(&a, in, &out), CQL_OK);
    CHECK_STR(out, "hello");
    CHECK_EQ(out.p[5], 0);
    CHECK(cql_arena_alloc(&a, (size_t)1 << 40) == NULL); /* refused, not attempted */
    cql_arena_free(&a);
    CHECK(a.head == NULL);
}

static void test_errors(void)
{
    CHECK(strcmp(cql_strerror(CQL_ETRUNC), "truncated input") == 0);
    CHECK(strcmp(cql_strerror(12345), "unknown error") == 0);
    for (int c = CQL_ECOMPRESS; c <= CQL_AGAIN; c++)
        CHECK(cql_strerror(c) != NULL);
    cql_error e = {0, NULL};
    CHECK_EQ(cql_fail(&e, CQL_EINVAL, "x"), CQL_EINVAL);
    CHECK_EQ(e.code, CQL_EINVAL);
    CHECK_EQ(cql_fail(NULL, CQL_EINVAL, "x"), CQL_EINVAL);
}

void suite_buf(void)
{
    RUN(test_fixed_width);
    RUN(test_strings);
    RUN(test_bytes_and_values);
    RUN(test_inet);
    RUN(test_lists_and_maps);
    RUN(test_writer);
    RUN(test_arena);
    RUN(test_errors);
}

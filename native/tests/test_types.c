/*
 * test_types.c - scalar codecs, vints, text validation, type descriptions
 * ([option] and marshal class names) and callback-driven value decoding.
 */
#include <math.h>
#include <stdlib.h>

#include "collector.h"
#include "cql/types.h"
#include "testing.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* Parse "hex" into buf; returns length. */
static size_t unhex(const char *hex, uint8_t *buf)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        buf[n++] = (uint8_t)v;
    }
    return n;
}

/* Decode value bytes of type t and compare the rendering with want. */
static int render(const cql_type *t, const uint8_t *p, int32_t n, collector *c)
{
    collector_init(c);
    cql_bytes v = {p, n};
    return cql_decode_value(t, v, &collector_cb, c, NULL);
}

#define CHECK_RENDER(t, p, n, want)                                        \
    do {                                                                   \
        collector c_;                                                      \
        int rc_ = render((t), (p), (int32_t)(n), &c_);                     \
        CHECK_EQ(rc_, CQL_OK);                                             \
        t_report(strcmp(c_.out, (want)) == 0, __FILE__, __LINE__,          \
                 "render == " #want, c_.out);                              \
    } while (0)

static cql_type *parse_class(cql_arena *a, const char *s)
{
    cql_type *t = NULL;
    cql_error err = {0, NULL};
    int rc = cql_type_parse_class(s, strlen(s), a, &t, &err);
    if (rc != CQL_OK) {
        fprintf(stderr, "parse_class(%s): %s\n", s, err.msg);
        return NULL;
    }
    return t;
}

/* ------------------------------------------------------------------------ */
/* Scalars                                                                   */
/* ------------------------------------------------------------------------ */

static void test_ints(void)
{
    uint8_t b[8] = {0x80, 0, 0, 0, 0, 0, 0, 0};
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    CHECK_EQ(cql_decode_tinyint(b, 1, &i8), CQL_OK);
    CHECK_EQ(i8, -128);
    CHECK_EQ(cql_decode_smallint(b, 2, &i16), CQL_OK);
    CHECK_EQ(i16, INT16_MIN);
    CHECK_EQ(cql_decode_int(b, 4, &i32), CQL_OK);
    CHECK_EQ(i32, INT32_MIN);
    CHECK_EQ(cql_decode_bigint(b, 8, &i64), CQL_OK);
    CHECK_EQ(i64, INT64_MIN);
    memset(b, 0xFF, 8);
    b[0] = 0x7F;
    CHECK_EQ(cql_decode_bigint(b, 8, &i64), CQL_OK);
    CHECK_EQ(i64, INT64_MAX);
    /* Wrong sizes. */
    CHECK_EQ(cql_decode_int(b, 3, &i32), CQL_ETRUNC);
    CHECK_EQ(cql_decode_int(b, 5, &i32), CQL_EINVAL);
    CHECK_EQ(cql_decode_bigint(b, 0, &i64), CQL_ETRUNC);
    CHECK_EQ(cql_decode_smallint(b, 1, &i16), CQL_ETRUNC);
    CHECK_EQ(cql_decode_tinyint(b, 2, &i8), CQL_EINVAL);
    int bo;
    uint8_t t2 = 2;
    CHECK_EQ(cql_decode_bool(&t2, 1, &bo), CQL_OK);
    CHECK_EQ(bo, 1); /* any non-zero is true */
    t2 = 0;
    CHECK_EQ(cql_decode_bool(&t2, 1, &bo), CQL_OK);
    CHECK_EQ(bo, 0);
}

static void test_floats(void)
{
    uint8_t b[8];
    float f;
    double d;
    unhex("3fc00000", b);
    CHECK_EQ(cql_decode_float(b, 4, &f), CQL_OK);
    CHECK(f == 1.5f);
    unhex("c00921fb54442d18", b);
    CHECK_EQ(cql_decode_double(b, 8, &d), CQL_OK);
    CHECK(d == -3.141592653589793);
    unhex("7ff8000000000000", b);
    CHECK_EQ(cql_decode_double(b, 8, &d), CQL_OK);
    CHECK(isnan(d));
    unhex("ff800000", b);
    CHECK_EQ(cql_decode_float(b, 4, &f), CQL_OK);
    CHECK(isinf(f) && f < 0);
    CHECK_EQ(cql_decode_double(b, 4, &d), CQL_ETRUNC);
}

static void test_varint(void)
{
    static const struct {
        const char *hex;
        int64_t v;
    } vec[] = {
        {"00", 0}, {"01", 1}, {"7f", 127}, {"0080", 128}, {"0081", 129},
        {"ff", -1}, {"80", -128}, {"ff7f", -129},
        {"7fffffffffffffff", INT64_MAX}, {"8000000000000000", INT64_MIN},
        /* Redundant sign bytes are accepted. */
        {"00000001", 1}, {"ffffffff", -1}, {"00007fffffffffffffff", INT64_MAX},
        {"ffff8000000000000000", INT64_MIN},
    };
    uint8_t b[32];
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        size_t n = unhex(vec[i].hex, b);
        int64_t v = 42;
        CHECK_EQ(cql_decode_varint_i64(b, n, &v), CQL_OK);
        CHECK_EQ(v, vec[i].v);
    }
    /* Beyond 64 bits: reported as out of range, never truncated. */
    size_t n = unhex("008000000000000000", b); /* 2^63 */
    int64_t v;
    CHECK_EQ(cql_decode_varint_i64(b, n, &v), CQL_ERANGE);
    n = unhex("ff7fffffffffffffff", b); /* -2^63 - 1 */
    CHECK_EQ(cql_decode_varint_i64(b, n, &v), CQL_ERANGE);
    n = unhex("0102030405060708090a0b0c0d0e0f10", b);
    CHECK_EQ(cql_decode_varint_i64(b, n, &v), CQL_ERANGE);
    CHECK_EQ(cql_decode_varint_i64(b, 0, &v), CQL_EINVAL);

    /* Encoding is minimal and round-trips. */
    const int64_t samples[] = {0, 1, -1, 127, 128, -128, -129, 255, 256, 32767,
                               -32768, 1LL << 40, -(1LL << 40), INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        uint8_t e[8];
        size_t len = cql_encode_varint_i64(samples[i], e);
        int64_t back;
        CHECK_EQ(cql_decode_varint_i64(e, len, &back), CQL_OK);
        CHECK_EQ(back, samples[i]);
    }
    uint8_t e[8];
    CHECK_EQ(cql_encode_varint_i64(128, e), 2);
    CHECK_EQ(e[0], 0);
    CHECK_EQ(cql_encode_varint_i64(-129, e), 2);
    CHECK_EQ(e[0], 0xFF);
    CHECK_EQ(cql_encode_varint_i64(-128, e), 1);
    CHECK_EQ(cql_encode_varint_i64(INT64_MIN, e), 8);
}

static void test_decimal(void)
{
    uint8_t b[32];
    size_t n = unhex("00000002" "04d2", b); /* 12.34 */
    int32_t scale;
    const uint8_t *u;
    size_t ulen;
    CHECK_EQ(cql_decode_decimal(b, n, &scale, &u, &ulen), CQL_OK);
    CHECK_EQ(scale, 2);
    CHECK_EQ(ulen, 2);
    int64_t unscaled;
    CHECK_EQ(cql_decode_varint_i64(u, ulen, &unscaled), CQL_OK);
    CHECK_EQ(unscaled, 1234);
    n = unhex("fffffffd" "ff", b); /* -1E+3: negative scale */
    CHECK_EQ(cql_decode_decimal(b, n, &scale, &u, &ulen), CQL_OK);
    CHECK_EQ(scale, -3);
    CHECK_EQ(cql_decode_decimal(b, 3, &scale, &u, &ulen), CQL_ETRUNC);
    CHECK_EQ(cql_decode_decimal(b, 4, &scale, &u, &ulen), CQL_EINVAL);
    /* A huge unscaled value is passed through as bytes. */
    n = unhex("00000000" "00ffffffffffffffffffffffffffffffff", b);
    CHECK_EQ(cql_decode_decimal(b, n, &scale, &u, &ulen), CQL_OK);
    CHECK_EQ(ulen, 17);
}

static void test_date_time(void)
{
    uint8_t b[8];
    int64_t d, ns;
    cql_store_be32(b, 0x80000000u);
    CHECK_EQ(cql_decode_date(b, 4, &d), CQL_OK);
    CHECK_EQ(d, 0); /* 1970-01-01 */
    cql_store_be32(b, 0);
    CHECK_EQ(cql_decode_date(b, 4, &d), CQL_OK);
    CHECK_EQ(d, -2147483648LL); /* -5877641-06-23 */
    cql_store_be32(b, 0xFFFFFFFFu);
    CHECK_EQ(cql_decode_date(b, 4, &d), CQL_OK);
    CHECK_EQ(d, 2147483647LL);
    cql_store_be32(b, 0x80000000u + 19723); /* 2024-01-01 */
    CHECK_EQ(cql_decode_date(b, 4, &d), CQL_OK);
    CHECK_EQ(d, 19723);
    CHECK_EQ(cql_encode_date(19723), 0x80000000u + 19723);
    CHECK_EQ(cql_encode_date(-2147483648LL), 0);
    CHECK_EQ(cql_encode_date(2147483647LL), 0xFFFFFFFFu);
    CHECK_EQ(cql_decode_date(b, 8, &d), CQL_EINVAL);

    cql_store_be64(b, 0);
    CHECK_EQ(cql_decode_time(b, 8, &ns), CQL_OK);
    CHECK_EQ(ns, 0);
    cql_store_be64(b, (uint64_t)CQL_TIME_MAX_NS);
    CHECK_EQ(cql_decode_time(b, 8, &ns), CQL_OK);
    CHECK_EQ(ns, CQL_TIME_MAX_NS);
    cql_store_be64(b, (uint64_t)CQL_TIME_MAX_NS + 1);
    CHECK_EQ(cql_decode_time(b, 8, &ns), CQL_ERANGE);
    cql_store_be64(b, (uint64_t)-1);
    CHECK_EQ(cql_decode_time(b, 8, &ns), CQL_ERANGE);
}

static void test_uuid_inet(void)
{
    uint8_t b[16] = {0};
    const uint8_t *u;
    size_t n;
    CHECK_EQ(cql_decode_uuid(b, 16, &u), CQL_OK);
    CHECK(u == b);
    CHECK_EQ(cql_decode_uuid(b, 15, &u), CQL_ETRUNC);
    CHECK_EQ(cql_decode_inet(b, 4, &u, &n), CQL_OK);
    CHECK_EQ(cql_decode_inet(b, 16, &u, &n), CQL_OK);
    CHECK_EQ(n, 16);
    CHECK_EQ(cql_decode_inet(b, 6, &u, &n), CQL_EINVAL);
    CHECK_EQ(cql_decode_inet(b, 0, &u, &n), CQL_EINVAL);
}

/* ------------------------------------------------------------------------ */
/* vints and duration                                                        */
/* ------------------------------------------------------------------------ */

static void test_vint(void)
{
    const uint64_t samples[] = {0, 1, 127, 128, 16383, 16384, (1ULL << 21) - 1,
                                1ULL << 21, (1ULL << 56) - 1, 1ULL << 56,
                                (1ULL << 63), UINT64_MAX};
    const size_t sizes[] = {1, 1, 1, 2, 2, 3, 3, 4, 8, 9, 9, 9};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        uint8_t b[CQL_VINT_MAX_SIZE];
        size_t n = cql_put_uvint(samples[i], b);
        CHECK_EQ(n, sizes[i]);
        CHECK_EQ(cql_uvint_size(samples[i]), n);
        cql_reader r = cql_reader_make(b, n);
        uint64_t back = 0;
        CHECK_EQ(cql_rd_uvint(&r, &back), CQL_OK);
        CHECK(back == samples[i]);
        CHECK_EQ(r.n, 0);
        /* Every truncation fails. */
        for (size_t cut = 0; cut < n; cut++) {
            r = cql_reader_make(b, cut);
            CHECK_EQ(cql_rd_uvint(&r, &back), CQL_ETRUNC);
        }
    }
    /* Known encodings (Cassandra VIntCoding): 128 -> 80 80, 300 -> 81 2c. */
    uint8_t b[CQL_VINT_MAX_SIZE];
    CHECK_EQ(cql_put_uvint(128, b), 2);
    CHECK_EQ(b[0], 0x80);
    CHECK_EQ(b[1], 0x80);
    CHECK_EQ(cql_put_uvint(300, b), 2);
    CHECK_EQ(b[0], 0x81);
    CHECK_EQ(b[1], 0x2C);

    /* Signed: zig-zag. */
    const int64_t ss[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX};
    const uint8_t first[] = {0, 1, 2, 0x7F, 0x80};
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++) {
        size_t n = cql_put_vint(ss[i], b);
        if (i < sizeof first)
            CHECK_EQ(b[0], first[i]);
        cql_reader r = cql_reader_make(b, n);
        int64_t back;
        CHECK_EQ(cql_rd_vint(&r, &back), CQL_OK);
        CHECK_EQ(back, ss[i]);
    }
    cql_writer w;
    cql_wr_init(&w);
    cql_wr_uvint(&w, 300);
    CHECK_EQ(w.len, 2);
    cql_wr_free(&w);
}

static void test_duration(void)
{
    uint8_t b[CQL_DURATION_MAX_SIZE];
    cql_duration d = {14, 3, 3600000000001LL}, g;
    size_t n = cql_encode_duration(&d, b);
    CHECK(n > 0);
    CHECK_EQ(cql_decode_duration(b, n, &g), CQL_OK);
    CHECK_EQ(g.months, 14);
    CHECK_EQ(g.days, 3);
    CHECK_EQ(g.nanoseconds, 3600000000001LL);
    /* 1 month, 2 days, 3 ns encodes as zig-zag 02 04 06. */
    d = (cql_duration){1, 2, 3};
    CHECK_EQ(cql_encode_duration(&d, b), 3);
    CHECK_EQ(b[0], 2);
    CHECK_EQ(b[1], 4);
    CHECK_EQ(b[2], 6);
    /* Negative durations. */
    d = (cql_duration){-1, -2, -3};
    n = cql_encode_duration(&d, b);
    CHECK_EQ(n, 3);
    CHECK_EQ(b[0], 1);
    CHECK_EQ(cql_decode_duration(b, n, &g), CQL_OK);
    CHECK_EQ(g.months, -1);
    CHECK_EQ(g.nanoseconds, -3);
    d = (cql_duration){INT32_MIN, INT32_MIN, INT64_MIN};
    n = cql_encode_duration(&d, b);
    CHECK_EQ(cql_decode_duration(b, n, &g), CQL_OK);
    CHECK_EQ(g.months, INT32_MIN);
    CHECK_EQ(g.nanoseconds, INT64_MIN);
    for (size_t cut = 0; cut < n; cut++)
        CHECK(cql_decode_duration(b, cut, &g) != CQL_OK);
    /* Mixed signs are refused both ways. */
    d = (cql_duration){1, -1, 0};
    CHECK_EQ(cql_encode_duration(&d, b), 0);
    const uint8_t mixed[] = {2, 1, 0};
    CHECK_EQ(cql_decode_duration(mixed, 3, &g), CQL_EINVAL);
    /* Months beyond int32. */
    n = cql_put_vint(1LL << 40, b);
    b[n++] = 0;
    b[n++] = 0;
    CHECK_EQ(cql_decode_duration(b, n, &g), CQL_ERANGE);
    /* Trailing bytes. */
    const uint8_t trail[] = {0, 0, 0, 0};
    CHECK_EQ(cql_decode_duration(trail, 4, &g), CQL_EINVAL);
    CHECK_EQ(cql_decode_duration(trail, 2, &g), CQL_ETRUNC);
}

/* ------------------------------------------------------------------------ */
/* Text                                                                      */
/* ------------------------------------------------------------------------ */

static void test_utf8(void)
{
    static const struct {
        const char *s;
        int ok;
    } vec[] = {
        {"", 1},
        {"plain ascii, long enough for the fast path", 1},
        {"caf\xc3\xa9", 1},
        {"\xe2\x82\xac", 1},                 /* euro sign */
        {"\xf0\x9f\x98\x80", 1},             /* emoji */
        {"\xf4\x8f\xbf\xbf", 1},             /* U+10FFFF */
        {"\xc3", 0},                         /* truncated */
        {"\xc0\xaf", 0},                     /* overlong '/' */
        {"\xe0\x80\xaf", 0},                 /* overlong */
        {"\xed\xa0\x80", 0},                 /* surrogate */
        {"\xf4\x90\x80\x80", 0},             /* above U+10FFFF */
        {"\xff", 0},
        {"abcdefgh\x80", 0},                 /* stray continuation after fast path */
        {"abcdefghijklmno\xe2\x82", 0},
    };
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++)
        CHECK_EQ(cql_utf8_valid((const uint8_t *)vec[i].s, strlen(vec[i].s)), vec[i].ok);
    CHECK(cql_ascii_valid((const uint8_t *)"abc", 3));
    CHECK(!cql_ascii_valid((const uint8_t *)"ab\x80", 3));
}

/* ------------------------------------------------------------------------ */
/* Type descriptions                                                         */
/* ------------------------------------------------------------------------ */

static void test_option_native(void)
{
    cql_arena a;
    cql_arena_init(&a);
    for (uint16_t id = 1; id <= 0x15; id++) {
        uint8_t b[2];
        cql_store_be16(b, id);
        cql_reader r = cql_reader_make(b, 2);
        cql_type *t = NULL;
        int rc = cql_type_parse_option(&r, &a, &t, NULL);
        if (id == 0x0A) {
            CHECK_EQ(rc, CQL_EPROTO); /* 0x000A was text, removed in v3+ */
            CHECK_EQ(r.n, 2);
        } else {
            CHECK_EQ(rc, CQL_OK);
            CHECK(t && t->id == id);
        }
    }
    const uint8_t unknown[] = {0x00, 0x40};
    cql_reader r = cql_reader_make(unknown, 2);
    cql_type *t;
    CHECK_EQ(cql_type_parse_option(&r, &a, &t, NULL), CQL_EPROTO);
    cql_arena_free(&a);
}

static void test_option_nested(void)
{
    cql_arena a;
    cql_arena_init(&a);
    cql_writer w;
    cql_wr_init(&w);
    /* map<text, frozen<list<tuple<int, udt ks.addr {street text, zip int}>>>> */
    cql_wr_u16(&w, CQL_TYPE_MAP);
    cql_wr_u16(&w, CQL_TYPE_VARCHAR);
    cql_wr_u16(&w, CQL_TYPE_LIST);
    cql_wr_u16(&w, CQL_TYPE_TUPLE);
    cql_wr_u16(&w, 2);
    cql_wr_u16(&w, CQL_TYPE_INT);
    cql_wr_u16(&w, CQL_TYPE_UDT);
    cql_wr_string(&w, "ks", 2);
    cql_wr_string(&w, "addr", 4);
    cql_wr_u16(&w, 2);
    cql_wr_string(&w, "street", 6);
    cql_wr_u16(&w, CQL_TYPE_VARCHAR);
    cql_wr_string(&w, "zip", 3);
    cql_wr_u16(&w, CQL_TYPE_INT);
    cql_reader r = cql_reader_make(w.data, w.len);
    cql_type *t = NULL;
    CHECK_EQ(cql_type_parse_option(&r, &a, &t, NULL), CQL_OK);
    CHECK_EQ(r.n, 0);
    CHECK_EQ(t->id, CQL_TYPE_MAP);
    CHECK_EQ(t->n, 2);
    CHECK_EQ(t->children[0]->id, CQL_TYPE_VARCHAR);
    cql_type *tup = t->children[1]->children[0];
    CHECK_EQ(tup->id, CQL_TYPE_TUPLE);
    CHECK_EQ(tup->n, 2);
    cql_type *udt = tup->children[1];
    CHECK_EQ(udt->id, CQL_TYPE_UDT);
    CHECK_STR(udt->keyspace, "ks");
    CHECK_STR(udt->name, "addr");
    CHECK_EQ(udt->n, 2);
    CHECK_STR(udt->field_names[1], "zip");
    CHECK_EQ(udt->children[1]->id, CQL_TYPE_INT);

    /* Truncation at every offset fails and leaves the reader alone. */
    for (size_t cut = 0; cut < w.len; cut++) {
        r = cql_reader_make(w.data, cut);
        CHECK(cql_type_parse_option(&r, &a, &t, NULL) != CQL_OK);
        CHECK_EQ(r.n, cut);
    }

    /* Nesting beyond the depth limit: list<list<...>> 40 deep. */
    cql_wr_reset(&w);
    for (int i = 0; i < 40; i++)
        cql_wr_u16(&w, CQL_TYPE_LIST);
    cql_wr_u16(&w, CQL_TYPE_INT);
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_type_parse_option(&r, &a, &t, NULL), CQL_EDEPTH);

    /* A UDT claiming 65535 fields in a few bytes is refused before allocating. */
    cql_wr_reset(&w);
    cql_wr_u16(&w, CQL_TYPE_UDT);
    cql_wr_string(&w, "k", 1);
    cql_wr_string(&w, "u", 1);
    cql_wr_u16(&w, 0xFFFF);
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_type_parse_option(&r, &a, &t, NULL), CQL_ETRUNC);
    cql_wr_reset(&w);
    cql_wr_u16(&w, CQL_TYPE_TUPLE);
    cql_wr_u16(&w, 0xFFFF);
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_type_parse_option(&r, &a, &t, NULL), CQL_ETRUNC);

    /* Custom option carrying a vector class name. */
    cql_wr_reset(&w);
    const char *vec = "org.apache.cassandra.db.marshal.VectorType("
                      "org.apache.cassandra.db.marshal.FloatType , 3)";
    cql_wr_u16(&w, CQL_TYPE_CUSTOM);
    cql_wr_string(&w, vec, strlen(vec));
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_type_parse_option(&r, &a, &t, NULL), CQL_OK);
    CHECK_EQ(t->id, CQL_TYPE_VECTOR);
    CHECK_EQ(t->dim, 3);
    CHECK_EQ(t->children[0]->id, CQL_TYPE_FLOAT);
    CHECK_EQ(t->fixed_size, 12);
    CHECK_STR(t->custom, "org.apache.cassandra.db.marshal.VectorType("
                         "org.apache.cassandra.db.marshal.FloatType , 3)");
    cql_wr_free(&w);
    cql_arena_free(&a);
}

static void test_class_names(void)
{
    cql_arena a;
    cql_arena_init(&a);
    cql_type *t;
    t = parse_class(&a, "org.apache.cassandra.db.marshal.Int32Type");
    CHECK(t && t->id == CQL_TYPE_INT);
    t = parse_class(&a, "UTF8Type");
    CHECK(t && t->id == CQL_TYPE_VARCHAR);
    t = parse_class(&a, "org.apache.cassandra.db.marshal.DurationType");
    CHECK(t && t->id == CQL_TYPE_DURATION);
    t = parse_class(&a, "org.apache.cassandra.db.marshal.FrozenType("
                        "org.apache.cassandra.db.marshal.MapType("
                        "org.apache.cassandra.db.marshal.UTF8Type,"
                        "org.apache.cassandra.db.marshal.ListType("
                        "org.apache.cassandra.db.marshal.LongType)))");
    CHECK(t && t->id == CQL_TYPE_MAP && t->children[1]->id == CQL_TYPE_LIST &&
          t->children[1]->children[0]->id == CQL_TYPE_BIGINT);
    t = parse_class(&a, "org.apache.cassandra.db.marshal.ReversedType("
                        "org.apache.cassandra.db.marshal.TimestampType)");
    CHECK(t && t->id == CQL_TYPE_TIMESTAMP);
    t = parse_class(&a, "TupleType(Int32Type, BooleanType, UUIDType)");
    CHECK(t && t->id == CQL_TYPE_TUPLE && t->n == 3 && t->children[2]->id == CQL_TYPE_UUID);
    /* UserType(ks, hex(name), hex(field):type, ...) */
    t = parse_class(&a, "org.apache.cassandra.db.marshal.UserType(ks,61646472,"
                        "737472656574:org.apache.cassandra.db.marshal.UTF8Type,"
                        "7a6970:org.apache.cassandra.db.marshal.Int32Type)");
    CHECK(t && t->id == CQL_TYPE_UDT && t->n == 2);
    if (t && t->n == 2) {
        CHECK_STR(t->name, "addr");
        CHECK_STR(t->field_names[0], "street");
        CHECK_STR(t->field_names[1], "zip");
        CHECK_EQ(t->children[1]->id, CQL_TYPE_INT);
    }
    /* Vectors: fixed-size and variable-size subtypes, nested vectors. */
    t = parse_class(&a, "VectorType(DoubleType,1536)");
    CHECK(t && t->id == CQL_TYPE_VECTOR && t->dim == 1536 && t->fixed_size == 8 * 1536);
    t = parse_class(&a, "VectorType(UTF8Type, 2)");
    CHECK(t && t->fixed_size == 0);
    t = parse_class(&a, "VectorType(ShortType, 2)");
    CHECK(t && t->fixed_size == 0);
    t = parse_class(&a, "VectorType(VectorType(FloatType,2),3)");
    CHECK(t && t->fixed_size == 24 && cql_type_fixed_size(t) == 24);
    /* Unknown classes stay custom with their full text. */
    t = parse_class(&a, "org.example.MyType(a,(b),c)");
    CHECK(t && t->id == CQL_TYPE_CUSTOM);
    if (t)
        CHECK_STR(t->custom, "org.example.MyType(a,(b),c)");

    /* Malformed. */
    const char *bad[] = {
        "", "VectorType(FloatType)", "VectorType(FloatType,0)", "VectorType(FloatType,x)",
        "VectorType(FloatType,99999999999)", "ListType(Int32Type", "ListType(Int32Type,Int32Type)",
        "MapType(Int32Type)", "UserType(ks,6,616263:Int32Type)", "UserType(ks,zz)",
        "Int32Type junk", "org.example.X((", "FrozenType()",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cql_error err = {0, NULL};
        int rc = cql_type_parse_class(bad[i], strlen(bad[i]), &a, &t, &err);
        t_report(rc != CQL_OK && err.msg != NULL, __FILE__, __LINE__, "malformed class refused", bad[i]);
    }
    /* Deep nesting. */
    char deep[2048] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "ListType(");
    strcat(deep, "Int32Type");
    for (int i = 0; i < 40; i++)
        strcat(deep, ")");
    CHECK_EQ(cql_type_parse_class(deep, strlen(deep), &a, &t, NULL), CQL_EDEPTH);
    char deep2[256] = "org.example.X";
    for (int i = 0; i < 40; i++)
        strcat(deep2, "(");
    CHECK(cql_type_parse_class(deep2, strlen(deep2), &a, &t, NULL) != CQL_OK);

    for (uint16_t id = 0; id < 0x120; id++)
        CHECK(cql_type_name(id) != NULL);
    cql_arena_free(&a);
}

/* ------------------------------------------------------------------------ */
/* Value decoding                                                            */
/* ------------------------------------------------------------------------ */

static void test_decode_scalars(void)
{
    cql_arena a;
    cql_arena_init(&a);
    uint8_t b[64];
    size_t n;
#define T(cls) parse_class(&a, cls)
    n = unhex("0000002a", b);
    CHECK_RENDER(T("Int32Type"), b, n, "42");
    n = unhex("fffffffffffffffe", b);
    CHECK_RENDER(T("LongType"), b, n, "-2");
    CHECK_RENDER(T("CounterColumnType"), b, n, "-2");
    CHECK_RENDER(T("TimestampType"), b, n, "ts:-2");
    n = unhex("ff85", b);
    CHECK_RENDER(T("ShortType"), b, n, "-123");
    n = unhex("7f", b);
    CHECK_RENDER(T("ByteType"), b, n, "127");
    n = unhex("01", b);
    CHECK_RENDER(T("BooleanType"), b, n, "true");
    n = unhex("3fc00000", b);
    CHECK_RENDER(T("FloatType"), b, n, "1.5");
    n = unhex("4000000000000000", b);
    CHECK_RENDER(T("DoubleType"), b, n, "2");
    CHECK_RENDER(T("UTF8Type"), (const uint8_t *)"h\xc3\xa9", 3, "'h\xc3\xa9'");
    CHECK_RENDER(T("AsciiType"), (const uint8_t *)"abc", 3, "'abc'");
    CHECK_RENDER(T("BytesType"), (const uint8_t *)"\x01\x02", 2, "0x0102");
    CHECK_RENDER(T("org.example.Foo"), (const uint8_t *)"\xAA", 1, "0xaa");
    n = unhex("00112233445566778899aabbccddeeff", b);
    CHECK_RENDER(T("UUIDType"), b, n, "uuid:00112233445566778899aabbccddeeff");
    CHECK_RENDER(T("TimeUUIDType"), b, n, "uuid:00112233445566778899aabbccddeeff");
    n = unhex("00ffffffffffffffffff", b);
    CHECK_RENDER(T("IntegerType"), b, n, "varint:0x00ffffffffffffffffff");
    n = unhex("00000002" "04d2", b);
    CHECK_RENDER(T("DecimalType"), b, n, "dec:2:0x04d2");
    n = unhex("7f000001", b);
    CHECK_RENDER(T("InetAddressType"), b, n, "inet:7f000001");
    n = unhex("20010db8000000000000000000000001", b);
    CHECK_RENDER(T("InetAddressType"), b, n, "inet:20010db8000000000000000000000001");
    n = unhex("80000001", b);
    CHECK_RENDER(T("SimpleDateType"), b, n, "date:1");
    n = unhex("0000000000000001", b);
    CHECK_RENDER(T("TimeType"), b, n, "time:1");
    n = unhex("010305", b);
    CHECK_RENDER(T("DurationType"), b, n, "dur:-1:-2:-3");

    /* Null and empty values. */
    CHECK_RENDER(T("Int32Type"), NULL, -1, "null");
    CHECK_RENDER(T("Int32Type"), b, 0, "empty");
    CHECK_RENDER(T("UTF8Type"), b, 0, "''");
    CHECK_RENDER(T("BytesType"), b, 0, "0x");
    CHECK_RENDER(T("ListType(Int32Type)"), b, 0, "empty");

    /* on_empty missing: falls back to on_null. */
    cql_value_cb cb = collector_cb;
    cb.on_empty = NULL;
    collector c;
    collector_init(&c);
    cql_bytes ev = {b, 0};
    CHECK_EQ(cql_decode_value(T("DoubleType"), ev, &cb, &c, NULL), CQL_OK);
    CHECK(strcmp(c.out, "null") == 0);

    /* Wrong sizes and invalid content are errors, not values. */
    collector_init(&c);
    cql_error err = {0, NULL};
    cql_bytes v = {b, 3};
    CHECK_EQ(cql_decode_value(T("Int32Type"), v, &collector_cb, &c, &err), CQL_ETRUNC);
    v.len = 5;
    CHECK_EQ(cql_decode_value(T("Int32Type"), v, &collector_cb, &c, &err), CQL_EINVAL);
    v.len = 7;
    CHECK_EQ(cql_decode_value(T("InetAddressType"), v, &collector_cb, &c, &err), CQL_EINVAL);
    cql_bytes bad = {(const uint8_t *)"\xff", 1};
    CHECK_EQ(cql_decode_value(T("UTF8Type"), bad, &collector_cb, &c, &err), CQL_EINVAL);
    CHECK_EQ(cql_decode_value(T("AsciiType"), bad, &collector_cb, &c, &err), CQL_EINVAL);
    /* A callback that checks UTF-8 itself gets varchar bytes unchecked, and
     * only varchar: ascii is still checked by the walker. */
    cql_value_cb checks = collector_cb;
    checks.on_text_checks_utf8 = 1;
    collector_init(&c);
    CHECK_EQ(cql_decode_value(T("UTF8Type"), bad, &checks, &c, &err), CQL_OK);
    CHECK_EQ(c.values, 1);
    CHECK_EQ(cql_decode_value(T("AsciiType"), bad, &checks, &c, &err), CQL_EINVAL);
    n = unhex("0000ffffffffffff", b); /* time above a day */
    v = (cql_bytes){b, (int32_t)n};
    CHECK_EQ(cql_decode_value(T("TimeType"), v, &collector_cb, &c, &err), CQL_ERANGE);
    v.len = 4;
    CHECK_EQ(cql_decode_value(T("DecimalType"), v, &collector_cb, &c, &err), CQL_EINVAL);
    cql_bytes mixed = {(const uint8_t *)"\x02\x01\x00", 3};
    CHECK_EQ(cql_decode_value(T("DurationType"), mixed, &collector_cb, &c, &err), CQL_EINVAL);
#undef T
    cql_arena_free(&a);
}

static void wr_elem_i32(cql_writer *w, int32_t v)
{
    cql_wr_i32(w, 4);
    cql_wr_i32(w, v);
}

static void test_decode_collections(void)
{
    cql_arena a;
    cql_arena_init(&a);
    cql_writer w;
    cql_wr_init(&w);
    cql_type *t;

    /* list<int> [1, null, -3] */
    t = parse_class(&a, "ListType(Int32Type)");
    cql_wr_i32(&w, 3);
    wr_elem_i32(&w, 1);
    cql_wr_i32(&w, -1);
    wr_elem_i32(&w, -3);
    CHECK_RENDER(t, w.data, w.len, "list[1,null,-3]");
    for (size_t cut = 0; cut < w.len; cut++) {
        collector c;
        CHECK(render(t, w.data, (int32_t)cut, &c) != CQL_OK || cut == 0);
    }
    /* Trailing garbage after the declared elements. */
    cql_wr_u8(&w, 0);
    {
        collector c;
        CHECK_EQ(render(t, w.data, (int32_t)w.len, &c), CQL_EINVAL);
    }

    /* set<text> {} */
    cql_wr_reset(&w);
    cql_wr_i32(&w, 0);
    CHECK_RENDER(parse_class(&a, "SetType(UTF8Type)"), w.data, w.len, "set[]");

    /* map<text, list<int>> {'a': [7], 'b': []} */
    t = parse_class(&a, "MapType(UTF8Type,ListType(Int32Type))");
    cql_wr_reset(&w);
    cql_wr_i32(&w, 2);
    cql_wr_bytes(&w, "a", 1);
    cql_wr_i32(&w, 12);
    cql_wr_i32(&w, 1);
    wr_elem_i32(&w, 7);
    cql_wr_bytes(&w, "b", 1);
    cql_wr_i32(&w, 4);
    cql_wr_i32(&w, 0);
    CHECK_RENDER(t, w.data, w.len, "map['a',list[7],'b',list[]]");
    for (size_t cut = 1; cut < w.len; cut++) {
        collector c;
        CHECK(render(t, w.data, (int32_t)cut, &c) != CQL_OK);
    }

    /* Negative and oversized counts. */
    cql_wr_reset(&w);
    cql_wr_i32(&w, -1);
    {
        collector c;
        CHECK_EQ(render(t, w.data, (int32_t)w.len, &c), CQL_EINVAL);
    }
    cql_wr_reset(&w);
    cql_wr_i32(&w, INT32_MAX);
    cql_wr_i32(&w, 0);
    {
        collector c;
        CHECK_EQ(render(t, w.data, (int32_t)w.len, &c), CQL_ETRUNC);
    }
    /* Element length beyond the value. */
    cql_wr_reset(&w);
    cql_wr_i32(&w, 1);
    cql_wr_i32(&w, 1000);
    cql_wr_i32(&w, 0);
    {
        collector c;
        CHECK_EQ(render(parse_class(&a, "ListType(BytesType)"), w.data, (int32_t)w.len, &c),
                 CQL_ETRUNC);
    }

    /* tuple<int, text, boolean> with a null field */
    t = parse_class(&a, "TupleType(Int32Type,UTF8Type,BooleanType)");
    cql_wr_reset(&w);
    wr_elem_i32(&w, 5);
    cql_wr_i32(&w, -1);
    cql_wr_bytes(&w, "\x00", 1);
    CHECK_RENDER(t, w.data, w.len, "tuple[5,null,false]");
    /* A fourth field is one too many. */
    wr_elem_i32(&w, 6);
    {
        collector c;
        CHECK_EQ(render(t, w.data, (int32_t)w.len, &c), CQL_EINVAL);
    }

    /* UDT with fewer fields than its type (added fields are absent). */
    t = parse_class(&a, "UserType(ks,61,78:Int32Type,79:UTF8Type,7a:LongType)");
    cql_wr_reset(&w);
    wr_elem_i32(&w, 9);
    CHECK_RENDER(t, w.data, w.len, "udt[9]");
    cql_wr_bytes(&w, "s", 1);
    CHECK_RENDER(t, w.data, w.len, "udt[9,'s']");
    CHECK_RENDER(t, w.data, 0, "udt[]");
    for (size_t cut = 1; cut < w.len; cut++) {
        if (cut == 8)
            continue; /* a clean field boundary */
        collector c;
        CHECK(render(t, w.data, (int32_t)cut, &c) != CQL_OK);
    }

    /* Nested collections: list<frozen<list<int>>>. */
    t = parse_class(&a, "ListType(FrozenType(ListType(Int32Type)))");
    cql_wr_reset(&w);
    cql_wr_i32(&w, 2);
    cql_wr_i32(&w, 12);
    cql_wr_i32(&w, 1);
    wr_elem_i32(&w, 1);
    cql_wr_i32(&w, 4);
    cql_wr_i32(&w, 0);
    CHECK_RENDER(t, w.data, w.len, "list[list[1],list[]]");
    cql_wr_free(&w);
    cql_arena_free(&a);
}

static void test_decode_vectors(void)
{
    cql_arena a;
    cql_arena_init(&a);
    cql_writer w;
    cql_wr_init(&w);
    /* vector<float, 3>: 12 bytes, no length prefixes. */
    cql_type *t = parse_class(&a, "org.apache.cassandra.db.marshal.VectorType("
                                  "org.apache.cassandra.db.marshal.FloatType , 3)");
    uint8_t b[12];
    unhex("3f800000" "c0000000" "3e800000", b);
    CHECK_RENDER(t, b, 12, "vector[1,-2,0.25]");
    for (int32_t n = 1; n < 12; n++) {
        collector c;
        CHECK_EQ(render(t, b, n, &c), CQL_ETRUNC);
    }
    uint8_t b13[13] = {0};
    {
        collector c;
        CHECK_EQ(render(t, b13, 13, &c), CQL_EINVAL);
    }

    /* vector<text, 2>: elements carry an unsigned vint length. */
    t = parse_class(&a, "VectorType(UTF8Type,2)");
    cql_wr_uvint(&w, 2);
    cql_wr_raw(&w, "hi", 2);
    cql_wr_uvint(&w, 0);
    CHECK_RENDER(t, w.data, w.len, "vector['hi','']");
    for (size_t cut = 1; cut < w.len; cut++) {
        collector c;
        CHECK(render(t, w.data, (int32_t)cut, &c) != CQL_OK);
    }
    cql_wr_u8(&w, 'x');
    {
        collector c;
        CHECK_EQ(render(t, w.data, (int32_t)w.len, &c), CQL_EINVAL);
    }
    /* A vint length larger than what is left. */
    cql_wr_reset(&w);
    cql_wr_uvint(&w, 1ULL << 40);
    cql_wr_raw(&w, "abc", 3);
    {
        collector c;
        CHECK_EQ(render(t, w.data, (int32_t)w.len, &c), CQL_ETRUNC);
    }
    /* vector<smallint, 2>: variable size in Cassandra. */
    t = parse_class(&a, "VectorType(ShortType,2)");
    cql_wr_reset(&w);
    cql_wr_uvint(&w, 2);
    cql_wr_u16(&w, 7);
    cql_wr_uvint(&w, 2);
    cql_wr_u16(&w, 0xFFFF);
    CHECK_RENDER(t, w.data, w.len, "vector[7,-1]");
    /* vector<vector<int,2>,2> */
    t = parse_class(&a, "VectorType(VectorType(Int32Type,2),2)");
    cql_wr_reset(&w);
    for (int i = 1; i <= 4; i++)
        cql_wr_i32(&w, i);
    CHECK_RENDER(t, w.data, w.len, "vector[vector[1,2],vector[3,4]]");
    cql_wr_free(&w);
    cql_arena_free(&a);
}

static void test_decode_depth_and_abort(void)
{
    cql_arena a;
    cql_arena_init(&a);
    /* Build a type tree deeper than the limit by hand (the parsers refuse). */
    cql_type leaf = {CQL_TYPE_INT, 0, 0, 0, NULL, NULL, {0}, {0}, {0}};
    cql_type nodes[CQL_MAX_DEPTH + 2];
    cql_type *kids[CQL_MAX_DEPTH + 2];
    for (int i = 0; i < CQL_MAX_DEPTH + 2; i++) {
        memset(&nodes[i], 0, sizeof nodes[i]);
        nodes[i].id = CQL_TYPE_TUPLE;
        nodes[i].n = 1;
        kids[i] = i + 1 < CQL_MAX_DEPTH + 2 ? &nodes[i + 1] : &leaf;
        nodes[i].children = &kids[i];
    }
    /* Value: nested one-field tuples ending in int 1. */
    cql_writer w;
    cql_wr_init(&w);
    uint8_t payload[4] = {0, 0, 0, 1};
    cql_wr_raw(&w, payload, 4);
    for (int i = 0; i < CQL_MAX_DEPTH + 2; i++) {
        cql_writer o;
        cql_wr_init(&o);
        cql_wr_bytes(&o, w.data, (int32_t)w.len);
        cql_wr_free(&w);
        w = o;
    }
    collector c;
    collector_init(&c);
    cql_bytes v = {w.data, (int32_t)w.len}; /* value of nodes[0] */
    CHECK_EQ(cql_decode_value(&nodes[0], v, &collector_cb, &c, NULL), CQL_EDEPTH);
    /* Within the limit it decodes: strip five wrappings, start at nodes[5]. */
    collector_init(&c);
    cql_reader r = cql_reader_make(w.data, w.len);
    cql_bytes inner;
    for (int i = 0; i < 5; i++)
        cql_rd_bytes(&r, &inner, NULL), r = cql_reader_make(inner.p, (size_t)inner.len);
    CHECK_EQ(cql_decode_value(&nodes[5], inner, &collector_cb, &c, NULL), CQL_OK);

    /* A callback returning non-zero stops decoding. */
    cql_type *t = parse_class(&a, "ListType(Int32Type)");
    cql_wr_reset(&w);
    cql_wr_i32(&w, 3);
    for (int i = 0; i < 3; i++)
        wr_elem_i32(&w, i);
    collector_init(&c);
    c.stop_after = 2;
    cql_error err = {0, NULL};
    v = (cql_bytes){w.data, (int32_t)w.len};
    CHECK_EQ(cql_decode_value(t, v, &collector_cb, &c, &err), CQL_ECALLBACK);
    CHECK_EQ(err.code, CQL_ECALLBACK);
    CHECK_EQ(c.values, 2);

    /* All-NULL callback table: validates and skips. */
    cql_value_cb none;
    memset(&none, 0, sizeof none);
    CHECK_EQ(cql_decode_value(t, v, &none, NULL, NULL), CQL_OK);
    cql_wr_free(&w);
    cql_arena_free(&a);
}

static void test_elem_iter(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_wr_i32(&w, 2);
    cql_wr_bytes(&w, "k", 1);
    cql_wr_bytes(&w, NULL, -1);
    cql_wr_bytes(&w, "k2", 2);
    cql_wr_bytes(&w, "v", 1);
    cql_elem_iter it;
    int32_t count;
    CHECK_EQ(cql_collection_begin(w.data, w.len, CQL_TYPE_MAP, &it, &count, NULL), CQL_OK);
    CHECK_EQ(count, 2);
    cql_bytes e;
    int n = 0;
    while (cql_elem_next(&it, &e, NULL) == CQL_OK)
        n++;
    CHECK_EQ(n, 4);
    CHECK_EQ(it.r.n, 0);
    cql_fields_begin(w.data + 4, w.len - 4, &it);
    n = 0;
    while (cql_elem_next(&it, &e, NULL) == CQL_OK)
        n++;
    CHECK_EQ(n, 4);
    CHECK_EQ(cql_collection_begin(w.data, 3, CQL_TYPE_LIST, &it, &count, NULL), CQL_ETRUNC);
    cql_wr_free(&w);
}

void suite_types(void)
{
    RUN(test_ints);
    RUN(test_floats);
    RUN(test_varint);
    RUN(test_decimal);
    RUN(test_date_time);
    RUN(test_uuid_inet);
    RUN(test_vint);
    RUN(test_duration);
    RUN(test_utf8);
    RUN(test_option_native);
    RUN(test_option_nested);
    RUN(test_class_names);
    RUN(test_decode_scalars);
    RUN(test_decode_collections);
    RUN(test_decode_vectors);
    RUN(test_decode_depth_and_abort);
    RUN(test_elem_iter);
}

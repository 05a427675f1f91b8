/*
 * test_messages.c - request encoders (exact bytes) and response decoders
 * (hand-built bodies, every truncation, bad counts).
 */
#include <stdlib.h>

#include "collector.h"
#include "cql/messages.h"
#include "testing.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* Check the 9-byte header of the frame at w->data + off. */
static void check_header(const cql_writer *w, size_t off, uint8_t flags, int16_t stream,
                         uint8_t op)
{
    cql_frame_header h;
    CHECK_EQ(cql_frame_header_decode(w->data + off, w->len - off, 0, &h, NULL), CQL_OK);
    CHECK_EQ(h.version, 4);
    CHECK_EQ(h.flags, flags);
    CHECK_EQ(h.stream, stream);
    CHECK_EQ(h.opcode, op);
    CHECK_EQ(h.length, w->len - off - CQL_HEADER_SIZE);
}

static const uint8_t *body(const cql_writer *w)
{
    return w->data + CQL_HEADER_SIZE;
}

static size_t body_len(const cql_writer *w)
{
    return w->len - CQL_HEADER_SIZE;
}

/* ------------------------------------------------------------------------ */
/* Encoders                                                                  */
/* ------------------------------------------------------------------------ */

static void test_encode_options_startup(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_request rq = {0, 0, 7, NULL, 0};
    CHECK_EQ(cql_encode_options(&w, &rq, NULL), CQL_OK);
    const uint8_t opt[] = {4, 0, 0, 7, 5, 0, 0, 0, 0};
    CHECK_EQ(w.len, sizeof opt);
    CHECK_MEM(w.data, opt, sizeof opt);

    cql_wr_reset(&w);
    CHECK_EQ(cql_encode_startup_default(&w, NULL, "lz4", NULL), CQL_OK);
    check_header(&w, 0, 0, 0, CQL_OP_STARTUP);
    const uint8_t su[] = {0, 2, 0, 11, 'C', 'Q', 'L', '_', 'V', 'E', 'R', 'S', 'I', 'O', 'N',
                          0, 5, '3', '.', '0', '.', '0', 0, 11, 'C', 'O', 'M', 'P', 'R', 'E',
                          'S', 'S', 'I', 'O', 'N', 0, 3, 'l', 'z', '4'};
    CHECK_EQ(body_len(&w), sizeof su);
    CHECK_MEM(body(&w), su, sizeof su);
    /* Decodes back as a string map. */
    cql_reader r = cql_reader_make(body(&w), body_len(&w));
    cql_map_iter m;
    CHECK_EQ(cql_rd_string_map(&r, &m, NULL), CQL_OK);
    CHECK_EQ(m.count, 2);

    cql_wr_reset(&w);
    CHECK_EQ(cql_encode_startup_default(&w, NULL, NULL, NULL), CQL_OK);
    CHECK_EQ(body(&w)[1], 1);

    /* Custom payloads are refused on STARTUP. */
    cql_payload_entry pe = {{"k", 1}, {(const uint8_t *)"v", 1}};
    cql_request prq = {0, 0, 0, &pe, 1};
    cql_wr_reset(&w);
    CHECK_EQ(cql_encode_startup_default(&w, &prq, NULL, NULL), CQL_EINVAL);
    CHECK_EQ(w.len, 0);
    cql_wr_free(&w);
}

static void test_encode_auth(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_str user = {"cassandra", 9}, pass = {"pw", 2};
    CHECK_EQ(cql_encode_auth_plain(&w, NULL, user, pass, NULL), CQL_OK);
    check_header(&w, 0, 0, 0, CQL_OP_AUTH_RESPONSE);
    const uint8_t want[] = {0, 0, 0, 13, 0, 'c', 'a', 's', 's', 'a', 'n', 'd', 'r', 'a', 0, 'p', 'w'};
    CHECK_EQ(body_len(&w), sizeof want);
    CHECK_MEM(body(&w), want, sizeof want);

    cql_wr_reset(&w);
    CHECK_EQ(cql_encode_auth_response(&w, NULL, NULL, -1, NULL), CQL_OK);
    const uint8_t nul[] = {0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_MEM(body(&w), nul, 4);
    cql_wr_free(&w);
}

static void test_encode_query(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_str q = {"SELECT 1", 8};

    /* Bare query: consistency + zero flags. */
    cql_query_params qp;
    memset(&qp, 0, sizeof qp);
    qp.consistency = CQL_CONSISTENCY_ONE;
    cql_request rq = {0, CQL_FLAG_TRACING, 3, NULL, 0};
    CHECK_EQ(cql_encode_query(&w, &rq, q, &qp, NULL), CQL_OK);
    check_header(&w, 0, CQL_FLAG_TRACING, 3, CQL_OP_QUERY);
    const uint8_t bare[] = {0, 0, 0, 8, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', 0, 1, 0};
    CHECK_EQ(body_len(&w), sizeof bare);
    CHECK_MEM(body(&w), bare, sizeof bare);

    /* Every flag at once. */
    cql_bytes vals[3] = {{(const uint8_t *)"\x00\x00\x00\x05", 4}, {NULL, CQL_NULL_LEN},
                         {NULL, CQL_UNSET_LEN}};
    cql_str names[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    qp.values = vals;
    qp.value_count = 3;
    qp.names = names;
    qp.skip_metadata = 1;
    qp.page_size = 5000;
    qp.paging_state = (const uint8_t *)"PS";
    qp.paging_state_len = 2;
    qp.has_serial_consistency = 1;
    qp.serial_consistency = CQL_CONSISTENCY_LOCAL_SERIAL;
    qp.has_timestamp = 1;
    qp.timestamp = 1700000000000000LL;
    cql_payload_entry pe = {{"p", 1}, {(const uint8_t *)"x", 1}};
    rq = (cql_request){0, 0, 4, &pe, 1};
    cql_wr_reset(&w);
    CHECK_EQ(cql_encode_query(&w, &rq, q, &qp, NULL), CQL_OK);
    check_header(&w, 0, CQL_FLAG_CUSTOM_PAYLOAD, 4, CQL_OP_QUERY);

    cql_reader r = cql_reader_make(body(&w), body_len(&w));
    cql_map_iter payload;
    CHECK_EQ(cql_rd_bytes_map(&r, &payload, NULL), CQL_OK);
    CHECK_EQ(payload.count, 1);
    cql_str s;
    CHECK_EQ(cql_rd_long_string(&r, &s, NULL), CQL_OK);
    CHECK_STR(s, "SELECT 1");
    uint16_t cl = 0, n16 = 0;
    uint8_t flags = 0;
    cql_rd_u16(&r, &cl);
    cql_rd_u8(&r, &flags);
    CHECK_EQ(cl, CQL_CONSISTENCY_ONE);
    CHECK_EQ(flags, 0x7F);
    cql_rd_u16(&r, &n16);
    CHECK_EQ(n16, 3);
    cql_bytes v;
    CHECK_EQ(cql_rd_string(&r, &s, NULL), CQL_OK);
    CHECK_STR(s, "a");
    CHECK_EQ(cql_rd_value(&r, &v, NULL), CQL_OK);
    CHECK_EQ(v.len, 4);
    cql_rd_string(&r, &s, NULL);
    CHECK_EQ(cql_rd_value(&r, &v, NULL), CQL_OK);
    CHECK_EQ(v.len, CQL_NULL_LEN);
    cql_rd_string(&r, &s, NULL);
    CHECK_EQ(cql_rd_value(&r, &v, NULL), CQL_OK);
    CHECK_EQ(v.len, CQL_UNSET_LEN);
    int32_t page = 0;
    cql_rd_i32(&r, &page);
    CHECK_EQ(page, 5000);
    CHECK_EQ(cql_rd_bytes(&r, &v, NULL), CQL_OK);
    CHECK_EQ(v.len, 2);
    cql_rd_u16(&r, &cl);
    CHECK_EQ(cl, CQL_CONSISTENCY_LOCAL_SERIAL);
    int64_t ts = 0;
    cql_rd_i64(&r, &ts);
    CHECK_EQ(ts, 1700000000000000LL);
    CHECK_EQ(r.n, 0);

    /* A failing encode leaves earlier frames intact. */
    size_t before = w.len;
    qp.timestamp = -1;
    CHECK_EQ(cql_encode_query(&w, &rq, q, &qp, NULL), CQL_EINVAL);
    CHECK_EQ(w.len, before);
    CHECK_EQ(w.err, CQL_OK);
    qp.timestamp = 0;
    qp.value_count = 70000;
    CHECK_EQ(cql_encode_query(&w, &rq, q, &qp, NULL), CQL_ELIMIT);
    CHECK_EQ(w.len, before);
    cql_wr_free(&w);
}

static void test_encode_prepare_execute(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_str q = {"SELECT * FROM t WHERE k=?", 25};
    CHECK_EQ(cql_encode_prepare(&w, NULL, q, NULL), CQL_OK);
    check_header(&w, 0, 0, 0, CQL_OP_PREPARE);
    CHECK_EQ(body_len(&w), 4 + 25);

    size_t off = w.len;
    const uint8_t id[4] = {0xDE, 0xAD, 0xBE, 0xEF};
    cql_bytes vals[1] = {{(const uint8_t *)"\x00\x00\x00\x01", 4}};
    cql_query_params qp;
    memset(&qp, 0, sizeof qp);
    qp.consistency = CQL_CONSISTENCY_LOCAL_QUORUM;
    qp.values = vals;
    qp.value_count = 1;
    qp.skip_metadata = 1;
    cql_request rq = {0, 0, 9, NULL, 0};
    CHECK_EQ(cql_encode_execute(&w, &rq, id, 4, &qp, NULL), CQL_OK);
    check_header(&w, off, 0, 9, CQL_OP_EXECUTE);
    const uint8_t want[] = {0, 4, 0xDE, 0xAD, 0xBE, 0xEF, 0, 6, 0x03, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1};
    CHECK_EQ(w.len - off - CQL_HEADER_SIZE, sizeof want);
    CHECK_MEM(w.data + off + CQL_HEADER_SIZE, want, sizeof want);
    cql_wr_free(&w);
}

static void test_encode_batch_register(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_bytes v1[1] = {{(const uint8_t *)"x", 1}};
    cql_batch_stmt st[2] = {
        {0, (const uint8_t *)"INSERT", 6, v1, 1, NULL},
        {1, (const uint8_t *)"\x01\x02", 2, NULL, 0, NULL},
    };
    cql_batch_params bp;
    memset(&bp, 0, sizeof bp);
    bp.type = CQL_BATCH_UNLOGGED;
    bp.consistency = CQL_CONSISTENCY_QUORUM;
    bp.has_serial_consistency = 1;
    bp.serial_consistency = CQL_CONSISTENCY_SERIAL;
    bp.has_timestamp = 1;
    bp.timestamp = 42;
    CHECK_EQ(cql_encode_batch(&w, NULL, st, 2, &bp, NULL), CQL_OK);
    check_header(&w, 0, 0, 0, CQL_OP_BATCH);
    const uint8_t want[] = {1, 0, 2,
                            0, 0, 0, 0, 6, 'I', 'N', 'S', 'E', 'R', 'T', 0, 1, 0, 0, 0, 1, 'x',
                            1, 0, 2, 1, 2, 0, 0,
                            0, 4, 0x30, 0, 8, 0, 0, 0, 0, 0, 0, 0, 42};
    CHECK_EQ(body_len(&w), sizeof want);
    CHECK_MEM(body(&w), want, sizeof want);

    bp.type = 3;
    cql_wr_reset(&w);
    CHECK_EQ(cql_encode_batch(&w, NULL, st, 2, &bp, NULL), CQL_EINVAL);
    CHECK_EQ(w.len, 0);
    bp.type = 0;
    bp.with_names = 1; /* statement 0 has a value but no names */
    CHECK_EQ(cql_encode_batch(&w, NULL, st, 2, &bp, NULL), CQL_EINVAL);

    cql_wr_reset(&w);
    cql_str ev[3] = {{"TOPOLOGY_CHANGE", 15}, {"STATUS_CHANGE", 13}, {"SCHEMA_CHANGE", 13}};
    CHECK_EQ(cql_encode_register(&w, NULL, ev, 3, NULL), CQL_OK);
    check_header(&w, 0, 0, 0, CQL_OP_REGISTER);
    cql_reader r = cql_reader_make(body(&w), body_len(&w));
    cql_string_list l;
    CHECK_EQ(cql_rd_string_list(&r, &l, NULL), CQL_OK);
    CHECK_EQ(l.count, 3);
    CHECK_EQ(r.n, 0);

    /* An encoder on a writer already in error reports that error. */
    cql_wr_fail(&w, CQL_ENOMEM, "simulated");
    CHECK_EQ(cql_encode_options(&w, NULL, NULL), CQL_ENOMEM);
    cql_wr_free(&w);
}

/* ------------------------------------------------------------------------ */
/* Simple responses                                                          */
/* ------------------------------------------------------------------------ */

static void test_decode_simple(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_reader empty = cql_reader_make(NULL, 0);
    CHECK_EQ(cql_decode_ready(&empty, NULL), CQL_OK);
    cql_wr_u16(&w, 1);
    cql_wr_string(&w, "COMPRESSION", 11);
    cql_wr_u16(&w, 1);
    cql_wr_string(&w, "lz4", 3);
    cql_reader r = cql_reader_make(w.data, w.len);
    cql_map_iter m;
    CHECK_EQ(cql_decode_supported(&r, &m, NULL), CQL_OK);
    cql_string_list l;
    CHECK(cql_string_multimap_find(&m, "COMPRESSION", &l));
    for (size_t cut = 0; cut < w.len; cut++) {
        r = cql_reader_make(w.data, cut);
        CHECK(cql_decode_supported(&r, &m, NULL) != CQL_OK);
    }

    cql_wr_reset(&w);
    const char *auth = "org.apache.cassandra.auth.PasswordAuthenticator";
    cql_wr_string(&w, auth, strlen(auth));
    r = cql_reader_make(w.data, w.len);
    cql_str s;
    CHECK_EQ(cql_decode_authenticate(&r, &s, NULL), CQL_OK);
    CHECK_STR(s, "org.apache.cassandra.auth.PasswordAuthenticator");
    r = cql_reader_make(w.data, w.len - 1);
    CHECK_EQ(cql_decode_authenticate(&r, &s, NULL), CQL_ETRUNC);

    cql_wr_reset(&w);
    cql_wr_bytes(&w, NULL, -1);
    cql_wr_bytes(&w, "tok", 3);
    r = cql_reader_make(w.data, w.len);
    cql_bytes b;
    CHECK_EQ(cql_decode_auth_token(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, CQL_NULL_LEN);
    CHECK_EQ(cql_decode_auth_token(&r, &b, NULL), CQL_OK);
    CHECK_EQ(b.len, 3);
    CHECK_EQ(cql_decode_auth_token(&r, &b, NULL), CQL_ETRUNC);
    cql_wr_free(&w);
}

/* ------------------------------------------------------------------------ */
/* RESULT                                                                    */
/* ------------------------------------------------------------------------ */

/* Decode a RESULT body fully (header + rows) into a rendering; returns rc. */
static int decode_all(const uint8_t *p, size_t n, cql_result *res, collector *c)
{
    cql_reader r = cql_reader_make(p, n);
    cql_result_init(res);
    collector_init(c);
    int rc = cql_decode_result(&r, res, NULL);
    if (rc == CQL_OK && res->kind == CQL_RESULT_ROWS && res->metadata.columns)
        rc = cql_decode_rows(res, NULL, &collector_cb, c, NULL);
    return rc;
}

/* Every strict prefix of a valid body must fail cleanly. */
static void check_truncations(const uint8_t *p, size_t n)
{
    long ok = 0;
    for (size_t cut = 0; cut < n; cut++) {
        cql_result res;
        collector c;
        if (decode_all(p, cut, &res, &c) == CQL_OK)
            ok++;
        cql_result_free(&res);
    }
    CHECK_EQ(ok, 0);
}

static void test_result_void_keyspace(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_wr_i32(&w, CQL_RESULT_VOID);
    cql_result res;
    collector c;
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_OK);
    CHECK_EQ(res.kind, CQL_RESULT_VOID);
    cql_result_free(&res);
    check_truncations(w.data, w.len);

    cql_wr_reset(&w);
    cql_wr_i32(&w, CQL_RESULT_SET_KEYSPACE);
    cql_wr_string(&w, "my_ks", 5);
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_OK);
    CHECK_STR(res.keyspace, "my_ks");
    cql_result_free(&res);
    check_truncations(w.data, w.len);

    cql_wr_reset(&w);
    cql_wr_i32(&w, 6);
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_EPROTO);
    cql_result_free(&res);
    cql_wr_free(&w);
}

static void test_result_schema_change(void)
{
    cql_writer w;
    cql_wr_init(&w);
    static const struct {
        const char *target;
        int nstr;     /* strings after target */
        int has_list;
    } cases[] = {{"KEYSPACE", 1, 0}, {"TABLE", 2, 0}, {"TYPE", 2, 0},
                 {"FUNCTION", 2, 1}, {"AGGREGATE", 2, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cql_wr_reset(&w);
        cql_wr_i32(&w, CQL_RESULT_SCHEMA_CHANGE);
        cql_wr_string(&w, "CREATED", 7);
        cql_wr_string(&w, cases[i].target, strlen(cases[i].target));
        cql_wr_string(&w, "ks", 2);
        if (cases[i].nstr == 2)
            cql_wr_string(&w, "obj", 3);
        if (cases[i].has_list) {
            cql_str args[2] = {{"int", 3}, {"text", 4}};
            cql_wr_string_list(&w, args, 2);
        }
        cql_result res;
        collector c;
        CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_OK);
        CHECK_STR(res.schema_change.change_type, "CREATED");
        CHECK_STR(res.schema_change.keyspace, "ks");
        if (cases[i].nstr == 2)
            CHECK_STR(res.schema_change.name, "obj");
        CHECK_EQ(res.schema_change.arg_types.count, cases[i].has_list ? 2 : 0);
        cql_result_free(&res);
        check_truncations(w.data, w.len);
    }
    cql_wr_reset(&w);
    cql_wr_i32(&w, CQL_RESULT_SCHEMA_CHANGE);
    cql_wr_string(&w, "DROPPED", 7);
    cql_wr_string(&w, "INDEX", 5);
    cql_wr_string(&w, "ks", 2);
    cql_result res;
    collector c;
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_EPROTO);
    cql_result_free(&res);
    cql_wr_free(&w);
}

/* Rows result: flags, 3 columns (int, text, list<int>), 2 rows. */
static void build_rows(cql_writer *w, int global, int more_pages)
{
    int32_t flags = (global ? CQL_MF_GLOBAL_TABLES_SPEC : 0) |
                    (more_pages ? CQL_MF_HAS_MORE_PAGES : 0);
    cql_wr_i32(w, CQL_RESULT_ROWS);
    cql_wr_i32(w, flags);
    cql_wr_i32(w, 3);
    if (more_pages)
        cql_wr_bytes(w, "\x01\x02\x03", 3);
    if (global) {
        cql_wr_string(w, "ks", 2);
        cql_wr_string(w, "tbl", 3);
    }
    const char *names[3] = {"id", "name", "tags"};
    for (int i = 0; i < 3; i++) {
        if (!global) {
            cql_wr_string(w, "ks", 2);
            cql_wr_string(w, "tbl", 3);
        }
        cql_wr_string(w, names[i], strlen(names[i]));
        if (i == 0)
            cql_wr_u16(w, CQL_TYPE_INT);
        else if (i == 1)
            cql_wr_u16(w, CQL_TYPE_VARCHAR);
        else {
            cql_wr_u16(w, CQL_TYPE_LIST);
            cql_wr_u16(w, CQL_TYPE_INT);
        }
    }
    cql_wr_i32(w, 2);
    /* row 1: 1, 'a', [5] */
    cql_wr_i32(w, 4);
    cql_wr_i32(w, 1);
    cql_wr_bytes(w, "a", 1);
    cql_wr_i32(w, 12);
    cql_wr_i32(w, 1);
    cql_wr_i32(w, 4);
    cql_wr_i32(w, 5);
    /* row 2: 2, null, null */
    cql_wr_i32(w, 4);
    cql_wr_i32(w, 2);
    cql_wr_i32(w, -1);
    cql_wr_i32(w, -1);
}

static void test_result_rows(void)
{
    cql_writer w;
    cql_wr_init(&w);
    for (int global = 0; global < 2; global++) {
        for (int more = 0; more < 2; more++) {
            cql_wr_reset(&w);
            build_rows(&w, global, more);
            cql_result res;
            collector c;
            CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_OK);
            CHECK_EQ(res.kind, CQL_RESULT_ROWS);
            CHECK_EQ(res.metadata.column_count, 3);
            CHECK_EQ(res.rows_count, 2);
            CHECK_STR(res.metadata.columns[1].name, "name");
            CHECK_STR(res.metadata.columns[2].table, "tbl");
            CHECK_EQ(res.metadata.columns[2].type->id, CQL_TYPE_LIST);
            CHECK((res.metadata.paging_state != NULL) == more);
            if (more)
                CHECK_EQ(res.metadata.paging_state_len, 3);
            if (global)
                CHECK_STR(res.metadata.keyspace, "ks");
            t_report(strcmp(c.out, "(1,'a',list[5])(2,null,null)") == 0, __FILE__, __LINE__,
                     "rows rendering", c.out);
            cql_result_free(&res);
            check_truncations(w.data, w.len);
        }
    }

    /* Extra bytes after the rows are ignored (spec: room for extensions). */
    cql_wr_reset(&w);
    build_rows(&w, 1, 0);
    cql_wr_raw(&w, "junk", 4);
    cql_result res;
    collector c;
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_OK);
    cql_result_free(&res);

    /* Lying counts. */
    cql_wr_reset(&w);
    cql_wr_i32(&w, CQL_RESULT_ROWS);
    cql_wr_i32(&w, CQL_MF_GLOBAL_TABLES_SPEC);
    cql_wr_i32(&w, 0x7FFFFFFF);
    cql_wr_string(&w, "k", 1);
    cql_wr_string(&w, "t", 1);
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_ETRUNC);
    cql_result_free(&res);
    cql_wr_reset(&w);
    cql_wr_i32(&w, CQL_RESULT_ROWS);
    cql_wr_i32(&w, 0);
    cql_wr_i32(&w, -1);
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_EINVAL);
    cql_result_free(&res);
    /* No_metadata with a huge row count and nothing behind it. */
    cql_wr_reset(&w);
    cql_wr_i32(&w, CQL_RESULT_ROWS);
    cql_wr_i32(&w, CQL_MF_NO_METADATA);
    cql_wr_i32(&w, 2);
    cql_wr_i32(&w, 0x40000000);
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_ETRUNC);
    cql_result_free(&res);
    cql_wr_reset(&w);
    cql_wr_i32(&w, CQL_RESULT_ROWS);
    cql_wr_i32(&w, CQL_MF_NO_METADATA);
    cql_wr_i32(&w, 0);
    cql_wr_i32(&w, 5);
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_EINVAL); /* rows without columns */
    cql_result_free(&res);
    cql_wr_free(&w);
}

/* Prepared result for "SELECT id, name FROM ks.t WHERE id=? AND b=?". */
static void build_prepared(cql_writer *w)
{
    cql_wr_i32(w, CQL_RESULT_PREPARED);
    cql_wr_short_bytes(w, "\xAB\xCD", 2);
    /* bind metadata: global spec, 2 markers, pk index [1, 0] */
    cql_wr_i32(w, CQL_MF_GLOBAL_TABLES_SPEC);
    cql_wr_i32(w, 2);
    cql_wr_i32(w, 2);
    cql_wr_u16(w, 1);
    cql_wr_u16(w, 0);
    cql_wr_string(w, "ks", 2);
    cql_wr_string(w, "t", 1);
    cql_wr_string(w, "id", 2);
    cql_wr_u16(w, CQL_TYPE_INT);
    cql_wr_string(w, "b", 1);
    cql_wr_u16(w, CQL_TYPE_CUSTOM);
    const char *vec = "org.apache.cassandra.db.marshal.VectorType("
                      "org.apache.cassandra.db.marshal.FloatType , 3)";
    cql_wr_string(w, vec, strlen(vec));
    /* result metadata: 2 columns */
    cql_wr_i32(w, CQL_MF_GLOBAL_TABLES_SPEC);
    cql_wr_i32(w, 2);
    cql_wr_string(w, "ks", 2);
    cql_wr_string(w, "t", 1);
    cql_wr_string(w, "id", 2);
    cql_wr_u16(w, CQL_TYPE_INT);
    cql_wr_string(w, "name", 4);
    cql_wr_u16(w, CQL_TYPE_VARCHAR);
}

static void test_result_prepared(void)
{
    cql_writer w;
    cql_wr_init(&w);
    build_prepared(&w);
    cql_result res;
    collector c;
    CHECK_EQ(decode_all(w.data, w.len, &res, &c), CQL_OK);
    CHECK_EQ(res.kind, CQL_RESULT_PREPARED);
    CHECK_EQ(res.prepared_id.len, 2);
    CHECK_EQ(res.prepared_id.p[0], 0xAB);
    CHECK_EQ(res.metadata.column_count, 2);
    CHECK_EQ(res.metadata.pk_count, 2);
    CHECK_EQ(res.metadata.pk_indexes[0], 1);
    CHECK_EQ(res.metadata.pk_indexes[1], 0);
    CHECK_EQ(res.metadata.columns[1].type->id, CQL_TYPE_VECTOR);
    CHECK_EQ(res.metadata.columns[1].type->dim, 3);
    CHECK_EQ(res.result_metadata.column_count, 2);
    CHECK_STR(res.result_metadata.columns[1].name, "name");
    check_truncations(w.data, w.len);

    /* The prepared result metadata decodes a later skip_metadata Rows result. */
    cql_writer rw;
    cql_wr_init(&rw);
    cql_wr_i32(&rw, CQL_RESULT_ROWS);
    cql_wr_i32(&rw, CQL_MF_NO_METADATA);
    cql_wr_i32(&rw, 2);
    cql_wr_i32(&rw, 1);
    cql_wr_i32(&rw, 4);
    cql_wr_i32(&rw, 77);
    cql_wr_bytes(&rw, "bob", 3);
    cql_reader r = cql_reader_make(rw.data, rw.len);
    cql_result rows;
    cql_result_init(&rows);
    CHECK_EQ(cql_decode_result(&r, &rows, NULL), CQL_OK);
    CHECK(rows.metadata.columns == NULL);
    collector_init(&c);
    CHECK_EQ(cql_decode_rows(&rows, NULL, &collector_cb, &c, NULL), CQL_EINVAL);
    collector_init(&c);
    CHECK_EQ(cql_decode_rows(&rows, &res.result_metadata, &collector_cb, &c, NULL), CQL_OK);
    t_report(strcmp(c.out, "(77,'bob')") == 0, __FILE__, __LINE__, "skip_metadata rows", c.out);
    /* Column count mismatch with the supplied metadata. */
    res.result_metadata.column_count = 1;
    CHECK_EQ(cql_decode_rows(&rows, &res.result_metadata, &collector_cb, &c, NULL), CQL_EINVAL);
    cql_result_free(&rows);
    cql_result_free(&res);
    CHECK_EQ(cql_decode_rows(&res, NULL, &collector_cb, &c, NULL), CQL_EINVAL); /* not rows */

    /* pk index out of range. */
    cql_wr_reset(&rw);
    cql_wr_i32(&rw, CQL_RESULT_PREPARED);
    cql_wr_short_bytes(&rw, "\x01", 1);
    cql_wr_i32(&rw, CQL_MF_GLOBAL_TABLES_SPEC);
    cql_wr_i32(&rw, 1);
    cql_wr_i32(&rw, 1);
    cql_wr_u16(&rw, 5);
    CHECK_EQ(decode_all(rw.data, rw.len, &res, &c), CQL_EINVAL);
    cql_result_free(&res);
    cql_wr_free(&rw);
    cql_wr_free(&w);
}

/* ------------------------------------------------------------------------ */
/* ERROR                                                                     */
/* ------------------------------------------------------------------------ */

static int decode_error(const cql_writer *w, size_t n, int version, cql_server_error *e)
{
    cql_reader r = cql_reader_make(w->data, n);
    return cql_decode_error(&r, version, e, NULL);
}

static void error_head(cql_writer *w, int32_t code)
{
    cql_wr_reset(w);
    cql_wr_i32(w, code);
    cql_wr_string(w, "msg", 3);
}

static void check_error_truncations(const cql_writer *w, int version)
{
    cql_server_error e;
    long ok = 0;
    for (size_t cut = 0; cut < w->len; cut++)
        if (decode_error(w, cut, version, &e) == CQL_OK)
            ok++;
    CHECK_EQ(ok, 0);
}

static void test_errors(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_server_error e;

    /* Codes with only a message. */
    const int32_t plain[] = {CQL_ERR_SERVER, CQL_ERR_PROTOCOL, CQL_ERR_AUTH,
                             CQL_ERR_OVERLOADED, CQL_ERR_BOOTSTRAPPING, CQL_ERR_TRUNCATE,
                             CQL_ERR_SYNTAX, CQL_ERR_UNAUTHORIZED, CQL_ERR_INVALID,
                             CQL_ERR_CONFIG, 0x7777};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        error_head(&w, plain[i]);
        CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
        CHECK_EQ(e.code, plain[i]);
        CHECK_STR(e.message, "msg");
        CHECK(cql_error_code_name(plain[i]) != NULL);
        check_error_truncations(&w, 4);
    }
    CHECK(strcmp(cql_error_code_name(CQL_ERR_UNPREPARED), "Unprepared") == 0);

    error_head(&w, CQL_ERR_UNAVAILABLE);
    cql_wr_u16(&w, CQL_CONSISTENCY_QUORUM);
    cql_wr_i32(&w, 3);
    cql_wr_i32(&w, 1);
    CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
    CHECK_EQ(e.consistency, CQL_CONSISTENCY_QUORUM);
    CHECK_EQ(e.required, 3);
    CHECK_EQ(e.alive, 1);
    check_error_truncations(&w, 4);

    error_head(&w, CQL_ERR_WRITE_TIMEOUT);
    cql_wr_u16(&w, CQL_CONSISTENCY_ONE);
    cql_wr_i32(&w, 0);
    cql_wr_i32(&w, 1);
    cql_wr_string(&w, "CAS", 3);
    CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
    CHECK_EQ(e.block_for, 1);
    CHECK_STR(e.write_type, "CAS");
    CHECK(!e.has_contentions);
    check_error_truncations(&w, 4);
    cql_wr_u16(&w, 7); /* v5: contentions follow a CAS write type */
    CHECK_EQ(decode_error(&w, w.len, 5, &e), CQL_OK);
    CHECK(e.has_contentions);
    CHECK_EQ(e.contentions, 7);
    check_error_truncations(&w, 5);

    error_head(&w, CQL_ERR_READ_TIMEOUT);
    cql_wr_u16(&w, CQL_CONSISTENCY_ALL);
    cql_wr_i32(&w, 2);
    cql_wr_i32(&w, 3);
    cql_wr_u8(&w, 1);
    CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
    CHECK_EQ(e.received, 2);
    CHECK_EQ(e.data_present, 1);
    check_error_truncations(&w, 4);

    /* v4 Read_failure: num_failures. */
    error_head(&w, CQL_ERR_READ_FAILURE);
    cql_wr_u16(&w, CQL_CONSISTENCY_ONE);
    cql_wr_i32(&w, 0);
    cql_wr_i32(&w, 1);
    cql_wr_i32(&w, 1);
    cql_wr_u8(&w, 0);
    CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
    CHECK_EQ(e.num_failures, 1);
    check_error_truncations(&w, 4);

    /* v5 Read_failure: reason map (IPv4 and IPv6 endpoints). */
    error_head(&w, CQL_ERR_READ_FAILURE);
    cql_wr_u16(&w, CQL_CONSISTENCY_ONE);
    cql_wr_i32(&w, 0);
    cql_wr_i32(&w, 1);
    cql_wr_i32(&w, 2);
    cql_wr_u8(&w, 4);
    cql_wr_raw(&w, "\x0a\x00\x00\x01", 4);
    cql_wr_u16(&w, 1); /* READ_TOO_MANY_TOMBSTONES */
    cql_wr_u8(&w, 16);
    cql_wr_raw(&w, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    cql_wr_u16(&w, 2);
    cql_wr_u8(&w, 1);
    CHECK_EQ(decode_error(&w, w.len, 5, &e), CQL_OK);
    CHECK_EQ(e.reason_count, 2);
    const uint8_t *addr;
    uint8_t alen;
    uint16_t fcode;
    CHECK(cql_reason_map_next(&e, &addr, &alen, &fcode));
    CHECK_EQ(alen, 4);
    CHECK_EQ(fcode, 1);
    CHECK(cql_reason_map_next(&e, &addr, &alen, &fcode));
    CHECK_EQ(alen, 16);
    CHECK_EQ(addr[0], 0xFE);
    CHECK_EQ(fcode, 2);
    CHECK(!cql_reason_map_next(&e, &addr, &alen, &fcode));
    CHECK_EQ(e.data_present, 1);
    check_error_truncations(&w, 5);

    /* v5 Write_failure: reason map then write type. */
    error_head(&w, CQL_ERR_WRITE_FAILURE);
    cql_wr_u16(&w, CQL_CONSISTENCY_ONE);
    cql_wr_i32(&w, 0);
    cql_wr_i32(&w, 1);
    cql_wr_i32(&w, 1);
    cql_wr_u8(&w, 4);
    cql_wr_raw(&w, "\x0a\x00\x00\x02", 4);
    cql_wr_u16(&w, 0);
    cql_wr_string(&w, "BATCH_LOG", 9);
    CHECK_EQ(decode_error(&w, w.len, 5, &e), CQL_OK);
    CHECK_STR(e.write_type, "BATCH_LOG");
    check_error_truncations(&w, 5);
    /* A reason map with a bad address size. */
    w.data[w.len - 2 - 9 - 2 - 4 - 1] = 5;
    CHECK_EQ(decode_error(&w, w.len, 5, &e), CQL_EINVAL);

    /* v4 Write_failure. */
    error_head(&w, CQL_ERR_WRITE_FAILURE);
    cql_wr_u16(&w, CQL_CONSISTENCY_ONE);
    cql_wr_i32(&w, 0);
    cql_wr_i32(&w, 1);
    cql_wr_i32(&w, 3);
    cql_wr_string(&w, "SIMPLE", 6);
    CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
    CHECK_EQ(e.num_failures, 3);
    CHECK_STR(e.write_type, "SIMPLE");
    check_error_truncations(&w, 4);

    error_head(&w, CQL_ERR_CAS_WRITE_UNKNOWN);
    cql_wr_u16(&w, CQL_CONSISTENCY_SERIAL);
    cql_wr_i32(&w, 1);
    cql_wr_i32(&w, 2);
    CHECK_EQ(decode_error(&w, w.len, 5, &e), CQL_OK);
    CHECK_EQ(e.block_for, 2);
    check_error_truncations(&w, 5);

    error_head(&w, CQL_ERR_FUNCTION_FAILURE);
    cql_wr_string(&w, "ks", 2);
    cql_wr_string(&w, "fn", 2);
    cql_str args[1] = {{"int", 3}};
    cql_wr_string_list(&w, args, 1);
    CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
    CHECK_STR(e.function, "fn");
    CHECK_EQ(e.arg_types.count, 1);
    check_error_truncations(&w, 4);

    error_head(&w, CQL_ERR_ALREADY_EXISTS);
    cql_wr_string(&w, "ks", 2);
    cql_wr_string(&w, "", 0);
    CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
    CHECK_STR(e.keyspace, "ks");
    CHECK_EQ(e.table.len, 0);
    check_error_truncations(&w, 4);

    error_head(&w, CQL_ERR_UNPREPARED);
    cql_wr_short_bytes(&w, "\x01\x02\x03", 3);
    CHECK_EQ(decode_error(&w, w.len, 4, &e), CQL_OK);
    CHECK_EQ(e.unprepared_id.len, 3);
    check_error_truncations(&w, 4);
    cql_wr_free(&w);
}

/* ------------------------------------------------------------------------ */
/* EVENT                                                                     */
/* ------------------------------------------------------------------------ */

static void test_events(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_event ev;
    cql_reader r;

    cql_wr_string(&w, "TOPOLOGY_CHANGE", 15);
    cql_wr_string(&w, "NEW_NODE", 8);
    cql_wr_u8(&w, 4);
    cql_wr_raw(&w, "\x7f\x00\x00\x02", 4);
    cql_wr_i32(&w, 9042);
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_decode_event(&r, &ev, NULL), CQL_OK);
    CHECK_EQ(ev.type, CQL_EVENT_TOPOLOGY_CHANGE);
    CHECK_STR(ev.change, "NEW_NODE");
    CHECK_EQ(ev.addr_len, 4);
    CHECK_EQ(ev.port, 9042);
    for (size_t cut = 0; cut < w.len; cut++) {
        r = cql_reader_make(w.data, cut);
        CHECK(cql_decode_event(&r, &ev, NULL) != CQL_OK);
    }

    cql_wr_reset(&w);
    cql_wr_string(&w, "STATUS_CHANGE", 13);
    cql_wr_string(&w, "DOWN", 4);
    cql_wr_u8(&w, 16);
    cql_wr_raw(&w, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    cql_wr_i32(&w, 19042);
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_decode_event(&r, &ev, NULL), CQL_OK);
    CHECK_EQ(ev.type, CQL_EVENT_STATUS_CHANGE);
    CHECK_EQ(ev.addr_len, 16);
    CHECK_EQ(ev.addr[15], 1);
    for (size_t cut = 0; cut < w.len; cut++) {
        r = cql_reader_make(w.data, cut);
        CHECK(cql_decode_event(&r, &ev, NULL) != CQL_OK);
    }

    cql_wr_reset(&w);
    cql_wr_string(&w, "SCHEMA_CHANGE", 13);
    cql_wr_string(&w, "UPDATED", 7);
    cql_wr_string(&w, "TABLE", 5);
    cql_wr_string(&w, "ks", 2);
    cql_wr_string(&w, "t", 1);
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_decode_event(&r, &ev, NULL), CQL_OK);
    CHECK_EQ(ev.type, CQL_EVENT_SCHEMA_CHANGE);
    CHECK_STR(ev.change, "UPDATED");
    CHECK_STR(ev.schema.name, "t");
    for (size_t cut = 0; cut < w.len; cut++) {
        r = cql_reader_make(w.data, cut);
        CHECK(cql_decode_event(&r, &ev, NULL) != CQL_OK);
    }

    cql_wr_reset(&w);
    cql_wr_string(&w, "BOGUS", 5);
    r = cql_reader_make(w.data, w.len);
    CHECK_EQ(cql_decode_event(&r, &ev, NULL), CQL_EPROTO);
    cql_wr_free(&w);
}

void suite_messages(void)
{
    RUN(test_encode_options_startup);
    RUN(test_encode_auth);
    RUN(test_encode_query);
    RUN(test_encode_prepare_execute);
    RUN(test_encode_batch_register);
    RUN(test_decode_simple);
    RUN(test_result_void_keyspace);
    RUN(test_result_schema_change);
    RUN(test_result_rows);
    RUN(test_result_prepared);
    RUN(test_errors);
    RUN(test_events);
}

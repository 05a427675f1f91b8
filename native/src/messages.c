/*
 * messages.c - request encoders and response decoders.
 */
#include <string.h>

#include "cql/messages.h"

/* ======================================================================== */
/* Request framing helpers                                                   */
/* ======================================================================== */

typedef struct msg_tx {
    size_t off;     /* frame start */
    size_t saved;   /* writer length before the frame */
} msg_tx;

static int msg_begin(cql_writer *w, const cql_request *rq, uint8_t opcode,
                     int payload_ok, msg_tx *tx, cql_error *err)
{
    static const cql_request none = {0, 0, 0, NULL, 0};
    tx->saved = tx->off = w->len;
    if (!rq)
        rq = &none;
    if (w->err != CQL_OK)
        return cql_wr_status(w, err);
    uint8_t version = rq->version ? rq->version : CQL_PROTOCOL_VERSION;
    /* Requests are never compressed here: lz4.c compresses a finished frame. */
    uint8_t flags = rq->flags & (uint8_t)CQL_FLAG_TRACING;
    if (rq->payload_count) {
        if (!payload_ok)
            return cql_fail(err, CQL_EINVAL, "custom payload not allowed for this request");
        flags |= CQL_FLAG_CUSTOM_PAYLOAD;
    }
    tx->off = cql_frame_begin(w, version & 0x7F, flags, rq->stream, opcode);
    if (rq->payload_count) {
        if (rq->payload_count > UINT16_MAX) {
            cql_wr_fail(w, CQL_ELIMIT, "custom payload over 65535 entries");
        } else {
            cql_wr_u16(w, (uint16_t)rq->payload_count);
            for (size_t i = 0; i < rq->payload_count; i++) {
                cql_wr_string(w, rq->payload[i].key.p, rq->payload[i].key.len);
                cql_wr_bytes(w, rq->payload[i].value.p, rq->payload[i].value.len);
            }
        }
    }
    return CQL_OK;
}

/* Patch the length or, on any failure, roll the writer back. */
static int msg_end(cql_writer *w, const msg_tx *tx, cql_error *err)
{
    int rc = cql_frame_finish(w, tx->off, err);
    if (rc != CQL_OK) {
        w->len = tx->saved;
        w->err = CQL_OK;
        w->errmsg = NULL;
    }
    return rc;
}

static void wr_values(cql_writer *w, const cql_bytes *values, const cql_str *names,
                      size_t n)
{
    if (n > UINT16_MAX) {
        cql_wr_fail(w, CQL_ELIMIT, "more than 65535 bound values");
        return;
    }
    cql_wr_u16(w, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        if (names)
            cql_wr_string(w, names[i].p, names[i].len);
        cql_wr_value(w, &values[i]);
    }
}

static void wr_query_params(cql_writer *w, const cql_query_params *qp)
{
    uint8_t flags = 0;
    if (qp->values)
        flags |= CQL_QF_VALUES;
    if (qp->values && qp->names)
        flags |= CQL_QF_NAMES;
    if (qp->skip_metadata)
        flags |= CQL_QF_SKIP_METADATA;
    if (qp->page_size > 0)
        flags |= CQL_QF_PAGE_SIZE;
    if (qp->paging_state)
        flags |= CQL_QF_PAGING_STATE;
    if (qp->has_serial_consistency)
        flags |= CQL_QF_SERIAL_CONSISTENCY;
    if (qp->has_timestamp)
        flags |= CQL_QF_DEFAULT_TIMESTAMP;

    cql_wr_u16(w, qp->consistency);
    cql_wr_u8(w, flags);
    if (qp->values)
        wr_values(w, qp->values, qp->names, qp->value_count);
    if (qp->page_size > 0)
        cql_wr_i32(w, qp->page_size);
    if (qp->paging_state) {
        if (qp->paging_state_len > INT32_MAX)
            cql_wr_fail(w, CQL_ELIMIT, "paging state too long");
        else
            cql_wr_bytes(w, qp->paging_state, (int32_t)qp->paging_state_len);
    }
    if (qp->has_serial_consistency)
        cql_wr_u16(w, qp->serial_consistency);
    if (qp->has_timestamp) {
        if (qp->timestamp < 0)
            cql_wr_fail(w, CQL_EINVAL, "default timestamp must not be negative");
        cql_wr_i64(w, qp->timestamp);
    }
}

/* ======================================================================== */
/* Request encoders                                                          */
/* ======================================================================== */

int cql_encode_options(cql_writer *w, const cql_request *rq, cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_OPTIONS, 0, &tx, err);
    return rc != CQL_OK ? rc : msg_end(w, &tx, err);
}

int cql_encode_startup(cql_writer *w, const cql_request *rq, const cql_str *kv,
                       size_t n, cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_STARTUP, 0, &tx, err);
    if (rc != CQL_OK)
        return rc;
    cql_wr_string_map(w, kv, n);
    return msg_end(w, &tx, err);
}

int cql_encode_startup_default(cql_writer *w, const cql_request *rq,
                               const char *compression, cql_error *err)
{
    cql_str kv[4] = {{"CQL_VERSION", 11}, {"3.0.0", 5}, {"COMPRESSION", 11}, {NULL, 0}};
    if (compression) {
        kv[3].p = compression;
        kv[3].len = strlen(compression);
    }
    return cql_encode_startup(w, rq, kv, compression ? 2 : 1, err);
}

int cql_encode_auth_response(cql_writer *w, const cql_request *rq,
                             const uint8_t *token, int32_t token_len, cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_AUTH_RESPONSE, 0, &tx, err);
    if (rc != CQL_OK)
        return rc;
    cql_wr_bytes(w, token, token_len);
    return msg_end(w, &tx, err);
}

int cql_encode_auth_plain(cql_writer *w, const cql_request *rq, cql_str user,
                          cql_str password, cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_AUTH_RESPONSE, 0, &tx, err);
    if (rc != CQL_OK)
        return rc;
    size_t total = 2 + user.len + password.len;
    if (user.len > INT32_MAX / 2 || password.len > INT32_MAX / 2) {
        cql_wr_fail(w, CQL_ELIMIT, "credentials too long");
    } else {
        cql_wr_i32(w, (int32_t)total);
        cql_wr_u8(w, 0);
        cql_wr_raw(w, user.p, user.len);
        cql_wr_u8(w, 0);
        cql_wr_raw(w, password.p, password.len);
    }
    return msg_end(w, &tx, err);
}

int cql_encode_query(cql_writer *w, const cql_request *rq, cql_str query,
                     const cql_query_params *qp, cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_QUERY, 1, &tx, err);
    if (rc != CQL_OK)
        return rc;
    cql_wr_long_string(w, query.p, query.len);
    wr_query_params(w, qp);
    return msg_end(w, &tx, err);
}

int cql_encode_prepare(cql_writer *w, const cql_request *rq, cql_str query,
                       cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_PREPARE, 1, &tx, err);
    if (rc != CQL_OK)
        return rc;
    cql_wr_long_string(w, query.p, query.len);
    return msg_end(w, &tx, err);
}

int cql_encode_execute(cql_writer *w, const cql_request *rq, const uint8_t *id,
                       size_t id_len, const cql_query_params *qp, cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_EXECUTE, 1, &tx, err);
    if (rc != CQL_OK)
        return rc;
    cql_wr_short_bytes(w, id, id_len);
    wr_query_params(w, qp);
    return msg_end(w, &tx, err);
}

int cql_encode_batch(cql_writer *w, const cql_request *rq, const cql_batch_stmt *stmts,
                     size_t n, const cql_batch_params *bp, cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_BATCH, 1, &tx, err);
    if (rc != CQL_OK)
        return rc;
    if (bp->type > CQL_BATCH_COUNTER)
        cql_wr_fail(w, CQL_EINVAL, "unknown batch type");
    if (n > UINT16_MAX)
        cql_wr_fail(w, CQL_ELIMIT, "more than 65535 batch statements");
    cql_wr_u8(w, bp->type);
    cql_wr_u16(w, (uint16_t)n);
    for (size_t i = 0; i < n && w->err == CQL_OK; i++) {
        const cql_batch_stmt *s = &stmts[i];
        if (bp->with_names && s->value_count && !s->names)
            cql_wr_fail(w, CQL_EINVAL, "batch with names needs names for every value");
        cql_wr_u8(w, s->is_prepared ? 1 : 0);
        if (s->is_prepared)
            cql_wr_short_bytes(w, s->query, s->query_len);
        else
            cql_wr_long_string(w, (const char *)s->query, s->query_len);
        wr_values(w, s->values, bp->with_names ? s->names : NULL, s->value_count);
    }
    uint8_t flags = 0;
    if (bp->has_serial_consistency)
        flags |= CQL_QF_SERIAL_CONSISTENCY;
    if (bp->has_timestamp)
        flags |= CQL_QF_DEFAULT_TIMESTAMP;
    if (bp->with_names)
        flags |= CQL_QF_NAMES;
    cql_wr_u16(w, bp->consistency);
    cql_wr_u8(w, flags);
    if (bp->has_serial_consistency)
        cql_wr_u16(w, bp->serial_consistency);
    if (bp->has_timestamp)
        cql_wr_i64(w, bp->timestamp);
    return msg_end(w, &tx, err);
}

int cql_encode_register(cql_writer *w, const cql_request *rq, const cql_str *events,
                        size_t n, cql_error *err)
{
    msg_tx tx;
    int rc = msg_begin(w, rq, CQL_OP_REGISTER, 0, &tx, err);
    if (rc != CQL_OK)
        return rc;
    cql_wr_string_list(w, events, n);
    return msg_end(w, &tx, err);
}

/* ======================================================================== */
/* Simple responses                                                          */
/* ======================================================================== */

int cql_decode_ready(cql_reader *r, cql_error *err)
{
    (void)r;
    (void)err;
    return CQL_OK;
}

int cql_decode_supported(cql_reader *r, cql_map_iter *out, cql_error *err)
{
    return cql_rd_string_multimap(r, out, err);
}

int cql_decode_authenticate(cql_reader *r, cql_str *authenticator, cql_error *err)
{
    return cql_rd_string(r, authenticator, err);
}

int cql_decode_auth_token(cql_reader *r, cql_bytes *token, cql_error *err)
{
    return cql_rd_bytes(r, token, err);
}

/* ======================================================================== */
/* Metadata                                                                  */
/* ======================================================================== */

static int rd_name(cql_reader *r, cql_arena *a, cql_str *out, cql_error *err)
{
    cql_str s;
    int rc = cql_rd_string(r, &s, err);
    if (rc != CQL_OK)
        return rc;
    if (cql_arena_strdup(a, s, out) != CQL_OK)
        return cql_fail(err, CQL_ENOMEM, "out of memory copying metadata");
    return CQL_OK;
}

/* Table spec and column specs, shared by rows and prepared metadata. */
static int rd_column_specs(cql_reader *r, cql_arena *a, cql_metadata *m,
                           cql_error *err)
{
    int rc;
    int global = (m->flags & CQL_MF_GLOBAL_TABLES_SPEC) != 0;
    if (global) {
        if ((rc = rd_name(r, a, &m->keyspace, err)) != CQL_OK ||
            (rc = rd_name(r, a, &m->table, err)) != CQL_OK)
            return rc;
    }
    /* Smallest column spec: [string] name + [option] id, plus two [string]s
     * without a global table spec. Bound the allocation by the input size. */
    uint64_t min = global ? 4 : 8;
    if ((uint64_t)m->column_count * min > r->n)
        return cql_fail(err, CQL_ETRUNC, "column count exceeds remaining bytes");
    if (m->column_count == 0)
        return CQL_OK;
    m->columns = (cql_column *)cql_arena_alloc(a, (size_t)m->column_count * sizeof(cql_column));
    if (!m->columns)
        return cql_fail(err, CQL_ENOMEM, "out of memory for column specs");
    for (int32_t i = 0; i < m->column_count; i++) {
        cql_column *c = &m->columns[i];
        if (global) {
            c->keyspace = m->keyspace;
            c->table = m->table;
        } else if ((rc = rd_name(r, a, &c->keyspace, err)) != CQL_OK ||
                   (rc = rd_name(r, a, &c->table, err)) != CQL_OK) {
            return rc;
        }
        if ((rc = rd_name(r, a, &c->name, err)) != CQL_OK ||
            (rc = cql_type_parse_option(r, a, &c->type, err)) != CQL_OK)
            return rc;
    }
    return CQL_OK;
}

static int rd_flags_count(cql_reader *r, cql_metadata *m, cql_error *err)
{
    memset(m, 0, sizeof(*m));
    if (cql_rd_i32(r, &m->flags) != CQL_OK || cql_rd_i32(r, &m->column_count) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated metadata header");
    if (m->column_count < 0)
        return cql_fail(err, CQL_EINVAL, "negative column count");
    return CQL_OK;
}

int cql_decode_rows_metadata(cql_reader *r, cql_arena *a, cql_metadata *m,
                             cql_error *err)
{
    cql_reader cur = *r;
    int rc = rd_flags_count(&cur, m, err);
    if (rc != CQL_OK)
        return rc;
    if (m->flags & CQL_MF_HAS_MORE_PAGES) {
        cql_bytes ps;
        if ((rc = cql_rd_bytes(&cur, &ps, err)) != CQL_OK)
            return rc;
        if (ps.len >= 0) {
            m->paging_state = ps.p;
            m->paging_state_len = (size_t)ps.len;
        }
    }
    if (!(m->flags & CQL_MF_NO_METADATA)) {
        if ((rc = rd_column_specs(&cur, a, m, err)) != CQL_OK)
            return rc;
    }
    *r = cur;
    return CQL_OK;
}

int cql_decode_prepared_metadata(cql_reader *r, cql_arena *a, cql_metadata *m,
                                 cql_error *err)
{
    cql_reader cur = *r;
    int rc = rd_flags_count(&cur, m, err);
    if (rc != CQL_OK)
        return rc;
    if (cql_rd_i32(&cur, &m->pk_count) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated partition key count");
    if (m->pk_count < 0 || (uint64_t)m->pk_count * 2 > cur.n)
        return cql_fail(err, m->pk_count < 0 ? CQL_EINVAL : CQL_ETRUNC,
                        "bad partition key count");
    if (m->pk_count > 0) {
        m->pk_indexes = (uint16_t *)cql_arena_alloc(a, (size_t)m->pk_count * sizeof(uint16_t));
        if (!m->pk_indexes)
            return cql_fail(err, CQL_ENOMEM, "out of memory for pk indexes");
        for (int32_t i = 0; i < m->pk_count; i++) {
            (void)cql_rd_u16(&cur, &m->pk_indexes[i]); /* length checked above */
            if (m->pk_indexes[i] >= m->column_count)
                return cql_fail(err, CQL_EINVAL, "partition key index out of range");
        }
    }
    if ((rc = rd_column_specs(&cur, a, m, err)) != CQL_OK)
        return rc;
    *r = cur;
    return CQL_OK;
}

/* ======================================================================== */
/* Schema change (RESULT kind 5 and SCHEMA_CHANGE events)                    */
/* ======================================================================== */

int cql_decode_schema_change(cql_reader *r, cql_schema_change *sc, cql_error *err)
{
    cql_reader cur = *r;
    int rc;
    memset(sc, 0, sizeof(*sc));
    if ((rc = cql_rd_string(&cur, &sc->change_type, err)) != CQL_OK ||
        (rc = cql_rd_string(&cur, &sc->target, err)) != CQL_OK ||
        (rc = cql_rd_string(&cur, &sc->keyspace, err)) != CQL_OK)
        return rc;
    if (cql_str_eq(sc->target, "KEYSPACE")) {
        /* keyspace only */
    } else if (cql_str_eq(sc->target, "TABLE") || cql_str_eq(sc->target, "TYPE")) {
        if ((rc = cql_rd_string(&cur, &sc->name, err)) != CQL_OK)
            return rc;
    } else if (cql_str_eq(sc->target, "FUNCTION") || cql_str_eq(sc->target, "AGGREGATE")) {
        if ((rc = cql_rd_string(&cur, &sc->name, err)) != CQL_OK ||
            (rc = cql_rd_string_list(&cur, &sc->arg_types, err)) != CQL_OK)
            return rc;
    } else {
        return cql_fail(err, CQL_EPROTO, "unknown schema change target");
    }
    *r = cur;
    return CQL_OK;
}

/* ======================================================================== */
/* RESULT                                                                    */
/* ======================================================================== */

void cql_result_init(cql_result *res)
{
    memset(res, 0, sizeof(*res));
    cql_arena_init(&res->arena);
}

void cql_result_free(cql_result *res)
{
    cql_arena_free(&res->arena);
    cql_result_init(res);
}

static int decode_rows_header(cql_reader *r, cql_result *res, cql_error *err)
{
    int rc = cql_decode_rows_metadata(r, &res->arena, &res->metadata, err);
    if (rc != CQL_OK)
        return rc;
    if (cql_rd_i32(r, &res->rows_count) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated rows count");
    if (res->rows_count < 0)
        return cql_fail(err, CQL_EINVAL, "negative rows count");
    if (res->rows_count > 0 && res->metadata.column_count == 0)
        return cql_fail(err, CQL_EINVAL, "rows without columns");
    /* Every value takes at least its 4-byte length. */
    if ((uint64_t)res->rows_count * (uint64_t)res->metadata.column_count * 4 > r->n)
        return cql_fail(err, CQL_ETRUNC, "rows count exceeds remaining bytes");
    res->rows = *r;
    return CQL_OK;
}

int cql_decode_result(cql_reader *r, cql_result *res, cql_error *err)
{
    int rc;
    cql_reader cur = *r;
    if (cql_rd_i32(&cur, &res->kind) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated result kind");
    switch (res->kind) {
    case CQL_RESULT_VOID:
        rc = CQL_OK;
        break;
    case CQL_RESULT_ROWS:
        rc = decode_rows_header(&cur, res, err);
        break;
    case CQL_RESULT_SET_KEYSPACE:
        rc = cql_rd_string(&cur, &res->keyspace, err);
        break;
    case CQL_RESULT_PREPARED:
        rc = cql_rd_short_bytes(&cur, &res->prepared_id, err);
        if (rc == CQL_OK)
            rc = cql_decode_prepared_metadata(&cur, &res->arena, &res->metadata, err);
        if (rc == CQL_OK)
            rc = cql_decode_rows_metadata(&cur, &res->arena, &res->result_metadata, err);
        break;
    case CQL_RESULT_SCHEMA_CHANGE:
        rc = cql_decode_schema_change(&cur, &res->schema_change, err);
        break;
    default:
        return cql_fail(err, CQL_EPROTO, "unknown result kind");
    }
    if (rc == CQL_OK)
        *r = cur;
    return rc;
}

int cql_decode_rows(const cql_result *res, const cql_metadata *meta,
                    const cql_value_cb *cb, void *ud, cql_error *err)
{
    if (res->kind != CQL_RESULT_ROWS)
        return cql_fail(err, CQL_EINVAL, "result is not a Rows result");
    if (!meta)
        meta = &res->metadata;
    if (!meta->columns && meta->column_count > 0)
        return cql_fail(err, CQL_EINVAL, "no column types to decode rows with");
    if (meta->column_count != res->metadata.column_count)
        return cql_fail(err, CQL_EINVAL, "metadata column count differs from the result");
    cql_reader r = res->rows;
    int32_t ncols = res->metadata.column_count;
    for (int32_t row = 0; row < res->rows_count; row++) {
        if (cb->begin_row && cb->begin_row(ud, row) != 0)
            return cql_fail(err, CQL_ECALLBACK, "decoding stopped by callback");
        for (int32_t col = 0; col < ncols; col++) {
            cql_bytes v;
            int rc = cql_rd_bytes(&r, &v, err);
            if (rc != CQL_OK)
                return rc;
            if ((rc = cql_decode_value(meta->columns[col].type, v, cb, ud, err)) != CQL_OK)
                return rc;
        }
        if (cb->end_row && cb->end_row(ud, row) != 0)
            return cql_fail(err, CQL_ECALLBACK, "decoding stopped by callback");
    }
    return CQL_OK;
}

/* ======================================================================== */
/* ERROR                                                                     */
/* ======================================================================== */

const char *cql_error_code_name(int32_t code)
{
    switch (code) {
    case CQL_ERR_SERVER: return "Server_error";
    case CQL_ERR_PROTOCOL: return "Protocol_error";
    case CQL_ERR_AUTH: return "Authentication_error";
    case CQL_ERR_UNAVAILABLE: return "Unavailable";
    case CQL_ERR_OVERLOADED: return "Overloaded";
    case CQL_ERR_BOOTSTRAPPING: return "Is_bootstrapping";
    case CQL_ERR_TRUNCATE: return "Truncate_error";
    case CQL_ERR_WRITE_TIMEOUT: return "Write_timeout";
    case CQL_ERR_READ_TIMEOUT: return "Read_timeout";
    case CQL_ERR_READ_FAILURE: return "Read_failure";
    case CQL_ERR_FUNCTION_FAILURE: return "Function_failure";
    case CQL_ERR_WRITE_FAILURE: return "Write_failure";
    case CQL_ERR_CDC_WRITE_FAILURE: return "CDC_write_failure";
    case CQL_ERR_CAS_WRITE_UNKNOWN: return "CAS_write_unknown";
    case CQL_ERR_SYNTAX: return "Syntax_error";
    case CQL_ERR_UNAUTHORIZED: return "Unauthorized";
    case CQL_ERR_INVALID: return "Invalid";
    case CQL_ERR_CONFIG: return "Config_error";
    case CQL_ERR_ALREADY_EXISTS: return "Already_exists";
    case CQL_ERR_UNPREPARED: return "Unprepared";
    default: return "Unknown_error";
    }
}

static int rd_cl_received_blockfor(cql_reader *r, cql_server_error *e)
{
    if (cql_rd_u16(r, &e->consistency) != CQL_OK || cql_rd_i32(r, &e->received) != CQL_OK ||
        cql_rd_i32(r, &e->block_for) != CQL_OK)
        return CQL_ETRUNC;
    return CQL_OK;
}

/* v4: [int] num_failures; v5: reason map of <inetaddr><short> entries. */
static int rd_failures(cql_reader *r, int version, cql_server_error *e, cql_error *err)
{
    if (cql_rd_i32(r, &e->num_failures) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated failure count");
    if (version < 5)
        return CQL_OK;
    if (e->num_failures < 0)
        return cql_fail(err, CQL_EINVAL, "negative reason map size");
    e->reason_count = e->num_failures;
    const uint8_t *start = r->p;
    for (int32_t i = 0; i < e->reason_count; i++) {
        const uint8_t *addr;
        uint8_t alen;
        uint16_t code;
        int rc = cql_rd_inetaddr(r, &addr, &alen, err);
        if (rc != CQL_OK)
            return rc;
        if (cql_rd_u16(r, &code) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated reason map entry");
    }
    e->reason_map = cql_reader_make(start, (size_t)(r->p - start));
    return CQL_OK;
}

int cql_reason_map_next(cql_server_error *e, const uint8_t **addr,
                        uint8_t *addr_len, uint16_t *failure_code)
{
    if (e->reason_count <= 0)
        return 0;
    if (cql_rd_inetaddr(&e->reason_map, addr, addr_len, NULL) != CQL_OK ||
        cql_rd_u16(&e->reason_map, failure_code) != CQL_OK)
        return 0;
    e->reason_count--;
    return 1;
}

int cql_decode_error(cql_reader *r, int version, cql_server_error *e, cql_error *err)
{
    cql_reader cur = *r;
    int rc = CQL_OK;
    memset(e, 0, sizeof(*e));
    e->unprepared_id.len = CQL_NULL_LEN;
    if (cql_rd_i32(&cur, &e->code) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated error code");
    if ((rc = cql_rd_string(&cur, &e->message, err)) != CQL_OK)
        return rc;

    switch (e->code) {
    case CQL_ERR_UNAVAILABLE:
        if (cql_rd_u16(&cur, &e->consistency) != CQL_OK ||
            cql_rd_i32(&cur, &e->required) != CQL_OK || cql_rd_i32(&cur, &e->alive) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated Unavailable error");
        break;
    case CQL_ERR_WRITE_TIMEOUT:
        if (rd_cl_received_blockfor(&cur, e) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated Write_timeout error");
        if ((rc = cql_rd_string(&cur, &e->write_type, err)) != CQL_OK)
            return rc;
        if (version >= 5 && cql_str_eq(e->write_type, "CAS")) {
            if (cql_rd_u16(&cur, &e->contentions) != CQL_OK)
                return cql_fail(err, CQL_ETRUNC, "truncated CAS contentions");
            e->has_contentions = 1;
        }
        break;
    case CQL_ERR_READ_TIMEOUT:
        if (rd_cl_received_blockfor(&cur, e) != CQL_OK || cql_rd_u8(&cur, &e->data_present) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated Read_timeout error");
        break;
    case CQL_ERR_READ_FAILURE:
        if (rd_cl_received_blockfor(&cur, e) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated Read_failure error");
        if ((rc = rd_failures(&cur, version, e, err)) != CQL_OK)
            return rc;
        if (cql_rd_u8(&cur, &e->data_present) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated Read_failure error");
        break;
    case CQL_ERR_WRITE_FAILURE:
        if (rd_cl_received_blockfor(&cur, e) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated Write_failure error");
        if ((rc = rd_failures(&cur, version, e, err)) != CQL_OK ||
            (rc = cql_rd_string(&cur, &e->write_type, err)) != CQL_OK)
            return rc;
        break;
    case CQL_ERR_CAS_WRITE_UNKNOWN:
        if (rd_cl_received_blockfor(&cur, e) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated CAS_write_unknown error");
        break;
    case CQL_ERR_FUNCTION_FAILURE:
        if ((rc = cql_rd_string(&cur, &e->keyspace, err)) != CQL_OK ||
            (rc = cql_rd_string(&cur, &e->function, err)) != CQL_OK ||
            (rc = cql_rd_string_list(&cur, &e->arg_types, err)) != CQL_OK)
            return rc;
        break;
    case CQL_ERR_ALREADY_EXISTS:
        if ((rc = cql_rd_string(&cur, &e->keyspace, err)) != CQL_OK ||
            (rc = cql_rd_string(&cur, &e->table, err)) != CQL_OK)
            return rc;
        break;
    case CQL_ERR_UNPREPARED:
        if ((rc = cql_rd_short_bytes(&cur, &e->unprepared_id, err)) != CQL_OK)
            return rc;
        break;
    default:
        /* Codes without extra fields, and unknown codes: message only. */
        break;
    }
    *r = cur;
    return CQL_OK;
}

/* ======================================================================== */
/* EVENT                                                                     */
/* ======================================================================== */

int cql_decode_event(cql_reader *r, cql_event *ev, cql_error *err)
{
    cql_reader cur = *r;
    cql_str type;
    int rc;
    memset(ev, 0, sizeof(*ev));
    if ((rc = cql_rd_string(&cur, &type, err)) != CQL_OK)
        return rc;
    if (cql_str_eq(type, "TOPOLOGY_CHANGE") || cql_str_eq(type, "STATUS_CHANGE")) {
        ev->type = cql_str_eq(type, "TOPOLOGY_CHANGE") ? CQL_EVENT_TOPOLOGY_CHANGE
                                                        : CQL_EVENT_STATUS_CHANGE;
        if ((rc = cql_rd_string(&cur, &ev->change, err)) != CQL_OK ||
            (rc = cql_rd_inet(&cur, &ev->addr, &ev->addr_len, &ev->port, err)) != CQL_OK)
            return rc;
    } else if (cql_str_eq(type, "SCHEMA_CHANGE")) {
        ev->type = CQL_EVENT_SCHEMA_CHANGE;
        if ((rc = cql_decode_schema_change(&cur, &ev->schema, err)) != CQL_OK)
            return rc;
        ev->change = ev->schema.change_type;
    } else {
        return cql_fail(err, CQL_EPROTO, "unknown event type");
    }
    *r = cur;
    return CQL_OK;
}

/*
 * values.c - the value walker: collection, tuple and UDT element iteration,
 * and cql_decode_value, which reports a whole value through a callback table.
 * It is the only decoder of values: the C tests and fuzzers render through
 * it, and the extension builds its Python objects through it.
 */
#include <stdlib.h>
#include <string.h>

#include "cql/types.h"

/* ======================================================================== */
/* Collection iteration                                                      */
/* ======================================================================== */

int cql_collection_begin(const uint8_t *p, size_t n, uint16_t kind,
                         cql_elem_iter *it, int32_t *count, cql_error *err)
{
    cql_reader r = cql_reader_make(p, n);
    int32_t c;
    if (cql_rd_i32(&r, &c) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated collection element count");
    if (c < 0)
        return cql_fail(err, CQL_EINVAL, "negative collection element count");
    uint64_t per = kind == CQL_TYPE_MAP ? 8 : 4; /* minimum bytes per entry */
    if ((uint64_t)c * per > r.n)
        return cql_fail(err, CQL_ETRUNC, "collection element count exceeds remaining bytes");
    if (kind == CQL_TYPE_MAP && c > INT32_MAX / 2)
        return cql_fail(err, CQL_ELIMIT, "map entry count over limit");
    it->r = r;
    it->left = kind == CQL_TYPE_MAP ? 2 * c : c;
    *count = c;
    return CQL_OK;
}

void cql_fields_begin(const uint8_t *p, size_t n, cql_elem_iter *it)
{
    it->r = cql_reader_make(p, n);
    it->left = -1;
}

int cql_elem_next(cql_elem_iter *it, cql_bytes *elem, cql_error *err)
{
    if (it->left == 0 || (it->left < 0 && it->r.n == 0))
        return CQL_AGAIN;
    int rc = cql_rd_bytes(&it->r, elem, err);
    if (rc != CQL_OK)
        return rc;
    if (it->left > 0)
        it->left--;
    return CQL_OK;
}

/* ======================================================================== */
/* Callback-driven value decoding                                            */
/* ======================================================================== */

typedef struct dec_ctx {
    const cql_value_cb *cb;
    void *ud;
    cql_error *err;
} dec_ctx;

#define CALL(ctx, fn, ...)                                                    \
    do {                                                                      \
        if ((ctx)->cb->fn && (ctx)->cb->fn((ctx)->ud, __VA_ARGS__) != 0)      \
            return cql_fail((ctx)->err, CQL_ECALLBACK, "decoding stopped by callback"); \
    } while (0)

static int decode_any(dec_ctx *c, const cql_type *t, cql_bytes v, int depth);

/* The collection walkers stay out of line: inlined, their locals and saved
 * registers would weigh on decode_any's frame for every scalar too. */
#if defined(__GNUC__)
#define COLD_PATH_FN __attribute__((noinline))
#else
#define COLD_PATH_FN
#endif

static int size_error(dec_ctx *c, int rc, const cql_type *t)
{
    (void)t;
    if (rc == CQL_ERANGE)
        return cql_fail(c->err, rc, "value out of range for its type");
    return cql_fail(c->err, rc == CQL_ETRUNC ? CQL_ETRUNC : CQL_EINVAL,
                    "value size does not match its type");
}

static int emit_null(dec_ctx *c, const cql_type *t)
{
    CALL(c, on_null, t);
    return CQL_OK;
}

static int emit_empty(dec_ctx *c, const cql_type *t)
{
    if (c->cb->on_empty) {
        CALL(c, on_empty, t);
        return CQL_OK;
    }
    return emit_null(c, t);
}

static COLD_PATH_FN int decode_list(dec_ctx *c, const cql_type *t, const uint8_t *p, size_t n,
                       int depth)
{
    cql_elem_iter it;
    int32_t count;
    cql_bytes e;
    int rc = cql_collection_begin(p, n, t->id, &it, &count, c->err);
    if (rc != CQL_OK)
        return rc;
    CALL(c, begin_collection, t, count);
    for (int64_t k = 0; (rc = cql_elem_next(&it, &e, c->err)) == CQL_OK; k++) {
        const cql_type *et = t->children[t->id == CQL_TYPE_MAP ? (k & 1) : 0];
        if ((rc = decode_any(c, et, e, depth + 1)) != CQL_OK)
            return rc;
    }
    if (rc != CQL_AGAIN)
        return rc;
    if (it.r.n != 0)
        return cql_fail(c->err, CQL_EINVAL, "trailing bytes after collection elements");
    CALL(c, end_collection, t);
    return CQL_OK;
}

static COLD_PATH_FN int decode_fields(dec_ctx *c, const cql_type *t, const uint8_t *p, size_t n,
                         int depth)
{
    /* Count first: the callback wants the number of fields present. */
    cql_elem_iter it;
    cql_bytes e;
    int32_t present = 0;
    int rc;
    cql_fields_begin(p, n, &it);
    while ((rc = cql_elem_next(&it, &e, c->err)) == CQL_OK) {
        if (++present > t->n)
            return cql_fail(c->err, CQL_EINVAL, "more fields than the tuple/UDT type has");
    }
    if (rc != CQL_AGAIN)
        return rc;
    CALL(c, begin_collection, t, present);
    cql_fields_begin(p, n, &it);
    for (int32_t k = 0; k < present; k++) {
        if ((rc = cql_elem_next(&it, &e, c->err)) != CQL_OK)
            return rc;
        if ((rc = decode_any(c, t->children[k], e, depth + 1)) != CQL_OK)
            return rc;
    }
    CALL(c, end_collection, t);
    return CQL_OK;
}

static COLD_PATH_FN int decode_vector(dec_ctx *c, const cql_type *t, const uint8_t *p, size_t n,
                         int depth)
{
    const cql_type *et = t->children[0];
    int32_t fs = cql_type_fixed_size(et);
    int rc;
    if (fs > 0 && n != (size_t)fs * (size_t)t->dim)
        return cql_fail(c->err, n < (size_t)fs * (size_t)t->dim ? CQL_ETRUNC : CQL_EINVAL,
                        "vector size does not match dimension");
    CALL(c, begin_collection, t, t->dim);
    cql_reader r = cql_reader_make(p, n);
    for (int32_t k = 0; k < t->dim; k++) {
        cql_bytes e;
        if (fs > 0) {
            e.p = r.p;
            e.len = fs;
            r.p += fs;
            r.n -= (size_t)fs;
        } else {
            /* Variable-size elements carry an [unsigned vint] length. */
            uint64_t len;
            if (cql_rd_uvint(&r, &len) != CQL_OK)
                return cql_fail(c->err, CQL_ETRUNC, "truncated vector element length");
            if (len > r.n || len > INT32_MAX)
                return cql_fail(c->err, CQL_ETRUNC, "vector element longer than remaining bytes");
            e.p = r.p;
            e.len = (int32_t)len;
            r.p += len;
            r.n -= (size_t)len;
        }
        if ((rc = decode_any(c, et, e, depth + 1)) != CQL_OK)
            return rc;
    }
    if (r.n != 0)
        return cql_fail(c->err, CQL_EINVAL, "trailing bytes after vector elements");
    CALL(c, end_collection, t);
    return CQL_OK;
}

/* A zero-length value of a type other than text and bytes is "empty". */
#define EMPTY_IS_A_VALUE(c, t, n)                                             \
    do {                                                                      \
        if ((n) == 0)                                                         \
            return emit_empty((c), (t));                                      \
    } while (0)

/* One switch on the type id for every value: this runs once per value of
 * every row, in the extension as in the tests and fuzzers. */
static int decode_any(dec_ctx *c, const cql_type *t, cql_bytes v, int depth)
{
    if (depth > CQL_MAX_DEPTH)
        return cql_fail(c->err, CQL_EDEPTH, "value nested too deep");
    if (v.len < 0)
        return emit_null(c, t);
    const uint8_t *p = v.p;
    size_t n = (size_t)v.len;
    int rc;
    switch (t->id) {
    case CQL_TYPE_ASCII:
        if (!cql_ascii_valid(p, n))
            return cql_fail(c->err, CQL_EINVAL, "ascii value has a byte above 127");
        CALL(c, on_text, t, (const char *)p, n);
        return CQL_OK;
    case CQL_TYPE_VARCHAR:
        if (!c->cb->on_text_checks_utf8 && !cql_utf8_valid(p, n))
            return cql_fail(c->err, CQL_EINVAL, "text value is not valid UTF-8");
        CALL(c, on_text, t, (const char *)p, n);
        return CQL_OK;
    case CQL_TYPE_BLOB:
    case CQL_TYPE_CUSTOM:
        CALL(c, on_bytes, t, p, n);
        return CQL_OK;
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
        EMPTY_IS_A_VALUE(c, t, n);
        return decode_list(c, t, p, n, depth);
    case CQL_TYPE_TUPLE:
    case CQL_TYPE_UDT:
        return decode_fields(c, t, p, n, depth);
    case CQL_TYPE_VECTOR:
        EMPTY_IS_A_VALUE(c, t, n);
        return decode_vector(c, t, p, n, depth);
    case CQL_TYPE_BOOLEAN: {
        int b;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_bool(p, n, &b)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_bool, t, b);
        return CQL_OK;
    }
    case CQL_TYPE_TINYINT: {
        int8_t i;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_tinyint(p, n, &i)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_int64, t, i);
        return CQL_OK;
    }
    case CQL_TYPE_SMALLINT: {
        int16_t i;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_smallint(p, n, &i)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_int64, t, i);
        return CQL_OK;
    }
    case CQL_TYPE_INT: {
        int32_t i;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_int(p, n, &i)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_int64, t, i);
        return CQL_OK;
    }
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER: {
        int64_t i;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_bigint(p, n, &i)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_int64, t, i);
        return CQL_OK;
    }
    case CQL_TYPE_TIMESTAMP: {
        int64_t ms;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_bigint(p, n, &ms)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_timestamp, t, ms);
        return CQL_OK;
    }
    case CQL_TYPE_FLOAT: {
        float f;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_float(p, n, &f)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_double, t, (double)f);
        return CQL_OK;
    }
    case CQL_TYPE_DOUBLE: {
        double d;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_double(p, n, &d)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_double, t, d);
        return CQL_OK;
    }
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID: {
        const uint8_t *u;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_uuid(p, n, &u)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_uuid, t, u);
        return CQL_OK;
    }
    case CQL_TYPE_VARINT:
        EMPTY_IS_A_VALUE(c, t, n);
        CALL(c, on_varint, t, p, n);
        return CQL_OK;
    case CQL_TYPE_DECIMAL: {
        int32_t scale;
        const uint8_t *u;
        size_t ulen;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_decimal(p, n, &scale, &u, &ulen)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_decimal, t, scale, u, ulen);
        return CQL_OK;
    }
    case CQL_TYPE_INET: {
        const uint8_t *a;
        size_t alen;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_inet(p, n, &a, &alen)) != CQL_OK)
            return cql_fail(c->err, rc, "inet value is neither 4 nor 16 bytes");
        CALL(c, on_inet, t, a, alen);
        return CQL_OK;
    }
    case CQL_TYPE_DATE: {
        int64_t d;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_date(p, n, &d)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_date, t, d);
        return CQL_OK;
    }
    case CQL_TYPE_TIME: {
        int64_t ns;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_time(p, n, &ns)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_time, t, ns);
        return CQL_OK;
    }
    case CQL_TYPE_DURATION: {
        cql_duration d;
        EMPTY_IS_A_VALUE(c, t, n);
        if ((rc = cql_decode_duration(p, n, &d)) != CQL_OK)
            return cql_fail(c->err, rc, "malformed duration value");
        CALL(c, on_duration, t, &d);
        return CQL_OK;
    }
    default:
        EMPTY_IS_A_VALUE(c, t, n);
        return cql_fail(c->err, CQL_EPROTO, "value of an unknown type");
    }
}

int cql_decode_value(const cql_type *t, cql_bytes v, const cql_value_cb *cb,
                     void *ud, cql_error *err)
{
    dec_ctx c = {cb, ud, err};
    return decode_any(&c, t, v, 0);
}

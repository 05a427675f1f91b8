/*
 * scalars.c - scalar value codecs: fixed-size numbers, varint, decimal, uuid,
 * inet, date, time, duration, Cassandra vints and text validation.
 */
#include <stdlib.h>
#include <string.h>

#include "cql/types.h"

/* ======================================================================== */
/* Scalar codecs                                                             */
/* ======================================================================== */

static int want_size(size_t n, size_t want)
{
    return n == want ? CQL_OK : (n < want ? CQL_ETRUNC : CQL_EINVAL);
}

int cql_decode_bool(const uint8_t *p, size_t n, int *out)
{
    int rc = want_size(n, 1);
    if (rc == CQL_OK)
        *out = p[0] != 0;
    return rc;
}

int cql_decode_tinyint(const uint8_t *p, size_t n, int8_t *out)
{
    int rc = want_size(n, 1);
    if (rc == CQL_OK)
        *out = (int8_t)p[0];
    return rc;
}

int cql_decode_smallint(const uint8_t *p, size_t n, int16_t *out)
{
    int rc = want_size(n, 2);
    if (rc == CQL_OK)
        *out = (int16_t)cql_load_be16(p);
    return rc;
}

int cql_decode_int(const uint8_t *p, size_t n, int32_t *out)
{
    int rc = want_size(n, 4);
    if (rc == CQL_OK)
        *out = (int32_t)cql_load_be32(p);
    return rc;
}

int cql_decode_bigint(const uint8_t *p, size_t n, int64_t *out)
{
    int rc = want_size(n, 8);
    if (rc == CQL_OK)
        *out = (int64_t)cql_load_be64(p);
    return rc;
}

int cql_decode_float(const uint8_t *p, size_t n, float *out)
{
    int rc = want_size(n, 4);
    if (rc == CQL_OK) {
        uint32_t u = cql_load_be32(p);
        memcpy(out, &u, sizeof(u));
    }
    return rc;
}

int cql_decode_double(const uint8_t *p, size_t n, double *out)
{
    int rc = want_size(n, 8);
    if (rc == CQL_OK) {
        uint64_t u = cql_load_be64(p);
        memcpy(out, &u, sizeof(u));
    }
    return rc;
}

int cql_decode_varint_i64(const uint8_t *p, size_t n, int64_t *out)
{
    if (n == 0)
        return CQL_EINVAL;
    /* Drop sign-extension bytes that carry no information. */
    while (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) ||
                     (p[0] == 0xFF && (p[1] & 0x80)))) {
        p++;
        n--;
    }
    if (n > 8)
        return CQL_ERANGE;
    uint64_t v = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
    for (size_t k = 0; k < n; k++)
        v = (v << 8) | p[k];
    *out = (int64_t)v;
    return CQL_OK;
}

size_t cql_encode_varint_i64(int64_t v, uint8_t out[8])
{
    uint8_t tmp[8];
    size_t k = 0;
    cql_store_be64(tmp, (uint64_t)v);
    while (k < 7 && ((tmp[k] == 0x00 && !(tmp[k + 1] & 0x80)) ||
                     (tmp[k] == 0xFF && (tmp[k + 1] & 0x80))))
        k++;
    memcpy(out, tmp + k, 8 - k);
    return 8 - k;
}

int cql_decode_decimal(const uint8_t *p, size_t n, int32_t *scale,
                       const uint8_t **unscaled, size_t *unscaled_len)
{
    if (n < 5)
        return n < 4 ? CQL_ETRUNC : CQL_EINVAL; /* the varint needs a byte */
    *scale = (int32_t)cql_load_be32(p);
    *unscaled = p + 4;
    *unscaled_len = n - 4;
    return CQL_OK;
}

int cql_decode_uuid(const uint8_t *p, size_t n, const uint8_t **out)
{
    int rc = want_size(n, 16);
    if (rc == CQL_OK)
        *out = p;
    return rc;
}

int cql_decode_inet(const uint8_t *p, size_t n, const uint8_t **addr, size_t *len)
{
    if (n != 4 && n != 16)
        return CQL_EINVAL;
    *addr = p;
    *len = n;
    return CQL_OK;
}

int cql_decode_date(const uint8_t *p, size_t n, int64_t *days)
{
    int rc = want_size(n, 4);
    if (rc == CQL_OK)
        *days = (int64_t)cql_load_be32(p) - CQL_DATE_EPOCH_OFFSET;
    return rc;
}

uint32_t cql_encode_date(int64_t days_since_epoch)
{
    return (uint32_t)(days_since_epoch + CQL_DATE_EPOCH_OFFSET);
}

int cql_decode_time(const uint8_t *p, size_t n, int64_t *ns)
{
    int64_t v;
    int rc = cql_decode_bigint(p, n, &v);
    if (rc != CQL_OK)
        return rc;
    if (v < 0 || v > CQL_TIME_MAX_NS)
        return CQL_ERANGE;
    *ns = v;
    return CQL_OK;
}

/* ======================================================================== */
/* Variable-length integers                                                  */
/* ======================================================================== */

/* The count of leading 1 bits of the first byte is the number of extra bytes;
 * the rest of the first byte and the extra bytes hold the value big-endian. */
int cql_rd_uvint(cql_reader *r, uint64_t *out)
{
    if (r->n < 1)
        return CQL_ETRUNC;
    unsigned first = r->p[0];
    unsigned extra = first == 0xFF ? 8u
                                   : (unsigned)__builtin_clz((~first & 0xFFu) << 24);
    if (r->n < 1 + (size_t)extra)
        return CQL_ETRUNC;
    uint64_t v = extra >= 8 ? 0 : (first & (0xFFu >> extra));
    for (unsigned k = 1; k <= extra; k++)
        v = (v << 8) | r->p[k];
    r->p += 1 + extra;
    r->n -= 1 + extra;
    *out = v;
    return CQL_OK;
}

int cql_rd_vint(cql_reader *r, int64_t *out)
{
    uint64_t u;
    int rc = cql_rd_uvint(r, &u);
    if (rc == CQL_OK)
        *out = (int64_t)((u >> 1) ^ (~(u & 1) + 1)); /* zig-zag */
    return rc;
}

size_t cql_uvint_size(uint64_t v)
{
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1);
    unsigned extra = (bits - 1) / 7;
    return (extra > 8 ? 8 : extra) + 1;
}

size_t cql_put_uvint(uint64_t v, uint8_t out[CQL_VINT_MAX_SIZE])
{
    size_t size = cql_uvint_size(v);
    size_t extra = size - 1;
    if (extra == 8) {
        out[0] = 0xFF;
        cql_store_be64(out + 1, v);
        return size;
    }
    for (size_t k = size; k-- > 0;) {
        out[k] = (uint8_t)v;
        v >>= 8;
    }
    if (extra)
        out[0] |= (uint8_t)(0xFFu << (8 - extra));
    return size;
}

size_t cql_put_vint(int64_t v, uint8_t out[CQL_VINT_MAX_SIZE])
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); /* zig-zag */
    return cql_put_uvint(u, out);
}

void cql_wr_uvint(cql_writer *w, uint64_t v)
{
    uint8_t tmp[CQL_VINT_MAX_SIZE];
    cql_wr_raw(w, tmp, cql_put_uvint(v, tmp));
}

/* ======================================================================== */
/* Duration                                                                  */
/* ======================================================================== */

static int same_sign(int64_t a, int64_t b, int64_t c)
{
    int neg = a < 0 || b < 0 || c < 0;
    int pos = a > 0 || b > 0 || c > 0;
    return !(neg && pos);
}

int cql_decode_duration(const uint8_t *p, size_t n, cql_duration *out)
{
    cql_reader r = cql_reader_make(p, n);
    int64_t months, days, nanos;
    if (cql_rd_vint(&r, &months) != CQL_OK || cql_rd_vint(&r, &days) != CQL_OK ||
        cql_rd_vint(&r, &nanos) != CQL_OK)
        return CQL_ETRUNC;
    if (r.n != 0)
        return CQL_EINVAL;
    if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN || days > INT32_MAX)
        return CQL_ERANGE;
    if (!same_sign(months, days, nanos))
        return CQL_EINVAL;
    out->months = (int32_t)months;
    out->days = (int32_t)days;
    out->nanoseconds = nanos;
    return CQL_OK;
}

size_t cql_encode_duration(const cql_duration *d, uint8_t out[CQL_DURATION_MAX_SIZE])
{
    if (!same_sign(d->months, d->days, d->nanoseconds))
        return 0;
    size_t n = cql_put_vint(d->months, out);
    n += cql_put_vint(d->days, out + n);
    n += cql_put_vint(d->nanoseconds, out + n);
    return n;
}

/* ======================================================================== */
/* Text validation                                                           */
/* ======================================================================== */

int cql_ascii_valid(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t k = 0; k < n; k++)
        acc |= p[k];
    return !(acc & 0x80);
}

int cql_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, eight bytes at a time. */
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2; cp = c & 0x1Fu; min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3; cp = c & 0x0Fu; min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4; cp = c & 0x07u; min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

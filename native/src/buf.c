/*
 * buf.c - composite readers, the growable writer and the arena.
 */
#include <stdlib.h>
#include <string.h>

#include "cql/buf.h"

/* ======================================================================== */
/* Errors                                                                    */
/* ======================================================================== */

const char *cql_strerror(int code)
{
    switch (code) {
    case CQL_OK: return "ok";
    case CQL_AGAIN: return "more input needed";
    case CQL_ETRUNC: return "truncated input";
    case CQL_ELIMIT: return "length or count over limit";
    case CQL_EINVAL: return "invalid value";
    case CQL_ENOMEM: return "out of memory";
    case CQL_EDEPTH: return "nesting too deep";
    case CQL_ECALLBACK: return "aborted by callback";
    case CQL_EPROTO: return "protocol error";
    case CQL_ERANGE: return "value out of range";
    case CQL_EFULL: return "no free stream id";
    case CQL_ESTALE: return "stale stream handle";
    case CQL_ECOMPRESS: return "compression error";
    default: return "unknown error";
    }
}

int cql_fail(cql_error *err, int code, const char *msg)
{
    if (err) {
        err->code = code;
        err->msg = msg;
    }
    return code;
}

/* ======================================================================== */
/* Composite readers                                                         */
/* ======================================================================== */

int cql_rd_string(cql_reader *r, cql_str *out, cql_error *err)
{
    if (r->n < 2)
        return cql_fail(err, CQL_ETRUNC, "truncated [string] length");
    size_t n = cql_load_be16(r->p);
    if (r->n - 2 < n)
        return cql_fail(err, CQL_ETRUNC, "[string] longer than remaining bytes");
    out->p = (const char *)(r->p + 2);
    out->len = n;
    r->p += 2 + n;
    r->n -= 2 + n;
    return CQL_OK;
}

int cql_rd_long_string(cql_reader *r, cql_str *out, cql_error *err)
{
    if (r->n < 4)
        return cql_fail(err, CQL_ETRUNC, "truncated [long string] length");
    int32_t n = (int32_t)cql_load_be32(r->p);
    if (n < 0)
        return cql_fail(err, CQL_EINVAL, "negative [long string] length");
    if (r->n - 4 < (size_t)n)
        return cql_fail(err, CQL_ETRUNC, "[long string] longer than remaining bytes");
    out->p = (const char *)(r->p + 4);
    out->len = (size_t)n;
    r->p += 4 + (size_t)n;
    r->n -= 4 + (size_t)n;
    return CQL_OK;
}

/* Shared by [bytes] and [value]: min_len is the most negative length allowed. */
static int rd_int_bytes(cql_reader *r, cql_bytes *out, int32_t min_len,
                        cql_error *err)
{
    if (r->n < 4)
        return cql_fail(err, CQL_ETRUNC, "truncated [bytes] length");
    int32_t n = (int32_t)cql_load_be32(r->p);
    if (n < 0) {
        if (n < min_len)
            return cql_fail(err, CQL_EINVAL, "invalid negative [value] length");
        out->p = NULL;
        out->len = n;
        r->p += 4;
        r->n -= 4;
        return CQL_OK;
    }
    if (r->n - 4 < (size_t)n)
        return cql_fail(err, CQL_ETRUNC, "[bytes] longer than remaining bytes");
    out->p = r->p + 4;
    out->len = n;
    r->p += 4 + (size_t)n;
    r->n -= 4 + (size_t)n;
    return CQL_OK;
}

int cql_rd_bytes(cql_reader *r, cql_bytes *out, cql_error *err)
{
    /* The spec says any negative length is null for [bytes]. */
    int rc = rd_int_bytes(r, out, INT32_MIN, err);
    if (rc == CQL_OK && out->len < 0)
        out->len = CQL_NULL_LEN;
    return rc;
}

int cql_rd_value(cql_reader *r, cql_bytes *out, cql_error *err)
{
    return rd_int_bytes(r, out, CQL_UNSET_LEN, err);
}

int cql_rd_short_bytes(cql_reader *r, cql_bytes *out, cql_error *err)
{
    if (r->n < 2)
        return cql_fail(err, CQL_ETRUNC, "truncated [short bytes] length");
    size_t n = cql_load_be16(r->p);
    if (r->n - 2 < n)
        return cql_fail(err, CQL_ETRUNC, "[short bytes] longer than remaining bytes");
    out->p = r->p + 2;
    out->len = (int32_t)n;
    r->p += 2 + n;
    r->n -= 2 + n;
    return CQL_OK;
}

int cql_rd_uuid(cql_reader *r, const uint8_t **out, cql_error *err)
{
    if (cql_rd_raw(r, 16, out) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated [uuid]");
    return CQL_OK;
}

int cql_rd_inetaddr(cql_reader *r, const uint8_t **addr, uint8_t *addr_len,
                    cql_error *err)
{
    if (r->n < 1)
        return cql_fail(err, CQL_ETRUNC, "truncated [inet] size");
    uint8_t n = r->p[0];
    if (n != 4 && n != 16)
        return cql_fail(err, CQL_EINVAL, "[inet] size is neither 4 nor 16");
    if (r->n - 1 < n)
        return cql_fail(err, CQL_ETRUNC, "truncated [inet] address");
    *addr = r->p + 1;
    *addr_len = n;
    r->p += 1 + (size_t)n;
    r->n -= 1 + (size_t)n;
    return CQL_OK;
}

int cql_rd_inet(cql_reader *r, const uint8_t **addr, uint8_t *addr_len,
                int32_t *port, cql_error *err)
{
    cql_reader save = *r;
    int rc = cql_rd_inetaddr(r, addr, addr_len, err);
    if (rc != CQL_OK)
        return rc;
    if (cql_rd_i32(r, port) != CQL_OK) {
        *r = save;
        return cql_fail(err, CQL_ETRUNC, "truncated [inet] port");
    }
    return CQL_OK;
}

/* ------------------------------------------------------------------------ */
/* Lists and maps: walk once to validate, then iterate without checks        */
/* ------------------------------------------------------------------------ */

int cql_rd_string_list(cql_reader *r, cql_string_list *out, cql_error *err)
{
    cql_reader cur = *r;
    uint16_t n;
    cql_str s;
    if (cql_rd_u16(&cur, &n) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated [string list] count");
    const uint8_t *start = cur.p;
    for (uint16_t i = 0; i < n; i++) {
        int rc = cql_rd_string(&cur, &s, err);
        if (rc != CQL_OK)
            return rc;
    }
    out->r = cql_reader_make(start, (size_t)(cur.p - start));
    out->count = n;
    *r = cur;
    return CQL_OK;
}

int cql_string_list_next(cql_string_list *it, cql_str *s)
{
    if (it->count == 0)
        return 0;
    if (cql_rd_string(&it->r, s, NULL) != CQL_OK)
        return 0; /* unreachable after validation */
    it->count--;
    return 1;
}

int cql_rd_string_map(cql_reader *r, cql_map_iter *out, cql_error *err)
{
    cql_reader cur = *r;
    uint16_t n;
    cql_str s;
    if (cql_rd_u16(&cur, &n) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated [string map] count");
    const uint8_t *start = cur.p;
    for (uint32_t i = 0; i < 2u * n; i++) {
        int rc = cql_rd_string(&cur, &s, err);
        if (rc != CQL_OK)
            return rc;
    }
    out->r = cql_reader_make(start, (size_t)(cur.p - start));
    out->count = n;
    *r = cur;
    return CQL_OK;
}

int cql_string_map_next(cql_map_iter *it, cql_str *k, cql_str *v)
{
    if (it->count == 0)
        return 0;
    if (cql_rd_string(&it->r, k, NULL) != CQL_OK ||
        cql_rd_string(&it->r, v, NULL) != CQL_OK)
        return 0;
    it->count--;
    return 1;
}

int cql_rd_string_multimap(cql_reader *r, cql_map_iter *out, cql_error *err)
{
    cql_reader cur = *r;
    uint16_t n;
    cql_str s;
    cql_string_list l;
    if (cql_rd_u16(&cur, &n) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated [string multimap] count");
    const uint8_t *start = cur.p;
    for (uint16_t i = 0; i < n; i++) {
        int rc = cql_rd_string(&cur, &s, err);
        if (rc == CQL_OK)
            rc = cql_rd_string_list(&cur, &l, err);
        if (rc != CQL_OK)
            return rc;
    }
    out->r = cql_reader_make(start, (size_t)(cur.p - start));
    out->count = n;
    *r = cur;
    return CQL_OK;
}

int cql_string_multimap_next(cql_map_iter *it, cql_str *k, cql_string_list *v)
{
    if (it->count == 0)
        return 0;
    if (cql_rd_string(&it->r, k, NULL) != CQL_OK ||
        cql_rd_string_list(&it->r, v, NULL) != CQL_OK)
        return 0;
    it->count--;
    return 1;
}

int cql_string_multimap_find(const cql_map_iter *m, const char *key,
                             cql_string_list *v)
{
    cql_map_iter it = *m;
    cql_str k;
    while (cql_string_multimap_next(&it, &k, v))
        if (cql_str_eq(k, key))
            return 1;
    return 0;
}

int cql_rd_bytes_map(cql_reader *r, cql_map_iter *out, cql_error *err)
{
    cql_reader cur = *r;
    uint16_t n;
    cql_str s;
    cql_bytes b;
    if (cql_rd_u16(&cur, &n) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated [bytes map] count");
    const uint8_t *start = cur.p;
    for (uint16_t i = 0; i < n; i++) {
        int rc = cql_rd_string(&cur, &s, err);
        if (rc == CQL_OK)
            rc = cql_rd_bytes(&cur, &b, err);
        if (rc != CQL_OK)
            return rc;
    }
    out->r = cql_reader_make(start, (size_t)(cur.p - start));
    out->count = n;
    *r = cur;
    return CQL_OK;
}

int cql_bytes_map_next(cql_map_iter *it, cql_str *k, cql_bytes *v)
{
    if (it->count == 0)
        return 0;
    if (cql_rd_string(&it->r, k, NULL) != CQL_OK ||
        cql_rd_bytes(&it->r, v, NULL) != CQL_OK)
        return 0;
    it->count--;
    return 1;
}

int cql_str_eq(cql_str s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

/* ======================================================================== */
/* Writer                                                                    */
/* ======================================================================== */

void cql_wr_init(cql_writer *w)
{
    w->data = NULL;
    w->len = 0;
    w->cap = 0;
    w->err = CQL_OK;
    w->errmsg = NULL;
}

void cql_wr_free(cql_writer *w)
{
    free(w->data);
    cql_wr_init(w);
}

void cql_wr_reset(cql_writer *w)
{
    w->len = 0;
    w->err = CQL_OK;
    w->errmsg = NULL;
}

void cql_wr_fail(cql_writer *w, int code, const char *msg)
{
    if (w->err == CQL_OK) {
        w->err = code;
        w->errmsg = msg;
    }
}

int cql_wr_status(const cql_writer *w, cql_error *err)
{
    if (w->err != CQL_OK)
        return cql_fail(err, w->err, w->errmsg);
    return CQL_OK;
}

uint8_t *cql_wr_reserve(cql_writer *w, size_t n)
{
    if (w->err != CQL_OK)
        return NULL;
    if (n == 0)
        return w->data; /* may be NULL: never offset a null pointer */
    if (w->cap - w->len < n) {
        /* Grow geometrically; refuse sizes that would overflow size_t. */
        if (n > SIZE_MAX / 2 - w->len) {
            cql_wr_fail(w, CQL_ELIMIT, "writer size overflow");
            return NULL;
        }
        size_t need = w->len + n;
        size_t cap = w->cap ? w->cap : 256;
        while (cap < need)
            cap *= 2;
        uint8_t *d = (uint8_t *)realloc(w->data, cap);
        if (!d) {
            cql_wr_fail(w, CQL_ENOMEM, "out of memory growing writer");
            return NULL;
        }
        w->data = d;
        w->cap = cap;
    }
    uint8_t *p = w->data + w->len;
    w->len += n;
    return p;
}

void cql_wr_raw(cql_writer *w, const void *p, size_t n)
{
    uint8_t *d = cql_wr_reserve(w, n);
    if (d && n)
        memcpy(d, p, n);
}

void cql_wr_u8(cql_writer *w, uint8_t v)
{
    uint8_t *d = cql_wr_reserve(w, 1);
    if (d)
        d[0] = v;
}

void cql_wr_u16(cql_writer *w, uint16_t v)
{
    uint8_t *d = cql_wr_reserve(w, 2);
    if (d)
        cql_store_be16(d, v);
}

void cql_wr_i32(cql_writer *w, int32_t v)
{
    uint8_t *d = cql_wr_reserve(w, 4);
    if (d)
        cql_store_be32(d, (uint32_t)v);
}

void cql_wr_i64(cql_writer *w, int64_t v)
{
    uint8_t *d = cql_wr_reserve(w, 8);
    if (d)
        cql_store_be64(d, (uint64_t)v);
}

void cql_wr_string(cql_writer *w, const char *s, size_t n)
{
    if (n > UINT16_MAX) {
        cql_wr_fail(w, CQL_ELIMIT, "[string] longer than 65535 bytes");
        return;
    }
    cql_wr_u16(w, (uint16_t)n);
    cql_wr_raw(w, s, n);
}

void cql_wr_long_string(cql_writer *w, const char *s, size_t n)
{
    if (n > INT32_MAX) {
        cql_wr_fail(w, CQL_ELIMIT, "[long string] longer than 2^31-1 bytes");
        return;
    }
    cql_wr_i32(w, (int32_t)n);
    cql_wr_raw(w, s, n);
}

void cql_wr_bytes(cql_writer *w, const void *p, int32_t n)
{
    if (n < 0) {
        cql_wr_i32(w, CQL_NULL_LEN);
        return;
    }
    cql_wr_i32(w, n);
    cql_wr_raw(w, p, (size_t)n);
}

void cql_wr_short_bytes(cql_writer *w, const void *p, size_t n)
{
    if (n > UINT16_MAX) {
        cql_wr_fail(w, CQL_ELIMIT, "[short bytes] longer than 65535 bytes");
        return;
    }
    cql_wr_u16(w, (uint16_t)n);
    cql_wr_raw(w, p, n);
}

void cql_wr_value(cql_writer *w, const cql_bytes *v)
{
    if (v->len == CQL_NULL_LEN || v->len == CQL_UNSET_LEN) {
        cql_wr_i32(w, v->len);
        return;
    }
    if (v->len < 0) {
        cql_wr_fail(w, CQL_EINVAL, "[value] length below -2");
        return;
    }
    cql_wr_i32(w, v->len);
    cql_wr_raw(w, v->p, (size_t)v->len);
}

void cql_wr_string_list(cql_writer *w, const cql_str *items, size_t n)
{
    if (n > UINT16_MAX) {
        cql_wr_fail(w, CQL_ELIMIT, "[string list] over 65535 items");
        return;
    }
    cql_wr_u16(w, (uint16_t)n);
    for (size_t i = 0; i < n; i++)
        cql_wr_string(w, items[i].p, items[i].len);
}

void cql_wr_string_map(cql_writer *w, const cql_str *kv, size_t n)
{
    if (n > UINT16_MAX) {
        cql_wr_fail(w, CQL_ELIMIT, "[string map] over 65535 entries");
        return;
    }
    cql_wr_u16(w, (uint16_t)n);
    for (size_t i = 0; i < 2 * n; i++)
        cql_wr_string(w, kv[i].p, kv[i].len);
}

/* ======================================================================== */
/* Arena                                                                     */
/* ======================================================================== */

struct cql_arena_chunk {
    cql_arena_chunk *next;
    size_t cap;
    /* Payload starts at u, aligned for any type. */
    union {
        max_align_t align;
        unsigned char first;
    } u;
};

#define ARENA_MIN_CHUNK 2048u
/* Metadata of one result never legitimately needs more than this. */
#define ARENA_MAX_TOTAL (64u * 1024u * 1024u)

void cql_arena_init(cql_arena *a)
{
    a->head = NULL;
    a->used = 0;
    a->cap = 0;
    a->total = 0;
}

void cql_arena_free(cql_arena *a)
{
    cql_arena_chunk *c = a->head;
    while (c) {
        cql_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    cql_arena_init(a);
}

void *cql_arena_alloc(cql_arena *a, size_t n)
{
    n = (n + 7u) & ~(size_t)7u;
    if (n == 0)
        n = 8;
    if (!a->head || a->cap - a->used < n) {
        if (n > ARENA_MAX_TOTAL || a->total > ARENA_MAX_TOTAL - n)
            return NULL;
        size_t cap = n > ARENA_MIN_CHUNK ? n : ARENA_MIN_CHUNK;
        cql_arena_chunk *c =
            (cql_arena_chunk *)malloc(offsetof(cql_arena_chunk, u) + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->cap = cap;
        a->head = c;
        a->used = 0;
        a->cap = cap;
        a->total += cap;
    }
    void *p = (unsigned char *)a->head + offsetof(cql_arena_chunk, u) + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

int cql_arena_strdup(cql_arena *a, cql_str in, cql_str *out)
{
    char *d = (char *)cql_arena_alloc(a, in.len + 1);
    if (!d)
        return CQL_ENOMEM;
    if (in.len)
        memcpy(d, in.p, in.len);
    d[in.len] = '\0';
    out->p = d;
    out->len = in.len;
    return CQL_OK;
}

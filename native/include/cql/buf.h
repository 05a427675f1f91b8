/*
 * cql/buf.h - bounds-checked reader, growable writer, bump arena.
 *
 * cql_reader is the two-field {pointer, remaining} cursor every decoder uses.
 * Each read checks `remaining` first and never moves the cursor on failure,
 * so a failed read leaves the reader where it was.
 *
 * cql_writer has a sticky error: once a write fails (out of memory or a
 * length that the wire format cannot express) every later write is a no-op
 * and the encoder checks `w->err` once at the end.
 */
#ifndef CQL_BUF_H
#define CQL_BUF_H

#include <string.h>

#include "cql/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Big-endian load/store                                                     */
/* ------------------------------------------------------------------------ */

static inline uint16_t cql_load_be16(const uint8_t *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | (unsigned)p[1]);
}

static inline uint32_t cql_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t cql_load_be64(const uint8_t *p)
{
    return ((uint64_t)cql_load_be32(p) << 32) | cql_load_be32(p + 4);
}

static inline void cql_store_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void cql_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void cql_store_be64(uint8_t *p, uint64_t v)
{
    cql_store_be32(p, (uint32_t)(v >> 32));
    cql_store_be32(p + 4, (uint32_t)v);
}

/* ------------------------------------------------------------------------ */
/* Reader                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct cql_reader {
    const uint8_t *p;
    size_t n; /* bytes remaining */
} cql_reader;

static inline cql_reader cql_reader_make(const void *p, size_t n)
{
    cql_reader r;
    r.p = (const uint8_t *)p;
    r.n = n;
    return r;
}

static inline int cql_rd_skip(cql_reader *r, size_t n)
{
    if (r->n < n)
        return CQL_ETRUNC;
    if (n) {
        r->p += n;
        r->n -= n;
    }
    return CQL_OK;
}

/* Borrow n raw bytes. */
static inline int cql_rd_raw(cql_reader *r, size_t n, const uint8_t **out)
{
    if (r->n < n)
        return CQL_ETRUNC;
    *out = r->p;
    if (n) {
        r->p += n;
        r->n -= n;
    }
    return CQL_OK;
}

static inline int cql_rd_u8(cql_reader *r, uint8_t *out)
{
    if (r->n < 1)
        return CQL_ETRUNC;
    *out = r->p[0];
    r->p += 1;
    r->n -= 1;
    return CQL_OK;
}

/* [short]: unsigned 16-bit. */
static inline int cql_rd_u16(cql_reader *r, uint16_t *out)
{
    if (r->n < 2)
        return CQL_ETRUNC;
    *out = cql_load_be16(r->p);
    r->p += 2;
    r->n -= 2;
    return CQL_OK;
}

/* [int]: signed 32-bit. */
static inline int cql_rd_i32(cql_reader *r, int32_t *out)
{
    if (r->n < 4)
        return CQL_ETRUNC;
    *out = (int32_t)cql_load_be32(r->p);
    r->p += 4;
    r->n -= 4;
    return CQL_OK;
}

/* [long]: signed 64-bit. */
static inline int cql_rd_i64(cql_reader *r, int64_t *out)
{
    if (r->n < 8)
        return CQL_ETRUNC;
    *out = (int64_t)cql_load_be64(r->p);
    r->p += 8;
    r->n -= 8;
    return CQL_OK;
}

/* Composite notations of section 3 of the spec. All borrow from the input.
 * On failure the reader is left unchanged and err is filled. */
int cql_rd_string(cql_reader *r, cql_str *out, cql_error *err);
int cql_rd_long_string(cql_reader *r, cql_str *out, cql_error *err);
int cql_rd_bytes(cql_reader *r, cql_bytes *out, cql_error *err);       /* n<0: null */
int cql_rd_value(cql_reader *r, cql_bytes *out, cql_error *err);       /* -1 null, -2 unset */
int cql_rd_short_bytes(cql_reader *r, cql_bytes *out, cql_error *err);
int cql_rd_uuid(cql_reader *r, const uint8_t **out, cql_error *err);
/* [inet]: 1-byte size (4 or 16), address, [int] port. */
int cql_rd_inet(cql_reader *r, const uint8_t **addr, uint8_t *addr_len,
                int32_t *port, cql_error *err);
/* [inetaddr] (v5 reason maps): 1-byte size (4 or 16) and address, no port. */
int cql_rd_inetaddr(cql_reader *r, const uint8_t **addr, uint8_t *addr_len,
                    cql_error *err);

/* A [string list], validated in full up front so iteration cannot fail. */
typedef struct cql_string_list {
    cql_reader r; /* the n encoded strings */
    uint16_t count;
} cql_string_list;

int cql_rd_string_list(cql_reader *r, cql_string_list *out, cql_error *err);
/* Returns 1 and fills *s while strings remain, 0 at the end. */
int cql_string_list_next(cql_string_list *it, cql_str *s);

/* A [string map] / [string multimap] / [bytes map], validated up front. */
typedef struct cql_map_iter {
    cql_reader r;
    uint16_t count;
} cql_map_iter;

int cql_rd_string_map(cql_reader *r, cql_map_iter *out, cql_error *err);
int cql_string_map_next(cql_map_iter *it, cql_str *k, cql_str *v);
int cql_rd_string_multimap(cql_reader *r, cql_map_iter *out, cql_error *err);
int cql_string_multimap_next(cql_map_iter *it, cql_str *k, cql_string_list *v);
/* Look up a key; returns 1 if found. Does not consume *m. */
int cql_string_multimap_find(const cql_map_iter *m, const char *key,
                             cql_string_list *v);
int cql_rd_bytes_map(cql_reader *r, cql_map_iter *out, cql_error *err);
int cql_bytes_map_next(cql_map_iter *it, cql_str *k, cql_bytes *v);

/* Compare a borrowed string with a C string. */
int cql_str_eq(cql_str s, const char *c);

/* ------------------------------------------------------------------------ */
/* Writer                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct cql_writer {
    uint8_t *data;
    size_t len;
    size_t cap;
    int err;            /* sticky: first failure code, CQL_OK if none */
    const char *errmsg; /* static message of the first failure */
} cql_writer;

void cql_wr_init(cql_writer *w);
void cql_wr_free(cql_writer *w);
/* Forget the content, keep the allocation (and clear the error). */
void cql_wr_reset(cql_writer *w);
/* Make room for n more bytes; returns a pointer to them or NULL (sticky). */
uint8_t *cql_wr_reserve(cql_writer *w, size_t n);
/* Record a failure; later writes become no-ops. */
void cql_wr_fail(cql_writer *w, int code, const char *msg);
/* Copy the sticky error into err and return it. */
int cql_wr_status(const cql_writer *w, cql_error *err);

void cql_wr_raw(cql_writer *w, const void *p, size_t n);
void cql_wr_u8(cql_writer *w, uint8_t v);
void cql_wr_u16(cql_writer *w, uint16_t v);
void cql_wr_i32(cql_writer *w, int32_t v);
void cql_wr_i64(cql_writer *w, int64_t v);
void cql_wr_string(cql_writer *w, const char *s, size_t n);      /* [string] */
void cql_wr_long_string(cql_writer *w, const char *s, size_t n); /* [long string] */
void cql_wr_bytes(cql_writer *w, const void *p, int32_t n);      /* [bytes], n<0 null */
void cql_wr_short_bytes(cql_writer *w, const void *p, size_t n); /* [short bytes] */
/* [value]: len -1 null, -2 unset, otherwise the bytes. */
void cql_wr_value(cql_writer *w, const cql_bytes *v);
void cql_wr_string_list(cql_writer *w, const cql_str *items, size_t n);
/* [string map] from n key/value pairs laid out as kv[2*i], kv[2*i+1]. */
void cql_wr_string_map(cql_writer *w, const cql_str *kv, size_t n);

/* ------------------------------------------------------------------------ */
/* Arena                                                                     */
/* ------------------------------------------------------------------------ */

/* Bump allocator for decoded metadata (type trees, names): one free for the
 * whole result, no per-node bookkeeping. */
typedef struct cql_arena_chunk cql_arena_chunk;

typedef struct cql_arena {
    cql_arena_chunk *head;
    size_t used; /* in head */
    size_t cap;  /* of head */
    size_t total;
} cql_arena;

void cql_arena_init(cql_arena *a);
void cql_arena_free(cql_arena *a);
/* Zeroed, 8-byte aligned memory, or NULL. */
void *cql_arena_alloc(cql_arena *a, size_t n);
/* Copy a string into the arena (NUL-terminated for convenience). */
int cql_arena_strdup(cql_arena *a, cql_str in, cql_str *out);

#ifdef __cplusplus
}
#endif
#endif /* CQL_BUF_H */

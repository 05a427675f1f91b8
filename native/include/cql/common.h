/*
 * cql/common.h - shared definitions of the CQL protocol core.
 *
 * The core is sans-I/O and Python-free: it turns bytes into C values and C
 * values into bytes, nothing else. Every function that can fail returns an
 * int status (CQL_OK or a negative CQL_E* code) and, when given a non-NULL
 * cql_error, fills it with the code and a static message. Messages are
 * string literals so reporting an error never allocates.
 */
#ifndef CQL_COMMON_H
#define CQL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

enum {
    CQL_OK = 0,
    CQL_AGAIN = 1,       /* not an error: more input is needed */
    CQL_ETRUNC = -1,     /* input ends before a declared field ends */
    CQL_ELIMIT = -2,     /* a length or count exceeds a sane limit */
    CQL_EINVAL = -3,     /* malformed value (bad size for type, bad UTF-8, ...) */
    CQL_ENOMEM = -4,     /* allocation failed */
    CQL_EDEPTH = -5,     /* nesting deeper than CQL_MAX_DEPTH */
    CQL_ECALLBACK = -6,  /* a user callback asked to stop */
    CQL_EPROTO = -7,     /* protocol violation (version, opcode, kind) */
    CQL_ERANGE = -8,     /* value does not fit the requested C type */
    CQL_EFULL = -9,      /* no free stream id */
    CQL_ESTALE = -10,    /* stream handle no longer current */
    CQL_ECOMPRESS = -11  /* compression or decompression failed */
};

typedef struct cql_error {
    int code;
    const char *msg;
} cql_error;

/* Human readable name of a status code (never NULL). */
const char *cql_strerror(int code);

/* Record an error (if err != NULL) and return code; used as
 * `return cql_fail(err, CQL_ETRUNC, "...")`. */
int cql_fail(cql_error *err, int code, const char *msg);

/* ------------------------------------------------------------------------ */
/* Limits                                                                    */
/* ------------------------------------------------------------------------ */

/* The spec caps a frame at 256 MiB. */
#define CQL_MAX_BODY_LENGTH (256u * 1024u * 1024u)

/* Types nest (list<map<int, frozen<udt>>> ...); recursion in the type parser
 * and value decoder is bounded by this depth. */
#define CQL_MAX_DEPTH 32

/* Cassandra 5 vectors: dimension cap that still rejects nonsense. */
#define CQL_MAX_VECTOR_DIM (1 << 20)

/* ------------------------------------------------------------------------ */
/* Borrowed slices                                                           */
/* ------------------------------------------------------------------------ */

/* A [string]: points into the buffer it was read from. Not NUL-terminated. */
typedef struct cql_str {
    const char *p;
    size_t len;
} cql_str;

/* A [bytes] / [value]: len >= 0 is a value, -1 null, -2 unset. */
typedef struct cql_bytes {
    const uint8_t *p;
    int32_t len;
} cql_bytes;

#define CQL_NULL_LEN (-1)
#define CQL_UNSET_LEN (-2)

#ifdef __cplusplus
}
#endif
#endif /* CQL_COMMON_H */

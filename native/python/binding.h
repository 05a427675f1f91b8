/*
 * binding.h - what the files of the coodie._native binding share: the module
 * state, the type and row codecs, bound values, the exported type specs and
 * TLS. Declarations private to one group of files live in conn.h (the
 * Connection) and codec.h (the value codecs).
 *
 * module.c   module state, exception classes, small helpers
 * decode.c   type and row codecs: wire bytes -> canonical Python values
 * encode.c   parameter encoding: Python values -> wire bytes
 * codec.c    the Codec type (one type codec, for tests and tools)
 * conn*.c    the Connection type (see conn.h), prepared.c the Prepared type
 * tls.c      OpenSSL glue for Connection
 */
#ifndef COODIE_BINDING_H
#define COODIE_BINDING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "cql/cql.h"

/* ======================================================================== */
/* Module state                                                              */
/* ======================================================================== */

typedef struct native_state {
    /* exceptions */
    PyObject *protocol_error;    /* coodie._native.ProtocolError(ValueError) */
    PyObject *error;             /* cql.Error: base of the errors below */
    PyObject *server_error;      /* cql.ServerError: an ERROR response */
    PyObject *connection_closed; /* cql.ConnectionClosed */
    PyObject *timed_out;         /* cql.OperationTimedOut: client-side deadline */
    /* types defined here */
    PyObject *conn_type;
    PyObject *prepared_type;
    PyObject *codec_type;
    /* value types, imported once */
    PyObject *uuid_type;
    PyObject *safe_uuid_unknown;
    PyObject *decimal_type;
    PyObject *decimal_exact; /* a decimal.Context that never rounds (scaling huge values) */
    PyObject *ipv4_type;
    PyObject *ipv6_type;
    PyObject *duration_type; /* coodie.types.CqlDuration, imported on first use */
    PyObject *utc;           /* datetime.timezone.utc */
    /* interned attribute / method names */
    PyObject *s_int;
    PyObject *s_is_safe;
    PyObject *s_packed;
    PyObject *s_months;
    PyObject *s_days;
    PyObject *s_nanoseconds;
    PyObject *s_as_tuple;
    PyObject *s_scaleb;
    PyObject *s_utcoffset;
    PyObject *s_set_result;
    PyObject *s_set_exception;
    PyObject *s_create_future;
    PyObject *s_call_soon;
    PyObject *s_call_later;
    PyObject *s_add_reader;
    PyObject *s_remove_reader;
    PyObject *s_add_writer;
    PyObject *s_remove_writer;
    PyObject *s_cancel;
    PyObject *s_is_closed;
    PyObject *s_applied; /* "[applied]" */
} native_state;

/* Raise ProtocolError "<what>: <core message>". Returns NULL. */
PyObject *binding_core_error(native_state *st, const char *what, const cql_error *err);

/* ======================================================================== */
/* Type and row codecs (decode.c, encode.c, codec.c)                        */
/* ======================================================================== */

/* A type codec is built once per column type (once per prepared statement,
 * or once per result of an unprepared query): a tree of nodes, one per CQL
 * type. Each node starts with the core's cql_type, so the core's value walker
 * (cql_decode_value) walks the codec tree itself and hands every node back to
 * the Python builder (decode.c), which finds the node's Python details
 * (hashable values, interned field names) behind it. Encoding walks the same
 * tree. */
typedef struct type_codec type_codec;

struct type_codec {
    cql_type type;      /* first member: the node the core walks */
    native_state *st;
    int32_t fixed;      /* vector: fixed element size, 0 if variable */
    int hashable;       /* element of a set or key of a map: build hashable values */
    int time_ns;        /* a time result column: int nanoseconds, not datetime.time */
    type_codec **child; /* the children of `type`, as codecs */
    PyObject **fields;  /* UDT field names */
    PyObject *tname;    /* CQL type as text ("list<int>"), for messages */
};

/* The codec whose cql_type the core walker reports. */
static inline const type_codec *type_codec_of(const cql_type *t)
{
    return (const type_codec *)(const void *)t;
}

/* A row codec: the columns of a result or of a prepared statement's bind
 * markers, each with its type codec. */
typedef struct row_codec {
    int32_t ncols;
    PyObject **names; /* interned column names */
    type_codec **cols;
    int32_t pk_count;
    uint16_t *pk_indexes;
} row_codec;

/* Build a type codec from a type tree (hashable: the value sits in a set/map key). */
type_codec *type_codec_build(native_state *st, const cql_type *t, int hashable);
void type_codec_free(type_codec *tc);
/* A row_codec from metadata (columns must be present). */
row_codec *row_codec_build(native_state *st, const cql_metadata *m);
void row_codec_free(row_codec *rp);

/* Decode one [bytes] value (len < 0: None). Errors name the column. */
PyObject *type_codec_decode(const type_codec *tc, cql_bytes v, PyObject *colname);
/* Decode `count` rows from r into a list of dicts. */
PyObject *row_codec_decode_rows(native_state *st, const row_codec *rp, cql_reader *r,
                                int32_t count, int32_t ncols);

/* Encode one value as [bytes] (None: null) into w; errors name the column
 * (colname may be NULL) and the expected CQL type. */
int type_codec_encode(const type_codec *tc, PyObject *v, cql_writer *w, PyObject *colname);

/* Encoded bound values of one statement: a writer holding [bytes] values and
 * an array of views into it (filled by bind_finish). */
typedef struct bound_values {
    cql_writer buf;
    size_t *offs;
    int32_t *lens;
    cql_bytes *values;
    size_t n;
    size_t cap;
} bound_values;

void bound_init(bound_values *b);
void bound_free(bound_values *b);
void bound_reset(bound_values *b);
/* Encode params (a sequence) with the row codec's columns; appends to b. */
int bound_encode(bound_values *b, const row_codec *rp, PyObject *params);
/* Build b->values from the offsets (after every bound_encode). */
int bound_finish(bound_values *b);

int codec_module_init(PyObject *module, native_state *st);
extern PyType_Spec codec_type_spec;

/* ======================================================================== */
/* Connection and Prepared (conn*.c, prepared.c)                            */
/* ======================================================================== */

extern PyType_Spec conn_type_spec;
extern PyType_Spec prepared_type_spec;

/* ======================================================================== */
/* TLS (tls.c)                                                               */
/* ======================================================================== */

typedef struct tls_conn tls_conn;

/* Build a TLS session over fd from keyword options; NULL + exception on error. */
tls_conn *tls_new(native_state *st, int fd, PyObject *options);
void tls_free(tls_conn *t);
/* One handshake step: 0 done, 1 wants read, 2 wants write, -1 error (msg set). */
int tls_handshake(tls_conn *t, char *msg, size_t msglen);
/* >0 bytes, 0 EOF, -1 want read, -2 want write, -3 error (msg set). */
long tls_read(tls_conn *t, void *buf, size_t n, char *msg, size_t msglen);
long tls_write(tls_conn *t, const void *buf, size_t n, char *msg, size_t msglen);
/* Bytes already decrypted and buffered inside OpenSSL. */
int tls_pending(tls_conn *t);
void tls_shutdown(tls_conn *t);
/* Peer certificate subject and negotiated version (for diagnostics). */
PyObject *tls_info(tls_conn *t);

#endif /* COODIE_BINDING_H */

/*
 * conn.c - the Connection and Prepared types.
 *
 * A Connection owns one connected, non-blocking socket (the caller connects
 * it and hands over the file descriptor) and runs the CQL v4 protocol on it:
 * requests are encoded by the C core into frames, each with a stream id from
 * the connection's slot table; replies are split into frames, matched to
 * their request by stream id and decoded into Python values in C.
 *
 * Two modes, one code path for frames:
 *
 * Blocking (the default): every request method encodes, sends and waits with
 *   the GIL released around send/poll/recv. Several threads may share a
 *   connection: frames are written whole under a write mutex, and replies are
 *   read by whichever waiter holds the read role ("leader reads"); it
 *   dispatches every reply it finds to the other waiters' slots and hands the
 *   role on when its own reply is in. Waiters sleep on a condition variable.
 *
 * Asyncio (after attach(loop)): the *_async methods return futures from
 *   loop.create_future(). The socket is watched with loop.add_reader(); the
 *   read callback parses every complete frame and completes the futures
 *   directly. Frames are appended to one output buffer: a request made while
 *   nothing is in flight is sent at once, others are flushed together by one
 *   loop.call_soon() per loop iteration (add_writer only when the kernel
 *   buffer is full).
 *
 * Timeouts: one periodic tick per connection (loop.call_later, only while
 * requests with a deadline are pending) in asyncio mode; the waiter's own
 * poll/condvar deadline in blocking mode. A timed-out request's stream id is
 * orphaned until its late reply arrives. A reply that arrives after its
 * deadline, before the tick saw it, is a timeout too.
 *
 * Fatal errors (EOF, a frame that cannot be split, a reply to a stream id with
 * no request) close the connection and fail every pending request with
 * ConnectionClosed (the cause chained). Errors confined to one reply (a body
 * that does not decode) fail that request with ProtocolError only.
 */
#include "binding.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ======================================================================== */
/* Types                                                                     */
/* ======================================================================== */

enum req_kind {
    K_OPTIONS,
    K_STARTUP,
    K_AUTH,
    K_REGISTER,
    K_QUERY,
    K_PREPARE,
    K_EXECUTE,
    K_BATCH
};

enum req_state { R_PENDING = 0, R_DONE = 1 };

typedef struct req req;
struct req {
    uint8_t kind;
    uint8_t state;     /* blocking mode: R_DONE once result is set (under mu) */
    uint8_t has_deadline;
    uint8_t is_error;  /* result is an exception instance */
    int16_t stream;
    uint32_t gen;
    double deadline;   /* CLOCK_MONOTONIC seconds */
    PyObject *fut;     /* asyncio mode */
    PyObject *ctx;     /* K_EXECUTE: the Prepared; K_PREPARE: the query text */
    PyObject *result;  /* blocking mode */
    req *prev, *next;  /* asyncio deadline list / free list */
    /* asyncio backlog: requests waiting for a free stream id */
    uint8_t backlogged;
    uint8_t *frame;    /* the encoded frame (stream id patched when sent) */
    size_t frame_len;
    req *bprev, *bnext;
};

typedef struct {
    PyObject_HEAD
    native_state *st;
    PyObject *module;
    PyObject *id;       /* bytes */
    PyObject *query;    /* str */
    rowplan *bind;      /* bind markers */
    rowplan *result;    /* result columns, NULL if none declared */
} PreparedObject;

enum conn_mode { MODE_BLOCKING = 0, MODE_ASYNC = 1 };

typedef struct {
    uint8_t *data;
    size_t len, cap, pos;
} rbuf_t;

typedef struct {
    PyObject_HEAD
    native_state *st;
    PyObject *module;
    int fd;
    int mode;
    int closed;            /* no new requests; pending ones failed */
    int fd_closed;
    PyObject *close_cause; /* why it closed (exception instance) or NULL */
    int lz4;               /* server agreed to LZ4 */
    int compress_out;      /* compress our frames (after READY) */
    int want_lz4;          /* STARTUP asked for it */
    uint32_t compress_min; /* smallest body worth compressing */
    uint32_t max_body;
    cql_streams streams;
    rbuf_t rb;
    cql_writer zbuf;       /* decompressed bodies */
    /* blocking mode */
    pthread_mutex_t mu;    /* guards req->state/result hand-over, reading, io_users */
    pthread_cond_t cv;
    pthread_mutex_t wmu;   /* whole frames on the wire */
    int reading;           /* a thread holds the read role */
    int io_users;          /* threads inside send/recv with the GIL released */
    /* asyncio mode */
    PyObject *loop;
    PyObject *create_future;
    PyObject *call_soon;
    PyObject *call_later;
    PyObject *on_readable;  /* bound methods of self */
    PyObject *on_writable;
    PyObject *on_tick;
    PyObject *tick_handle;
    double tick_interval;
    int reader_added, writer_added, flush_scheduled;
    cql_writer wbuf;
    size_t wpos;
    bound_values bv;
    req dl;                 /* deadline list sentinel */
    req bl;                 /* backlog sentinel (all stream ids taken) */
    size_t bl_len;
    cql_writer scratch;     /* frames of backlogged requests */
    req *free_reqs;
    size_t nfree_reqs;
    /* server events */
    PyObject *event_handler;
    /* TLS */
    tls_conn *tls;
    int tls_error;          /* the last io_* failure was a TLS error */
    int tls_want_write;     /* a read needs the socket writable first */
    int tls_send_wants_read; /* a write needs the socket readable first */
    char tls_rmsg[256];
    char tls_wmsg[256];
    /* counters */
    unsigned long long sent_frames, recv_frames, syscalls_send, syscalls_recv;
} ConnObject;

/* ======================================================================== */
/* Small helpers                                                             */
/* ======================================================================== */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* An exception instance of type `type` with a formatted message. */
static PyObject *make_exc(PyObject *type, const char *fmt, ...)
{
    va_list va;
    va_start(va, fmt);
    PyObject *msg = PyUnicode_FromFormatV(fmt, va);
    va_end(va);
    if (!msg)
        return NULL;
    PyObject *exc = PyObject_CallOneArg(type, msg);
    Py_DECREF(msg);
    return exc;
}

/* Take the pending exception as an instance (never NULL: MemoryError at worst). */
static PyObject *fetch_exc(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *v = PyErr_GetRaisedException();
#else
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (v && tb)
        PyException_SetTraceback(v, tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
#endif
    if (!v) {
        v = PyObject_CallNoArgs(PyExc_MemoryError);
        if (!v) {
            PyErr_Clear();
            v = Py_NewRef(PyExc_MemoryError);
        }
    }
    return v;
}

static void raise_exc(PyObject *exc /* stolen */)
{
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}

static PyObject *closed_error(ConnObject *c)
{
    PyObject *e = c->close_cause
                      ? make_exc(c->st->connection_closed, "the connection is closed: %S",
                                 c->close_cause)
                      : make_exc(c->st->connection_closed, "the connection is closed");
    if (!e)
        return NULL;
    if (c->close_cause)
        PyException_SetCause(e, Py_NewRef(c->close_cause));
    return e;
}

static const char *consistency_name(unsigned v)
{
    static const char *names[] = {"ANY",          "ONE",         "TWO",         "THREE",
                                  "QUORUM",       "ALL",         "LOCAL_QUORUM", "EACH_QUORUM",
                                  "SERIAL",       "LOCAL_SERIAL", "LOCAL_ONE"};
    return v < sizeof(names) / sizeof(names[0]) ? names[v] : "UNKNOWN";
}

/* ======================================================================== */
/* Socket I/O (no GIL needed)                                                */
/* ======================================================================== */

/* >0 bytes, 0 EOF, -1 would block, -2 error (errno, or a TLS error when
 * c->tls_error is set, message in tls_rmsg / tls_wmsg). */
static long io_recv(ConnObject *c, void *buf, size_t n)
{
    c->syscalls_recv++;
    if (c->tls) {
        long k = tls_read(c->tls, buf, n, c->tls_rmsg, sizeof(c->tls_rmsg));
        if (k >= 0)
            return k;
        if (k == -1 || k == -2) {
            c->tls_want_write = k == -2;
            return -1;
        }
        c->tls_error = 1;
        return -2;
    }
    ssize_t k;
    do {
        k = recv(c->fd, buf, n, 0);
    } while (k < 0 && errno == EINTR);
    if (k >= 0)
        return (long)k;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : -2;
}

static long io_send(ConnObject *c, const void *buf, size_t n)
{
    c->syscalls_send++;
    if (c->tls) {
        long k = tls_write(c->tls, buf, n, c->tls_wmsg, sizeof(c->tls_wmsg));
        if (k > 0)
            return k;
        if (k == -1 || k == -2) {
            c->tls_send_wants_read = k == -1;
            return -1;
        }
        c->tls_error = 2;
        return -2;
    }
    ssize_t k;
    do {
        k = send(c->fd, buf, n, MSG_NOSIGNAL);
    } while (k < 0 && errno == EINTR);
    if (k >= 0)
        return (long)k;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : -2;
}

/* Raise the error of a failed io_recv/io_send. */
static void raise_io_error(ConnObject *c, int err_no)
{
    if (c->tls_error) {
        PyErr_Format(c->st->connection_closed, "TLS: %s",
                     c->tls_error == 1 ? c->tls_rmsg : c->tls_wmsg);
        return;
    }
    errno = err_no;
    PyErr_SetFromErrno(PyExc_OSError);
}

static int ms_until(double deadline)
{
    double left = deadline - now_mono();
    if (left <= 0)
        return 0;
    if (left > 3600)
        return 3600 * 1000;
    return (int)(left * 1000.0) + 1;
}

/* Buffers that grew for one big frame go back to this size once empty. */
#define BUF_KEEP (1u << 20)

/* Make room for at least `want` bytes after rb->len (compacting first). */
static int rbuf_reserve(rbuf_t *rb, size_t want)
{
    if (rb->pos == rb->len) {
        rb->pos = rb->len = 0;
        if (rb->cap > BUF_KEEP && want <= BUF_KEEP) {
            free(rb->data);
            rb->data = NULL;
            rb->cap = 0;
        }
    } else if (rb->pos > 0 && rb->cap - rb->len < want) {
        memmove(rb->data, rb->data + rb->pos, rb->len - rb->pos);
        rb->len -= rb->pos;
        rb->pos = 0;
    }
    if (rb->cap - rb->len >= want)
        return 0;
    size_t cap = rb->cap ? rb->cap : 65536;
    while (cap - rb->len < want)
        cap *= 2;
    uint8_t *p = realloc(rb->data, cap);
    if (!p)
        return -1;
    rb->data = p;
    rb->cap = cap;
    return 0;
}

#define READ_CHUNK 65536
#define READ_CHUNK_MAX (4u << 20)

/* How much to ask recv for: the rest of a partially received large frame
 * (up to 4 MiB at a time), at least 64 KiB. */
static size_t read_want(const rbuf_t *rb)
{
    size_t have = rb->len - rb->pos;
    if (have >= CQL_HEADER_SIZE) {
        uint32_t body = cql_load_be32(rb->data + rb->pos + 5);
        size_t total = (size_t)body + CQL_HEADER_SIZE;
        if (total > have) {
            size_t rest = total - have;
            if (rest > READ_CHUNK_MAX)
                rest = READ_CHUNK_MAX;
            return rest > READ_CHUNK ? rest : READ_CHUNK;
        }
    }
    return READ_CHUNK;
}

/* ======================================================================== */
/* Prepared                                                                  */
/* ======================================================================== */

static void prepared_dealloc(PyObject *op)
{
    PreparedObject *p = (PreparedObject *)op;
    PyTypeObject *tp = Py_TYPE(op);
    Py_XDECREF(p->id);
    Py_XDECREF(p->query);
    Py_XDECREF(p->module);
    rowplan_free(p->bind);
    rowplan_free(p->result);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyObject *names_tuple(const rowplan *rp)
{
    if (!rp)
        return PyTuple_New(0);
    PyObject *t = PyTuple_New(rp->ncols);
    for (int32_t i = 0; t && i < rp->ncols; i++)
        PyTuple_SET_ITEM(t, i, Py_NewRef(rp->names[i]));
    return t;
}

static PyObject *types_tuple(const rowplan *rp)
{
    if (!rp)
        return PyTuple_New(0);
    PyObject *t = PyTuple_New(rp->ncols);
    for (int32_t i = 0; t && i < rp->ncols; i++)
        PyTuple_SET_ITEM(t, i, Py_NewRef(rp->cols[i]->tname));
    return t;
}

static PyObject *prepared_get_id(PyObject *op, void *c)
{
    (void)c;
    return Py_NewRef(((PreparedObject *)op)->id);
}

static PyObject *prepared_get_query(PyObject *op, void *c)
{
    (void)c;
    return Py_NewRef(((PreparedObject *)op)->query);
}

static PyObject *prepared_get_param_names(PyObject *op, void *c)
{
    (void)c;
    return names_tuple(((PreparedObject *)op)->bind);
}

static PyObject *prepared_get_param_types(PyObject *op, void *c)
{
    (void)c;
    return types_tuple(((PreparedObject *)op)->bind);
}

static PyObject *prepared_get_result_names(PyObject *op, void *c)
{
    (void)c;
    return names_tuple(((PreparedObject *)op)->result);
}

static PyObject *prepared_get_result_types(PyObject *op, void *c)
{
    (void)c;
    return types_tuple(((PreparedObject *)op)->result);
}

static PyObject *prepared_get_pk_indexes(PyObject *op, void *c)
{
    (void)c;
    const rowplan *rp = ((PreparedObject *)op)->bind;
    PyObject *t = PyTuple_New(rp->pk_count);
    for (int32_t i = 0; t && i < rp->pk_count; i++) {
        PyObject *v = PyLong_FromLong(rp->pk_indexes[i]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, v);
    }
    return t;
}

static PyObject *prepared_bind(PyObject *op, PyObject *params)
{
    PreparedObject *p = (PreparedObject *)op;
    bound_values b;
    bound_init(&b);
    PyObject *res = NULL;
    if (bound_encode(&b, p->bind, params) == 0) {
        bound_finish(&b);
        res = PyList_New((Py_ssize_t)b.n);
        for (size_t k = 0; res && k < b.n; k++) {
            PyObject *v = b.values[k].len < 0
                              ? Py_NewRef(Py_None)
                              : PyBytes_FromStringAndSize((const char *)b.values[k].p,
                                                          b.values[k].len);
            if (!v) {
                Py_CLEAR(res);
                break;
            }
            PyList_SET_ITEM(res, (Py_ssize_t)k, v);
        }
    }
    bound_free(&b);
    return res;
}

static PyObject *prepared_repr(PyObject *op)
{
    PreparedObject *p = (PreparedObject *)op;
    return PyUnicode_FromFormat("<Prepared %R, %d bind markers>", p->query, (int)p->bind->ncols);
}

static PyMethodDef prepared_methods[] = {
    {"bind", prepared_bind, METH_O,
     "bind(params) -> list[bytes | None]: the values as the server receives them\n"
     "(raises TypeError/ValueError naming the column and its CQL type)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef prepared_getset[] = {
    {"id", prepared_get_id, NULL, "the server's statement id", NULL},
    {"query", prepared_get_query, NULL, "the CQL text", NULL},
    {"param_names", prepared_get_param_names, NULL, "names of the bind markers", NULL},
    {"param_types", prepared_get_param_types, NULL, "CQL types of the bind markers", NULL},
    {"result_names", prepared_get_result_names, NULL, "names of the result columns", NULL},
    {"result_types", prepared_get_result_types, NULL, "CQL types of the result columns", NULL},
    {"pk_indexes", prepared_get_pk_indexes, NULL, "bind markers of the partition key", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot prepared_slots[] = {
    {Py_tp_dealloc, prepared_dealloc},
    {Py_tp_methods, prepared_methods},
    {Py_tp_getset, prepared_getset},
    {Py_tp_repr, prepared_repr},
    {Py_tp_doc, "A statement prepared on the server, with its decode plans (built once).\n"
                "Returned by Connection.prepare(); usable on any connection of the cluster."},
    {0, NULL},
};

PyType_Spec prepared_type_spec = {
    "coodie._native.Prepared",
    sizeof(PreparedObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    prepared_slots,
};

/* ======================================================================== */
/* Decoding replies                                                          */
/* ======================================================================== */

static PyObject *str_from(cql_str s)
{
    return PyUnicode_DecodeUTF8(s.p, (Py_ssize_t)s.len, "replace");
}

static int dict_set_str(PyObject *d, const char *k, PyObject *v /* stolen */)
{
    if (!v)
        return -1;
    int rc = PyDict_SetItemString(d, k, v);
    Py_DECREF(v);
    return rc;
}

/* An ERROR body as a cql.ServerError instance (NULL + exception on failure). */
static PyObject *server_error(ConnObject *c, cql_reader *body)
{
    native_state *st = c->st;
    cql_server_error e;
    cql_error err = {0, NULL};
    if (cql_decode_error(body, CQL_PROTOCOL_VERSION, &e, &err) != CQL_OK)
        return binding_core_error(st, "malformed ERROR message", &err);
    const char *name = cql_error_code_name(e.code);
    PyObject *info = PyDict_New();
    if (!info)
        return NULL;
    int rc = 0;
    switch (e.code) {
    case CQL_ERR_UNAVAILABLE:
        rc = dict_set_str(info, "consistency", PyUnicode_FromString(consistency_name(e.consistency))) |
             dict_set_str(info, "required", PyLong_FromLong(e.required)) |
             dict_set_str(info, "alive", PyLong_FromLong(e.alive));
        break;
    case CQL_ERR_WRITE_TIMEOUT:
    case CQL_ERR_READ_TIMEOUT:
    case CQL_ERR_READ_FAILURE:
    case CQL_ERR_WRITE_FAILURE:
    case CQL_ERR_CAS_WRITE_UNKNOWN:
        rc = dict_set_str(info, "consistency", PyUnicode_FromString(consistency_name(e.consistency))) |
             dict_set_str(info, "received", PyLong_FromLong(e.received)) |
             dict_set_str(info, "block_for", PyLong_FromLong(e.block_for));
        if (e.code == CQL_ERR_READ_FAILURE || e.code == CQL_ERR_WRITE_FAILURE)
            rc |= dict_set_str(info, "failures", PyLong_FromLong(e.num_failures));
        if (e.code == CQL_ERR_READ_TIMEOUT || e.code == CQL_ERR_READ_FAILURE)
            rc |= dict_set_str(info, "data_present", PyBool_FromLong(e.data_present));
        if (e.code == CQL_ERR_WRITE_TIMEOUT || e.code == CQL_ERR_WRITE_FAILURE)
            rc |= dict_set_str(info, "write_type", str_from(e.write_type));
        break;
    case CQL_ERR_ALREADY_EXISTS:
        rc = dict_set_str(info, "keyspace", str_from(e.keyspace)) |
             dict_set_str(info, "table", str_from(e.table));
        break;
    case CQL_ERR_FUNCTION_FAILURE:
        rc = dict_set_str(info, "keyspace", str_from(e.keyspace)) |
             dict_set_str(info, "function", str_from(e.function));
        break;
    case CQL_ERR_UNPREPARED:
        rc = dict_set_str(info, "id", PyBytes_FromStringAndSize((const char *)e.unprepared_id.p,
                                                               e.unprepared_id.len));
        break;
    default:
        break;
    }
    if (rc != 0) {
        Py_DECREF(info);
        return NULL;
    }
    PyObject *message = str_from(e.message);
    if (!message) {
        Py_DECREF(info);
        return NULL;
    }
    /* "Unavailable (0x1000): <server text> [consistency=THREE, required=3, alive=1]" */
    PyObject *text;
    if (PyDict_GET_SIZE(info) > 0 && e.code != CQL_ERR_UNPREPARED) {
        PyObject *parts = PyList_New(0);
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (parts && PyDict_Next(info, &pos, &k, &v)) {
            PyObject *one = PyUnicode_FromFormat("%U=%S", k, v);
            if (!one || PyList_Append(parts, one) < 0)
                Py_CLEAR(parts);
            Py_XDECREF(one);
        }
        PyObject *sep = parts ? PyUnicode_FromString(", ") : NULL;
        PyObject *joined = sep ? PyUnicode_Join(sep, parts) : NULL;
        Py_XDECREF(sep);
        Py_XDECREF(parts);
        text = joined ? PyUnicode_FromFormat("%s (0x%04x): %U [%U]", name, (unsigned)e.code,
                                             message, joined)
                      : NULL;
        Py_XDECREF(joined);
    } else {
        text = PyUnicode_FromFormat("%s (0x%04x): %U", name, (unsigned)e.code, message);
    }
    PyObject *exc = text ? PyObject_CallOneArg(st->server_error, text) : NULL;
    Py_XDECREF(text);
    if (exc) {
        PyObject *code = PyLong_FromLong(e.code), *nm = PyUnicode_FromString(name);
        if (!code || !nm || PyObject_SetAttrString(exc, "code", code) < 0 ||
            PyObject_SetAttrString(exc, "name", nm) < 0 ||
            PyObject_SetAttrString(exc, "message", message) < 0 ||
            PyObject_SetAttrString(exc, "info", info) < 0)
            Py_CLEAR(exc);
        Py_XDECREF(code);
        Py_XDECREF(nm);
    }
    Py_DECREF(message);
    Py_DECREF(info);
    return exc;
}

static PyObject *schema_change_tuple(const cql_schema_change *sc)
{
    return Py_BuildValue("(NNNN)", str_from(sc->change_type), str_from(sc->target),
                         str_from(sc->keyspace), str_from(sc->name));
}

static PyObject *new_prepared(ConnObject *c, cql_result *res, PyObject *query)
{
    native_state *st = c->st;
    PreparedObject *p = PyObject_New(PreparedObject, (PyTypeObject *)st->prepared_type);
    if (!p)
        return NULL;
    p->st = st;
    p->module = Py_NewRef(c->module);
    p->id = PyBytes_FromStringAndSize((const char *)res->prepared_id.p,
                                      res->prepared_id.len < 0 ? 0 : res->prepared_id.len);
    p->query = Py_NewRef(query ? query : Py_None);
    p->bind = NULL;
    p->result = NULL;
    if (!p->id)
        goto fail;
    if (res->metadata.column_count > 0 && !res->metadata.columns) {
        PyErr_SetString(st->protocol_error, "prepared metadata without column specs");
        goto fail;
    }
    if (!(p->bind = rowplan_build(st, &res->metadata)))
        goto fail;
    if (res->result_metadata.column_count > 0 && res->result_metadata.columns &&
        !(res->result_metadata.flags & CQL_MF_NO_METADATA)) {
        if (!(p->result = rowplan_build(st, &res->result_metadata)))
            goto fail;
    }
    return (PyObject *)p;
fail:
    Py_DECREF(p);
    return NULL;
}

/* A RESULT body as the value of the request (new reference) or NULL. */
static PyObject *decode_result(ConnObject *c, req *r, cql_reader *body)
{
    native_state *st = c->st;
    cql_result res;
    cql_error err = {0, NULL};
    cql_result_init(&res);
    PyObject *out = NULL;
    if (cql_decode_result(body, &res, &err) != CQL_OK) {
        binding_core_error(st, "malformed RESULT message", &err);
        goto done;
    }
    if (r->kind == K_PREPARE) {
        if (res.kind != CQL_RESULT_PREPARED) {
            PyErr_Format(st->protocol_error, "PREPARE answered with result kind %d", (int)res.kind);
            goto done;
        }
        out = new_prepared(c, &res, r->ctx);
        goto done;
    }
    switch (res.kind) {
    case CQL_RESULT_ROWS: {
        const rowplan *rp = NULL;
        rowplan *owned = NULL;
        if (res.metadata.columns) {
            owned = rowplan_build(st, &res.metadata);
            if (!owned)
                goto done;
            rp = owned;
        } else if (r->kind == K_EXECUTE && ((PreparedObject *)r->ctx)->result) {
            rp = ((PreparedObject *)r->ctx)->result;
        } else if (res.metadata.column_count == 0) {
            rp = NULL;
        } else {
            PyErr_SetString(st->protocol_error, "rows without metadata to decode them with");
            goto done;
        }
        PyObject *rows;
        if (rp)
            rows = rowplan_decode_rows(st, rp, &res.rows, res.rows_count, res.metadata.column_count);
        else if (res.rows_count == 0)
            rows = PyList_New(0);
        else {
            PyErr_SetString(st->protocol_error, "rows without columns");
            rows = NULL;
        }
        rowplan_free(owned);
        if (!rows)
            goto done;
        PyObject *paging = res.metadata.paging_state
                               ? PyBytes_FromStringAndSize((const char *)res.metadata.paging_state,
                                                           (Py_ssize_t)res.metadata.paging_state_len)
                               : Py_NewRef(Py_None);
        if (!paging) {
            Py_DECREF(rows);
            goto done;
        }
        out = PyTuple_Pack(3, rows, paging, Py_None);
        Py_DECREF(rows);
        Py_DECREF(paging);
        break;
    }
    case CQL_RESULT_VOID:
        out = Py_BuildValue("(NOO)", PyList_New(0), Py_None, Py_None);
        break;
    case CQL_RESULT_SET_KEYSPACE:
        out = Py_BuildValue("(NON)", PyList_New(0), Py_None, str_from(res.keyspace));
        break;
    case CQL_RESULT_SCHEMA_CHANGE:
        out = Py_BuildValue("(NON)", PyList_New(0), Py_None, schema_change_tuple(&res.schema_change));
        break;
    default:
        PyErr_Format(st->protocol_error, "unexpected result kind %d", (int)res.kind);
        break;
    }
done:
    cql_result_free(&res);
    return out;
}

static PyObject *supported_dict(ConnObject *c, cql_reader *body)
{
    cql_map_iter m;
    cql_error err = {0, NULL};
    if (cql_decode_supported(body, &m, &err) != CQL_OK)
        return binding_core_error(c->st, "malformed SUPPORTED message", &err);
    PyObject *d = PyDict_New();
    cql_str k;
    cql_string_list vals;
    while (d && cql_string_multimap_next(&m, &k, &vals)) {
        PyObject *key = str_from(k), *lst = PyList_New(0);
        cql_str s;
        int ok = key && lst;
        while (ok && cql_string_list_next(&vals, &s)) {
            PyObject *v = str_from(s);
            ok = v && PyList_Append(lst, v) == 0;
            Py_XDECREF(v);
        }
        if (!ok || PyDict_SetItem(d, key, lst) < 0)
            Py_CLEAR(d);
        Py_XDECREF(key);
        Py_XDECREF(lst);
    }
    return d;
}

/* The value (or exception instance, *is_error = 1) a reply gives its request.
 * Never NULL. */
static PyObject *decode_reply(ConnObject *c, req *r, const cql_frame *f, cql_reader *body,
                              int *is_error)
{
    native_state *st = c->st;
    PyObject *v = NULL;
    cql_error err = {0, NULL};
    *is_error = 0;
    uint8_t op = f->h.opcode;
    if (op == CQL_OP_ERROR) {
        v = server_error(c, body);
        if (v) {
            *is_error = 1;
            return v;
        }
        goto raised;
    }
    switch (r->kind) {
    case K_OPTIONS:
        if (op == CQL_OP_SUPPORTED)
            v = supported_dict(c, body);
        break;
    case K_STARTUP:
        if (op == CQL_OP_READY) {
            v = Py_NewRef(Py_None);
            if (c->want_lz4) {
                c->lz4 = 1;
                c->compress_out = 1;
            }
        } else if (op == CQL_OP_AUTHENTICATE) {
            cql_str cls;
            if (cql_decode_authenticate(body, &cls, &err) != CQL_OK) {
                binding_core_error(st, "malformed AUTHENTICATE message", &err);
                goto raised;
            }
            if (c->want_lz4)
                c->lz4 = 1;
            v = str_from(cls);
        }
        break;
    case K_AUTH:
        if (op == CQL_OP_AUTH_CHALLENGE || op == CQL_OP_AUTH_SUCCESS) {
            cql_bytes tok;
            if (cql_decode_auth_token(body, &tok, &err) != CQL_OK) {
                binding_core_error(st, "malformed authentication message", &err);
                goto raised;
            }
            PyObject *t = tok.len < 0 ? Py_NewRef(Py_None)
                                      : PyBytes_FromStringAndSize((const char *)tok.p, tok.len);
            if (!t)
                goto raised;
            if (op == CQL_OP_AUTH_SUCCESS && c->lz4)
                c->compress_out = 1;
            v = Py_BuildValue("(sN)", op == CQL_OP_AUTH_SUCCESS ? "success" : "challenge", t);
        }
        break;
    case K_REGISTER:
        if (op == CQL_OP_READY)
            v = Py_NewRef(Py_None);
        break;
    default:
        if (op == CQL_OP_RESULT)
            v = decode_result(c, r, body);
        break;
    }
    if (v)
        return v;
    if (!PyErr_Occurred()) {
        const char *name = cql_opcode_name(op);
        PyErr_Format(st->protocol_error, "unexpected %s message in reply", name ? name : "unknown");
    }
raised:
    *is_error = 1;
    return fetch_exc();
}

/* ======================================================================== */
/* Completing requests                                                       */
/* ======================================================================== */

static void dl_unlink(req *r)
{
    if (r->next) {
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->next = r->prev = NULL;
    }
}

static void dl_append(ConnObject *c, req *r)
{
    r->prev = c->dl.prev;
    r->next = &c->dl;
    c->dl.prev->next = r;
    c->dl.prev = r;
}

static void bl_append(ConnObject *c, req *r)
{
    r->bprev = c->bl.bprev;
    r->bnext = &c->bl;
    c->bl.bprev->bnext = r;
    c->bl.bprev = r;
    r->backlogged = 1;
    c->bl_len++;
}

static void bl_unlink(ConnObject *c, req *r)
{
    if (!r->backlogged)
        return;
    r->bprev->bnext = r->bnext;
    r->bnext->bprev = r->bprev;
    r->bnext = r->bprev = NULL;
    r->backlogged = 0;
    c->bl_len--;
    PyMem_Free(r->frame);
    r->frame = NULL;
}

static req *req_alloc(ConnObject *c)
{
    req *r = c->free_reqs;
    if (r) {
        c->free_reqs = r->next;
        c->nfree_reqs--;
    } else {
        r = PyMem_Malloc(sizeof(req));
        if (!r) {
            PyErr_NoMemory();
            return NULL;
        }
    }
    memset(r, 0, sizeof(*r));
    return r;
}

static void req_release(ConnObject *c, req *r)
{
    Py_CLEAR(r->fut);
    Py_CLEAR(r->ctx);
    Py_CLEAR(r->result);
    if (c->nfree_reqs < 256) {
        r->next = c->free_reqs;
        c->free_reqs = r;
        c->nfree_reqs++;
    } else {
        PyMem_Free(r);
    }
}

/* Hand a value (or exception instance) to its request; steals `v`. */
static void complete_req(ConnObject *c, req *r, PyObject *v, int is_error)
{
    if (c->mode == MODE_ASYNC) {
        dl_unlink(r);
        bl_unlink(c, r);
        PyObject *fut = r->fut;
        PyObject *args[2] = {fut, v};
        PyObject *res = PyObject_VectorcallMethod(
            is_error ? c->st->s_set_exception : c->st->s_set_result, args,
            2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        if (res)
            Py_DECREF(res);
        else
            PyErr_Clear(); /* cancelled by its awaiter: nobody wants the value */
        Py_DECREF(v);
        req_release(c, r);
        return;
    }
    /* Blocking: the waiter owns r (on its stack) and collects the result. */
    r->result = v;
    r->is_error = (uint8_t)is_error;
    pthread_mutex_lock(&c->mu);
    r->state = R_DONE;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void close_fd_now(ConnObject *c)
{
    if (!c->fd_closed && c->fd >= 0) {
        if (c->tls)
            tls_shutdown(c->tls);
        close(c->fd);
        c->fd_closed = 1;
    }
}

static void async_unwatch(ConnObject *c);

/* Close the connection: fail every pending request. cause may be NULL (a
 * plain close()); it is borrowed. */
static void conn_fail(ConnObject *c, PyObject *cause)
{
    if (c->closed)
        return;
    c->closed = 1;
    if (cause)
        c->close_cause = Py_NewRef(cause);
    if (c->mode == MODE_ASYNC)
        async_unwatch(c);
    for (uint32_t id = 0; id < c->streams.capacity; id++) {
        cql_stream_slot *sl = &c->streams.slots[id];
        if (sl->state == CQL_STREAM_FREE)
            continue;
        void *data;
        int state = cql_streams_complete(&c->streams, (int16_t)id, &data);
        if (state != CQL_STREAM_IN_USE || !data)
            continue;
        PyObject *e = closed_error(c);
        if (!e)
            e = fetch_exc();
        complete_req(c, (req *)data, e, 1);
    }
    while (c->bl.bnext != &c->bl) {
        PyObject *e = closed_error(c);
        if (!e)
            e = fetch_exc();
        complete_req(c, c->bl.bnext, e, 1);
    }
    if (c->mode == MODE_ASYNC) {
        close_fd_now(c);
    } else {
        pthread_mutex_lock(&c->mu);
        if (c->io_users == 0 && !c->reading)
            close_fd_now(c);
        else if (c->fd >= 0)
            shutdown(c->fd, SHUT_RDWR); /* wakes the threads in poll; last one closes */
        pthread_mutex_unlock(&c->mu);
    }
}

/* conn_fail with the pending exception as cause (the exception is consumed). */
static void conn_fail_raised(ConnObject *c)
{
    PyObject *e = fetch_exc();
    conn_fail(c, e);
    Py_DECREF(e);
}

/* conn_fail with the pending exception as cause, which stays raised. */
static void conn_fail_reraise(ConnObject *c)
{
    PyObject *e = fetch_exc();
    conn_fail(c, e);
    raise_exc(e);
}

/* ======================================================================== */
/* Frames in                                                                 */
/* ======================================================================== */

static void deliver_event(ConnObject *c, cql_reader *body)
{
    if (!c->event_handler)
        return;
    cql_event ev;
    cql_error err = {0, NULL};
    if (cql_decode_event(body, &ev, &err) != CQL_OK)
        return;
    PyObject *arg = NULL;
    if (ev.type == CQL_EVENT_SCHEMA_CHANGE) {
        arg = Py_BuildValue("(sN)", "SCHEMA_CHANGE", schema_change_tuple(&ev.schema));
    } else {
        PyObject *addr = PyBytes_FromStringAndSize((const char *)ev.addr, ev.addr_len);
        arg = Py_BuildValue("(sNNi)",
                            ev.type == CQL_EVENT_TOPOLOGY_CHANGE ? "TOPOLOGY_CHANGE" : "STATUS_CHANGE",
                            str_from(ev.change), addr, (int)ev.port);
    }
    if (!arg) {
        PyErr_WriteUnraisable((PyObject *)c);
        return;
    }
    PyObject *res = PyObject_CallOneArg(c->event_handler, arg);
    Py_DECREF(arg);
    if (res)
        Py_DECREF(res);
    else
        PyErr_WriteUnraisable(c->event_handler);
}

/* One complete frame. Returns -1 (exception set) if the connection must close. */
static int handle_frame(ConnObject *c, const cql_frame *f)
{
    native_state *st = c->st;
    cql_error err = {0, NULL};
    c->recv_frames++;
    if (f->h.version != (CQL_VERSION_RESPONSE | CQL_PROTOCOL_VERSION)) {
        PyErr_Format(st->protocol_error, "reply frame has version byte 0x%02x, expected 0x%02x",
                     (unsigned)f->h.version, (unsigned)(CQL_VERSION_RESPONSE | CQL_PROTOCOL_VERSION));
        return -1;
    }
    cql_reader body = cql_reader_make(f->body, f->h.length);
    if (f->h.flags & CQL_FLAG_COMPRESSION) {
        if (!c->lz4 && !c->want_lz4) {
            PyErr_SetString(st->protocol_error, "compressed frame but no compression was agreed");
            return -1;
        }
        cql_wr_reset(&c->zbuf);
        if (cql_lz4_decompress(f->body, f->h.length, c->max_body, &c->zbuf, &err) != CQL_OK) {
            binding_core_error(st, "bad LZ4 frame body", &err);
            return -1;
        }
        body = cql_reader_make(c->zbuf.data, c->zbuf.len);
    }
    if (f->h.stream < 0) {
        if (f->h.opcode == CQL_OP_EVENT) {
            cql_prelude pre;
            if (cql_read_prelude(f->h.flags, &body, &pre, &err) == CQL_OK)
                deliver_event(c, &body);
        }
        return 0;
    }
    void *data;
    int state = cql_streams_complete(&c->streams, f->h.stream, &data);
    if (state == CQL_STREAM_FREE) {
        PyErr_Format(st->protocol_error, "reply on stream %d, which has no request",
                     (int)f->h.stream);
        return -1;
    }
    if (state == CQL_STREAM_ORPHANED || !data)
        return 0; /* its request timed out: drop the late reply */
    req *r = (req *)data;
    PyObject *v;
    int is_error;
    if (r->has_deadline && now_mono() > r->deadline) {
        v = make_exc(st->timed_out, "no reply within the request timeout");
        if (!v)
            v = fetch_exc();
        is_error = 1;
    } else {
        cql_prelude pre;
        if (cql_read_prelude(f->h.flags, &body, &pre, &err) != CQL_OK) {
            binding_core_error(st, "malformed reply prelude", &err);
            v = fetch_exc();
            is_error = 1;
        } else {
            v = decode_reply(c, r, f, &body, &is_error);
        }
    }
    if (c->zbuf.cap > BUF_KEEP)
        cql_wr_free(&c->zbuf);
    complete_req(c, r, v, is_error);
    return 0;
}

/* Every complete frame in the read buffer. Returns -1 if the connection must
 * close (exception set). */
static int process_input(ConnObject *c)
{
    for (;;) {
        if (c->closed)
            return 0;
        cql_frame f;
        size_t used;
        cql_error err = {0, NULL};
        rbuf_t *rb = &c->rb;
        int rc = cql_frame_next(rb->data + rb->pos, rb->len - rb->pos, c->max_body, &f, &used, &err);
        if (rc == CQL_AGAIN)
            return 0;
        if (rc != CQL_OK) {
            binding_core_error(c->st, "cannot read reply frame", &err);
            return -1;
        }
        rb->pos += used; /* the body stays valid: nothing below moves the buffer */
        if (handle_frame(c, &f) < 0)
            return -1;
    }
}

/* ======================================================================== */
/* Encoding requests                                                         */
/* ======================================================================== */

typedef struct op {
    uint8_t kind;
    double timeout;         /* <= 0: none */
    PyObject *cql;          /* str: QUERY, PREPARE */
    PyObject *prepared;     /* EXECUTE */
    PyObject *params;
    int consistency;
    int page_size;          /* <= 0: none */
    PyObject *paging_state; /* bytes or NULL */
    int serial;             /* < 0: none */
    int has_ts;
    long long ts;
    int batch_type;
    PyObject *stmts;        /* BATCH: sequence of (Prepared | str, params) */
    PyObject *dict;         /* STARTUP options */
    PyObject *token;        /* AUTH */
    PyObject *events;       /* REGISTER */
} op_t;

static int encode_fail(ConnObject *c, const cql_error *err)
{
    if (err->code == CQL_ENOMEM) {
        PyErr_NoMemory();
        return -1;
    }
    PyErr_Format(PyExc_ValueError, "cannot encode the request: %s",
                 err->msg ? err->msg : cql_strerror(err->code));
    (void)c;
    return -1;
}

static int fill_query_params(op_t *o, cql_query_params *qp)
{
    memset(qp, 0, sizeof(*qp));
    qp->consistency = (uint16_t)o->consistency;
    qp->page_size = o->page_size > 0 ? o->page_size : 0;
    if (o->paging_state) {
        qp->paging_state = (const uint8_t *)PyBytes_AS_STRING(o->paging_state);
        qp->paging_state_len = (size_t)PyBytes_GET_SIZE(o->paging_state);
    }
    if (o->serial >= 0) {
        qp->has_serial_consistency = 1;
        qp->serial_consistency = (uint16_t)o->serial;
    }
    if (o->has_ts) {
        qp->has_timestamp = 1;
        qp->timestamp = o->ts;
    }
    return 0;
}

/* Append the frame of o (stream id s) to w. -1 with an exception on failure
 * (w unchanged). bv is scratch space for bound values. */
static int encode_op(ConnObject *c, op_t *o, cql_writer *w, int16_t s, bound_values *bv)
{
    cql_request rq = {0, 0, s, NULL, 0};
    cql_error err = {0, NULL};
    int rc;
    switch (o->kind) {
    case K_OPTIONS:
        rc = cql_encode_options(w, &rq, &err);
        break;
    case K_STARTUP: {
        Py_ssize_t n = PyDict_GET_SIZE(o->dict), i = 0, pos = 0;
        cql_str *kv = PyMem_Calloc((size_t)(n ? n : 1) * 2, sizeof(cql_str));
        if (!kv) {
            PyErr_NoMemory();
            return -1;
        }
        PyObject *k, *v;
        while (PyDict_Next(o->dict, &pos, &k, &v)) {
            Py_ssize_t kl, vl;
            const char *ks = PyUnicode_Check(k) ? PyUnicode_AsUTF8AndSize(k, &kl) : NULL;
            const char *vs = PyUnicode_Check(v) ? PyUnicode_AsUTF8AndSize(v, &vl) : NULL;
            if (!ks || !vs) {
                PyMem_Free(kv);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "STARTUP options must be str -> str");
                return -1;
            }
            kv[2 * i] = (cql_str){ks, (size_t)kl};
            kv[2 * i + 1] = (cql_str){vs, (size_t)vl};
            i++;
        }
        rc = cql_encode_startup(w, &rq, kv, (size_t)i, &err);
        PyMem_Free(kv);
        break;
    }
    case K_AUTH: {
        if (o->token == Py_None) {
            rc = cql_encode_auth_response(w, &rq, NULL, -1, &err);
        } else {
            rc = cql_encode_auth_response(w, &rq, (const uint8_t *)PyBytes_AS_STRING(o->token),
                                          (int32_t)PyBytes_GET_SIZE(o->token), &err);
        }
        break;
    }
    case K_REGISTER: {
        Py_ssize_t n = PyList_GET_SIZE(o->events);
        cql_str *ev = PyMem_Calloc((size_t)(n ? n : 1), sizeof(cql_str));
        if (!ev) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t len;
            const char *s2 = PyUnicode_AsUTF8AndSize(PyList_GET_ITEM(o->events, i), &len);
            if (!s2) {
                PyMem_Free(ev);
                return -1;
            }
            ev[i] = (cql_str){s2, (size_t)len};
        }
        rc = cql_encode_register(w, &rq, ev, (size_t)n, &err);
        PyMem_Free(ev);
        break;
    }
    case K_QUERY: {
        Py_ssize_t len;
        const char *q = PyUnicode_AsUTF8AndSize(o->cql, &len);
        if (!q)
            return -1;
        cql_query_params qp;
        fill_query_params(o, &qp);
        rc = cql_encode_query(w, &rq, (cql_str){q, (size_t)len}, &qp, &err);
        break;
    }
    case K_PREPARE: {
        Py_ssize_t len;
        const char *q = PyUnicode_AsUTF8AndSize(o->cql, &len);
        if (!q)
            return -1;
        rc = cql_encode_prepare(w, &rq, (cql_str){q, (size_t)len}, &err);
        break;
    }
    case K_EXECUTE: {
        PreparedObject *p = (PreparedObject *)o->prepared;
        bound_reset(bv);
        if (bound_encode(bv, p->bind, o->params) < 0)
            return -1;
        bound_finish(bv);
        cql_query_params qp;
        fill_query_params(o, &qp);
        qp.values = bv->values;
        qp.value_count = bv->n;
        if (!qp.values && bv->n == 0)
            qp.values = NULL;
        qp.skip_metadata = p->result != NULL;
        rc = cql_encode_execute(w, &rq, (const uint8_t *)PyBytes_AS_STRING(p->id),
                                (size_t)PyBytes_GET_SIZE(p->id), &qp, &err);
        break;
    }
    case K_BATCH: {
        PyObject *seq = PySequence_Fast(o->stmts, "batch statements must be a sequence");
        if (!seq)
            return -1;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        cql_batch_stmt *stmts = PyMem_Calloc((size_t)(n ? n : 1), sizeof(cql_batch_stmt));
        size_t *first = PyMem_Calloc((size_t)(n ? n : 1), sizeof(size_t));
        if (!stmts || !first) {
            PyMem_Free(stmts);
            PyMem_Free(first);
            Py_DECREF(seq);
            PyErr_NoMemory();
            return -1;
        }
        bound_reset(bv);
        rc = CQL_OK;
        int failed = 0;
        for (Py_ssize_t i = 0; i < n && !failed; i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
                PyErr_SetString(PyExc_TypeError, "batch items must be (Prepared | str, params) tuples");
                failed = 1;
                break;
            }
            PyObject *stmt = PyTuple_GET_ITEM(item, 0), *params = PyTuple_GET_ITEM(item, 1);
            first[i] = bv->n;
            if (Py_IS_TYPE(stmt, (PyTypeObject *)c->st->prepared_type)) {
                PreparedObject *p = (PreparedObject *)stmt;
                if (bound_encode(bv, p->bind, params) < 0) {
                    failed = 1;
                    break;
                }
                stmts[i].is_prepared = 1;
                stmts[i].query = (const uint8_t *)PyBytes_AS_STRING(p->id);
                stmts[i].query_len = (size_t)PyBytes_GET_SIZE(p->id);
            } else if (PyUnicode_Check(stmt)) {
                if (params != Py_None && !(PySequence_Check(params) && PySequence_Size(params) == 0)) {
                    PyErr_SetString(PyExc_TypeError,
                                    "a batch statement with bind values must be prepared");
                    failed = 1;
                    break;
                }
                Py_ssize_t len;
                const char *q = PyUnicode_AsUTF8AndSize(stmt, &len);
                if (!q) {
                    failed = 1;
                    break;
                }
                stmts[i].is_prepared = 0;
                stmts[i].query = (const uint8_t *)q;
                stmts[i].query_len = (size_t)len;
            } else {
                PyErr_Format(PyExc_TypeError, "batch statement must be Prepared or str, not %.100s",
                             Py_TYPE(stmt)->tp_name);
                failed = 1;
            }
        }
        if (!failed) {
            bound_finish(bv);
            for (Py_ssize_t i = 0; i < n; i++) {
                size_t end = i + 1 < n ? first[i + 1] : bv->n;
                stmts[i].values = bv->values ? bv->values + first[i] : NULL;
                stmts[i].value_count = end - first[i];
            }
            cql_batch_params bp;
            memset(&bp, 0, sizeof(bp));
            bp.type = (uint8_t)o->batch_type;
            bp.consistency = (uint16_t)o->consistency;
            if (o->serial >= 0) {
                bp.has_serial_consistency = 1;
                bp.serial_consistency = (uint16_t)o->serial;
            }
            if (o->has_ts) {
                bp.has_timestamp = 1;
                bp.timestamp = o->ts;
            }
            rc = cql_encode_batch(w, &rq, stmts, (size_t)n, &bp, &err);
        }
        PyMem_Free(stmts);
        PyMem_Free(first);
        Py_DECREF(seq);
        if (failed)
            return -1;
        break;
    }
    default:
        PyErr_SetString(PyExc_SystemError, "unknown request kind");
        return -1;
    }
    if (rc != CQL_OK)
        return encode_fail(c, &err);
    return 0;
}

/* Compress the frame that starts at off if worth it (after READY). */
static int maybe_compress(ConnObject *c, cql_writer *w, size_t off)
{
    if (!c->compress_out || w->len - off - CQL_HEADER_SIZE < c->compress_min)
        return 0;
    cql_error err = {0, NULL};
    if (cql_lz4_compress_frame(w, off, &err) != CQL_OK)
        return encode_fail(c, &err);
    return 0;
}

/* ======================================================================== */
/* Blocking mode                                                             */
/* ======================================================================== */

/* Send all of p[0..n) (GIL released inside) before the deadline (0: none).
 * 0, or -1 with an exception. */
static int sync_send(ConnObject *c, const uint8_t *p, size_t n, double deadline)
{
    long k = 0;
    int err_no = 0;
    int failed = 0;
    pthread_mutex_lock(&c->mu); /* with the GIL: conn_fail cannot run in between */
    if (c->closed) {
        pthread_mutex_unlock(&c->mu);
        PyErr_SetString(c->st->connection_closed, "the connection is closed");
        return -1;
    }
    c->io_users++;
    pthread_mutex_unlock(&c->mu);
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&c->wmu);
    while (n > 0) {
        k = io_send(c, p, n);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
        } else if (k == -1) {
            int wait_ms = 1000;
            if (deadline > 0) {
                wait_ms = ms_until(deadline);
                if (wait_ms == 0) {
                    err_no = ETIMEDOUT;
                    failed = 1;
                    break;
                }
                if (wait_ms > 1000)
                    wait_ms = 1000;
            }
            struct pollfd pfd = {c->fd, (short)(c->tls_send_wants_read ? POLLIN : POLLOUT), 0};
            if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
                err_no = errno;
                failed = 1;
                break;
            }
            if (pfd.revents & (POLLERR | POLLNVAL)) {
                err_no = EPIPE;
                failed = 1;
                break;
            }
            if (c->closed) {
                err_no = EPIPE;
                failed = 1;
                break;
            }
        } else {
            err_no = errno;
            failed = 1;
            break;
        }
    }
    pthread_mutex_unlock(&c->wmu);
    pthread_mutex_lock(&c->mu);
    c->io_users--;
    if (c->closed && c->io_users == 0 && !c->reading)
        close_fd_now(c);
    pthread_mutex_unlock(&c->mu);
    Py_END_ALLOW_THREADS
    if (failed) {
        raise_io_error(c, err_no);
        return -1;
    }
    c->sent_frames++;
    return 0;
}

/* The read role: poll + recv once (GIL released), then process frames.
 * Returns 0 (keep waiting) or -1 if the connection closed (requests failed). */
static int sync_read_once(ConnObject *c, int timeout_ms)
{
    rbuf_t *rb = &c->rb;
    if (rbuf_reserve(rb, read_want(rb)) < 0) {
        PyErr_NoMemory();
        conn_fail_raised(c);
        return -1;
    }
    long k = 0;
    int err_no = 0, ready = 0;
    int buffered = c->tls && tls_pending(c->tls) > 0;
    short events = (short)(POLLIN | (c->tls_want_write ? POLLOUT : 0));
    Py_BEGIN_ALLOW_THREADS
    struct pollfd pfd = {c->fd, events, 0};
    int pr = buffered ? 1 : poll(&pfd, 1, timeout_ms);
    if (pr > 0) {
        ready = 1;
        k = io_recv(c, rb->data + rb->len, rb->cap - rb->len);
        if (k == -2)
            err_no = errno;
    } else if (pr < 0 && errno != EINTR) {
        ready = 1;
        k = -2;
        err_no = errno;
    }
    Py_END_ALLOW_THREADS
    if (!ready || k == -1)
        return 0;
    if (k > 0) {
        rb->len += (size_t)k;
        if (process_input(c) < 0) {
            conn_fail_raised(c);
            return -1;
        }
        return 0;
    }
    if (c->closed)
        return -1;
    if (k == 0)
        PyErr_SetString(c->st->connection_closed, "the server closed the connection");
    else
        raise_io_error(c, err_no);
    conn_fail_raised(c);
    return -1;
}

/* Wait for r (stack-allocated, registered in the stream table). Returns the
 * request's value (new reference) or NULL with an exception. */
static PyObject *sync_wait(ConnObject *c, req *r)
{
    for (;;) {
        pthread_mutex_lock(&c->mu);
        if (r->state == R_DONE) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        int timed_out = r->has_deadline && now_mono() >= r->deadline;
        if (!timed_out && !c->reading && !c->closed) {
            c->reading = 1;
            pthread_mutex_unlock(&c->mu);
            (void)sync_read_once(c, r->has_deadline ? ms_until(r->deadline) : -1);
            PyObject *pending = PyErr_Occurred() ? fetch_exc() : NULL;
            pthread_mutex_lock(&c->mu);
            c->reading = 0;
            if (c->closed && c->io_users == 0)
                close_fd_now(c);
            pthread_cond_broadcast(&c->cv);
            pthread_mutex_unlock(&c->mu);
            Py_XDECREF(pending); /* already handed to every request by conn_fail */
            continue;
        }
        if (!timed_out) {
            Py_BEGIN_ALLOW_THREADS
            while (r->state != R_DONE && (c->reading || c->closed)) {
                if (r->has_deadline) {
                    double dl = r->deadline;
                    struct timespec ts;
                    ts.tv_sec = (time_t)dl;
                    ts.tv_nsec = (long)((dl - (double)ts.tv_sec) * 1e9);
                    if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT)
                        break;
                } else {
                    pthread_cond_wait(&c->cv, &c->mu);
                }
            }
            pthread_mutex_unlock(&c->mu);
            Py_END_ALLOW_THREADS
            continue;
        }
        pthread_mutex_unlock(&c->mu);
        /* Deadline passed and no reply yet: give up the stream id. If the
         * reply is being decoded right now (stale handle), wait for it. */
        void *data;
        if (cql_streams_orphan(&c->streams, r->stream, r->gen, &data) == CQL_OK) {
            PyErr_SetString(c->st->timed_out, "no reply within the request timeout");
            return NULL;
        }
        r->has_deadline = 0;
    }
    PyObject *v = r->result;
    r->result = NULL;
    if (r->is_error) {
        raise_exc(v);
        return NULL;
    }
    return v;
}

static PyObject *sync_run(ConnObject *c, op_t *o)
{
    if (c->mode != MODE_BLOCKING) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this connection is attached to an event loop: use the *_async methods");
        return NULL;
    }
    if (c->closed) {
        PyObject *e = closed_error(c);
        if (e)
            raise_exc(e);
        return NULL;
    }
    req r;
    memset(&r, 0, sizeof(r));
    r.kind = o->kind;
    if (o->timeout > 0) {
        r.has_deadline = 1;
        r.deadline = now_mono() + o->timeout;
    }
    if (o->kind == K_EXECUTE)
        r.ctx = o->prepared; /* borrowed: the caller holds it for the call */
    else if (o->kind == K_PREPARE)
        r.ctx = o->cql;
    /* Every stream id taken (by other threads): wait for a reply to free one. */
    while (cql_streams_acquire(&c->streams, &r, &r.stream, &r.gen) != CQL_OK) {
        if (c->closed) {
            PyObject *e = closed_error(c);
            if (e)
                raise_exc(e);
            return NULL;
        }
        if (r.has_deadline && now_mono() >= r.deadline) {
            PyErr_SetString(c->st->timed_out, "no free stream id within the request timeout");
            return NULL;
        }
        double until = now_mono() + 0.05;
        if (r.has_deadline && r.deadline < until)
            until = r.deadline;
        struct timespec ts;
        ts.tv_sec = (time_t)until;
        ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&c->mu);
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
        pthread_mutex_unlock(&c->mu);
        Py_END_ALLOW_THREADS
    }
    cql_writer w;
    cql_wr_init(&w);
    bound_values bv;
    bound_init(&bv);
    if (c->want_lz4 == 0 && o->kind == K_STARTUP) {
        PyObject *comp = PyDict_GetItemString(o->dict, "COMPRESSION");
        if (comp && PyUnicode_Check(comp) && PyUnicode_CompareWithASCIIString(comp, "lz4") == 0)
            c->want_lz4 = 1;
    }
    int rc = encode_op(c, o, &w, r.stream, &bv);
    if (rc == 0)
        rc = maybe_compress(c, &w, 0);
    bound_free(&bv);
    if (rc < 0) {
        cql_wr_free(&w);
        cql_streams_release(&c->streams, r.stream, r.gen);
        return NULL;
    }
    rc = sync_send(c, w.data, w.len, r.has_deadline ? r.deadline : 0);
    cql_wr_free(&w);
    if (rc < 0) {
        /* A partial frame may be on the wire: the connection is unusable. */
        conn_fail_raised(c); /* fails r too */
    }
    PyObject *res = sync_wait(c, &r);
    return res;
}

/* ======================================================================== */
/* Asyncio mode                                                              */
/* ======================================================================== */

static PyObject *call_loop(ConnObject *c, PyObject *name, PyObject *a, PyObject *b)
{
    PyObject *args[3] = {c->loop, a, b};
    size_t n = b ? 3 : (a ? 2 : 1);
    return PyObject_VectorcallMethod(name, args, n | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static int loop_is_closed(ConnObject *c)
{
    PyObject *args[1] = {c->loop};
    PyObject *r = PyObject_VectorcallMethod(c->st->s_is_closed, args,
                                            1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (!r) {
        PyErr_Clear();
        return 1;
    }
    int closed = PyObject_IsTrue(r) == 1;
    Py_DECREF(r);
    return closed;
}

static void async_unwatch(ConnObject *c)
{
    if (!c->loop)
        return;
    int closed = loop_is_closed(c);
    PyObject *fd = PyLong_FromLong(c->fd);
    if (!fd) {
        PyErr_Clear();
        return;
    }
    if (c->reader_added && !closed) {
        PyObject *r = call_loop(c, c->st->s_remove_reader, fd, NULL);
        Py_XDECREF(r);
    }
    if (c->writer_added && !closed) {
        PyObject *r = call_loop(c, c->st->s_remove_writer, fd, NULL);
        Py_XDECREF(r);
    }
    PyErr_Clear();
    c->reader_added = c->writer_added = 0;
    Py_DECREF(fd);
    if (c->tick_handle) {
        PyObject *args[1] = {c->tick_handle};
        PyObject *r = PyObject_VectorcallMethod(c->st->s_cancel, args,
                                                1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        Py_XDECREF(r);
        PyErr_Clear();
        Py_CLEAR(c->tick_handle);
    }
}

/* Write as much of wbuf as the socket takes. -1 (exception set) on a fatal error. */
static int async_flush(ConnObject *c)
{
    while (c->wpos < c->wbuf.len) {
        long k = io_send(c, c->wbuf.data + c->wpos, c->wbuf.len - c->wpos);
        if (k > 0) {
            c->wpos += (size_t)k;
            continue;
        }
        if (k == -1) {
            if (!c->writer_added) {
                PyObject *fd = PyLong_FromLong(c->fd);
                PyObject *r = fd ? call_loop(c, c->st->s_add_writer, fd, c->on_writable) : NULL;
                Py_XDECREF(fd);
                if (!r)
                    return -1;
                Py_DECREF(r);
                c->writer_added = 1;
            }
            return 0;
        }
        raise_io_error(c, errno);
        return -1;
    }
    if (c->wbuf.cap > BUF_KEEP)
        cql_wr_free(&c->wbuf);
    cql_wr_reset(&c->wbuf);
    c->wpos = 0;
    if (c->writer_added) {
        PyObject *fd = PyLong_FromLong(c->fd);
        PyObject *r = fd ? call_loop(c, c->st->s_remove_writer, fd, NULL) : NULL;
        Py_XDECREF(fd);
        if (!r)
            return -1;
        Py_DECREF(r);
        c->writer_added = 0;
    }
    return 0;
}

static int ensure_tick(ConnObject *c)
{
    if (c->tick_handle || c->dl.next == &c->dl)
        return 0;
    PyObject *delay = PyFloat_FromDouble(c->tick_interval);
    if (!delay)
        return -1;
    c->tick_handle = call_loop(c, c->st->s_call_later, delay, c->on_tick);
    Py_DECREF(delay);
    return c->tick_handle ? 0 : -1;
}

/* Every stream id is taken: encode the frame now (with stream 0), keep it
 * with its request, and send it when a reply frees an id (drain_backlog). */
static PyObject *async_backlog(ConnObject *c, req *r, op_t *o)
{
    cql_wr_reset(&c->scratch);
    if (encode_op(c, o, &c->scratch, 0, &c->bv) < 0 || maybe_compress(c, &c->scratch, 0) < 0) {
        req_release(c, r);
        return NULL;
    }
    r->frame = PyMem_Malloc(c->scratch.len);
    if (!r->frame) {
        req_release(c, r);
        return PyErr_NoMemory();
    }
    memcpy(r->frame, c->scratch.data, c->scratch.len);
    r->frame_len = c->scratch.len;
    if (c->scratch.cap > BUF_KEEP)
        cql_wr_free(&c->scratch);
    PyObject *fut = PyObject_CallNoArgs(c->create_future);
    if (!fut) {
        PyMem_Free(r->frame);
        r->frame = NULL;
        req_release(c, r);
        return NULL;
    }
    r->fut = Py_NewRef(fut);
    if (o->kind == K_EXECUTE)
        r->ctx = Py_NewRef(o->prepared);
    else if (o->kind == K_PREPARE)
        r->ctx = Py_NewRef(o->cql);
    bl_append(c, r);
    if (o->timeout > 0) {
        r->has_deadline = 1;
        r->deadline = now_mono() + o->timeout;
        dl_append(c, r);
        if (ensure_tick(c) < 0)
            PyErr_WriteUnraisable((PyObject *)c);
    }
    return fut;
}

/* Move backlogged requests onto the wire while stream ids are free. */
static void drain_backlog(ConnObject *c)
{
    int added = 0;
    while (c->bl.bnext != &c->bl && c->streams.nfree > 0 && !c->closed) {
        req *r = c->bl.bnext;
        uint8_t *frame = r->frame;
        size_t len = r->frame_len;
        r->frame = NULL;
        bl_unlink(c, r);
        if (cql_streams_acquire(&c->streams, r, &r->stream, &r->gen) != CQL_OK) {
            PyMem_Free(frame); /* cannot happen: nfree > 0 */
            continue;
        }
        cql_store_be16(frame + 2, (uint16_t)r->stream);
        cql_wr_raw(&c->wbuf, frame, len);
        PyMem_Free(frame);
        if (c->wbuf.err != CQL_OK) {
            cql_wr_reset(&c->wbuf);
            PyErr_NoMemory();
            conn_fail_raised(c);
            return;
        }
        c->sent_frames++;
        added = 1;
    }
    if (added && !c->writer_added && !c->flush_scheduled && async_flush(c) < 0)
        conn_fail_raised(c);
}

static PyObject *async_run(ConnObject *c, op_t *o)
{
    if (c->mode != MODE_ASYNC) {
        PyErr_SetString(PyExc_RuntimeError, "call attach(loop) before the *_async methods");
        return NULL;
    }
    if (c->closed) {
        PyObject *e = closed_error(c);
        if (e)
            raise_exc(e);
        return NULL;
    }
    req *r = req_alloc(c);
    if (!r)
        return NULL;
    r->kind = o->kind;
    int was_idle = c->streams.in_use == 0 && c->wbuf.len == c->wpos;
    if (c->streams.nfree == 0)
        return async_backlog(c, r, o);
    if (cql_streams_acquire(&c->streams, r, &r->stream, &r->gen) != CQL_OK) {
        req_release(c, r);
        PyErr_SetString(c->st->error, "no free stream id on this connection");
        return NULL;
    }
    if (o->kind == K_STARTUP && !c->want_lz4) {
        PyObject *comp = PyDict_GetItemString(o->dict, "COMPRESSION");
        if (comp && PyUnicode_Check(comp) && PyUnicode_CompareWithASCIIString(comp, "lz4") == 0)
            c->want_lz4 = 1;
    }
    size_t off = c->wbuf.len;
    if (encode_op(c, o, &c->wbuf, r->stream, &c->bv) < 0 || maybe_compress(c, &c->wbuf, off) < 0) {
        c->wbuf.len = off;
        cql_streams_release(&c->streams, r->stream, r->gen);
        req_release(c, r);
        return NULL;
    }
    if (c->bv.buf.cap > BUF_KEEP) {
        bound_free(&c->bv);
        bound_init(&c->bv);
    }
    PyObject *fut = PyObject_CallNoArgs(c->create_future);
    if (!fut) {
        c->wbuf.len = off;
        cql_streams_release(&c->streams, r->stream, r->gen);
        req_release(c, r);
        return NULL;
    }
    c->sent_frames++;
    r->fut = Py_NewRef(fut);
    if (o->kind == K_EXECUTE)
        r->ctx = Py_NewRef(o->prepared);
    else if (o->kind == K_PREPARE)
        r->ctx = Py_NewRef(o->cql);
    if (o->timeout > 0) {
        r->has_deadline = 1;
        r->deadline = now_mono() + o->timeout;
        dl_append(c, r);
        if (ensure_tick(c) < 0)
            PyErr_WriteUnraisable((PyObject *)c);
    }
    if (c->writer_added || c->flush_scheduled)
        return fut; /* goes out with the pending flush */
    if (was_idle) {
        if (async_flush(c) < 0)
            conn_fail_raised(c); /* fails r, whose future we return */
        return fut;
    }
    PyObject *h = call_loop(c, c->st->s_call_soon, c->on_writable, NULL);
    if (!h) {
        conn_fail_raised(c);
        return fut;
    }
    Py_DECREF(h);
    c->flush_scheduled = 1;
    return fut;
}

/* loop callbacks ---------------------------------------------------------- */

static PyObject *conn_on_writable(PyObject *op, PyObject *unused)
{
    (void)unused;
    ConnObject *c = (ConnObject *)op;
    c->flush_scheduled = 0;
    if (!c->closed && async_flush(c) < 0)
        conn_fail_raised(c);
    Py_RETURN_NONE;
}

static PyObject *conn_on_readable(PyObject *op, PyObject *unused)
{
    (void)unused;
    ConnObject *c = (ConnObject *)op;
    rbuf_t *rb = &c->rb;
    while (!c->closed) {
        size_t want = read_want(rb);
        if (rbuf_reserve(rb, want) < 0) {
            PyErr_NoMemory();
            conn_fail_raised(c);
            break;
        }
        size_t space = rb->cap - rb->len;
        long k = io_recv(c, rb->data + rb->len, space);
        if (k > 0) {
            rb->len += (size_t)k;
            if (process_input(c) < 0) {
                conn_fail_raised(c);
                break;
            }
            if ((size_t)k < space && !c->tls)
                break; /* drained (TLS: read until OpenSSL wants more bytes) */
            continue;
        }
        if (k == -1)
            break;
        if (k == 0)
            PyErr_SetString(c->st->connection_closed, "the server closed the connection");
        else
            raise_io_error(c, errno);
        conn_fail_raised(c);
        break;
    }
    if (c->bl_len && !c->closed)
        drain_backlog(c);
    /* A TLS write may have waited for this read (renegotiation, key update). */
    if (c->tls && !c->closed && c->wpos < c->wbuf.len && !c->writer_added && !c->flush_scheduled &&
        async_flush(c) < 0)
        conn_fail_raised(c);
    Py_RETURN_NONE;
}

static PyObject *conn_on_tick(PyObject *op, PyObject *unused)
{
    (void)unused;
    ConnObject *c = (ConnObject *)op;
    Py_CLEAR(c->tick_handle);
    if (c->closed)
        Py_RETURN_NONE;
    double now = now_mono();
    req *r = c->dl.next;
    while (r != &c->dl) {
        req *next = r->next;
        if (r->deadline <= now && r->backlogged) {
            PyObject *e = make_exc(c->st->timed_out, "no reply within the request timeout");
            if (!e)
                e = fetch_exc();
            complete_req(c, r, e, 1); /* never sent: nothing to orphan */
        } else if (r->deadline <= now) {
            void *data;
            if (cql_streams_orphan(&c->streams, r->stream, r->gen, &data) == CQL_OK) {
                PyObject *e = make_exc(c->st->timed_out, "no reply within the request timeout");
                if (!e)
                    e = fetch_exc();
                complete_req(c, r, e, 1);
            } else {
                dl_unlink(r);
            }
        }
        r = next;
    }
    if (ensure_tick(c) < 0)
        PyErr_WriteUnraisable(op);
    Py_RETURN_NONE;
}

/* ======================================================================== */
/* Argument parsing                                                          */
/* ======================================================================== */

/* Positional-or-keyword arguments into slots[0..n) (NULL when absent). */
static int parse_args(const char *fname, const char *const *names, int nreq, int n,
                      PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **slots)
{
    if (nargs > n) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d arguments (%zd given)", fname, n, nargs);
        return -1;
    }
    for (int i = 0; i < n; i++)
        slots[i] = i < nargs ? args[i] : NULL;
    if (kwnames) {
        Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t j = 0; j < nk; j++) {
            PyObject *k = PyTuple_GET_ITEM(kwnames, j);
            int found = -1;
            for (int i = 0; i < n && found < 0; i++)
                if (PyUnicode_CompareWithASCIIString(k, names[i]) == 0)
                    found = i;
            if (found < 0) {
                PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument %R", fname, k);
                return -1;
            }
            if (slots[found]) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument %R", fname, k);
                return -1;
            }
            slots[found] = args[nargs + j];
        }
    }
    for (int i = 0; i < nreq; i++) {
        if (!slots[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname, names[i]);
            return -1;
        }
    }
    return 0;
}

static int opt_int(PyObject *v, const char *name, long lo, long hi, long dflt, long *out)
{
    if (!v || v == Py_None) {
        *out = dflt;
        return 0;
    }
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or None, not %.100s", name,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    long x = PyLong_AsLong(v);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (x < lo || x > hi) {
        PyErr_Format(PyExc_ValueError, "%s=%ld is out of range [%ld, %ld]", name, x, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int opt_timeout(PyObject *v, double *out)
{
    *out = 0;
    if (!v || v == Py_None)
        return 0;
    double t = PyFloat_AsDouble(v);
    if (t == -1.0 && PyErr_Occurred())
        return -1;
    if (!(t > 0)) {
        PyErr_SetString(PyExc_ValueError, "timeout must be a positive number of seconds");
        return -1;
    }
    *out = t;
    return 0;
}

/* consistency, page_size, paging_state, serial, timestamp, timeout */
static int parse_query_options(op_t *o, PyObject **s)
{
    long v;
    if (opt_int(s[0], "consistency", 0, 0xFFFF, CQL_CONSISTENCY_ONE, &v) < 0)
        return -1;
    o->consistency = (int)v;
    if (opt_int(s[1], "page_size", 1, INT32_MAX, 0, &v) < 0)
        return -1;
    o->page_size = (int)v;
    if (s[2] && s[2] != Py_None) {
        if (!PyBytes_Check(s[2])) {
            PyErr_SetString(PyExc_TypeError, "paging_state must be bytes or None");
            return -1;
        }
        o->paging_state = s[2];
    }
    if (opt_int(s[3], "serial_consistency", -1, 0xFFFF, -1, &v) < 0)
        return -1;
    o->serial = (int)v;
    if (s[4] && s[4] != Py_None) {
        if (!PyLong_Check(s[4])) {
            PyErr_SetString(PyExc_TypeError, "timestamp must be an int (microseconds) or None");
            return -1;
        }
        o->ts = PyLong_AsLongLong(s[4]);
        if (o->ts == -1 && PyErr_Occurred())
            return -1;
        if (o->ts < 0) {
            PyErr_SetString(PyExc_ValueError, "timestamp must not be negative");
            return -1;
        }
        o->has_ts = 1;
    }
    return opt_timeout(s[5], &o->timeout);
}

typedef PyObject *(*runner)(ConnObject *, op_t *);

static PyObject *do_query(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kw)
{
    static const char *const names[] = {"cql", "consistency", "page_size", "paging_state",
                                        "serial_consistency", "timestamp", "timeout"};
    PyObject *s[7];
    if (parse_args("query", names, 1, 7, args, nargs, kw, s) < 0)
        return NULL;
    op_t o;
    memset(&o, 0, sizeof(o));
    o.kind = K_QUERY;
    if (!PyUnicode_Check(s[0])) {
        PyErr_SetString(PyExc_TypeError, "cql must be a str");
        return NULL;
    }
    o.cql = s[0];
    if (parse_query_options(&o, s + 1) < 0)
        return NULL;
    return run(c, &o);
}

static PyObject *do_execute(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kw)
{
    static const char *const names[] = {"prepared", "params", "consistency", "page_size",
                                        "paging_state", "serial_consistency", "timestamp", "timeout"};
    PyObject *s[8];
    if (parse_args("execute", names, 1, 8, args, nargs, kw, s) < 0)
        return NULL;
    op_t o;
    memset(&o, 0, sizeof(o));
    o.kind = K_EXECUTE;
    if (!Py_IS_TYPE(s[0], (PyTypeObject *)c->st->prepared_type)) {
        PyErr_Format(PyExc_TypeError, "execute() needs a Prepared, not %.100s", Py_TYPE(s[0])->tp_name);
        return NULL;
    }
    o.prepared = s[0];
    o.params = s[1] ? s[1] : Py_None;
    if (parse_query_options(&o, s + 2) < 0)
        return NULL;
    return run(c, &o);
}

static PyObject *do_batch(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kw)
{
    static const char *const names[] = {"batch_type", "statements", "consistency",
                                        "serial_consistency", "timestamp", "timeout"};
    PyObject *s[6];
    if (parse_args("batch", names, 2, 6, args, nargs, kw, s) < 0)
        return NULL;
    op_t o;
    memset(&o, 0, sizeof(o));
    o.kind = K_BATCH;
    long v;
    if (opt_int(s[0], "batch_type", 0, 2, 0, &v) < 0)
        return NULL;
    o.batch_type = (int)v;
    o.stmts = s[1];
    PyObject *q[6] = {s[2], NULL, NULL, s[3], s[4], s[5]};
    if (parse_query_options(&o, q) < 0)
        return NULL;
    return run(c, &o);
}

static PyObject *do_prepare(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kw)
{
    static const char *const names[] = {"cql", "timeout"};
    PyObject *s[2];
    if (parse_args("prepare", names, 1, 2, args, nargs, kw, s) < 0)
        return NULL;
    op_t o;
    memset(&o, 0, sizeof(o));
    o.kind = K_PREPARE;
    if (!PyUnicode_Check(s[0])) {
        PyErr_SetString(PyExc_TypeError, "cql must be a str");
        return NULL;
    }
    o.cql = s[0];
    if (opt_timeout(s[1], &o.timeout) < 0)
        return NULL;
    return run(c, &o);
}

static PyObject *do_options(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kw)
{
    static const char *const names[] = {"timeout"};
    PyObject *s[1];
    if (parse_args("options", names, 0, 1, args, nargs, kw, s) < 0)
        return NULL;
    op_t o;
    memset(&o, 0, sizeof(o));
    o.kind = K_OPTIONS;
    if (opt_timeout(s[0], &o.timeout) < 0)
        return NULL;
    return run(c, &o);
}

static PyObject *do_startup(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kw)
{
    static const char *const names[] = {"options", "timeout"};
    PyObject *s[2];
    if (parse_args("startup", names, 1, 2, args, nargs, kw, s) < 0)
        return NULL;
    op_t o;
    memset(&o, 0, sizeof(o));
    o.kind = K_STARTUP;
    if (!PyDict_Check(s[0])) {
        PyErr_SetString(PyExc_TypeError, "startup options must be a dict of str to str");
        return NULL;
    }
    o.dict = s[0];
    if (opt_timeout(s[1], &o.timeout) < 0)
        return NULL;
    return run(c, &o);
}

static PyObject *do_authenticate(ConnObject *c, runner run, PyObject *const *args,
                                 Py_ssize_t nargs, PyObject *kw)
{
    static const char *const names[] = {"token", "timeout"};
    PyObject *s[2];
    if (parse_args("authenticate", names, 1, 2, args, nargs, kw, s) < 0)
        return NULL;
    op_t o;
    memset(&o, 0, sizeof(o));
    o.kind = K_AUTH;
    if (s[0] != Py_None && !PyBytes_Check(s[0])) {
        PyErr_SetString(PyExc_TypeError, "token must be bytes or None");
        return NULL;
    }
    o.token = s[0];
    if (opt_timeout(s[1], &o.timeout) < 0)
        return NULL;
    return run(c, &o);
}

static PyObject *do_register(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kw)
{
    static const char *const names[] = {"events", "timeout"};
    PyObject *s[2];
    if (parse_args("register", names, 1, 2, args, nargs, kw, s) < 0)
        return NULL;
    op_t o;
    memset(&o, 0, sizeof(o));
    o.kind = K_REGISTER;
    PyObject *lst = PySequence_List(s[0]);
    if (!lst)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lst); i++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(lst, i))) {
            Py_DECREF(lst);
            PyErr_SetString(PyExc_TypeError, "events must be str");
            return NULL;
        }
    }
    o.events = lst;
    PyObject *res = NULL;
    if (opt_timeout(s[1], &o.timeout) == 0)
        res = run(c, &o);
    Py_DECREF(lst);
    return res;
}

#define PAIR(name)                                                                           \
    static PyObject *conn_##name(PyObject *op, PyObject *const *args, Py_ssize_t nargs,     \
                                 PyObject *kw)                                              \
    {                                                                                        \
        return do_##name((ConnObject *)op, sync_run, args, nargs, kw);                       \
    }                                                                                        \
    static PyObject *conn_##name##_async(PyObject *op, PyObject *const *args,               \
                                         Py_ssize_t nargs, PyObject *kw)                     \
    {                                                                                        \
        return do_##name((ConnObject *)op, async_run, args, nargs, kw);                      \
    }

PAIR(query)
PAIR(execute)
PAIR(batch)
PAIR(prepare)
PAIR(options)
PAIR(startup)
PAIR(authenticate)
PAIR(register)

/* ======================================================================== */
/* Connection object                                                         */
/* ======================================================================== */

static PyObject *conn_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"fd", "max_streams", "max_frame", "compress_threshold", "tick", NULL};
    int fd;
    unsigned int max_streams = 1024, compress_min = 512;
    unsigned long max_frame = CQL_MAX_BODY_LENGTH;
    double tick = 0.02;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "i|$IkId:Connection", kwlist, &fd, &max_streams,
                                     &max_frame, &compress_min, &tick))
        return NULL;
    if (fd < 0) {
        PyErr_SetString(PyExc_ValueError, "fd must be a connected socket's file descriptor");
        return NULL;
    }
    /* From here on the descriptor is ours: closed on any failure too. */
    if (max_streams < 1 || max_streams > CQL_MAX_STREAMS) {
        PyErr_Format(PyExc_ValueError, "max_streams must be in [1, %d]", CQL_MAX_STREAMS);
        goto fail_fd;
    }
    if (max_frame < 1024 || max_frame > CQL_MAX_BODY_LENGTH) {
        PyErr_Format(PyExc_ValueError, "max_frame must be in [1024, %u]", CQL_MAX_BODY_LENGTH);
        goto fail_fd;
    }
    if (!(tick > 0)) {
        PyErr_SetString(PyExc_ValueError, "tick must be a positive number of seconds");
        goto fail_fd;
    }
    PyObject *module = PyType_GetModule(type);
    if (!module)
        goto fail_fd;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        goto fail_fd;
    }
    ConnObject *c = (ConnObject *)type->tp_alloc(type, 0);
    if (!c)
        goto fail_fd;
    c->st = PyModule_GetState(module);
    c->module = Py_NewRef(module);
    c->fd = fd;
    c->dl.next = c->dl.prev = &c->dl;
    c->bl.bnext = c->bl.bprev = &c->bl;
    cql_wr_init(&c->scratch);
    c->max_body = (uint32_t)max_frame;
    c->compress_min = compress_min;
    c->tick_interval = tick;
    cql_wr_init(&c->zbuf);
    cql_wr_init(&c->wbuf);
    bound_init(&c->bv);
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->wmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    cql_error err = {0, NULL};
    if (cql_streams_init(&c->streams, max_streams, &err) != CQL_OK) {
        Py_DECREF(c); /* closes fd */
        return binding_core_error(PyModule_GetState(module), "cannot create the stream table", &err);
    }
    return (PyObject *)c;
fail_fd:
    close(fd);
    return NULL;
}

static int conn_traverse(PyObject *op, visitproc visit, void *arg)
{
    ConnObject *c = (ConnObject *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(c->module);
    Py_VISIT(c->close_cause);
    Py_VISIT(c->loop);
    Py_VISIT(c->create_future);
    Py_VISIT(c->call_soon);
    Py_VISIT(c->call_later);
    Py_VISIT(c->on_readable);
    Py_VISIT(c->on_writable);
    Py_VISIT(c->on_tick);
    Py_VISIT(c->tick_handle);
    Py_VISIT(c->event_handler);
    if (c->mode == MODE_ASYNC && c->streams.slots) {
        for (uint32_t id = 0; id < c->streams.capacity; id++) {
            cql_stream_slot *sl = &c->streams.slots[id];
            if (sl->state == CQL_STREAM_IN_USE && sl->data) {
                req *r = (req *)sl->data;
                Py_VISIT(r->fut);
                Py_VISIT(r->ctx);
            }
        }
        for (req *r = c->bl.bnext; r && r != &c->bl; r = r->bnext) {
            Py_VISIT(r->fut);
            Py_VISIT(r->ctx);
        }
    }
    return 0;
}

static int conn_clear(PyObject *op)
{
    ConnObject *c = (ConnObject *)op;
    Py_CLEAR(c->close_cause);
    Py_CLEAR(c->create_future);
    Py_CLEAR(c->call_soon);
    Py_CLEAR(c->call_later);
    Py_CLEAR(c->on_readable);
    Py_CLEAR(c->on_writable);
    Py_CLEAR(c->on_tick);
    Py_CLEAR(c->tick_handle);
    Py_CLEAR(c->event_handler);
    Py_CLEAR(c->loop);
    return 0;
}

static void conn_dealloc(PyObject *op)
{
    ConnObject *c = (ConnObject *)op;
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    /* Pending asyncio requests: drop them (their futures stay pending). */
    if (c->streams.slots) {
        for (uint32_t id = 0; id < c->streams.capacity; id++) {
            cql_stream_slot *sl = &c->streams.slots[id];
            if (sl->state == CQL_STREAM_IN_USE && sl->data && c->mode == MODE_ASYNC) {
                req *r = (req *)sl->data;
                Py_CLEAR(r->fut);
                Py_CLEAR(r->ctx);
                PyMem_Free(r);
            }
        }
        cql_streams_free(&c->streams);
    }
    while (c->bl.bnext && c->bl.bnext != &c->bl) {
        req *r = c->bl.bnext;
        bl_unlink(c, r);
        Py_CLEAR(r->fut);
        Py_CLEAR(r->ctx);
        PyMem_Free(r);
    }
    cql_wr_free(&c->scratch);
    close_fd_now(c);
    tls_free(c->tls);
    c->tls = NULL;
    conn_clear(op);
    while (c->free_reqs) {
        req *r = c->free_reqs;
        c->free_reqs = r->next;
        PyMem_Free(r);
    }
    free(c->rb.data);
    cql_wr_free(&c->zbuf);
    cql_wr_free(&c->wbuf);
    bound_free(&c->bv);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->wmu);
    pthread_cond_destroy(&c->cv);
    Py_XDECREF(c->module);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyObject *conn_attach(PyObject *op, PyObject *loop)
{
    ConnObject *c = (ConnObject *)op;
    if (c->mode == MODE_ASYNC) {
        PyErr_SetString(PyExc_RuntimeError, "the connection is already attached to a loop");
        return NULL;
    }
    if (c->closed) {
        PyObject *e = closed_error(c);
        if (e)
            raise_exc(e);
        return NULL;
    }
    pthread_mutex_lock(&c->mu);
    int busy = c->reading || c->io_users || c->streams.in_use;
    pthread_mutex_unlock(&c->mu);
    if (busy) {
        PyErr_SetString(PyExc_RuntimeError, "cannot attach a connection with requests in flight");
        return NULL;
    }
    native_state *st = c->st;
    PyObject *cf = PyObject_GetAttr(loop, st->s_create_future);
    PyObject *cs = cf ? PyObject_GetAttr(loop, st->s_call_soon) : NULL;
    PyObject *cl = cs ? PyObject_GetAttr(loop, st->s_call_later) : NULL;
    PyObject *rd = cl ? PyObject_GetAttrString(op, "_on_readable") : NULL;
    PyObject *wr = rd ? PyObject_GetAttrString(op, "_on_writable") : NULL;
    PyObject *tk = wr ? PyObject_GetAttrString(op, "_on_tick") : NULL;
    if (!tk) {
        Py_XDECREF(cf);
        Py_XDECREF(cs);
        Py_XDECREF(cl);
        Py_XDECREF(rd);
        Py_XDECREF(wr);
        return NULL;
    }
    c->loop = Py_NewRef(loop);
    c->create_future = cf;
    c->call_soon = cs;
    c->call_later = cl;
    c->on_readable = rd;
    c->on_writable = wr;
    c->on_tick = tk;
    PyObject *fd = PyLong_FromLong(c->fd);
    PyObject *r = fd ? call_loop(c, st->s_add_reader, fd, rd) : NULL;
    Py_XDECREF(fd);
    if (!r) {
        conn_clear(op);
        return NULL;
    }
    Py_DECREF(r);
    c->reader_added = 1;
    c->mode = MODE_ASYNC;
    Py_RETURN_NONE;
}

static PyObject *conn_start_tls(PyObject *op, PyObject *args, PyObject *kwds)
{
    ConnObject *c = (ConnObject *)op;
    if (PyTuple_GET_SIZE(args) != 0) {
        PyErr_SetString(PyExc_TypeError, "start_tls() takes keyword arguments only");
        return NULL;
    }
    static const char *known[] = {"cafile", "cadata", "certfile", "keyfile", "password", "verify",
                                  "check_hostname", "server_hostname", "handshake", "timeout", NULL};
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (kwds && PyDict_Next(kwds, &pos, &k, &v)) {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = PyUnicode_CompareWithASCIIString(k, known[i]) == 0;
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "start_tls() got an unexpected keyword argument %R", k);
            return NULL;
        }
    }
    if (c->tls) {
        PyErr_SetString(PyExc_RuntimeError, "TLS is already on");
        return NULL;
    }
    if (c->closed) {
        PyObject *e = closed_error(c);
        if (e)
            raise_exc(e);
        return NULL;
    }
    if (c->mode != MODE_BLOCKING || c->streams.in_use || c->sent_frames) {
        PyErr_SetString(PyExc_RuntimeError, "start_tls() must come before any request and before attach()");
        return NULL;
    }
    PyObject *hs = kwds ? PyDict_GetItemString(kwds, "handshake") : NULL;
    int handshake = hs ? PyObject_IsTrue(hs) : 1;
    double timeout = 10.0;
    PyObject *to = kwds ? PyDict_GetItemString(kwds, "timeout") : NULL;
    if (handshake < 0 || (to && to != Py_None && opt_timeout(to, &timeout) < 0))
        return NULL;
    tls_conn *t = tls_new(c->st, c->fd, kwds);
    if (!t)
        return NULL;
    c->tls = t;
    if (!handshake)
        Py_RETURN_NONE;
    double deadline = now_mono() + timeout;
    char msg[512] = "";
    int rc;
    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        rc = tls_handshake(t, msg, sizeof(msg));
        if (rc <= 0)
            break;
        int left = ms_until(deadline);
        if (left == 0) {
            rc = -2;
            break;
        }
        struct pollfd pfd = {c->fd, (short)(rc == 1 ? POLLIN : POLLOUT), 0};
        if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
            snprintf(msg, sizeof(msg), "TLS handshake: poll failed");
            rc = -1;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    if (rc == 0)
        Py_RETURN_NONE;
    if (rc == -2)
        PyErr_SetString(c->st->timed_out, "TLS handshake timed out");
    else
        PyErr_Format(c->st->connection_closed, "%s", msg);
    conn_fail_reraise(c);
    return NULL;
}

static PyObject *conn_tls_handshake_step(PyObject *op, PyObject *unused)
{
    (void)unused;
    ConnObject *c = (ConnObject *)op;
    if (!c->tls) {
        PyErr_SetString(PyExc_RuntimeError, "call start_tls(handshake=False) first");
        return NULL;
    }
    char msg[512] = "";
    int rc = tls_handshake(c->tls, msg, sizeof(msg));
    if (rc >= 0)
        return PyLong_FromLong(rc);
    PyErr_Format(c->st->connection_closed, "%s", msg);
    conn_fail_reraise(c);
    return NULL;
}

static PyObject *conn_get_tls(PyObject *op, void *cl)
{
    (void)cl;
    ConnObject *c = (ConnObject *)op;
    if (!c->tls)
        Py_RETURN_NONE;
    return tls_info(c->tls);
}

static PyObject *conn_close(PyObject *op, PyObject *unused)
{
    (void)unused;
    ConnObject *c = (ConnObject *)op;
    if (!c->closed)
        conn_fail(c, NULL);
    if (c->mode == MODE_ASYNC) {
        /* Break the cycles through the loop's handles. */
        Py_CLEAR(c->on_readable);
        Py_CLEAR(c->on_writable);
        Py_CLEAR(c->on_tick);
        Py_CLEAR(c->create_future);
        Py_CLEAR(c->call_soon);
        Py_CLEAR(c->call_later);
    }
    Py_RETURN_NONE;
}

static PyObject *conn_fileno(PyObject *op, PyObject *unused)
{
    (void)unused;
    ConnObject *c = (ConnObject *)op;
    return PyLong_FromLong(c->fd_closed ? -1 : c->fd);
}

static PyObject *conn_stats(PyObject *op, PyObject *unused)
{
    (void)unused;
    ConnObject *c = (ConnObject *)op;
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:I,s:I,s:n,s:n}", "frames_sent", c->sent_frames,
                         "frames_received", c->recv_frames, "send_calls", c->syscalls_send,
                         "recv_calls", c->syscalls_recv, "in_flight", c->streams.in_use,
                         "orphaned", c->streams.orphaned, "backlog", (Py_ssize_t)c->bl_len,
                         "read_buffer", (Py_ssize_t)c->rb.cap);
}

static PyObject *conn_get_closed(PyObject *op, void *cl)
{
    (void)cl;
    return PyBool_FromLong(((ConnObject *)op)->closed);
}

static PyObject *conn_get_compression(PyObject *op, void *cl)
{
    (void)cl;
    ConnObject *c = (ConnObject *)op;
    if (c->lz4)
        return PyUnicode_FromString("lz4");
    Py_RETURN_NONE;
}

static PyObject *conn_get_in_flight(PyObject *op, void *cl)
{
    (void)cl;
    return PyLong_FromUnsignedLong(((ConnObject *)op)->streams.in_use);
}

static PyObject *conn_get_loop(PyObject *op, void *cl)
{
    (void)cl;
    ConnObject *c = (ConnObject *)op;
    return Py_NewRef(c->loop ? c->loop : Py_None);
}

static PyObject *conn_get_event_handler(PyObject *op, void *cl)
{
    (void)cl;
    ConnObject *c = (ConnObject *)op;
    return Py_NewRef(c->event_handler ? c->event_handler : Py_None);
}

static int conn_set_event_handler(PyObject *op, PyObject *v, void *cl)
{
    (void)cl;
    ConnObject *c = (ConnObject *)op;
    if (v && v != Py_None && !PyCallable_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "event_handler must be callable or None");
        return -1;
    }
    Py_XSETREF(c->event_handler, (v && v != Py_None) ? Py_NewRef(v) : NULL);
    return 0;
}

#define FASTKW (METH_FASTCALL | METH_KEYWORDS)
#define M(name, doc) {#name, (PyCFunction)(void (*)(void))conn_##name, FASTKW, doc}

static PyMethodDef conn_methods[] = {
    M(options, "options(timeout=None) -> dict[str, list[str]]: OPTIONS/SUPPORTED."),
    M(startup, "startup(options, timeout=None) -> None | str: STARTUP; None when READY, the\n"
               "authenticator class when the server asks for authentication.\n"
               "COMPRESSION='lz4' switches LZ4 on once the server accepts it."),
    M(authenticate, "authenticate(token, timeout=None) -> ('challenge' | 'success', bytes | None)."),
    M(register, "register(events, timeout=None): REGISTER for server events (see event_handler)."),
    M(query, "query(cql, consistency=ONE, page_size=None, paging_state=None,\n"
             "      serial_consistency=None, timestamp=None, timeout=None)\n"
             "-> (rows, paging_state, info): an unprepared statement (no bind values).\n"
             "info is None, the keyspace of a USE, or (change, target, keyspace, name)\n"
             "for a schema change."),
    M(prepare, "prepare(cql, timeout=None) -> Prepared."),
    M(execute, "execute(prepared, params, consistency=ONE, page_size=None, paging_state=None,\n"
               "        serial_consistency=None, timestamp=None, timeout=None)\n"
               "-> (rows, paging_state, info)."),
    M(batch, "batch(batch_type, statements, consistency=ONE, serial_consistency=None,\n"
             "      timestamp=None, timeout=None) -> (rows, None, None).\n"
             "statements: (Prepared, params) or (str, ()) pairs; batch_type 0 logged,\n"
             "1 unlogged, 2 counter."),
    M(options_async, "Like options(), returning a future (after attach())."),
    M(startup_async, "Like startup(), returning a future (after attach())."),
    M(authenticate_async, "Like authenticate(), returning a future (after attach())."),
    M(register_async, "Like register(), returning a future (after attach())."),
    M(query_async, "Like query(), returning a future (after attach())."),
    M(prepare_async, "Like prepare(), returning a future (after attach())."),
    M(execute_async, "Like execute(), returning a future (after attach())."),
    M(batch_async, "Like batch(), returning a future (after attach())."),
    {"start_tls", (PyCFunction)(void (*)(void))conn_start_tls, METH_VARARGS | METH_KEYWORDS,
     "start_tls(*, cafile=None, cadata=None, certfile=None, keyfile=None, password=None,\n"
     "          verify=True, check_hostname=True, server_hostname=None, handshake=True,\n"
     "          timeout=10): TLS (OpenSSL) on this socket, before any request. With\n"
     "handshake=False, drive it with tls_handshake_step() (asyncio)."},
    {"tls_handshake_step", conn_tls_handshake_step, METH_NOARGS,
     "tls_handshake_step() -> 0 done, 1 wants the socket readable, 2 writable."},
    {"attach", conn_attach, METH_O,
     "attach(loop): switch to asyncio mode on this loop (loop.add_reader on the socket)."},
    {"close", conn_close, METH_NOARGS,
     "close(): fail pending requests with ConnectionClosed and close the socket."},
    {"fileno", conn_fileno, METH_NOARGS, "fileno() -> int (-1 once closed)."},
    {"stats", conn_stats, METH_NOARGS, "stats() -> dict of counters (frames, syscalls, ...)."},
    {"_on_readable", conn_on_readable, METH_NOARGS, "loop callback"},
    {"_on_writable", conn_on_writable, METH_NOARGS, "loop callback"},
    {"_on_tick", conn_on_tick, METH_NOARGS, "loop callback"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef conn_getset[] = {
    {"closed", conn_get_closed, NULL, "True once closed (by close() or a fatal error)", NULL},
    {"compression", conn_get_compression, NULL, "'lz4' once agreed, else None", NULL},
    {"in_flight", conn_get_in_flight, NULL, "requests waiting for a reply", NULL},
    {"loop", conn_get_loop, NULL, "the event loop of asyncio mode, or None", NULL},
    {"tls", conn_get_tls, NULL, "TLS version, cipher and peer subject, or None", NULL},
    {"event_handler", conn_get_event_handler, conn_set_event_handler,
     "callable receiving server events as tuples, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot conn_slots[] = {
    {Py_tp_new, conn_new},
    {Py_tp_dealloc, conn_dealloc},
    {Py_tp_traverse, conn_traverse},
    {Py_tp_clear, conn_clear},
    {Py_tp_methods, conn_methods},
    {Py_tp_getset, conn_getset},
    {Py_tp_doc,
     "Connection(fd, *, max_streams=1024, max_frame=256 MiB, compress_threshold=512, tick=0.02)\n\n"
     "A CQL v4 connection over an already connected socket; the file descriptor\n"
     "is owned (and closed) by the Connection. Blocking methods release the GIL\n"
     "while they wait and may be called from several threads at once. After\n"
     "attach(loop), the *_async methods return asyncio futures instead."},
    {0, NULL},
};

PyType_Spec conn_type_spec = {
    "coodie._native.Connection",
    sizeof(ConnObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    conn_slots,
};

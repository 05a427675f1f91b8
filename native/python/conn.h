/*
 * conn.h - private declarations shared by the files of the Connection type:
 * the request and connection structs, and the functions one file of the
 * connection calls in another.
 *
 * conn.c           the Connection object: construction, lifecycle, closing,
 *                  completing requests, dispatching incoming frames
 * conn_io.c        socket I/O (plain or TLS) and the read buffer
 * conn_request.c   request encoding and argument unpacking
 * conn_reply.c     reply decoding and cql.ServerError
 * conn_blocking.c  the blocking engine (threads share a connection)
 * conn_asyncio.c   the asyncio engine (futures, loop callbacks, ticks)
 * prepared.c       the Prepared type
 */
#ifndef COODIE_CONN_H
#define COODIE_CONN_H

#include "binding.h"

#include <pthread.h>

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
    row_codec *bind;      /* bind markers */
    row_codec *result;    /* result columns, NULL if none declared */
} PreparedObject;

/* Buffers that grew for one big frame go back to this size once empty. */
#define BUF_KEEP (1u << 20)

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

/* One request as unpacked from a method's arguments (conn_request.c), handed
 * to an engine (sync_run, async_run). */
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

/* ======================================================================== */
/* Functions one file of the connection calls in another                    */
/* ======================================================================== */

/* A request method's engine: blocking (sync_run) or asyncio (async_run). */
typedef PyObject *(*runner)(ConnObject *, op_t *);

PyObject *do_query(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kw);
PyObject *do_execute(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kw);
PyObject *do_batch(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kw);
PyObject *do_prepare(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kw);
PyObject *do_options(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kw);
PyObject *do_startup(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kw);
PyObject *do_authenticate(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kw);
PyObject *do_register(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
                      PyObject *kw);

/* conn.c */
double now_mono(void);
PyObject *make_exc(PyObject *type, const char *fmt, ...);
PyObject *fetch_exc(void);
void raise_exc(PyObject *exc /* stolen */);
PyObject *closed_error(ConnObject *c);
int refuse_if_closed(ConnObject *c);
const char *consistency_name(unsigned v);
void dl_unlink(req *r);
void dl_append(ConnObject *c, req *r);
void bl_append(ConnObject *c, req *r);
void bl_unlink(ConnObject *c, req *r);
req *req_alloc(ConnObject *c);
void req_release(ConnObject *c, req *r);
void complete_req(ConnObject *c, req *r, PyObject *v, int is_error);
void close_fd_now(ConnObject *c);
void conn_fail(ConnObject *c, PyObject *cause);
void conn_fail_raised(ConnObject *c);
int process_input(ConnObject *c);

/* conn_io.c */
long io_recv(ConnObject *c, void *buf, size_t n);
long io_send(ConnObject *c, const void *buf, size_t n);
void raise_io_error(ConnObject *c, int err_no);
int ms_until(double deadline);
int rbuf_reserve(rbuf_t *rb, size_t want);
size_t read_want(const rbuf_t *rb);

/* conn_reply.c */
PyObject *event_value(cql_reader *body);
PyObject *decode_reply(ConnObject *c, req *r, const cql_frame *f, cql_reader *body, int *is_error);

/* conn_request.c */
int encode_op(ConnObject *c, op_t *o, cql_writer *w, int16_t s, bound_values *bv);
void note_compression(ConnObject *c, const op_t *o);
int maybe_compress(ConnObject *c, cql_writer *w, size_t off);
int opt_timeout(PyObject *v, double *out);

/* conn_blocking.c */
PyObject *sync_run(ConnObject *c, op_t *o);

/* conn_asyncio.c */
PyObject *call_loop(ConnObject *c, PyObject *name, PyObject *a, PyObject *b);
void async_unwatch(ConnObject *c);
PyObject *async_run(ConnObject *c, op_t *o);
PyObject *conn_on_writable(PyObject *op, PyObject *unused);
PyObject *conn_on_readable(PyObject *op, PyObject *unused);
PyObject *conn_on_tick(PyObject *op, PyObject *unused);

#endif /* COODIE_CONN_H */

/*
 * conn.c - the Connection object: construction over a connected socket,
 * attaching to a loop, TLS start, closing, its methods and attributes, and
 * the path every reply takes (frames split from the read buffer, matched to
 * their request by stream id, the request completed).
 *
 * A Connection owns one connected, non-blocking socket (the caller connects
 * it and hands over the file descriptor) and runs the CQL v4 protocol on it.
 * It has two engines on this one frame path: blocking (conn_blocking.c, the
 * default) and asyncio (conn_asyncio.c, after attach(loop)); every request
 * method exists once per engine, built from the same argument unpacking and
 * encoding (conn_request.c). Replies become Python values in conn_reply.c.
 *
 * A timed-out request's stream id is orphaned until its late reply arrives. A
 * reply that arrives after its deadline, before a timeout saw it, is a
 * timeout too.
 *
 * Fatal errors (EOF, a frame that cannot be split, a reply to a stream id with
 * no request) close the connection and fail every pending request with
 * ConnectionClosed (the cause chained). Errors confined to one reply (a body
 * that does not decode) fail that request with ProtocolError only.
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ======================================================================== */
/* Small helpers                                                             */
/* ======================================================================== */

double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* An exception instance of type `type` with a formatted message. */
PyObject *make_exc(PyObject *type, const char *fmt, ...)
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
PyObject *fetch_exc(void)
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

void raise_exc(PyObject *exc /* stolen */)
{
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}

/* Raise ConnectionClosed (with the cause of the close) on a closed connection. */
int refuse_if_closed(ConnObject *c)
{
    if (!c->closed)
        return 0;
    PyObject *e = closed_error(c);
    if (e)
        raise_exc(e);
    return -1;
}

PyObject *closed_error(ConnObject *c)
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

const char *consistency_name(unsigned v)
{
    static const char *names[] = {"ANY",          "ONE",         "TWO",         "THREE",
                                  "QUORUM",       "ALL",         "LOCAL_QUORUM", "EACH_QUORUM",
                                  "SERIAL",       "LOCAL_SERIAL", "LOCAL_ONE"};
    return v < sizeof(names) / sizeof(names[0]) ? names[v] : "UNKNOWN";
}

/* ======================================================================== */
/* Completing requests                                                       */
/* ======================================================================== */

void dl_unlink(req *r)
{
    if (r->next) {
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->next = r->prev = NULL;
    }
}

void dl_append(ConnObject *c, req *r)
{
    r->prev = c->dl.prev;
    r->next = &c->dl;
    c->dl.prev->next = r;
    c->dl.prev = r;
}

void bl_append(ConnObject *c, req *r)
{
    r->bprev = c->bl.bprev;
    r->bnext = &c->bl;
    c->bl.bprev->bnext = r;
    c->bl.bprev = r;
    r->backlogged = 1;
    c->bl_len++;
}

void bl_unlink(ConnObject *c, req *r)
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

req *req_alloc(ConnObject *c)
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

void req_release(ConnObject *c, req *r)
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
void complete_req(ConnObject *c, req *r, PyObject *v, int is_error)
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

void close_fd_now(ConnObject *c)
{
    if (!c->fd_closed && c->fd >= 0) {
        if (c->tls)
            tls_shutdown(c->tls);
        close(c->fd);
        c->fd_closed = 1;
    }
}

/* Close the connection: fail every pending request. cause may be NULL (a
 * plain close()); it is borrowed. */
void conn_fail(ConnObject *c, PyObject *cause)
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
void conn_fail_raised(ConnObject *c)
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
    PyObject *arg = event_value(body);
    if (!arg) {
        if (PyErr_Occurred()) /* not a malformed event, which is dropped */
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
int process_input(ConnObject *c)
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
/* Request methods: one per engine                                           */
/* ======================================================================== */

/* conn.query() and conn.query_async() differ only in the engine that sends
 * the frame and waits for (or promises) its reply. */
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
    if (refuse_if_closed(c) < 0)
        return NULL;
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
    if (!r) { /* still a blocking connection: drop only what attach took */
        Py_CLEAR(c->create_future);
        Py_CLEAR(c->call_soon);
        Py_CLEAR(c->call_later);
        Py_CLEAR(c->on_readable);
        Py_CLEAR(c->on_writable);
        Py_CLEAR(c->on_tick);
        Py_CLEAR(c->loop);
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
    if (refuse_if_closed(c) < 0)
        return NULL;
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

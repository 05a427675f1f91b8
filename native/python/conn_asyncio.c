/*
 * conn_asyncio.c - the asyncio engine (after attach(loop)): the *_async
 * methods return futures from loop.create_future().
 *
 * The socket is watched with loop.add_reader(); the read callback parses every
 * complete frame and completes the futures directly. Frames are appended to
 * one output buffer: a request made while nothing is in flight is sent at
 * once, others are flushed together by one loop.call_soon() per loop
 * iteration (add_writer only when the kernel buffer is full). When every
 * stream id is taken, requests wait in a backlog. Timeouts: one periodic tick
 * per connection (loop.call_later), only while requests with a deadline are
 * pending.
 */
#include "conn.h"

#include <errno.h>
#include <string.h>

PyObject *call_loop(ConnObject *c, PyObject *name, PyObject *a, PyObject *b)
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

void async_unwatch(ConnObject *c)
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

PyObject *async_run(ConnObject *c, op_t *o)
{
    if (c->mode != MODE_ASYNC) {
        PyErr_SetString(PyExc_RuntimeError, "call attach(loop) before the *_async methods");
        return NULL;
    }
    if (refuse_if_closed(c) < 0)
        return NULL;
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
    note_compression(c, o);
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

PyObject *conn_on_writable(PyObject *op, PyObject *unused)
{
    (void)unused;
    ConnObject *c = (ConnObject *)op;
    c->flush_scheduled = 0;
    if (!c->closed && async_flush(c) < 0)
        conn_fail_raised(c);
    Py_RETURN_NONE;
}

PyObject *conn_on_readable(PyObject *op, PyObject *unused)
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

PyObject *conn_on_tick(PyObject *op, PyObject *unused)
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

/*
 * conn_blocking.c - the blocking engine: a request method encodes, sends and
 * waits with the GIL released around send/poll/recv.
 *
 * Several threads may share a connection: frames are written whole under a
 * write mutex, and replies are read by whichever waiter holds the read role
 * ("leader reads"); it dispatches every reply it finds to the other waiters'
 * slots and hands the role on when its own reply is in. Waiters sleep on a
 * condition variable; each waits until its own deadline.
 */
#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

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

PyObject *sync_run(ConnObject *c, op_t *o)
{
    if (c->mode != MODE_BLOCKING) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this connection is attached to an event loop: use the *_async methods");
        return NULL;
    }
    if (refuse_if_closed(c) < 0)
        return NULL;
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
        if (refuse_if_closed(c) < 0)
            return NULL;
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
    note_compression(c, o);
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

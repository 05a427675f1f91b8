/*
 * conn_io.c - the Connection's socket I/O: send and receive on the
 * non-blocking socket, plain or through TLS, and the read buffer that
 * incoming frames are split from. Nothing here needs the GIL.
 */
#include "conn.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* >0 bytes, 0 EOF, -1 would block, -2 error (errno, or a TLS error when
 * c->tls_error is set, message in tls_rmsg / tls_wmsg). */
long io_recv(ConnObject *c, void *buf, size_t n)
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

long io_send(ConnObject *c, const void *buf, size_t n)
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
void raise_io_error(ConnObject *c, int err_no)
{
    if (c->tls_error) {
        PyErr_Format(c->st->connection_closed, "TLS: %s",
                     c->tls_error == 1 ? c->tls_rmsg : c->tls_wmsg);
        return;
    }
    errno = err_no;
    PyErr_SetFromErrno(PyExc_OSError);
}

int ms_until(double deadline)
{
    double left = deadline - now_mono();
    if (left <= 0)
        return 0;
    if (left > 3600)
        return 3600 * 1000;
    return (int)(left * 1000.0) + 1;
}

/* Make room for at least `want` bytes after rb->len (compacting first). */
int rbuf_reserve(rbuf_t *rb, size_t want)
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
size_t read_want(const rbuf_t *rb)
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

/*
 * tls.c - TLS for Connection, with OpenSSL, on the connection's own
 * non-blocking socket.
 *
 * Each connection gets its own SSL_CTX (built from the options it was given)
 * and SSL object. Reads and writes are non-blocking: they report "want read"
 * / "want write" and the caller waits for readiness the way it does for a
 * plain socket (poll in blocking mode, the event loop in asyncio mode). A
 * mutex serialises SSL calls, because in blocking mode one thread may read
 * (the leader) while another writes, and an SSL object is not safe for
 * concurrent use.
 */
#include "binding.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_conn {
    SSL_CTX *ctx;
    SSL *ssl;
    pthread_mutex_t mu;
    char *password;
};

static void last_error(char *msg, size_t msglen, const char *what, SSL *ssl)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (vr != X509_V_OK)
        snprintf(msg, msglen, "%s: certificate verify failed: %s", what,
                 X509_verify_cert_error_string(vr));
    else
        snprintf(msg, msglen, "%s: %s", what, e ? buf : "unknown error");
    ERR_clear_error();
}

static int password_cb(char *buf, int size, int rwflag, void *userdata)
{
    (void)rwflag;
    const char *pw = (const char *)userdata;
    if (!pw)
        return 0;
    size_t n = strlen(pw);
    if (n > (size_t)size)
        n = (size_t)size;
    memcpy(buf, pw, n);
    return (int)n;
}

void tls_free(tls_conn *t)
{
    if (!t)
        return;
    if (t->ssl)
        SSL_free(t->ssl);
    if (t->ctx)
        SSL_CTX_free(t->ctx);
    if (t->password) {
        OPENSSL_cleanse(t->password, strlen(t->password));
        PyMem_Free(t->password);
    }
    pthread_mutex_destroy(&t->mu);
    PyMem_Free(t);
}

/* Option getters: NULL/None -> default. */
static const char *opt_str(PyObject *options, const char *key, int *err)
{
    PyObject *v = options ? PyDict_GetItemString(options, key) : NULL;
    if (!v || v == Py_None)
        return NULL;
    if (PyUnicode_Check(v))
        return PyUnicode_AsUTF8(v);
    if (PyBytes_Check(v))
        return PyBytes_AS_STRING(v);
    PyErr_Format(PyExc_TypeError, "%s must be a str", key);
    *err = 1;
    return NULL;
}

static int opt_bool(PyObject *options, const char *key, int dflt)
{
    PyObject *v = options ? PyDict_GetItemString(options, key) : NULL;
    if (!v || v == Py_None)
        return dflt;
    return PyObject_IsTrue(v);
}

static int load_cadata(SSL_CTX *ctx, const char *pem, char *msg, size_t msglen)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    if (!bio) {
        last_error(msg, msglen, "cannot read cadata", NULL);
        return -1;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int count = 0;
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, x) == 1)
            count++;
        X509_free(x);
    }
    ERR_clear_error(); /* the loop ends on a "no start line" error */
    BIO_free(bio);
    if (count == 0) {
        snprintf(msg, msglen, "cadata holds no PEM certificate");
        return -1;
    }
    return 0;
}

tls_conn *tls_new(native_state *st, int fd, PyObject *options)
{
    char msg[512] = "";
    int err = 0;
    const char *cafile = opt_str(options, "cafile", &err);
    const char *cadata = err ? NULL : opt_str(options, "cadata", &err);
    const char *certfile = err ? NULL : opt_str(options, "certfile", &err);
    const char *keyfile = err ? NULL : opt_str(options, "keyfile", &err);
    const char *password = err ? NULL : opt_str(options, "password", &err);
    const char *hostname = err ? NULL : opt_str(options, "server_hostname", &err);
    if (err)
        return NULL;
    int verify = opt_bool(options, "verify", 1);
    int check_hostname = opt_bool(options, "check_hostname", 1) && verify;
    if (verify < 0 || check_hostname < 0)
        return NULL;
    if (keyfile && !certfile) {
        PyErr_SetString(PyExc_ValueError, "keyfile needs certfile as well");
        return NULL;
    }

    tls_conn *t = PyMem_Calloc(1, sizeof(tls_conn));
    if (!t) {
        PyErr_NoMemory();
        return NULL;
    }
    pthread_mutex_init(&t->mu, NULL);
    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) {
        last_error(msg, sizeof(msg), "cannot create the TLS context", NULL);
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (verify) {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
        if (cafile && SSL_CTX_load_verify_locations(t->ctx, cafile, NULL) != 1) {
            last_error(msg, sizeof(msg), "cannot load cafile", NULL);
            goto fail;
        }
        if (cadata && load_cadata(t->ctx, cadata, msg, sizeof(msg)) < 0)
            goto fail;
        if (!cafile && !cadata && SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
            last_error(msg, sizeof(msg), "cannot load the system's CA certificates", NULL);
            goto fail;
        }
    } else {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
    }
    if (certfile) {
        if (password) {
            size_t n = strlen(password);
            if (!(t->password = PyMem_Malloc(n + 1))) {
                PyErr_NoMemory();
                tls_free(t);
                return NULL;
            }
            memcpy(t->password, password, n + 1);
            SSL_CTX_set_default_passwd_cb(t->ctx, password_cb);
            SSL_CTX_set_default_passwd_cb_userdata(t->ctx, t->password);
        }
        if (SSL_CTX_use_certificate_chain_file(t->ctx, certfile) != 1) {
            last_error(msg, sizeof(msg), "cannot load certfile", NULL);
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(t->ctx, keyfile ? keyfile : certfile, SSL_FILETYPE_PEM) != 1) {
            last_error(msg, sizeof(msg), "cannot load the private key", NULL);
            goto fail;
        }
        if (SSL_CTX_check_private_key(t->ctx) != 1) {
            last_error(msg, sizeof(msg), "the private key does not match the certificate", NULL);
            goto fail;
        }
    }
    t->ssl = SSL_new(t->ctx);
    if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1) {
        last_error(msg, sizeof(msg), "cannot create the TLS session", NULL);
        goto fail;
    }
    if (hostname && *hostname) {
        unsigned char ipbuf[16];
        int is_ip = inet_pton(AF_INET, hostname, ipbuf) == 1 || inet_pton(AF_INET6, hostname, ipbuf) == 1;
        if (!is_ip)
            SSL_set_tlsext_host_name(t->ssl, hostname); /* SNI */
        if (check_hostname) {
            X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, hostname)
                           : X509_VERIFY_PARAM_set1_host(param, hostname, 0);
            if (ok != 1) {
                last_error(msg, sizeof(msg), "cannot set the host name to check", NULL);
                goto fail;
            }
        }
    } else if (check_hostname) {
        PyErr_SetString(PyExc_ValueError, "check_hostname needs server_hostname");
        tls_free(t);
        return NULL;
    }
    SSL_set_connect_state(t->ssl);
    return t;
fail:
    tls_free(t);
    PyErr_Format(st->connection_closed, "TLS: %s", msg);
    return NULL;
}

/* Map an SSL result: want read / want write / fatal. */
static long classify(tls_conn *t, int rc, char *msg, size_t msglen, const char *what)
{
    int e = SSL_get_error(t->ssl, rc);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return -1;
    case SSL_ERROR_WANT_WRITE:
        return -2;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            snprintf(msg, msglen, "%s: the peer closed the connection", what);
            return -3;
        }
        /* fall through */
    default:
        last_error(msg, msglen, what, t->ssl);
        return -3;
    }
}

int tls_handshake(tls_conn *t, char *msg, size_t msglen)
{
    pthread_mutex_lock(&t->mu);
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    long r = rc == 1 ? 0 : classify(t, rc, msg, msglen, "TLS handshake failed");
    pthread_mutex_unlock(&t->mu);
    if (r == 0 && rc != 1) {
        snprintf(msg, msglen, "TLS handshake failed: the peer closed the connection");
        return -1;
    }
    if (r == -1)
        return 1;
    if (r == -2)
        return 2;
    return r == 0 ? 0 : -1;
}

long tls_read(tls_conn *t, void *buf, size_t n, char *msg, size_t msglen)
{
    size_t got = 0;
    pthread_mutex_lock(&t->mu);
    ERR_clear_error();
    int rc = SSL_read_ex(t->ssl, buf, n, &got);
    long r = rc == 1 ? (long)got : classify(t, rc, msg, msglen, "TLS read failed");
    pthread_mutex_unlock(&t->mu);
    return r;
}

long tls_write(tls_conn *t, const void *buf, size_t n, char *msg, size_t msglen)
{
    size_t put = 0;
    pthread_mutex_lock(&t->mu);
    ERR_clear_error();
    int rc = SSL_write_ex(t->ssl, buf, n, &put);
    long r = rc == 1 ? (long)put : classify(t, rc, msg, msglen, "TLS write failed");
    pthread_mutex_unlock(&t->mu);
    if (r == 0) {
        snprintf(msg, msglen, "TLS write failed: the peer closed the connection");
        return -3;
    }
    return r;
}

int tls_pending(tls_conn *t)
{
    pthread_mutex_lock(&t->mu);
    int n = SSL_pending(t->ssl);
    pthread_mutex_unlock(&t->mu);
    return n;
}

void tls_shutdown(tls_conn *t)
{
    pthread_mutex_lock(&t->mu);
    ERR_clear_error();
    (void)SSL_shutdown(t->ssl); /* best effort: one close_notify, no wait */
    ERR_clear_error();
    pthread_mutex_unlock(&t->mu);
}

PyObject *tls_info(tls_conn *t)
{
    pthread_mutex_lock(&t->mu);
    const char *version = SSL_get_version(t->ssl);
    const char *cipher = SSL_get_cipher_name(t->ssl);
    char subject[256] = "";
    X509 *peer = SSL_get1_peer_certificate(t->ssl);
    if (peer) {
        X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof(subject));
        X509_free(peer);
    }
    PyObject *d = Py_BuildValue("{s:s,s:s,s:s}", "version", version ? version : "",
                                "cipher", cipher ? cipher : "", "peer_subject", subject);
    pthread_mutex_unlock(&t->mu);
    return d;
}

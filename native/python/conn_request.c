/*
 * conn_request.c - request encoding: the arguments of each request method
 * unpacked and checked into one op_t, and an op_t encoded (with its bound
 * values) into a frame. The methods themselves are in conn.c; they pick the
 * engine that sends the frame.
 */
#include "conn.h"

#include <string.h>

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
/* A STARTUP asking for lz4: the frames after it are compressed (the STARTUP
 * itself is not, so both engines call this before encoding it). */
void note_compression(ConnObject *c, const op_t *o)
{
    if (o->kind != K_STARTUP || c->want_lz4)
        return;
    PyObject *comp = PyDict_GetItemString(o->dict, "COMPRESSION");
    if (comp && PyUnicode_Check(comp) && PyUnicode_CompareWithASCIIString(comp, "lz4") == 0)
        c->want_lz4 = 1;
}

int encode_op(ConnObject *c, op_t *o, cql_writer *w, int16_t s, bound_values *bv)
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
int maybe_compress(ConnObject *c, cql_writer *w, size_t off)
{
    if (!c->compress_out || w->len - off - CQL_HEADER_SIZE < c->compress_min)
        return 0;
    cql_error err = {0, NULL};
    if (cql_lz4_compress_frame(w, off, &err) != CQL_OK)
        return encode_fail(c, &err);
    return 0;
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

int opt_timeout(PyObject *v, double *out)
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

PyObject *do_query(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
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

PyObject *do_execute(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
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

PyObject *do_batch(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
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

PyObject *do_prepare(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
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

PyObject *do_options(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
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

PyObject *do_startup(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
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

PyObject *do_authenticate(ConnObject *c, runner run, PyObject *const *args,
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

PyObject *do_register(ConnObject *c, runner run, PyObject *const *args, Py_ssize_t nargs,
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

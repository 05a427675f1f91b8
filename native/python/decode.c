/*
 * decode.c - wire bytes to Python values: type and row codecs, and the Python
 * builder that the core's value walker drives.
 *
 * The bytes are walked by the core (cql_decode_value in src/values.c, the
 * walker the fuzzers drive): it checks every length, count and size and
 * decodes the scalars; this file only builds objects from what it reports,
 * hiredis-style. A type codec is built once per column type (once per
 * prepared statement, or once per result for unprepared queries); its nodes
 * are the core's type nodes with the Python details behind them (hashable
 * values, interned field names). The values built:
 *
 *   ascii/text -> str            blob/custom -> bytes       boolean -> bool
 *   tinyint..bigint, counter, varint -> int                 float/double -> float
 *   decimal -> decimal.Decimal   uuid/timeuuid -> uuid.UUID
 *   inet -> ipaddress.IPv4Address / IPv6Address
 *   date -> datetime.date
 *   time -> int nanoseconds since midnight for a result column (lossless),
 *           datetime.time (microseconds) inside collections, tuples and UDTs
 *   timestamp -> datetime (UTC, tz-aware)
 *   duration -> coodie.types.CqlDuration
 *   list -> list  set -> set  map -> dict  tuple -> tuple  UDT -> dict
 *   vector -> list
 *
 * Values that sit in a set or in a map key must be hashable: there a set is a
 * frozenset, a list or vector a tuple, and a map or UDT a tuple of pairs.
 * Dates and timestamps outside datetime's years 1..9999 come back as int
 * (days since 1970-01-01, milliseconds since the epoch).
 */
#include "codec.h"

#include <arpa/inet.h>
#include <datetime.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ======================================================================== */
/* Errors                                                                    */
/* ======================================================================== */

static PyObject *proto_error(const type_codec *tc, const char *msg)
{
    PyErr_Format(tc->st->protocol_error, "%U value: %s", tc->tname, msg);
    return NULL;
}

/* ======================================================================== */
/* The Python builder                                                        */
/* ======================================================================== */

/* The core reports a value as a pre-order stream: scalars, and collections as
 * begin_collection / their elements / end_collection. The builder keeps the
 * open containers on a stack (the walker's depth limit bounds it) and puts
 * each finished value into the innermost one, or into `result` at the top. */
typedef struct open_container {
    PyObject *obj;
    const type_codec *tc;
    PyObject **items; /* list, vector, tuple: the object's item slots; else NULL */
    Py_ssize_t size;  /* slots in items */
    Py_ssize_t i;     /* elements (fields) put so far */
    PyObject *key;    /* map: a key waiting for its value */
} open_container;

typedef struct py_builder {
    PyObject *result;
    int depth;
    open_container open[CQL_MAX_DEPTH + 2];
} py_builder;

static PyObject *pairs_tuple(PyObject *dict)
{
    PyObject *items = PyDict_Items(dict);
    if (!items)
        return NULL;
    PyObject *t = PyList_AsTuple(items);
    Py_DECREF(items);
    return t;
}

/* Put v (stolen) into a set, map or UDT. */
static int put_keyed(open_container *c, PyObject *v)
{
    const type_codec *tc = c->tc;
    int rc;
    switch (tc->type.id) {
    case CQL_TYPE_SET:
        rc = PySet_Add(c->obj, v);
        break;
    case CQL_TYPE_MAP:
        if (!c->key) {
            c->key = v;
            return 0;
        }
        rc = PyDict_SetItem(c->obj, c->key, v);
        Py_CLEAR(c->key);
        break;
    case CQL_TYPE_UDT:
        if (c->i >= tc->type.n) {
            Py_DECREF(v);
            proto_error(tc, "more fields than the type has");
            return -1;
        }
        rc = PyDict_SetItem(c->obj, tc->fields[c->i++], v);
        break;
    default:
        Py_DECREF(v);
        proto_error(tc, "value inside a type that holds none");
        return -1;
    }
    Py_DECREF(v);
    return rc;
}

/* Put a finished value (stolen; NULL: an exception is set) where it belongs.
 * 0, or -1 with an exception. Lists, vectors and tuples are filled through
 * their item slots: the common case is one store. */
static inline int put(py_builder *b, PyObject *v)
{
    if (!v)
        return -1;
    if (b->depth == 0) {
        b->result = v;
        return 0;
    }
    open_container *c = &b->open[b->depth - 1];
    if (c->items) {
        if (c->i >= c->size) { /* the walker reports no more than announced */
            Py_DECREF(v);
            proto_error(c->tc, "more elements than announced");
            return -1;
        }
        c->items[c->i++] = v;
        return 0;
    }
    return put_keyed(c, v);
}

static int on_null(void *ud, const cql_type *t)
{
    (void)t;
    return put(ud, Py_NewRef(Py_None));
}

static int on_bool(void *ud, const cql_type *t, int v)
{
    (void)t;
    return put(ud, Py_NewRef(v ? Py_True : Py_False));
}

static int on_int64(void *ud, const cql_type *t, int64_t v)
{
    (void)t;
    return put(ud, PyLong_FromLongLong(v));
}

static int on_double(void *ud, const cql_type *t, double v)
{
    (void)t;
    return put(ud, PyFloat_FromDouble(v));
}

/* ascii arrives checked; text is checked by CPython's decoder, which fails a
 * value that is not UTF-8 (on_text_checks_utf8). */
static int on_text(void *ud, const cql_type *t, const char *s, size_t n)
{
    if (t->id == CQL_TYPE_ASCII) {
        PyObject *a = PyUnicode_New((Py_ssize_t)n, 127);
        if (a && n)
            memcpy(PyUnicode_DATA(a), s, n);
        return put(ud, a);
    }
    return put(ud, PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, NULL));
}

static int on_bytes(void *ud, const cql_type *t, const uint8_t *p, size_t n)
{
    (void)t;
    return put(ud, PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n));
}

static int on_varint(void *ud, const cql_type *t, const uint8_t *p, size_t n)
{
    (void)t;
    int64_t v;
    if (cql_decode_varint_i64(p, n, &v) == CQL_OK)
        return put(ud, PyLong_FromLongLong(v));
    return put(ud, long_from_be(p, n, 1));
}

/* An unscaled value beyond 64 bits: Decimal(int) is exact, and so is scaling it
 * in the never-rounding context (no text: Python refuses int -> str past 4,300 digits). */
static PyObject *big_decimal_from(native_state *st, long long exponent, const uint8_t *u, size_t n)
{
    PyObject *big = long_from_be(u, n, 1);
    if (!big)
        return NULL;
    PyObject *unscaled = PyObject_CallOneArg(st->decimal_type, big);
    Py_DECREF(big);
    if (!unscaled || exponent == 0)
        return unscaled;
    PyObject *power = PyLong_FromLongLong(exponent);
    PyObject *scaled = power ? PyObject_CallMethodObjArgs(unscaled, st->s_scaleb, power, st->decimal_exact, NULL)
                             : NULL;
    Py_XDECREF(power);
    Py_DECREF(unscaled);
    return scaled;
}

static PyObject *decimal_from(native_state *st, int32_t scale, const uint8_t *u, size_t n)
{
    long long exponent = -(long long)scale;
    PyObject *text;
    int64_t small;
    if (cql_decode_varint_i64(u, n, &small) == CQL_OK) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%lldE%lld", (long long)small, exponent);
        text = PyUnicode_FromString(buf);
    } else {
        return big_decimal_from(st, exponent, u, n);
    }
    if (!text)
        return NULL;
    PyObject *d = PyObject_CallOneArg(st->decimal_type, text);
    Py_DECREF(text);
    return d;
}

static int on_decimal(void *ud, const cql_type *t, int32_t scale, const uint8_t *p, size_t n)
{
    return put(ud, decimal_from(type_codec_of(t)->st, scale, p, n));
}

/* A real uuid.UUID without running its __init__: allocate, then set the two
 * slots directly (UUID.__setattr__ refuses writes). */
static PyObject *uuid_from(native_state *st, const uint8_t *u16)
{
    PyObject *i = long_from_be(u16, 16, 0);
    if (!i)
        return NULL;
    PyTypeObject *t = (PyTypeObject *)st->uuid_type;
    PyObject *u = t->tp_alloc(t, 0);
    if (u && (PyObject_GenericSetAttr(u, st->s_int, i) < 0 ||
              PyObject_GenericSetAttr(u, st->s_is_safe, st->safe_uuid_unknown) < 0))
        Py_CLEAR(u);
    Py_DECREF(i);
    return u;
}

static int on_uuid(void *ud, const cql_type *t, const uint8_t *u16)
{
    return put(ud, uuid_from(type_codec_of(t)->st, u16));
}

/* addr is 4 or 16 bytes (checked by the core). */
static int on_inet(void *ud, const cql_type *t, const uint8_t *addr, size_t n)
{
    native_state *st = type_codec_of(t)->st;
    PyObject *i = n == 4 ? PyLong_FromUnsignedLong(cql_load_be32(addr)) : long_from_be(addr, n, 0);
    if (!i)
        return -1;
    PyObject *a = PyObject_CallOneArg(n == 4 ? st->ipv4_type : st->ipv6_type, i);
    Py_DECREF(i);
    return put(ud, a);
}

static int on_date(void *ud, const cql_type *t, int64_t days)
{
    (void)t;
    if (days < DAYS_0001_01_01 || days > DAYS_9999_12_31)
        return put(ud, PyLong_FromLongLong(days));
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    return put(ud, PyDate_FromDate(y, m, d));
}

/* ns is in [0, 86400e9) (checked by the core). */
static int on_time(void *ud, const cql_type *t, int64_t ns)
{
    if (type_codec_of(t)->time_ns)
        return put(ud, PyLong_FromLongLong(ns));
    int64_t us = ns / 1000;
    int64_t s = us / 1000000;
    return put(ud, PyTime_FromTime((int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
                                   (int)(us % 1000000)));
}

static int on_timestamp(void *ud, const cql_type *t, int64_t ms)
{
    int64_t days = floordiv64(ms, MS_PER_DAY);
    if (days < DAYS_0001_01_01 || days > DAYS_9999_12_31)
        return put(ud, PyLong_FromLongLong(ms));
    int64_t rem = ms - days * MS_PER_DAY; /* [0, MS_PER_DAY) */
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / 1000;
    return put(ud, PyDateTimeAPI->DateTime_FromDateAndTime(
                       y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
                       (int)(rem % 1000) * 1000, type_codec_of(t)->st->utc,
                       PyDateTimeAPI->DateTimeType));
}

static PyObject *duration_type(native_state *st)
{
    if (st->duration_type)
        return st->duration_type;
    PyObject *mod = PyImport_ImportModule("coodie.types");
    if (!mod)
        return NULL;
    st->duration_type = PyObject_GetAttrString(mod, "CqlDuration");
    Py_DECREF(mod);
    return st->duration_type;
}

static int on_duration(void *ud, const cql_type *t, const cql_duration *d)
{
    PyObject *cls = duration_type(type_codec_of(t)->st);
    if (!cls)
        return -1;
    PyObject *args[3] = {PyLong_FromLong(d->months), PyLong_FromLong(d->days),
                         PyLong_FromLongLong(d->nanoseconds)};
    PyObject *res = NULL;
    if (args[0] && args[1] && args[2])
        res = PyObject_Vectorcall(cls, args, 3, NULL);
    Py_XDECREF(args[0]);
    Py_XDECREF(args[1]);
    Py_XDECREF(args[2]);
    return put(ud, res);
}

/* list/set/vector: n elements; map: n pairs; tuple/UDT: n fields present. */
static int begin_collection(void *ud, const cql_type *t, int32_t n)
{
    py_builder *b = ud;
    const type_codec *tc = type_codec_of(t);
    if (b->depth >= (int)(sizeof(b->open) / sizeof(b->open[0]))) {
        proto_error(tc, "value nested too deep");
        return -1;
    }
    PyObject *obj;
    switch (t->id) {
    case CQL_TYPE_LIST:
    case CQL_TYPE_VECTOR:
        obj = tc->hashable ? PyTuple_New(n) : PyList_New(n);
        break;
    case CQL_TYPE_SET:
        obj = tc->hashable ? PyFrozenSet_New(NULL) : PySet_New(NULL);
        break;
    case CQL_TYPE_TUPLE:
        obj = PyTuple_New(t->n);
        break;
    default: /* map, UDT */
        obj = PyDict_New();
        break;
    }
    if (!obj)
        return -1;
    open_container *c = &b->open[b->depth++];
    *c = (open_container){obj, tc, NULL, 0, 0, NULL};
    if (PyList_CheckExact(obj)) {
        c->items = ((PyListObject *)obj)->ob_item;
        c->size = PyList_GET_SIZE(obj);
    } else if (PyTuple_CheckExact(obj)) {
        c->items = &PyTuple_GET_ITEM(obj, 0);
        c->size = PyTuple_GET_SIZE(obj);
    }
    return 0;
}

/* A tuple or UDT with no field present was an empty value: None. Missing
 * trailing fields are null. */
static PyObject *finish_fields(open_container *c)
{
    const type_codec *tc = c->tc;
    if (c->i == 0)
        return Py_NewRef(Py_None);
    for (Py_ssize_t k = c->i; k < tc->type.n; k++) {
        if (tc->type.id == CQL_TYPE_TUPLE)
            PyTuple_SET_ITEM(c->obj, k, Py_NewRef(Py_None));
        else if (PyDict_SetItem(c->obj, tc->fields[k], Py_None) < 0)
            return NULL;
    }
    return Py_NewRef(c->obj);
}

static int end_collection(void *ud, const cql_type *t)
{
    py_builder *b = ud;
    open_container c = b->open[--b->depth];
    PyObject *v;
    if (t->id == CQL_TYPE_TUPLE || t->id == CQL_TYPE_UDT)
        v = finish_fields(&c);
    else
        v = Py_NewRef(c.obj);
    if (v && c.tc->hashable && PyDict_Check(v))
        Py_SETREF(v, pairs_tuple(v));
    Py_DECREF(c.obj);
    Py_XDECREF(c.key);
    return put(b, v);
}

static const cql_value_cb py_builder_cb = {
    .on_null = on_null,
    .on_empty = on_null, /* a zero-length non-text value is None */
    .on_bool = on_bool,
    .on_int64 = on_int64,
    .on_double = on_double,
    .on_text = on_text,
    .on_bytes = on_bytes,
    .on_uuid = on_uuid,
    .on_varint = on_varint,
    .on_decimal = on_decimal,
    .on_inet = on_inet,
    .on_date = on_date,
    .on_time = on_time,
    .on_timestamp = on_timestamp,
    .on_duration = on_duration,
    .begin_collection = begin_collection,
    .end_collection = end_collection,
    .on_text_checks_utf8 = 1,
};

/* Drop what a failed walk left open. */
static void builder_abandon(py_builder *b)
{
    while (b->depth > 0) {
        open_container *c = &b->open[--b->depth];
        Py_DECREF(c->obj);
        Py_XDECREF(c->key);
    }
    Py_CLEAR(b->result);
}

/* ======================================================================== */
/* Building type codecs                                                      */
/* ======================================================================== */

static PyObject *str_from(cql_str s)
{
    return PyUnicode_DecodeUTF8(s.p, (Py_ssize_t)s.len, "replace");
}

static PyObject *type_text(const cql_type *t)
{
    switch (t->id) {
    case CQL_TYPE_VARCHAR:
        return PyUnicode_FromString("text");
    case CQL_TYPE_CUSTOM: {
        PyObject *c = str_from(t->custom);
        if (!c)
            return NULL;
        PyObject *s = PyUnicode_FromFormat("'%U'", c);
        Py_DECREF(c);
        return s;
    }
    case CQL_TYPE_UDT: {
        PyObject *ks = str_from(t->keyspace), *name = str_from(t->name);
        PyObject *s = (ks && name) ? PyUnicode_FromFormat("%U.%U", ks, name) : NULL;
        Py_XDECREF(ks);
        Py_XDECREF(name);
        return s;
    }
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
    case CQL_TYPE_TUPLE:
    case CQL_TYPE_VECTOR: {
        PyObject *parts = PyList_New(0);
        if (!parts)
            return NULL;
        for (uint16_t k = 0; k < t->n; k++) {
            PyObject *c = type_text(t->children[k]);
            if (!c || PyList_Append(parts, c) < 0) {
                Py_XDECREF(c);
                Py_DECREF(parts);
                return NULL;
            }
            Py_DECREF(c);
        }
        if (t->id == CQL_TYPE_VECTOR) {
            PyObject *d = PyUnicode_FromFormat("%d", (int)t->dim);
            if (!d || PyList_Append(parts, d) < 0) {
                Py_XDECREF(d);
                Py_DECREF(parts);
                return NULL;
            }
            Py_DECREF(d);
        }
        PyObject *sep = PyUnicode_FromString(", ");
        PyObject *inner = sep ? PyUnicode_Join(sep, parts) : NULL;
        Py_XDECREF(sep);
        Py_DECREF(parts);
        if (!inner)
            return NULL;
        PyObject *s = PyUnicode_FromFormat("%s<%U>", cql_type_name(t->id), inner);
        Py_DECREF(inner);
        return s;
    }
    default:
        return PyUnicode_FromString(cql_type_name(t->id));
    }
}

static int is_supported(uint16_t id)
{
    switch (id) {
    case CQL_TYPE_CUSTOM: case CQL_TYPE_ASCII: case CQL_TYPE_BIGINT: case CQL_TYPE_BLOB:
    case CQL_TYPE_BOOLEAN: case CQL_TYPE_COUNTER: case CQL_TYPE_DECIMAL: case CQL_TYPE_DOUBLE:
    case CQL_TYPE_FLOAT: case CQL_TYPE_INT: case CQL_TYPE_TIMESTAMP: case CQL_TYPE_UUID:
    case CQL_TYPE_VARCHAR: case CQL_TYPE_VARINT: case CQL_TYPE_TIMEUUID: case CQL_TYPE_INET:
    case CQL_TYPE_DATE: case CQL_TYPE_TIME: case CQL_TYPE_SMALLINT: case CQL_TYPE_TINYINT:
    case CQL_TYPE_DURATION: case CQL_TYPE_LIST: case CQL_TYPE_MAP: case CQL_TYPE_SET:
    case CQL_TYPE_UDT: case CQL_TYPE_TUPLE: case CQL_TYPE_VECTOR:
        return 1;
    default:
        return 0;
    }
}

void type_codec_free(type_codec *tc)
{
    if (!tc)
        return;
    if (tc->child) {
        for (uint16_t k = 0; k < tc->type.n; k++)
            type_codec_free(tc->child[k]);
        PyMem_Free(tc->child);
    }
    PyMem_Free(tc->type.children);
    if (tc->fields) {
        for (uint16_t k = 0; k < tc->type.n; k++)
            Py_XDECREF(tc->fields[k]);
        PyMem_Free(tc->fields);
    }
    Py_XDECREF(tc->tname);
    PyMem_Free(tc);
}

type_codec *type_codec_build(native_state *st, const cql_type *t, int hashable)
{
    type_codec *tc = PyMem_Calloc(1, sizeof(type_codec));
    if (!tc) {
        PyErr_NoMemory();
        return NULL;
    }
    tc->st = st;
    tc->type.id = t->id;
    tc->hashable = hashable;
    if (!is_supported(t->id)) {
        PyErr_Format(st->protocol_error, "unsupported CQL type id 0x%04x", (unsigned)t->id);
        goto fail;
    }
    if (!(tc->tname = type_text(t)))
        goto fail;
    if (t->id == CQL_TYPE_VECTOR) {
        tc->type.dim = t->dim;
        tc->type.fixed_size = t->fixed_size;
        tc->fixed = cql_type_fixed_size(t->children[0]);
    }
    if (t->n) {
        tc->child = PyMem_Calloc(t->n, sizeof(type_codec *));
        tc->type.children = PyMem_Calloc(t->n, sizeof(cql_type *));
        if (!tc->child || !tc->type.children) {
            PyErr_NoMemory();
            goto fail;
        }
        tc->type.n = t->n;
        for (uint16_t k = 0; k < t->n; k++) {
            int h = hashable;
            if (t->id == CQL_TYPE_SET || (t->id == CQL_TYPE_MAP && k == 0))
                h = 1;
            if (!(tc->child[k] = type_codec_build(st, t->children[k], h)))
                goto fail;
            tc->type.children[k] = &tc->child[k]->type;
        }
    }
    if (t->id == CQL_TYPE_UDT && t->n) {
        if (!(tc->fields = PyMem_Calloc(t->n, sizeof(PyObject *)))) {
            PyErr_NoMemory();
            goto fail;
        }
        for (uint16_t k = 0; k < t->n; k++) {
            if (!(tc->fields[k] = str_from(t->field_names[k])))
                goto fail;
            PyUnicode_InternInPlace(&tc->fields[k]);
        }
    }
    return tc;
fail:
    type_codec_free(tc);
    return NULL;
}

void row_codec_free(row_codec *rp)
{
    if (!rp)
        return;
    for (int32_t i = 0; i < rp->ncols; i++) {
        if (rp->names)
            Py_XDECREF(rp->names[i]);
        if (rp->cols)
            type_codec_free(rp->cols[i]);
    }
    PyMem_Free(rp->names);
    PyMem_Free(rp->cols);
    PyMem_Free(rp->pk_indexes);
    PyMem_Free(rp);
}

row_codec *row_codec_build(native_state *st, const cql_metadata *m)
{
    row_codec *rp = PyMem_Calloc(1, sizeof(row_codec));
    if (!rp) {
        PyErr_NoMemory();
        return NULL;
    }
    int32_t n = m->columns ? m->column_count : 0;
    size_t alloc = n > 0 ? (size_t)n : 1;
    rp->names = PyMem_Calloc(alloc, sizeof(PyObject *));
    rp->cols = PyMem_Calloc(alloc, sizeof(type_codec *));
    if (!rp->names || !rp->cols) {
        PyErr_NoMemory();
        goto fail;
    }
    rp->ncols = n;
    for (int32_t i = 0; i < n; i++) {
        if (!(rp->names[i] = str_from(m->columns[i].name)))
            goto fail;
        PyUnicode_InternInPlace(&rp->names[i]);
        if (!(rp->cols[i] = type_codec_build(st, m->columns[i].type, 0)))
            goto fail;
        rp->cols[i]->time_ns = 1; /* a time column keeps its nanoseconds */
    }
    if (m->pk_count > 0 && m->pk_indexes) {
        if (!(rp->pk_indexes = PyMem_Calloc((size_t)m->pk_count, sizeof(uint16_t)))) {
            PyErr_NoMemory();
            goto fail;
        }
        memcpy(rp->pk_indexes, m->pk_indexes, (size_t)m->pk_count * sizeof(uint16_t));
        rp->pk_count = m->pk_count;
    }
    return rp;
fail:
    row_codec_free(rp);
    return NULL;
}

/* ======================================================================== */
/* Decoding values and rows                                                  */
/* ======================================================================== */

/* Replace the pending exception by ProtocolError naming the column (the
 * original is chained as __cause__). MemoryError passes through. */
static void name_decode_error(const type_codec *tc, PyObject *colname)
{
    if (PyErr_ExceptionMatches(PyExc_MemoryError))
        return;
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exc = PyErr_GetRaisedException();
#else
    PyObject *t, *exc, *tb;
    PyErr_Fetch(&t, &exc, &tb);
    PyErr_NormalizeException(&t, &exc, &tb);
    if (exc && tb)
        PyException_SetTraceback(exc, tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
#endif
    PyErr_Format(tc->st->protocol_error, "cannot decode column %R (%U): %S",
                 colname ? colname : Py_None, tc->tname, exc);
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *outer = PyErr_GetRaisedException();
    PyException_SetCause(outer, exc); /* steals exc */
    PyErr_SetRaisedException(outer);
#else
    PyObject *t2, *outer, *tb2;
    PyErr_Fetch(&t2, &outer, &tb2);
    PyErr_NormalizeException(&t2, &outer, &tb2);
    PyException_SetCause(outer, exc); /* steals exc */
    PyErr_Restore(t2, outer, tb2);
#endif
}

/* One [bytes] value through the core's walker into b->result. */
static PyObject *decode_one(py_builder *b, const type_codec *tc, cql_bytes v, PyObject *colname)
{
    cql_error err = {0, NULL};
    b->result = NULL;
    b->depth = 0;
    if (cql_decode_value(&tc->type, v, &py_builder_cb, b, &err) != CQL_OK) {
        builder_abandon(b);
        if (!PyErr_Occurred()) /* the walker refused the bytes */
            proto_error(tc, err.msg ? err.msg : cql_strerror(err.code));
        name_decode_error(tc, colname);
        return NULL;
    }
    return b->result;
}

PyObject *type_codec_decode(const type_codec *tc, cql_bytes v, PyObject *colname)
{
    py_builder b;
    return decode_one(&b, tc, v, colname);
}

PyObject *row_codec_decode_rows(native_state *st, const row_codec *rp, cql_reader *r,
                                int32_t count, int32_t ncols)
{
    if (ncols != rp->ncols) {
        PyErr_Format(st->protocol_error,
                     "rows have %d columns but the metadata describes %d", (int)ncols,
                     (int)rp->ncols);
        return NULL;
    }
    PyObject *rows = PyList_New(count);
    if (!rows)
        return NULL;
    cql_error err = {0, NULL};
    py_builder b;
    for (int32_t i = 0; i < count; i++) {
        PyObject *row = PyDict_New();
        if (!row)
            goto fail;
        PyList_SET_ITEM(rows, i, row);
        for (int32_t c = 0; c < ncols; c++) {
            cql_bytes v;
            if (cql_rd_bytes(r, &v, &err) != CQL_OK) {
                binding_core_error(st, "truncated row", &err);
                goto fail;
            }
            PyObject *val = decode_one(&b, rp->cols[c], v, rp->names[c]);
            if (!val)
                goto fail;
            int rc = PyDict_SetItem(row, rp->names[c], val);
            Py_DECREF(val);
            if (rc < 0)
                goto fail;
        }
    }
    if (r->n != 0) {
        PyErr_Format(st->protocol_error, "%zu bytes left after the %d rows announced",
                     r->n, (int)count);
        goto fail;
    }
    return rows;
fail:
    Py_DECREF(rows); /* rows not yet set are NULL */
    return NULL;
}

int decode_datetime_import(void)
{
    PyDateTime_IMPORT;
    return PyDateTimeAPI ? 0 : -1;
}

/*
 * decode.c - wire bytes to Python values: the column decoders and the row walker.
 *
 * A type codec is built once per column type (once per prepared statement,
 * or once per result for unprepared queries). Each node holds a decoder
 * function pointer, its children and interned names, so decoding a row is a
 * loop of indirect calls that build canonical Python values directly from the
 * wire bytes:
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

static PyObject *size_error(const type_codec *tc, int rc)
{
    if (rc == CQL_ERANGE)
        return proto_error(tc, "out of range for its type");
    return proto_error(tc, "size does not match its type");
}

/* ======================================================================== */
/* Scalar decoders                                                           */
/* ======================================================================== */

static PyObject *dec_text(const type_codec *tc, const uint8_t *p, size_t n)
{
    (void)tc;
    return PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n, NULL);
}

static PyObject *dec_ascii(const type_codec *tc, const uint8_t *p, size_t n)
{
    if (!cql_ascii_valid(p, n))
        return proto_error(tc, "ascii value has a byte above 127");
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s && n)
        memcpy(PyUnicode_DATA(s), p, n);
    return s;
}

static PyObject *dec_blob(const type_codec *tc, const uint8_t *p, size_t n)
{
    (void)tc;
    return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
}

static PyObject *dec_bool(const type_codec *tc, const uint8_t *p, size_t n)
{
    int v;
    int rc = cql_decode_bool(p, n, &v);
    if (rc != CQL_OK)
        return size_error(tc, rc);
    return Py_NewRef(v ? Py_True : Py_False);
}

static PyObject *dec_tinyint(const type_codec *tc, const uint8_t *p, size_t n)
{
    int8_t v;
    int rc = cql_decode_tinyint(p, n, &v);
    return rc == CQL_OK ? PyLong_FromLong(v) : size_error(tc, rc);
}

static PyObject *dec_smallint(const type_codec *tc, const uint8_t *p, size_t n)
{
    int16_t v;
    int rc = cql_decode_smallint(p, n, &v);
    return rc == CQL_OK ? PyLong_FromLong(v) : size_error(tc, rc);
}

static PyObject *dec_int(const type_codec *tc, const uint8_t *p, size_t n)
{
    int32_t v;
    int rc = cql_decode_int(p, n, &v);
    return rc == CQL_OK ? PyLong_FromLong(v) : size_error(tc, rc);
}

static PyObject *dec_bigint(const type_codec *tc, const uint8_t *p, size_t n)
{
    int64_t v;
    int rc = cql_decode_bigint(p, n, &v);
    return rc == CQL_OK ? PyLong_FromLongLong(v) : size_error(tc, rc);
}

static PyObject *dec_varint(const type_codec *tc, const uint8_t *p, size_t n)
{
    int64_t v;
    int rc = cql_decode_varint_i64(p, n, &v);
    if (rc == CQL_OK)
        return PyLong_FromLongLong(v);
    if (rc == CQL_ERANGE)
        return long_from_be(p, n, 1);
    return size_error(tc, rc);
}

static PyObject *dec_float(const type_codec *tc, const uint8_t *p, size_t n)
{
    float v;
    int rc = cql_decode_float(p, n, &v);
    return rc == CQL_OK ? PyFloat_FromDouble((double)v) : size_error(tc, rc);
}

static PyObject *dec_double(const type_codec *tc, const uint8_t *p, size_t n)
{
    double v;
    int rc = cql_decode_double(p, n, &v);
    return rc == CQL_OK ? PyFloat_FromDouble(v) : size_error(tc, rc);
}

static PyObject *dec_decimal(const type_codec *tc, const uint8_t *p, size_t n)
{
    int32_t scale;
    const uint8_t *u;
    size_t ulen;
    int rc = cql_decode_decimal(p, n, &scale, &u, &ulen);
    if (rc != CQL_OK)
        return size_error(tc, rc);
    long long exponent = -(long long)scale;
    PyObject *text;
    int64_t small;
    if (cql_decode_varint_i64(u, ulen, &small) == CQL_OK) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%lldE%lld", (long long)small, exponent);
        text = PyUnicode_FromString(buf);
    } else {
        PyObject *big = long_from_be(u, ulen, 1);
        if (!big)
            return NULL;
        text = PyUnicode_FromFormat("%SE%lld", big, exponent);
        Py_DECREF(big);
    }
    if (!text)
        return NULL;
    PyObject *d = PyObject_CallOneArg(tc->st->decimal_type, text);
    Py_DECREF(text);
    return d;
}

static PyObject *dec_uuid(const type_codec *tc, const uint8_t *p, size_t n)
{
    native_state *st = tc->st;
    if (n != 16)
        return size_error(tc, CQL_EINVAL);
    PyObject *i = long_from_be(p, 16, 0);
    if (!i)
        return NULL;
    /* A real uuid.UUID without running its __init__: allocate, then set the
     * two slots directly (UUID.__setattr__ refuses writes). */
    PyTypeObject *t = (PyTypeObject *)st->uuid_type;
    PyObject *u = t->tp_alloc(t, 0);
    if (!u) {
        Py_DECREF(i);
        return NULL;
    }
    if (PyObject_GenericSetAttr(u, st->s_int, i) < 0 ||
        PyObject_GenericSetAttr(u, st->s_is_safe, st->safe_uuid_unknown) < 0) {
        Py_DECREF(i);
        Py_DECREF(u);
        return NULL;
    }
    Py_DECREF(i);
    return u;
}

static PyObject *dec_inet(const type_codec *tc, const uint8_t *p, size_t n)
{
    PyObject *i, *a;
    if (n == 4) {
        i = PyLong_FromUnsignedLong(cql_load_be32(p));
        if (!i)
            return NULL;
        a = PyObject_CallOneArg(tc->st->ipv4_type, i);
    } else if (n == 16) {
        i = long_from_be(p, 16, 0);
        if (!i)
            return NULL;
        a = PyObject_CallOneArg(tc->st->ipv6_type, i);
    } else {
        return proto_error(tc, "inet value is neither 4 nor 16 bytes");
    }
    Py_DECREF(i);
    return a;
}

static PyObject *dec_date(const type_codec *tc, const uint8_t *p, size_t n)
{
    int64_t days;
    int rc = cql_decode_date(p, n, &days);
    if (rc != CQL_OK)
        return size_error(tc, rc);
    if (days < DAYS_0001_01_01 || days > DAYS_9999_12_31)
        return PyLong_FromLongLong(days);
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    return PyDate_FromDate(y, m, d);
}

static PyObject *dec_time(const type_codec *tc, const uint8_t *p, size_t n)
{
    int64_t ns;
    int rc = cql_decode_time(p, n, &ns);
    if (rc != CQL_OK)
        return size_error(tc, rc);
    int64_t us = ns / 1000;
    int64_t s = us / 1000000;
    return PyTime_FromTime((int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
                           (int)(us % 1000000));
}

static PyObject *dec_time_ns(const type_codec *tc, const uint8_t *p, size_t n)
{
    int64_t ns;
    int rc = cql_decode_time(p, n, &ns);
    return rc == CQL_OK ? PyLong_FromLongLong(ns) : size_error(tc, rc);
}

static PyObject *timestamp_from_ms(native_state *st, int64_t ms)
{
    int64_t days = floordiv64(ms, MS_PER_DAY);
    if (days < DAYS_0001_01_01 || days > DAYS_9999_12_31)
        return PyLong_FromLongLong(ms);
    int64_t rem = ms - days * MS_PER_DAY; /* [0, MS_PER_DAY) */
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / 1000;
    return PyDateTimeAPI->DateTime_FromDateAndTime(
        y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
        (int)(rem % 1000) * 1000, st->utc, PyDateTimeAPI->DateTimeType);
}

static PyObject *dec_timestamp(const type_codec *tc, const uint8_t *p, size_t n)
{
    int64_t ms;
    int rc = cql_decode_bigint(p, n, &ms);
    if (rc != CQL_OK)
        return size_error(tc, rc);
    return timestamp_from_ms(tc->st, ms);
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

static PyObject *dec_duration(const type_codec *tc, const uint8_t *p, size_t n)
{
    cql_duration d;
    int rc = cql_decode_duration(p, n, &d);
    if (rc != CQL_OK)
        return proto_error(tc, "malformed duration value");
    PyObject *cls = duration_type(tc->st);
    if (!cls)
        return NULL;
    PyObject *args[3] = {PyLong_FromLong(d.months), PyLong_FromLong(d.days),
                         PyLong_FromLongLong(d.nanoseconds)};
    PyObject *res = NULL;
    if (args[0] && args[1] && args[2])
        res = PyObject_Vectorcall(cls, args, 3, NULL);
    Py_XDECREF(args[0]);
    Py_XDECREF(args[1]);
    Py_XDECREF(args[2]);
    return res;
}

/* ======================================================================== */
/* Nested decoders                                                           */
/* ======================================================================== */

static int is_text_like(uint16_t id)
{
    return id == CQL_TYPE_ASCII || id == CQL_TYPE_VARCHAR || id == CQL_TYPE_BLOB ||
           id == CQL_TYPE_CUSTOM;
}

/* A [bytes] element: null -> None; empty non-text value -> None. */
static inline PyObject *dec_elem(const type_codec *tc, cql_bytes v)
{
    if (v.len < 0 || (v.len == 0 && !is_text_like(tc->id)))
        Py_RETURN_NONE;
    return tc->decode(tc, v.p, (size_t)v.len);
}

static PyObject *core_fail(const type_codec *tc, const cql_error *err)
{
    return proto_error(tc, err->msg ? err->msg : cql_strerror(err->code));
}

static PyObject *pairs_tuple(PyObject *dict)
{
    PyObject *items = PyDict_Items(dict);
    if (!items)
        return NULL;
    PyObject *t = PyList_AsTuple(items);
    Py_DECREF(items);
    return t;
}

static PyObject *dec_list(const type_codec *tc, const uint8_t *p, size_t n)
{
    cql_elem_iter it;
    int32_t count;
    cql_error err = {0, NULL};
    cql_bytes e;
    if (cql_collection_begin(p, n, tc->id, &it, &count, &err) != CQL_OK)
        return core_fail(tc, &err);
    PyObject *out = tc->hashable ? PyTuple_New(count) : PyList_New(count);
    if (!out)
        return NULL;
    for (int32_t k = 0; k < count; k++) {
        if (cql_elem_next(&it, &e, &err) != CQL_OK) {
            Py_DECREF(out);
            return core_fail(tc, &err);
        }
        PyObject *v = dec_elem(tc->child[0], e);
        if (!v) {
            Py_DECREF(out);
            return NULL;
        }
        if (tc->hashable)
            PyTuple_SET_ITEM(out, k, v);
        else
            PyList_SET_ITEM(out, k, v);
    }
    if (it.r.n != 0) {
        Py_DECREF(out);
        return proto_error(tc, "trailing bytes after collection elements");
    }
    return out;
}

static PyObject *dec_set(const type_codec *tc, const uint8_t *p, size_t n)
{
    cql_elem_iter it;
    int32_t count;
    cql_error err = {0, NULL};
    cql_bytes e;
    if (cql_collection_begin(p, n, tc->id, &it, &count, &err) != CQL_OK)
        return core_fail(tc, &err);
    PyObject *out = tc->hashable ? PyFrozenSet_New(NULL) : PySet_New(NULL);
    if (!out)
        return NULL;
    for (int32_t k = 0; k < count; k++) {
        if (cql_elem_next(&it, &e, &err) != CQL_OK) {
            Py_DECREF(out);
            return core_fail(tc, &err);
        }
        PyObject *v = dec_elem(tc->child[0], e);
        if (!v || PySet_Add(out, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(v);
    }
    if (it.r.n != 0) {
        Py_DECREF(out);
        return proto_error(tc, "trailing bytes after collection elements");
    }
    return out;
}

static PyObject *dec_map(const type_codec *tc, const uint8_t *p, size_t n)
{
    cql_elem_iter it;
    int32_t count;
    cql_error err = {0, NULL};
    cql_bytes ke, ve;
    if (cql_collection_begin(p, n, CQL_TYPE_MAP, &it, &count, &err) != CQL_OK)
        return core_fail(tc, &err);
    PyObject *out = PyDict_New();
    if (!out)
        return NULL;
    for (int32_t k = 0; k < count; k++) {
        if (cql_elem_next(&it, &ke, &err) != CQL_OK || cql_elem_next(&it, &ve, &err) != CQL_OK) {
            Py_DECREF(out);
            return core_fail(tc, &err);
        }
        PyObject *key = dec_elem(tc->child[0], ke);
        if (!key) {
            Py_DECREF(out);
            return NULL;
        }
        PyObject *val = dec_elem(tc->child[1], ve);
        if (!val || PyDict_SetItem(out, key, val) < 0) {
            Py_DECREF(key);
            Py_XDECREF(val);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(key);
        Py_DECREF(val);
    }
    if (it.r.n != 0) {
        Py_DECREF(out);
        return proto_error(tc, "trailing bytes after map entries");
    }
    if (tc->hashable) {
        PyObject *t = pairs_tuple(out);
        Py_DECREF(out);
        return t;
    }
    return out;
}

/* Fields of a tuple or UDT: at most tc->n values; missing trailing ones are null. */
static PyObject *dec_fields(const type_codec *tc, const uint8_t *p, size_t n, PyObject **vals)
{
    cql_elem_iter it;
    cql_error err = {0, NULL};
    cql_bytes e;
    int rc;
    uint16_t k = 0;
    cql_fields_begin(p, n, &it);
    while ((rc = cql_elem_next(&it, &e, &err)) == CQL_OK) {
        if (k >= tc->n)
            return proto_error(tc, "more fields than the type has");
        if (!(vals[k] = dec_elem(tc->child[k], e)))
            return NULL;
        k++;
    }
    if (rc != CQL_AGAIN)
        return core_fail(tc, &err);
    for (; k < tc->n; k++)
        vals[k] = Py_NewRef(Py_None);
    return Py_None; /* borrowed marker: success */
}

static PyObject *dec_tuple(const type_codec *tc, const uint8_t *p, size_t n)
{
    PyObject *out = PyTuple_New(tc->n);
    if (!out || tc->n == 0)
        return out;
    PyObject **vals = &PyTuple_GET_ITEM(out, 0);
    if (!dec_fields(tc, p, n, vals)) {
        Py_DECREF(out); /* unset items are NULL: fine for tuple dealloc */
        return NULL;
    }
    return out;
}

static PyObject *dec_udt(const type_codec *tc, const uint8_t *p, size_t n)
{
    PyObject *small[16];
    PyObject **vals = tc->n <= 16 ? small : PyMem_Calloc(tc->n, sizeof(PyObject *));
    if (!vals)
        return PyErr_NoMemory();
    memset(vals, 0, tc->n * sizeof(PyObject *));
    PyObject *out = NULL;
    if (dec_fields(tc, p, n, vals)) {
        out = PyDict_New();
        for (uint16_t k = 0; out && k < tc->n; k++) {
            if (PyDict_SetItem(out, tc->fields[k], vals[k]) < 0)
                Py_CLEAR(out);
        }
        if (out && tc->hashable) {
            PyObject *t = pairs_tuple(out);
            Py_SETREF(out, t);
        }
    }
    for (uint16_t k = 0; k < tc->n; k++)
        Py_XDECREF(vals[k]);
    if (vals != small)
        PyMem_Free(vals);
    return out;
}

static PyObject *dec_vector(const type_codec *tc, const uint8_t *p, size_t n)
{
    const type_codec *et = tc->child[0];
    int32_t fs = tc->fixed;
    if (fs > 0 && n != (size_t)fs * (size_t)tc->dim)
        return proto_error(tc, "vector size does not match its dimension");
    PyObject *out = tc->hashable ? PyTuple_New(tc->dim) : PyList_New(tc->dim);
    if (!out)
        return NULL;
    cql_reader r = cql_reader_make(p, n);
    for (int32_t k = 0; k < tc->dim; k++) {
        cql_bytes e;
        if (fs > 0) {
            e.p = r.p;
            e.len = fs;
            r.p += fs;
            r.n -= (size_t)fs;
        } else {
            uint64_t len;
            if (cql_rd_uvint(&r, &len) != CQL_OK || len > r.n || len > INT32_MAX) {
                Py_DECREF(out);
                return proto_error(tc, "truncated vector element");
            }
            e.p = r.p;
            e.len = (int32_t)len;
            r.p += len;
            r.n -= (size_t)len;
        }
        PyObject *v = dec_elem(et, e);
        if (!v) {
            Py_DECREF(out);
            return NULL;
        }
        if (tc->hashable)
            PyTuple_SET_ITEM(out, k, v);
        else
            PyList_SET_ITEM(out, k, v);
    }
    if (r.n != 0) {
        Py_DECREF(out);
        return proto_error(tc, "trailing bytes after vector elements");
    }
    return out;
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

static type_decode_fn decoder_for(uint16_t id)
{
    switch (id) {
    case CQL_TYPE_ASCII: return dec_ascii;
    case CQL_TYPE_VARCHAR: return dec_text;
    case CQL_TYPE_BLOB:
    case CQL_TYPE_CUSTOM: return dec_blob;
    case CQL_TYPE_BOOLEAN: return dec_bool;
    case CQL_TYPE_TINYINT: return dec_tinyint;
    case CQL_TYPE_SMALLINT: return dec_smallint;
    case CQL_TYPE_INT: return dec_int;
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER: return dec_bigint;
    case CQL_TYPE_VARINT: return dec_varint;
    case CQL_TYPE_FLOAT: return dec_float;
    case CQL_TYPE_DOUBLE: return dec_double;
    case CQL_TYPE_DECIMAL: return dec_decimal;
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID: return dec_uuid;
    case CQL_TYPE_INET: return dec_inet;
    case CQL_TYPE_DATE: return dec_date;
    case CQL_TYPE_TIME: return dec_time;
    case CQL_TYPE_TIMESTAMP: return dec_timestamp;
    case CQL_TYPE_DURATION: return dec_duration;
    case CQL_TYPE_LIST: return dec_list;
    case CQL_TYPE_SET: return dec_set;
    case CQL_TYPE_MAP: return dec_map;
    case CQL_TYPE_TUPLE: return dec_tuple;
    case CQL_TYPE_UDT: return dec_udt;
    case CQL_TYPE_VECTOR: return dec_vector;
    default: return NULL;
    }
}

void type_codec_free(type_codec *tc)
{
    if (!tc)
        return;
    if (tc->child) {
        for (uint16_t k = 0; k < tc->n; k++)
            type_codec_free(tc->child[k]);
        PyMem_Free(tc->child);
    }
    if (tc->fields) {
        for (uint16_t k = 0; k < tc->n; k++)
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
    tc->id = t->id;
    tc->hashable = hashable;
    tc->decode = decoder_for(t->id);
    if (!tc->decode) {
        PyErr_Format(st->protocol_error, "unsupported CQL type id 0x%04x", (unsigned)t->id);
        goto fail;
    }
    if (!(tc->tname = type_text(t)))
        goto fail;
    if (t->id == CQL_TYPE_VECTOR) {
        tc->dim = t->dim;
        tc->fixed = cql_type_fixed_size(t->children[0]);
    }
    if (t->n) {
        if (!(tc->child = PyMem_Calloc(t->n, sizeof(type_codec *)))) {
            PyErr_NoMemory();
            goto fail;
        }
        tc->n = t->n;
        for (uint16_t k = 0; k < t->n; k++) {
            int h = hashable;
            if (t->id == CQL_TYPE_SET || (t->id == CQL_TYPE_MAP && k == 0))
                h = 1;
            if (!(tc->child[k] = type_codec_build(st, t->children[k], h)))
                goto fail;
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
        if (rp->cols[i]->id == CQL_TYPE_TIME)
            rp->cols[i]->decode = dec_time_ns; /* a column keeps its nanoseconds */
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

PyObject *type_codec_decode(const type_codec *tc, cql_bytes v, PyObject *colname)
{
    PyObject *res = dec_elem(tc, v);
    if (!res)
        name_decode_error(tc, colname);
    return res;
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
            PyObject *val = type_codec_decode(rp->cols[c], v, rp->names[c]);
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

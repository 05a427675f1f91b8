/*
 * codec.c - decode plans and parameter encoding.
 *
 * A plan is built once per column type (once per prepared statement, or once
 * per result for unprepared queries). Each node holds a decoder function
 * pointer, its children and interned names, so decoding a row is a loop of
 * indirect calls that build canonical Python values directly from the wire
 * bytes:
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
 *
 * Encoding walks the same plan: the expected CQL type decides which Python
 * types are accepted, and every refusal names the column and the type.
 */
#include "binding.h"

#include <arpa/inet.h>
#include <datetime.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ======================================================================== */
/* int <-> big-endian bytes                                                  */
/* ======================================================================== */

static PyObject *long_from_be(const uint8_t *p, size_t n, int is_signed)
{
    if (n == 0)
        return PyLong_FromLong(0);
#if PY_VERSION_HEX >= 0x030D0000
    return is_signed ? PyLong_FromNativeBytes(p, n, Py_ASNATIVEBYTES_BIG_ENDIAN)
                     : PyLong_FromUnsignedNativeBytes(p, n, Py_ASNATIVEBYTES_BIG_ENDIAN);
#else
    return _PyLong_FromByteArray(p, n, 0, is_signed);
#endif
}

/* Write v into exactly n big-endian bytes; -1 with OverflowError if it does
 * not fit. */
static int long_to_be(PyObject *v, uint8_t *out, size_t n, int is_signed)
{
#if PY_VERSION_HEX >= 0x030D0000
    int flags = Py_ASNATIVEBYTES_BIG_ENDIAN;
    if (!is_signed)
        flags |= Py_ASNATIVEBYTES_UNSIGNED_BUFFER | Py_ASNATIVEBYTES_REJECT_NEGATIVE;
    Py_ssize_t need = PyLong_AsNativeBytes(v, out, (Py_ssize_t)n, flags);
    if (need < 0)
        return -1;
    if ((size_t)need > n) {
        PyErr_SetString(PyExc_OverflowError, "int too big to convert");
        return -1;
    }
    return 0;
#else
    return _PyLong_AsByteArray((PyLongObject *)v, out, n, 0, is_signed);
#endif
}

/* Bytes of the minimal two's complement encoding of v (upper bound). */
static size_t long_byte_bound(PyObject *v)
{
#if PY_VERSION_HEX >= 0x030D0000
    Py_ssize_t need = PyLong_AsNativeBytes(v, NULL, 0, Py_ASNATIVEBYTES_BIG_ENDIAN);
    return need < 0 ? 0 : (size_t)need + 1;
#else
    size_t bits = _PyLong_NumBits(v);
    if (bits == (size_t)-1)
        return 0;
    return bits / 8 + 1;
#endif
}

/* ======================================================================== */
/* Calendar arithmetic (proleptic Gregorian, days relative to 1970-01-01)     */
/* ======================================================================== */

static void civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                 /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                /* [0, 11] */
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

#define DAYS_0001_01_01 (-719162LL)
#define DAYS_9999_12_31 2932896LL
#define MS_PER_DAY 86400000LL

static int64_t floordiv64(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* ======================================================================== */
/* Errors                                                                    */
/* ======================================================================== */

static PyObject *proto_error(const plan *pl, const char *msg)
{
    PyErr_Format(pl->st->protocol_error, "%U value: %s", pl->tname, msg);
    return NULL;
}

static PyObject *size_error(const plan *pl, int rc)
{
    if (rc == CQL_ERANGE)
        return proto_error(pl, "out of range for its type");
    return proto_error(pl, "size does not match its type");
}

/* ======================================================================== */
/* Scalar decoders                                                           */
/* ======================================================================== */

static PyObject *dec_text(const plan *pl, const uint8_t *p, size_t n)
{
    (void)pl;
    return PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n, NULL);
}

static PyObject *dec_ascii(const plan *pl, const uint8_t *p, size_t n)
{
    if (!cql_ascii_valid(p, n))
        return proto_error(pl, "ascii value has a byte above 127");
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s && n)
        memcpy(PyUnicode_DATA(s), p, n);
    return s;
}

static PyObject *dec_blob(const plan *pl, const uint8_t *p, size_t n)
{
    (void)pl;
    return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
}

static PyObject *dec_bool(const plan *pl, const uint8_t *p, size_t n)
{
    int v;
    int rc = cql_decode_bool(p, n, &v);
    if (rc != CQL_OK)
        return size_error(pl, rc);
    return Py_NewRef(v ? Py_True : Py_False);
}

static PyObject *dec_tinyint(const plan *pl, const uint8_t *p, size_t n)
{
    int8_t v;
    int rc = cql_decode_tinyint(p, n, &v);
    return rc == CQL_OK ? PyLong_FromLong(v) : size_error(pl, rc);
}

static PyObject *dec_smallint(const plan *pl, const uint8_t *p, size_t n)
{
    int16_t v;
    int rc = cql_decode_smallint(p, n, &v);
    return rc == CQL_OK ? PyLong_FromLong(v) : size_error(pl, rc);
}

static PyObject *dec_int(const plan *pl, const uint8_t *p, size_t n)
{
    int32_t v;
    int rc = cql_decode_int(p, n, &v);
    return rc == CQL_OK ? PyLong_FromLong(v) : size_error(pl, rc);
}

static PyObject *dec_bigint(const plan *pl, const uint8_t *p, size_t n)
{
    int64_t v;
    int rc = cql_decode_bigint(p, n, &v);
    return rc == CQL_OK ? PyLong_FromLongLong(v) : size_error(pl, rc);
}

static PyObject *dec_varint(const plan *pl, const uint8_t *p, size_t n)
{
    int64_t v;
    int rc = cql_decode_varint_i64(p, n, &v);
    if (rc == CQL_OK)
        return PyLong_FromLongLong(v);
    if (rc == CQL_ERANGE)
        return long_from_be(p, n, 1);
    return size_error(pl, rc);
}

static PyObject *dec_float(const plan *pl, const uint8_t *p, size_t n)
{
    float v;
    int rc = cql_decode_float(p, n, &v);
    return rc == CQL_OK ? PyFloat_FromDouble((double)v) : size_error(pl, rc);
}

static PyObject *dec_double(const plan *pl, const uint8_t *p, size_t n)
{
    double v;
    int rc = cql_decode_double(p, n, &v);
    return rc == CQL_OK ? PyFloat_FromDouble(v) : size_error(pl, rc);
}

static PyObject *dec_decimal(const plan *pl, const uint8_t *p, size_t n)
{
    int32_t scale;
    const uint8_t *u;
    size_t ulen;
    int rc = cql_decode_decimal(p, n, &scale, &u, &ulen);
    if (rc != CQL_OK)
        return size_error(pl, rc);
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
    PyObject *d = PyObject_CallOneArg(pl->st->decimal_type, text);
    Py_DECREF(text);
    return d;
}

static PyObject *dec_uuid(const plan *pl, const uint8_t *p, size_t n)
{
    native_state *st = pl->st;
    if (n != 16)
        return size_error(pl, CQL_EINVAL);
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

static PyObject *dec_inet(const plan *pl, const uint8_t *p, size_t n)
{
    PyObject *i, *a;
    if (n == 4) {
        i = PyLong_FromUnsignedLong(cql_load_be32(p));
        if (!i)
            return NULL;
        a = PyObject_CallOneArg(pl->st->ipv4_type, i);
    } else if (n == 16) {
        i = long_from_be(p, 16, 0);
        if (!i)
            return NULL;
        a = PyObject_CallOneArg(pl->st->ipv6_type, i);
    } else {
        return proto_error(pl, "inet value is neither 4 nor 16 bytes");
    }
    Py_DECREF(i);
    return a;
}

static PyObject *dec_date(const plan *pl, const uint8_t *p, size_t n)
{
    int64_t days;
    int rc = cql_decode_date(p, n, &days);
    if (rc != CQL_OK)
        return size_error(pl, rc);
    if (days < DAYS_0001_01_01 || days > DAYS_9999_12_31)
        return PyLong_FromLongLong(days);
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    return PyDate_FromDate(y, m, d);
}

static PyObject *dec_time(const plan *pl, const uint8_t *p, size_t n)
{
    int64_t ns;
    int rc = cql_decode_time(p, n, &ns);
    if (rc != CQL_OK)
        return size_error(pl, rc);
    int64_t us = ns / 1000;
    int64_t s = us / 1000000;
    return PyTime_FromTime((int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
                           (int)(us % 1000000));
}

static PyObject *dec_time_ns(const plan *pl, const uint8_t *p, size_t n)
{
    int64_t ns;
    int rc = cql_decode_time(p, n, &ns);
    return rc == CQL_OK ? PyLong_FromLongLong(ns) : size_error(pl, rc);
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

static PyObject *dec_timestamp(const plan *pl, const uint8_t *p, size_t n)
{
    int64_t ms;
    int rc = cql_decode_bigint(p, n, &ms);
    if (rc != CQL_OK)
        return size_error(pl, rc);
    return timestamp_from_ms(pl->st, ms);
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

static PyObject *dec_duration(const plan *pl, const uint8_t *p, size_t n)
{
    cql_duration d;
    int rc = cql_decode_duration(p, n, &d);
    if (rc != CQL_OK)
        return proto_error(pl, "malformed duration value");
    PyObject *cls = duration_type(pl->st);
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
static inline PyObject *dec_elem(const plan *pl, cql_bytes v)
{
    if (v.len < 0 || (v.len == 0 && !is_text_like(pl->id)))
        Py_RETURN_NONE;
    return pl->decode(pl, v.p, (size_t)v.len);
}

static PyObject *core_fail(const plan *pl, const cql_error *err)
{
    return proto_error(pl, err->msg ? err->msg : cql_strerror(err->code));
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

static PyObject *dec_list(const plan *pl, const uint8_t *p, size_t n)
{
    cql_elem_iter it;
    int32_t count;
    cql_error err = {0, NULL};
    cql_bytes e;
    if (cql_collection_begin(p, n, pl->id, &it, &count, &err) != CQL_OK)
        return core_fail(pl, &err);
    PyObject *out = pl->hashable ? PyTuple_New(count) : PyList_New(count);
    if (!out)
        return NULL;
    for (int32_t k = 0; k < count; k++) {
        if (cql_elem_next(&it, &e, &err) != CQL_OK) {
            Py_DECREF(out);
            return core_fail(pl, &err);
        }
        PyObject *v = dec_elem(pl->child[0], e);
        if (!v) {
            Py_DECREF(out);
            return NULL;
        }
        if (pl->hashable)
            PyTuple_SET_ITEM(out, k, v);
        else
            PyList_SET_ITEM(out, k, v);
    }
    if (it.r.n != 0) {
        Py_DECREF(out);
        return proto_error(pl, "trailing bytes after collection elements");
    }
    return out;
}

static PyObject *dec_set(const plan *pl, const uint8_t *p, size_t n)
{
    cql_elem_iter it;
    int32_t count;
    cql_error err = {0, NULL};
    cql_bytes e;
    if (cql_collection_begin(p, n, pl->id, &it, &count, &err) != CQL_OK)
        return core_fail(pl, &err);
    PyObject *out = pl->hashable ? PyFrozenSet_New(NULL) : PySet_New(NULL);
    if (!out)
        return NULL;
    for (int32_t k = 0; k < count; k++) {
        if (cql_elem_next(&it, &e, &err) != CQL_OK) {
            Py_DECREF(out);
            return core_fail(pl, &err);
        }
        PyObject *v = dec_elem(pl->child[0], e);
        if (!v || PySet_Add(out, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(v);
    }
    if (it.r.n != 0) {
        Py_DECREF(out);
        return proto_error(pl, "trailing bytes after collection elements");
    }
    return out;
}

static PyObject *dec_map(const plan *pl, const uint8_t *p, size_t n)
{
    cql_elem_iter it;
    int32_t count;
    cql_error err = {0, NULL};
    cql_bytes ke, ve;
    if (cql_collection_begin(p, n, CQL_TYPE_MAP, &it, &count, &err) != CQL_OK)
        return core_fail(pl, &err);
    PyObject *out = PyDict_New();
    if (!out)
        return NULL;
    for (int32_t k = 0; k < count; k++) {
        if (cql_elem_next(&it, &ke, &err) != CQL_OK || cql_elem_next(&it, &ve, &err) != CQL_OK) {
            Py_DECREF(out);
            return core_fail(pl, &err);
        }
        PyObject *key = dec_elem(pl->child[0], ke);
        if (!key) {
            Py_DECREF(out);
            return NULL;
        }
        PyObject *val = dec_elem(pl->child[1], ve);
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
        return proto_error(pl, "trailing bytes after map entries");
    }
    if (pl->hashable) {
        PyObject *t = pairs_tuple(out);
        Py_DECREF(out);
        return t;
    }
    return out;
}

/* Fields of a tuple or UDT: at most pl->n values; missing trailing ones are null. */
static PyObject *dec_fields(const plan *pl, const uint8_t *p, size_t n, PyObject **vals)
{
    cql_elem_iter it;
    cql_error err = {0, NULL};
    cql_bytes e;
    int rc;
    uint16_t k = 0;
    cql_fields_begin(p, n, &it);
    while ((rc = cql_elem_next(&it, &e, &err)) == CQL_OK) {
        if (k >= pl->n)
            return proto_error(pl, "more fields than the type has");
        if (!(vals[k] = dec_elem(pl->child[k], e)))
            return NULL;
        k++;
    }
    if (rc != CQL_AGAIN)
        return core_fail(pl, &err);
    for (; k < pl->n; k++)
        vals[k] = Py_NewRef(Py_None);
    return Py_None; /* borrowed marker: success */
}

static PyObject *dec_tuple(const plan *pl, const uint8_t *p, size_t n)
{
    PyObject *out = PyTuple_New(pl->n);
    if (!out || pl->n == 0)
        return out;
    PyObject **vals = &PyTuple_GET_ITEM(out, 0);
    if (!dec_fields(pl, p, n, vals)) {
        Py_DECREF(out); /* unset items are NULL: fine for tuple dealloc */
        return NULL;
    }
    return out;
}

static PyObject *dec_udt(const plan *pl, const uint8_t *p, size_t n)
{
    PyObject *small[16];
    PyObject **vals = pl->n <= 16 ? small : PyMem_Calloc(pl->n, sizeof(PyObject *));
    if (!vals)
        return PyErr_NoMemory();
    memset(vals, 0, pl->n * sizeof(PyObject *));
    PyObject *out = NULL;
    if (dec_fields(pl, p, n, vals)) {
        out = PyDict_New();
        for (uint16_t k = 0; out && k < pl->n; k++) {
            if (PyDict_SetItem(out, pl->fields[k], vals[k]) < 0)
                Py_CLEAR(out);
        }
        if (out && pl->hashable) {
            PyObject *t = pairs_tuple(out);
            Py_SETREF(out, t);
        }
    }
    for (uint16_t k = 0; k < pl->n; k++)
        Py_XDECREF(vals[k]);
    if (vals != small)
        PyMem_Free(vals);
    return out;
}

static PyObject *dec_vector(const plan *pl, const uint8_t *p, size_t n)
{
    const plan *et = pl->child[0];
    int32_t fs = pl->fixed;
    if (fs > 0 && n != (size_t)fs * (size_t)pl->dim)
        return proto_error(pl, "vector size does not match its dimension");
    PyObject *out = pl->hashable ? PyTuple_New(pl->dim) : PyList_New(pl->dim);
    if (!out)
        return NULL;
    cql_reader r = cql_reader_make(p, n);
    for (int32_t k = 0; k < pl->dim; k++) {
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
                return proto_error(pl, "truncated vector element");
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
        if (pl->hashable)
            PyTuple_SET_ITEM(out, k, v);
        else
            PyList_SET_ITEM(out, k, v);
    }
    if (r.n != 0) {
        Py_DECREF(out);
        return proto_error(pl, "trailing bytes after vector elements");
    }
    return out;
}

/* ======================================================================== */
/* Building plans                                                            */
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

static plan_decode_fn decoder_for(uint16_t id)
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

void plan_free(plan *pl)
{
    if (!pl)
        return;
    if (pl->child) {
        for (uint16_t k = 0; k < pl->n; k++)
            plan_free(pl->child[k]);
        PyMem_Free(pl->child);
    }
    if (pl->fields) {
        for (uint16_t k = 0; k < pl->n; k++)
            Py_XDECREF(pl->fields[k]);
        PyMem_Free(pl->fields);
    }
    Py_XDECREF(pl->tname);
    PyMem_Free(pl);
}

plan *plan_build(native_state *st, const cql_type *t, int hashable)
{
    plan *pl = PyMem_Calloc(1, sizeof(plan));
    if (!pl) {
        PyErr_NoMemory();
        return NULL;
    }
    pl->st = st;
    pl->id = t->id;
    pl->hashable = hashable;
    pl->decode = decoder_for(t->id);
    if (!pl->decode) {
        PyErr_Format(st->protocol_error, "unsupported CQL type id 0x%04x", (unsigned)t->id);
        goto fail;
    }
    if (!(pl->tname = type_text(t)))
        goto fail;
    if (t->id == CQL_TYPE_VECTOR) {
        pl->dim = t->dim;
        pl->fixed = cql_type_fixed_size(t->children[0]);
    }
    if (t->n) {
        if (!(pl->child = PyMem_Calloc(t->n, sizeof(plan *)))) {
            PyErr_NoMemory();
            goto fail;
        }
        pl->n = t->n;
        for (uint16_t k = 0; k < t->n; k++) {
            int h = hashable;
            if (t->id == CQL_TYPE_SET || (t->id == CQL_TYPE_MAP && k == 0))
                h = 1;
            if (!(pl->child[k] = plan_build(st, t->children[k], h)))
                goto fail;
        }
    }
    if (t->id == CQL_TYPE_UDT && t->n) {
        if (!(pl->fields = PyMem_Calloc(t->n, sizeof(PyObject *)))) {
            PyErr_NoMemory();
            goto fail;
        }
        for (uint16_t k = 0; k < t->n; k++) {
            if (!(pl->fields[k] = str_from(t->field_names[k])))
                goto fail;
            PyUnicode_InternInPlace(&pl->fields[k]);
        }
    }
    return pl;
fail:
    plan_free(pl);
    return NULL;
}

void rowplan_free(rowplan *rp)
{
    if (!rp)
        return;
    for (int32_t i = 0; i < rp->ncols; i++) {
        if (rp->names)
            Py_XDECREF(rp->names[i]);
        if (rp->cols)
            plan_free(rp->cols[i]);
    }
    PyMem_Free(rp->names);
    PyMem_Free(rp->cols);
    PyMem_Free(rp->pk_indexes);
    PyMem_Free(rp);
}

rowplan *rowplan_build(native_state *st, const cql_metadata *m)
{
    rowplan *rp = PyMem_Calloc(1, sizeof(rowplan));
    if (!rp) {
        PyErr_NoMemory();
        return NULL;
    }
    int32_t n = m->columns ? m->column_count : 0;
    size_t alloc = n > 0 ? (size_t)n : 1;
    rp->names = PyMem_Calloc(alloc, sizeof(PyObject *));
    rp->cols = PyMem_Calloc(alloc, sizeof(plan *));
    if (!rp->names || !rp->cols) {
        PyErr_NoMemory();
        goto fail;
    }
    rp->ncols = n;
    for (int32_t i = 0; i < n; i++) {
        if (!(rp->names[i] = str_from(m->columns[i].name)))
            goto fail;
        PyUnicode_InternInPlace(&rp->names[i]);
        if (!(rp->cols[i] = plan_build(st, m->columns[i].type, 0)))
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
    rowplan_free(rp);
    return NULL;
}

/* ======================================================================== */
/* Decoding values and rows                                                  */
/* ======================================================================== */

/* Replace the pending exception by ProtocolError naming the column (the
 * original is chained as __cause__). MemoryError passes through. */
static void name_decode_error(const plan *pl, PyObject *colname)
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
    PyErr_Format(pl->st->protocol_error, "cannot decode column %R (%U): %S",
                 colname ? colname : Py_None, pl->tname, exc);
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

PyObject *plan_decode_value(const plan *pl, cql_bytes v, PyObject *colname)
{
    PyObject *res = dec_elem(pl, v);
    if (!res)
        name_decode_error(pl, colname);
    return res;
}

PyObject *rowplan_decode_rows(native_state *st, const rowplan *rp, cql_reader *r,
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
            PyObject *val = plan_decode_value(rp->cols[c], v, rp->names[c]);
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

/* ======================================================================== */
/* Encoding                                                                  */
/* ======================================================================== */

typedef struct enc_ctx {
    PyObject *colname; /* may be NULL */
    const plan *top;
} enc_ctx;

static int enc_fail(const enc_ctx *cx, const plan *pl, PyObject *exc_type, PyObject *v,
                    const char *why)
{
    PyObject *col = cx->colname ? cx->colname : Py_None;
    PyObject *r = PyObject_Repr(v);
    if (!r) {
        PyErr_Clear();
        if (!(r = PyUnicode_FromString("<unrepresentable>")))
            return -1;
    }
    if (PyUnicode_GET_LENGTH(r) > 60) {
        PyObject *cut = PyUnicode_Substring(r, 0, 57);
        Py_SETREF(r, cut ? PyUnicode_FromFormat("%U...", cut) : NULL);
        Py_XDECREF(cut);
        if (!r)
            return -1;
    }
    if (pl != cx->top)
        PyErr_Format(exc_type, "column %R expects CQL %U (in %U), got %s %U%s%s", col,
                     pl->tname, cx->top->tname, Py_TYPE(v)->tp_name, r, why ? ": " : "",
                     why ? why : "");
    else
        PyErr_Format(exc_type, "column %R expects CQL %U, got %s %U%s%s", col, pl->tname,
                     Py_TYPE(v)->tp_name, r, why ? ": " : "", why ? why : "");
    Py_DECREF(r);
    return -1;
}

#define TYPE_FAIL(why) enc_fail(cx, pl, PyExc_TypeError, v, why)
#define VALUE_FAIL(why) enc_fail(cx, pl, PyExc_ValueError, v, why)

static int enc_payload(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w);

/* An element as [bytes]; nulls allowed only where allow_null. */
static int enc_elem(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w,
                    int allow_null)
{
    if (v == Py_None) {
        if (!allow_null)
            return enc_fail(cx, pl, PyExc_ValueError, v, "collections cannot hold nulls");
        cql_wr_i32(w, -1);
        return 0;
    }
    size_t at = w->len;
    cql_wr_i32(w, 0);
    if (enc_payload(cx, pl, v, w) < 0)
        return -1;
    if (w->err != CQL_OK)
        return 0; /* reported by the caller */
    size_t len = w->len - at - 4;
    if (len > INT32_MAX)
        return enc_fail(cx, pl, PyExc_ValueError, v, "value longer than 2 GiB");
    cql_store_be32(w->data + at, (uint32_t)len);
    return 0;
}

/* An int in [lo, hi] from an int-like object. */
static int get_int(const enc_ctx *cx, const plan *pl, PyObject *v, long long lo, long long hi,
                   long long *out)
{
    if (PyFloat_Check(v) || PyUnicode_Check(v) || PyBytes_Check(v))
        return TYPE_FAIL(NULL);
    PyObject *i = PyNumber_Index(v);
    if (!i) {
        PyErr_Clear();
        return TYPE_FAIL(NULL);
    }
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (overflow || x < lo || x > hi) {
        char why[96];
        snprintf(why, sizeof(why), "out of range [%lld, %lld]", lo, hi);
        return VALUE_FAIL(why);
    }
    *out = x;
    return 0;
}

static int enc_varint(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    if (PyFloat_Check(v) || PyUnicode_Check(v) || PyBytes_Check(v))
        return TYPE_FAIL(NULL);
    PyObject *i = PyNumber_Index(v);
    if (!i) {
        PyErr_Clear();
        return TYPE_FAIL(NULL);
    }
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(i, &overflow);
    if (x == -1 && PyErr_Occurred()) {
        Py_DECREF(i);
        return -1;
    }
    if (!overflow) {
        Py_DECREF(i);
        uint8_t b[8];
        size_t n = cql_encode_varint_i64(x, b);
        cql_wr_raw(w, b, n);
        return 0;
    }
    size_t n = long_byte_bound(i);
    if (n == 0) {
        Py_DECREF(i);
        return -1;
    }
    uint8_t *buf = PyMem_Malloc(n);
    if (!buf) {
        Py_DECREF(i);
        PyErr_NoMemory();
        return -1;
    }
    int rc = long_to_be(i, buf, n, 1);
    Py_DECREF(i);
    if (rc == 0) {
        size_t k = 0;
        while (k + 1 < n && ((buf[k] == 0x00 && !(buf[k + 1] & 0x80)) ||
                             (buf[k] == 0xFF && (buf[k + 1] & 0x80))))
            k++;
        cql_wr_raw(w, buf + k, n - k);
    }
    PyMem_Free(buf);
    return rc;
}

static int enc_text(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w, int ascii)
{
    if (!PyUnicode_Check(v))
        return TYPE_FAIL(NULL);
    if (ascii && !PyUnicode_IS_ASCII(v))
        return VALUE_FAIL("ascii text must be characters 0..127");
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(v, &n);
    if (!s) {
        PyErr_Clear();
        return VALUE_FAIL("not encodable as UTF-8");
    }
    cql_wr_raw(w, s, (size_t)n);
    return 0;
}

static int enc_blob(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    if (PyBytes_Check(v)) {
        cql_wr_raw(w, PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v));
        return 0;
    }
    if (PyUnicode_Check(v) || !PyObject_CheckBuffer(v))
        return TYPE_FAIL(NULL);
    Py_buffer view;
    if (PyObject_GetBuffer(v, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        return TYPE_FAIL("needs a contiguous buffer");
    }
    cql_wr_raw(w, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return 0;
}

static int enc_double(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    if (!PyFloat_Check(v) && !PyLong_Check(v))
        return TYPE_FAIL(NULL);
    double d = PyFloat_AsDouble(v);
    if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return VALUE_FAIL("out of range for a double");
    }
    if (pl->id == CQL_TYPE_DOUBLE) {
        uint64_t u;
        memcpy(&u, &d, 8);
        uint8_t b[8];
        cql_store_be64(b, u);
        cql_wr_raw(w, b, 8);
        return 0;
    }
    float f;
    if (isnan(d) || isinf(d) || fabs(d) <= (double)FLT_MAX) {
        f = (float)d;
    } else if (fabs(d) < 3.4028235677973366e38) { /* rounds down to FLT_MAX */
        f = d > 0 ? FLT_MAX : -FLT_MAX;
    } else {
        return VALUE_FAIL("out of range for a 32-bit float");
    }
    uint32_t u;
    memcpy(&u, &f, 4);
    uint8_t b[4];
    cql_store_be32(b, u);
    cql_wr_raw(w, b, 4);
    return 0;
}

static int enc_decimal(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    native_state *st = pl->st;
    PyObject *dec = NULL;
    int is_dec = PyObject_IsInstance(v, st->decimal_type);
    if (is_dec < 0)
        return -1;
    if (is_dec) {
        dec = Py_NewRef(v);
    } else if (PyLong_Check(v) && !PyBool_Check(v)) {
        dec = PyObject_CallOneArg(st->decimal_type, v);
    } else if (PyFloat_Check(v)) {
        PyObject *r = PyObject_Repr(v);
        dec = r ? PyObject_CallOneArg(st->decimal_type, r) : NULL;
        Py_XDECREF(r);
    } else {
        return TYPE_FAIL(NULL);
    }
    if (!dec)
        return -1;
    PyObject *tup = PyObject_CallMethodNoArgs(dec, st->s_as_tuple);
    Py_DECREF(dec);
    if (!tup)
        return -1;
    int rc = -1;
    PyObject *unscaled = NULL;
    if (!PyTuple_Check(tup) || PyTuple_GET_SIZE(tup) != 3)
        goto done;
    PyObject *sign = PyTuple_GET_ITEM(tup, 0), *digits = PyTuple_GET_ITEM(tup, 1),
             *exponent = PyTuple_GET_ITEM(tup, 2);
    if (!PyLong_Check(exponent)) {
        VALUE_FAIL("NaN and infinities are not CQL decimals");
        goto done;
    }
    long long e = PyLong_AsLongLong(exponent);
    if (e == -1 && PyErr_Occurred())
        goto done;
    if (e < -(long long)INT32_MAX || e > -(long long)INT32_MIN) {
        VALUE_FAIL("exponent out of range");
        goto done;
    }
    Py_ssize_t nd = PyTuple_GET_SIZE(digits);
    char small[64];
    char *buf = nd + 2 <= (Py_ssize_t)sizeof(small) ? small : PyMem_Malloc((size_t)nd + 2);
    if (!buf) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t k = 0;
    buf[k++] = PyObject_IsTrue(sign) ? '-' : '+';
    for (Py_ssize_t i = 0; i < nd; i++)
        buf[k++] = (char)('0' + PyLong_AsLong(PyTuple_GET_ITEM(digits, i)));
    buf[k] = 0;
    unscaled = PyLong_FromString(buf, NULL, 10);
    if (buf != small)
        PyMem_Free(buf);
    if (!unscaled)
        goto done;
    uint8_t sc[4];
    cql_store_be32(sc, (uint32_t)(int32_t)(-e));
    cql_wr_raw(w, sc, 4);
    rc = enc_varint(cx, pl, unscaled, w);
done:
    Py_XDECREF(unscaled);
    Py_DECREF(tup);
    if (rc < 0 && !PyErr_Occurred())
        TYPE_FAIL(NULL);
    return rc;
}

static int enc_uuid(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    native_state *st = pl->st;
    PyObject *u;
    if (PyBytes_Check(v) && PyBytes_GET_SIZE(v) == 16) {
        cql_wr_raw(w, PyBytes_AS_STRING(v), 16);
        return 0;
    }
    int ok = PyObject_IsInstance(v, st->uuid_type);
    if (ok < 0)
        return -1;
    if (ok) {
        u = Py_NewRef(v);
    } else if (PyUnicode_Check(v)) {
        u = PyObject_CallOneArg(st->uuid_type, v);
        if (!u) {
            PyErr_Clear();
            return VALUE_FAIL("not a UUID");
        }
    } else {
        return TYPE_FAIL(NULL);
    }
    PyObject *i = PyObject_GetAttr(u, st->s_int);
    Py_DECREF(u);
    if (!i)
        return -1;
    uint8_t b[16];
    int rc = PyLong_Check(i) ? long_to_be(i, b, 16, 0) : -1;
    Py_DECREF(i);
    if (rc < 0) {
        PyErr_Clear();
        return VALUE_FAIL("not a 128-bit UUID");
    }
    if (pl->id == CQL_TYPE_TIMEUUID && (b[6] >> 4) != 1)
        return VALUE_FAIL("a timeuuid must be a version 1 UUID");
    cql_wr_raw(w, b, 16);
    return 0;
}

static int enc_inet(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    native_state *st = pl->st;
    if (PyUnicode_Check(v)) {
        const char *s = PyUnicode_AsUTF8(v);
        if (!s)
            return -1;
        uint8_t b[16];
        if (inet_pton(AF_INET, s, b) == 1) {
            cql_wr_raw(w, b, 4);
            return 0;
        }
        if (inet_pton(AF_INET6, s, b) == 1) {
            cql_wr_raw(w, b, 16);
            return 0;
        }
        return VALUE_FAIL("not an IPv4 or IPv6 address");
    }
    if (PyBytes_Check(v)) {
        Py_ssize_t n = PyBytes_GET_SIZE(v);
        if (n != 4 && n != 16)
            return VALUE_FAIL("packed addresses have 4 or 16 bytes");
        cql_wr_raw(w, PyBytes_AS_STRING(v), (size_t)n);
        return 0;
    }
    int is4 = PyObject_IsInstance(v, st->ipv4_type);
    int is6 = is4 ? 0 : PyObject_IsInstance(v, st->ipv6_type);
    if (is4 < 0 || is6 < 0)
        return -1;
    if (!is4 && !is6)
        return TYPE_FAIL(NULL);
    PyObject *packed = PyObject_GetAttr(v, st->s_packed);
    if (!packed)
        return -1;
    if (!PyBytes_Check(packed)) {
        Py_DECREF(packed);
        return TYPE_FAIL(NULL);
    }
    cql_wr_raw(w, PyBytes_AS_STRING(packed), (size_t)PyBytes_GET_SIZE(packed));
    Py_DECREF(packed);
    return 0;
}

static int enc_date(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    int64_t days;
    if (PyDate_Check(v)) {
        days = days_from_civil(PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                               PyDateTime_GET_DAY(v));
    } else if (PyLong_Check(v) && !PyBool_Check(v)) {
        long long d;
        if (get_int(cx, pl, v, INT32_MIN, INT32_MAX, &d) < 0)
            return -1;
        days = d;
    } else {
        return TYPE_FAIL(NULL);
    }
    uint8_t b[4];
    cql_store_be32(b, cql_encode_date(days));
    cql_wr_raw(w, b, 4);
    return 0;
}

static int enc_time(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    int64_t ns;
    if (PyTime_Check(v)) {
        ns = ((int64_t)PyDateTime_TIME_GET_HOUR(v) * 3600 + PyDateTime_TIME_GET_MINUTE(v) * 60 +
              PyDateTime_TIME_GET_SECOND(v)) * 1000000000LL +
             (int64_t)PyDateTime_TIME_GET_MICROSECOND(v) * 1000;
    } else if (PyLong_Check(v) && !PyBool_Check(v)) {
        long long x;
        if (get_int(cx, pl, v, 0, CQL_TIME_MAX_NS, &x) < 0)
            return -1;
        ns = x;
    } else {
        return TYPE_FAIL(NULL);
    }
    uint8_t b[8];
    cql_store_be64(b, (uint64_t)ns);
    cql_wr_raw(w, b, 8);
    return 0;
}

/* timedelta -> microseconds (None on overflow). */
static int delta_us(PyObject *td, int64_t *out)
{
    int64_t days = PyDateTime_DELTA_GET_DAYS(td);
    int64_t secs = PyDateTime_DELTA_GET_SECONDS(td);
    int64_t us = PyDateTime_DELTA_GET_MICROSECONDS(td);
    /* |days| <= 999999999: days * 86400e6 fits in int64 only up to ~106751 days. */
    if (days > 106751 || days < -106751)
        return -1;
    *out = (days * 86400 + secs) * 1000000 + us;
    return 0;
}

static int enc_timestamp(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    native_state *st = pl->st;
    int64_t ms;
    if (PyDateTime_Check(v)) {
        int64_t days = days_from_civil(PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                                       PyDateTime_GET_DAY(v));
        int64_t us = ((days * 86400 + PyDateTime_DATE_GET_HOUR(v) * 3600 +
                       PyDateTime_DATE_GET_MINUTE(v) * 60 + PyDateTime_DATE_GET_SECOND(v)) *
                      1000000LL) +
                     PyDateTime_DATE_GET_MICROSECOND(v);
        PyObject *tz = PyDateTime_DATE_GET_TZINFO(v);
        if (tz != Py_None && tz != st->utc) {
            PyObject *off = PyObject_CallMethodNoArgs(v, st->s_utcoffset);
            if (!off)
                return -1;
            if (PyDelta_Check(off)) {
                int64_t o;
                if (delta_us(off, &o) < 0) {
                    Py_DECREF(off);
                    return VALUE_FAIL("UTC offset out of range");
                }
                us -= o;
            }
            Py_DECREF(off);
        }
        ms = floordiv64(us, 1000);
    } else if (PyDate_Check(v)) {
        ms = days_from_civil(PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                             PyDateTime_GET_DAY(v)) * MS_PER_DAY;
    } else if (PyLong_Check(v) && !PyBool_Check(v)) {
        long long x;
        if (get_int(cx, pl, v, INT64_MIN, INT64_MAX, &x) < 0)
            return -1;
        ms = x;
    } else {
        return TYPE_FAIL(NULL);
    }
    uint8_t b[8];
    cql_store_be64(b, (uint64_t)ms);
    cql_wr_raw(w, b, 8);
    return 0;
}

static int attr_ll(PyObject *v, PyObject *name, long long *out)
{
    PyObject *a = PyObject_GetAttr(v, name);
    if (!a)
        return -1;
    if (!PyLong_Check(a)) {
        Py_DECREF(a);
        PyErr_SetString(PyExc_TypeError, "not an int");
        return -1;
    }
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(a, &overflow);
    Py_DECREF(a);
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError, "out of range");
        return -1;
    }
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

static int enc_duration(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    native_state *st = pl->st;
    cql_duration d;
    if (PyDelta_Check(v)) {
        int64_t us;
        if (delta_us(v, &us) < 0 || us > INT64_MAX / 1000 || us < INT64_MIN / 1000)
            return VALUE_FAIL("out of range");
        d.months = 0;
        d.days = 0;
        d.nanoseconds = us * 1000;
    } else {
        long long mo, da, ns;
        if (PyUnicode_Check(v) || PyLong_Check(v) || PyFloat_Check(v))
            return TYPE_FAIL(NULL);
        if (attr_ll(v, st->s_months, &mo) < 0 || attr_ll(v, st->s_days, &da) < 0 ||
            attr_ll(v, st->s_nanoseconds, &ns) < 0) {
            int is_type = PyErr_ExceptionMatches(PyExc_AttributeError) ||
                          PyErr_ExceptionMatches(PyExc_TypeError);
            PyErr_Clear();
            return is_type ? TYPE_FAIL("needs int months, days and nanoseconds")
                           : VALUE_FAIL("out of range");
        }
        if (mo < INT32_MIN || mo > INT32_MAX || da < INT32_MIN || da > INT32_MAX)
            return VALUE_FAIL("months and days must fit in 32 bits");
        d.months = (int32_t)mo;
        d.days = (int32_t)da;
        d.nanoseconds = ns;
    }
    uint8_t b[CQL_DURATION_MAX_SIZE];
    size_t n = cql_encode_duration(&d, b);
    if (n == 0)
        return VALUE_FAIL("months, days and nanoseconds must share one sign");
    cql_wr_raw(w, b, n);
    return 0;
}

static int not_a_collection(PyObject *v)
{
    return PyUnicode_Check(v) || PyBytes_Check(v) || PyByteArray_Check(v) || PyDict_Check(v);
}

static int enc_list_or_set(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    if (not_a_collection(v))
        return TYPE_FAIL(NULL);
    PyObject *seq;
    if (PyList_Check(v) || PyTuple_Check(v))
        seq = Py_NewRef(v);
    else if (PyAnySet_Check(v))
        seq = PySequence_List(v);
    else
        return TYPE_FAIL(NULL);
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > INT32_MAX) {
        Py_DECREF(seq);
        return VALUE_FAIL("too many elements");
    }
    cql_wr_i32(w, (int32_t)n);
    for (Py_ssize_t i = 0; i < n && w->err == CQL_OK; i++) {
        /* The list may change under us if an element's encoding runs Python code. */
        if (i >= PySequence_Fast_GET_SIZE(seq))
            break;
        PyObject *e = Py_NewRef(PySequence_Fast_GET_ITEM(seq, i));
        int rc = enc_elem(cx, pl->child[0], e, w, 0);
        Py_DECREF(e);
        if (rc < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int enc_map(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    PyObject *items;
    if (PyDict_Check(v))
        items = PyDict_Items(v);
    else if (PyMapping_Check(v) && !PyList_Check(v) && !PyTuple_Check(v) && !PyUnicode_Check(v) &&
             PyObject_HasAttrString(v, "items"))
        items = PyMapping_Items(v);
    else
        return TYPE_FAIL(NULL);
    if (!items)
        return -1;
    Py_ssize_t n = PyList_GET_SIZE(items);
    cql_wr_i32(w, (int32_t)n);
    for (Py_ssize_t i = 0; i < n && w->err == CQL_OK; i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        if (enc_elem(cx, pl->child[0], PyTuple_GET_ITEM(kv, 0), w, 0) < 0 ||
            enc_elem(cx, pl->child[1], PyTuple_GET_ITEM(kv, 1), w, 0) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    return 0;
}

static int enc_tuple(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    if (!PyTuple_Check(v) && !PyList_Check(v))
        return TYPE_FAIL(NULL);
    PyObject *seq = PySequence_Tuple(v);
    if (!seq)
        return -1;
    if (PyTuple_GET_SIZE(seq) != pl->n) {
        char why[64];
        snprintf(why, sizeof(why), "needs %u components, got %zd", (unsigned)pl->n,
                 PyTuple_GET_SIZE(seq));
        Py_DECREF(seq);
        return VALUE_FAIL(why);
    }
    for (uint16_t k = 0; k < pl->n && w->err == CQL_OK; k++) {
        if (enc_elem(cx, pl->child[k], PyTuple_GET_ITEM(seq, k), w, 1) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int enc_udt(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    if (PyUnicode_Check(v) || PyBytes_Check(v) || PyLong_Check(v) || PyFloat_Check(v) ||
        PyList_Check(v) || PyTuple_Check(v) || PyAnySet_Check(v))
        return TYPE_FAIL(NULL);
    int is_dict = PyDict_Check(v);
    Py_ssize_t matched = 0;
    for (uint16_t k = 0; k < pl->n && w->err == CQL_OK; k++) {
        PyObject *f;
        if (is_dict) {
            f = PyDict_GetItemWithError(v, pl->fields[k]);
            if (f)
                matched++;
            else if (PyErr_Occurred())
                return -1;
            Py_XINCREF(f);
        } else {
            f = PyObject_GetAttr(v, pl->fields[k]);
            if (!f) {
                if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                    return -1;
                PyErr_Clear();
            }
        }
        int rc = enc_elem(cx, pl->child[k], f ? f : Py_None, w, 1);
        Py_XDECREF(f);
        if (rc < 0)
            return -1;
    }
    if (is_dict && matched != PyDict_GET_SIZE(v)) {
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(v, &pos, &key, &val)) {
            int known = 0;
            for (uint16_t k = 0; k < pl->n && !known; k++) {
                int eq = PyObject_RichCompareBool(key, pl->fields[k], Py_EQ);
                if (eq < 0)
                    return -1;
                known = eq;
            }
            if (!known) {
                PyObject *r = PyObject_Repr(key);
                const char *rs = r ? PyUnicode_AsUTF8(r) : NULL;
                char why[160];
                snprintf(why, sizeof(why), "no field named %.100s", rs ? rs : "?");
                Py_XDECREF(r);
                PyErr_Clear();
                return VALUE_FAIL(why);
            }
        }
    }
    return 0;
}

static int enc_vector(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    if (not_a_collection(v) || PyAnySet_Check(v))
        return TYPE_FAIL(NULL);
    PyObject *seq = PySequence_Fast(v, "");
    if (!seq) {
        PyErr_Clear();
        return TYPE_FAIL(NULL);
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n != pl->dim) {
        char why[64];
        snprintf(why, sizeof(why), "needs %d elements, got %zd", (int)pl->dim, n);
        Py_DECREF(seq);
        return VALUE_FAIL(why);
    }
    const plan *et = pl->child[0];
    cql_writer tmp;
    cql_wr_init(&tmp);
    int rc = 0;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(seq, i);
        if (e == Py_None) {
            rc = enc_fail(cx, et, PyExc_ValueError, e, "vectors cannot hold nulls");
            break;
        }
        if (pl->fixed > 0) {
            size_t before = w->len;
            rc = enc_payload(cx, et, e, w);
            if (rc == 0 && w->err == CQL_OK && w->len - before != (size_t)pl->fixed)
                rc = enc_fail(cx, et, PyExc_ValueError, e, "element has the wrong size");
        } else {
            cql_wr_reset(&tmp);
            rc = enc_payload(cx, et, e, &tmp);
            if (rc == 0) {
                cql_wr_uvint(w, tmp.len);
                cql_wr_raw(w, tmp.data, tmp.len);
            }
        }
    }
    cql_wr_free(&tmp);
    Py_DECREF(seq);
    return rc;
}

static int enc_payload(const enc_ctx *cx, const plan *pl, PyObject *v, cql_writer *w)
{
    long long x;
    uint8_t b[8];
    switch (pl->id) {
    case CQL_TYPE_VARCHAR: return enc_text(cx, pl, v, w, 0);
    case CQL_TYPE_ASCII: return enc_text(cx, pl, v, w, 1);
    case CQL_TYPE_BLOB:
    case CQL_TYPE_CUSTOM: return enc_blob(cx, pl, v, w);
    case CQL_TYPE_BOOLEAN:
        if (!PyBool_Check(v) && !PyLong_Check(v))
            return TYPE_FAIL(NULL);
        cql_wr_u8(w, PyObject_IsTrue(v) ? 1 : 0);
        return 0;
    case CQL_TYPE_TINYINT:
        if (get_int(cx, pl, v, INT8_MIN, INT8_MAX, &x) < 0)
            return -1;
        cql_wr_u8(w, (uint8_t)(int8_t)x);
        return 0;
    case CQL_TYPE_SMALLINT:
        if (get_int(cx, pl, v, INT16_MIN, INT16_MAX, &x) < 0)
            return -1;
        cql_wr_u16(w, (uint16_t)(int16_t)x);
        return 0;
    case CQL_TYPE_INT:
        if (get_int(cx, pl, v, INT32_MIN, INT32_MAX, &x) < 0)
            return -1;
        cql_wr_i32(w, (int32_t)x);
        return 0;
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER:
        if (get_int(cx, pl, v, INT64_MIN, INT64_MAX, &x) < 0)
            return -1;
        cql_store_be64(b, (uint64_t)x);
        cql_wr_raw(w, b, 8);
        return 0;
    case CQL_TYPE_VARINT: return enc_varint(cx, pl, v, w);
    case CQL_TYPE_FLOAT:
    case CQL_TYPE_DOUBLE: return enc_double(cx, pl, v, w);
    case CQL_TYPE_DECIMAL: return enc_decimal(cx, pl, v, w);
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID: return enc_uuid(cx, pl, v, w);
    case CQL_TYPE_INET: return enc_inet(cx, pl, v, w);
    case CQL_TYPE_DATE: return enc_date(cx, pl, v, w);
    case CQL_TYPE_TIME: return enc_time(cx, pl, v, w);
    case CQL_TYPE_TIMESTAMP: return enc_timestamp(cx, pl, v, w);
    case CQL_TYPE_DURATION: return enc_duration(cx, pl, v, w);
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET: return enc_list_or_set(cx, pl, v, w);
    case CQL_TYPE_MAP: return enc_map(cx, pl, v, w);
    case CQL_TYPE_TUPLE: return enc_tuple(cx, pl, v, w);
    case CQL_TYPE_UDT: return enc_udt(cx, pl, v, w);
    case CQL_TYPE_VECTOR: return enc_vector(cx, pl, v, w);
    default:
        return TYPE_FAIL("this CQL type cannot be bound");
    }
}

static int writer_failed(const plan *pl, const cql_writer *w, PyObject *colname)
{
    if (w->err == CQL_ENOMEM) {
        PyErr_NoMemory();
        return -1;
    }
    PyErr_Format(PyExc_ValueError, "column %R (%U): %s", colname ? colname : Py_None,
                 pl->tname, w->errmsg ? w->errmsg : cql_strerror(w->err));
    return -1;
}

int plan_encode_value(const plan *pl, PyObject *v, cql_writer *w, PyObject *colname)
{
    enc_ctx cx = {colname, pl};
    if (enc_elem(&cx, pl, v, w, 1) < 0)
        return -1;
    if (w->err != CQL_OK)
        return writer_failed(pl, w, colname);
    return 0;
}

/* ======================================================================== */
/* Bound values                                                              */
/* ======================================================================== */

void bound_init(bound_values *b)
{
    memset(b, 0, sizeof(*b));
    cql_wr_init(&b->buf);
}

void bound_free(bound_values *b)
{
    cql_wr_free(&b->buf);
    PyMem_Free(b->offs);
    PyMem_Free(b->lens);
    PyMem_Free(b->values);
    memset(b, 0, sizeof(*b));
}

void bound_reset(bound_values *b)
{
    cql_wr_reset(&b->buf);
    b->n = 0;
}

static int bound_grow(bound_values *b, size_t need)
{
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 16;
    while (cap < need)
        cap *= 2;
    size_t *offs = PyMem_Realloc(b->offs, cap * sizeof(size_t));
    if (offs)
        b->offs = offs;
    int32_t *lens = PyMem_Realloc(b->lens, cap * sizeof(int32_t));
    if (lens)
        b->lens = lens;
    cql_bytes *values = PyMem_Realloc(b->values, cap * sizeof(cql_bytes));
    if (values)
        b->values = values;
    if (!offs || !lens || !values) {
        PyErr_NoMemory();
        return -1;
    }
    b->cap = cap;
    return 0;
}

int bound_encode(bound_values *b, const rowplan *rp, PyObject *params)
{
    Py_ssize_t n;
    PyObject *seq = NULL;
    if (params == Py_None) {
        n = 0;
    } else if (PyTuple_Check(params) || PyList_Check(params)) {
        seq = Py_NewRef(params);
        n = PySequence_Fast_GET_SIZE(seq);
    } else {
        PyErr_Format(PyExc_TypeError, "bound values must be a tuple or list, not %.100s",
                     Py_TYPE(params)->tp_name);
        return -1;
    }
    if (n != rp->ncols) {
        PyErr_Format(PyExc_ValueError, "the statement has %d bind markers but %zd values were given",
                     (int)rp->ncols, n);
        Py_XDECREF(seq);
        return -1;
    }
    if (bound_grow(b, b->n + (size_t)n) < 0) {
        Py_XDECREF(seq);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PySequence_Fast_GET_ITEM(seq, i);
        size_t k = b->n++;
        b->offs[k] = b->buf.len;
        if (v == Py_None) {
            b->lens[k] = CQL_NULL_LEN;
            continue;
        }
        enc_ctx cx = {rp->names[i], rp->cols[i]};
        Py_INCREF(v);
        int rc = enc_payload(&cx, rp->cols[i], v, &b->buf);
        Py_DECREF(v);
        if (rc < 0) {
            Py_DECREF(seq);
            return -1;
        }
        if (b->buf.err != CQL_OK) {
            Py_DECREF(seq);
            return writer_failed(rp->cols[i], &b->buf, rp->names[i]);
        }
        size_t len = b->buf.len - b->offs[k];
        if (len > INT32_MAX) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_ValueError, "column %R: value longer than 2 GiB", rp->names[i]);
            return -1;
        }
        b->lens[k] = (int32_t)len;
    }
    Py_XDECREF(seq);
    return 0;
}

int bound_finish(bound_values *b)
{
    for (size_t k = 0; k < b->n; k++) {
        b->values[k].len = b->lens[k];
        b->values[k].p = b->lens[k] >= 0 ? b->buf.data + b->offs[k] : NULL;
    }
    return 0;
}

/* ======================================================================== */
/* Codec: a plan for one type, for tests and tools                           */
/* ======================================================================== */

typedef struct {
    PyObject_HEAD
    plan *pl;
    PyObject *module;
} CodecObject;

static PyObject *codec_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"type", NULL};
    PyObject *spec;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:Codec", kwlist, &spec))
        return NULL;
    PyObject *module = PyType_GetModule(type);
    if (!module)
        return NULL;
    native_state *st = PyModule_GetState(module);
    cql_arena arena;
    cql_arena_init(&arena);
    cql_error err = {0, NULL};
    cql_type *t = NULL;
    int rc;
    if (PyUnicode_Check(spec)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(spec, &n);
        if (!s) {
            cql_arena_free(&arena);
            return NULL;
        }
        rc = cql_type_parse_class(s, (size_t)n, &arena, &t, &err);
    } else {
        Py_buffer view;
        if (PyObject_GetBuffer(spec, &view, PyBUF_SIMPLE) < 0) {
            cql_arena_free(&arena);
            return NULL;
        }
        cql_reader r = cql_reader_make(view.buf, (size_t)view.len);
        rc = cql_type_parse_option(&r, &arena, &t, &err);
        if (rc == CQL_OK && r.n != 0)
            rc = cql_fail(&err, CQL_EINVAL, "trailing bytes after the type [option]");
        PyBuffer_Release(&view);
    }
    if (rc != CQL_OK) {
        cql_arena_free(&arena);
        return binding_core_error(st, "bad type description", &err);
    }
    plan *pl = plan_build(st, t, 0);
    cql_arena_free(&arena);
    if (!pl)
        return NULL;
    CodecObject *self = (CodecObject *)type->tp_alloc(type, 0);
    if (!self) {
        plan_free(pl);
        return NULL;
    }
    self->pl = pl;
    self->module = Py_NewRef(module);
    return (PyObject *)self;
}

static void codec_dealloc(PyObject *op)
{
    CodecObject *self = (CodecObject *)op;
    PyTypeObject *tp = Py_TYPE(op);
    plan_free(self->pl);
    Py_XDECREF(self->module);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyObject *codec_encode(PyObject *op, PyObject *value)
{
    CodecObject *self = (CodecObject *)op;
    cql_writer w;
    cql_wr_init(&w);
    PyObject *res = NULL;
    if (plan_encode_value(self->pl, value, &w, NULL) == 0) {
        int32_t len = (int32_t)cql_load_be32(w.data);
        res = len < 0 ? Py_NewRef(Py_None)
                      : PyBytes_FromStringAndSize((const char *)w.data + 4, (Py_ssize_t)len);
    }
    cql_wr_free(&w);
    return res;
}

static PyObject *codec_decode(PyObject *op, PyObject *data)
{
    CodecObject *self = (CodecObject *)op;
    if (data == Py_None)
        return plan_decode_value(self->pl, (cql_bytes){NULL, -1}, NULL);
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len > INT32_MAX) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "value longer than 2 GiB");
        return NULL;
    }
    PyObject *res = plan_decode_value(self->pl, (cql_bytes){view.buf, (int32_t)view.len}, NULL);
    PyBuffer_Release(&view);
    return res;
}

static PyObject *codec_get_cql_type(PyObject *op, void *closure)
{
    (void)closure;
    return Py_NewRef(((CodecObject *)op)->pl->tname);
}

static PyMethodDef codec_methods[] = {
    {"encode", codec_encode, METH_O, "encode(value) -> bytes | None: the value's wire bytes."},
    {"decode", codec_decode, METH_O, "decode(data: bytes | None) -> the canonical Python value."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef codec_getset[] = {
    {"cql_type", codec_get_cql_type, NULL, "the CQL type as text", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot codec_slots[] = {
    {Py_tp_new, codec_new},
    {Py_tp_dealloc, codec_dealloc},
    {Py_tp_methods, codec_methods},
    {Py_tp_getset, codec_getset},
    {Py_tp_doc, "Codec(type) - encoder/decoder of one CQL type, given as a type [option]\n"
                "(bytes) or a Cassandra marshal class name (str). For tests and tools."},
    {0, NULL},
};

PyType_Spec codec_type_spec = {
    "coodie._native.Codec",
    sizeof(CodecObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    codec_slots,
};

/* ======================================================================== */
/* Module hook                                                               */
/* ======================================================================== */

static PyObject *import_attr(const char *module, const char *name)
{
    PyObject *m = PyImport_ImportModule(module);
    if (!m)
        return NULL;
    PyObject *a = PyObject_GetAttrString(m, name);
    Py_DECREF(m);
    return a;
}

int codec_module_init(PyObject *module, native_state *st)
{
    (void)module;
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI)
        return -1;
    st->utc = Py_NewRef(PyDateTime_TimeZone_UTC);
    if (!(st->uuid_type = import_attr("uuid", "UUID")) ||
        !(st->decimal_type = import_attr("decimal", "Decimal")) ||
        !(st->ipv4_type = import_attr("ipaddress", "IPv4Address")) ||
        !(st->ipv6_type = import_attr("ipaddress", "IPv6Address")))
        return -1;
    PyObject *safe = import_attr("uuid", "SafeUUID");
    if (!safe)
        return -1;
    st->safe_uuid_unknown = PyObject_GetAttrString(safe, "unknown");
    Py_DECREF(safe);
    if (!st->safe_uuid_unknown)
        return -1;
    if (!PyType_Check(st->uuid_type)) {
        PyErr_SetString(PyExc_ImportError, "uuid.UUID is not a class");
        return -1;
    }
    return 0;
}

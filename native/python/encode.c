/*
 * encode.c - Python values to wire bytes: typed parameter encoding and the
 * bound values of a statement.
 *
 * Encoding walks the same type codec as decoding: the expected CQL type decides which
 * Python types are accepted, and every refusal names the column and the type.
 */
#include "codec.h"

#include <arpa/inet.h>
#include <datetime.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ======================================================================== */
/* Encoding                                                                  */
/* ======================================================================== */

typedef struct enc_ctx {
    PyObject *colname; /* may be NULL */
    const type_codec *top;
} enc_ctx;

static int enc_fail(const enc_ctx *cx, const type_codec *tc, PyObject *exc_type, PyObject *v,
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
    if (tc != cx->top)
        PyErr_Format(exc_type, "column %R expects CQL %U (in %U), got %s %U%s%s", col,
                     tc->tname, cx->top->tname, Py_TYPE(v)->tp_name, r, why ? ": " : "",
                     why ? why : "");
    else
        PyErr_Format(exc_type, "column %R expects CQL %U, got %s %U%s%s", col, tc->tname,
                     Py_TYPE(v)->tp_name, r, why ? ": " : "", why ? why : "");
    Py_DECREF(r);
    return -1;
}

#define TYPE_FAIL(why) enc_fail(cx, tc, PyExc_TypeError, v, why)
#define VALUE_FAIL(why) enc_fail(cx, tc, PyExc_ValueError, v, why)

static int enc_payload(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w);

/* An element as [bytes]; nulls allowed only where allow_null. */
static int enc_elem(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w,
                    int allow_null)
{
    if (v == Py_None) {
        if (!allow_null)
            return enc_fail(cx, tc, PyExc_ValueError, v, "collections cannot hold nulls");
        cql_wr_i32(w, -1);
        return 0;
    }
    size_t at = w->len;
    cql_wr_i32(w, 0);
    if (enc_payload(cx, tc, v, w) < 0)
        return -1;
    if (w->err != CQL_OK)
        return 0; /* reported by the caller */
    size_t len = w->len - at - 4;
    if (len > INT32_MAX)
        return enc_fail(cx, tc, PyExc_ValueError, v, "value longer than 2 GiB");
    cql_store_be32(w->data + at, (uint32_t)len);
    return 0;
}

/* An int in [lo, hi] from an int-like object. */
static int get_int(const enc_ctx *cx, const type_codec *tc, PyObject *v, long long lo, long long hi,
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

static int enc_varint(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
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

static int enc_text(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w, int ascii)
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

static int enc_blob(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
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

static int enc_double(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    if (!PyFloat_Check(v) && !PyLong_Check(v))
        return TYPE_FAIL(NULL);
    double d = PyFloat_AsDouble(v);
    if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return VALUE_FAIL("out of range for a double");
    }
    if (tc->type.id == CQL_TYPE_DOUBLE) {
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

static int enc_decimal(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    native_state *st = tc->st;
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
    if (!tup) {
        Py_DECREF(dec);
        return -1;
    }
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
    if (nd <= 18) { /* fits in 63 bits: summed from the digits */
        long long whole = 0;
        for (Py_ssize_t i = 0; i < nd; i++)
            whole = whole * 10 + PyLong_AsLong(PyTuple_GET_ITEM(digits, i));
        unscaled = PyLong_FromLongLong(PyObject_IsTrue(sign) ? -whole : whole);
    } else {
        /* int(value scaled by 10**-e) is exact in the never-rounding context and
         * needs no text (Python refuses str -> int past 4,300 digits) */
        PyObject *power = PyLong_FromLongLong(-e);
        PyObject *whole = power ? PyObject_CallMethodObjArgs(dec, st->s_scaleb, power, st->decimal_exact, NULL)
                                : NULL;
        Py_XDECREF(power);
        unscaled = whole ? PyNumber_Long(whole) : NULL;
        Py_XDECREF(whole);
    }
    if (!unscaled)
        goto done;
    uint8_t sc[4];
    cql_store_be32(sc, (uint32_t)(int32_t)(-e));
    cql_wr_raw(w, sc, 4);
    rc = enc_varint(cx, tc, unscaled, w);
done:
    Py_XDECREF(unscaled);
    Py_DECREF(tup);
    Py_DECREF(dec);
    if (rc < 0 && !PyErr_Occurred())
        TYPE_FAIL(NULL);
    return rc;
}

static int enc_uuid(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    native_state *st = tc->st;
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
    if (tc->type.id == CQL_TYPE_TIMEUUID && (b[6] >> 4) != 1)
        return VALUE_FAIL("a timeuuid must be a version 1 UUID");
    cql_wr_raw(w, b, 16);
    return 0;
}

static int enc_inet(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    native_state *st = tc->st;
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

static int enc_date(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    int64_t days;
    if (PyDate_Check(v)) {
        days = days_from_civil(PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                               PyDateTime_GET_DAY(v));
    } else if (PyLong_Check(v) && !PyBool_Check(v)) {
        long long d;
        if (get_int(cx, tc, v, INT32_MIN, INT32_MAX, &d) < 0)
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

static int enc_time(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    int64_t ns;
    if (PyTime_Check(v)) {
        ns = ((int64_t)PyDateTime_TIME_GET_HOUR(v) * 3600 + PyDateTime_TIME_GET_MINUTE(v) * 60 +
              PyDateTime_TIME_GET_SECOND(v)) * 1000000000LL +
             (int64_t)PyDateTime_TIME_GET_MICROSECOND(v) * 1000;
    } else if (PyLong_Check(v) && !PyBool_Check(v)) {
        long long x;
        if (get_int(cx, tc, v, 0, CQL_TIME_MAX_NS, &x) < 0)
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

static int enc_timestamp(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    native_state *st = tc->st;
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
        if (get_int(cx, tc, v, INT64_MIN, INT64_MAX, &x) < 0)
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

static int enc_duration(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    native_state *st = tc->st;
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

static int enc_list_or_set(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
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
        int rc = enc_elem(cx, tc->child[0], e, w, 0);
        Py_DECREF(e);
        if (rc < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int enc_map(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
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
        if (enc_elem(cx, tc->child[0], PyTuple_GET_ITEM(kv, 0), w, 0) < 0 ||
            enc_elem(cx, tc->child[1], PyTuple_GET_ITEM(kv, 1), w, 0) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    return 0;
}

static int enc_tuple(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    if (!PyTuple_Check(v) && !PyList_Check(v))
        return TYPE_FAIL(NULL);
    PyObject *seq = PySequence_Tuple(v);
    if (!seq)
        return -1;
    if (PyTuple_GET_SIZE(seq) != tc->type.n) {
        char why[64];
        snprintf(why, sizeof(why), "needs %u components, got %zd", (unsigned)tc->type.n,
                 PyTuple_GET_SIZE(seq));
        Py_DECREF(seq);
        return VALUE_FAIL(why);
    }
    for (uint16_t k = 0; k < tc->type.n && w->err == CQL_OK; k++) {
        if (enc_elem(cx, tc->child[k], PyTuple_GET_ITEM(seq, k), w, 1) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int enc_udt(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    if (PyUnicode_Check(v) || PyBytes_Check(v) || PyLong_Check(v) || PyFloat_Check(v) ||
        PyList_Check(v) || PyTuple_Check(v) || PyAnySet_Check(v))
        return TYPE_FAIL(NULL);
    int is_dict = PyDict_Check(v);
    Py_ssize_t matched = 0;
    for (uint16_t k = 0; k < tc->type.n && w->err == CQL_OK; k++) {
        PyObject *f;
        if (is_dict) {
            f = PyDict_GetItemWithError(v, tc->fields[k]);
            if (f)
                matched++;
            else if (PyErr_Occurred())
                return -1;
            Py_XINCREF(f);
        } else {
            f = PyObject_GetAttr(v, tc->fields[k]);
            if (!f) {
                if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                    return -1;
                PyErr_Clear();
            }
        }
        int rc = enc_elem(cx, tc->child[k], f ? f : Py_None, w, 1);
        Py_XDECREF(f);
        if (rc < 0)
            return -1;
    }
    if (is_dict && matched != PyDict_GET_SIZE(v)) {
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(v, &pos, &key, &val)) {
            int known = 0;
            for (uint16_t k = 0; k < tc->type.n && !known; k++) {
                int eq = PyObject_RichCompareBool(key, tc->fields[k], Py_EQ);
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

static int enc_vector(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    if (not_a_collection(v) || PyAnySet_Check(v))
        return TYPE_FAIL(NULL);
    PyObject *seq = PySequence_Fast(v, "");
    if (!seq) {
        PyErr_Clear();
        return TYPE_FAIL(NULL);
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n != tc->type.dim) {
        char why[64];
        snprintf(why, sizeof(why), "needs %d elements, got %zd", (int)tc->type.dim, n);
        Py_DECREF(seq);
        return VALUE_FAIL(why);
    }
    const type_codec *et = tc->child[0];
    cql_writer tmp;
    cql_wr_init(&tmp);
    int rc = 0;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(seq, i);
        if (e == Py_None) {
            rc = enc_fail(cx, et, PyExc_ValueError, e, "vectors cannot hold nulls");
            break;
        }
        if (tc->fixed > 0) {
            size_t before = w->len;
            rc = enc_payload(cx, et, e, w);
            if (rc == 0 && w->err == CQL_OK && w->len - before != (size_t)tc->fixed)
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

static int enc_payload(const enc_ctx *cx, const type_codec *tc, PyObject *v, cql_writer *w)
{
    long long x;
    uint8_t b[8];
    switch (tc->type.id) {
    case CQL_TYPE_VARCHAR: return enc_text(cx, tc, v, w, 0);
    case CQL_TYPE_ASCII: return enc_text(cx, tc, v, w, 1);
    case CQL_TYPE_BLOB:
    case CQL_TYPE_CUSTOM: return enc_blob(cx, tc, v, w);
    case CQL_TYPE_BOOLEAN:
        if (!PyBool_Check(v) && !PyLong_Check(v))
            return TYPE_FAIL(NULL);
        cql_wr_u8(w, PyObject_IsTrue(v) ? 1 : 0);
        return 0;
    case CQL_TYPE_TINYINT:
        if (get_int(cx, tc, v, INT8_MIN, INT8_MAX, &x) < 0)
            return -1;
        cql_wr_u8(w, (uint8_t)(int8_t)x);
        return 0;
    case CQL_TYPE_SMALLINT:
        if (get_int(cx, tc, v, INT16_MIN, INT16_MAX, &x) < 0)
            return -1;
        cql_wr_u16(w, (uint16_t)(int16_t)x);
        return 0;
    case CQL_TYPE_INT:
        if (get_int(cx, tc, v, INT32_MIN, INT32_MAX, &x) < 0)
            return -1;
        cql_wr_i32(w, (int32_t)x);
        return 0;
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER:
        if (get_int(cx, tc, v, INT64_MIN, INT64_MAX, &x) < 0)
            return -1;
        cql_store_be64(b, (uint64_t)x);
        cql_wr_raw(w, b, 8);
        return 0;
    case CQL_TYPE_VARINT: return enc_varint(cx, tc, v, w);
    case CQL_TYPE_FLOAT:
    case CQL_TYPE_DOUBLE: return enc_double(cx, tc, v, w);
    case CQL_TYPE_DECIMAL: return enc_decimal(cx, tc, v, w);
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID: return enc_uuid(cx, tc, v, w);
    case CQL_TYPE_INET: return enc_inet(cx, tc, v, w);
    case CQL_TYPE_DATE: return enc_date(cx, tc, v, w);
    case CQL_TYPE_TIME: return enc_time(cx, tc, v, w);
    case CQL_TYPE_TIMESTAMP: return enc_timestamp(cx, tc, v, w);
    case CQL_TYPE_DURATION: return enc_duration(cx, tc, v, w);
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET: return enc_list_or_set(cx, tc, v, w);
    case CQL_TYPE_MAP: return enc_map(cx, tc, v, w);
    case CQL_TYPE_TUPLE: return enc_tuple(cx, tc, v, w);
    case CQL_TYPE_UDT: return enc_udt(cx, tc, v, w);
    case CQL_TYPE_VECTOR: return enc_vector(cx, tc, v, w);
    default:
        return TYPE_FAIL("this CQL type cannot be bound");
    }
}

static int writer_failed(const type_codec *tc, const cql_writer *w, PyObject *colname)
{
    if (w->err == CQL_ENOMEM) {
        PyErr_NoMemory();
        return -1;
    }
    PyErr_Format(PyExc_ValueError, "column %R (%U): %s", colname ? colname : Py_None,
                 tc->tname, w->errmsg ? w->errmsg : cql_strerror(w->err));
    return -1;
}

int type_codec_encode(const type_codec *tc, PyObject *v, cql_writer *w, PyObject *colname)
{
    enc_ctx cx = {colname, tc};
    if (enc_elem(&cx, tc, v, w, 1) < 0)
        return -1;
    if (w->err != CQL_OK)
        return writer_failed(tc, w, colname);
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

int bound_encode(bound_values *b, const row_codec *rp, PyObject *params)
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

int encode_datetime_import(void)
{
    PyDateTime_IMPORT;
    return PyDateTimeAPI ? 0 : -1;
}

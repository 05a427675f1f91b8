/*
 * codec.h - private helpers shared by the value codec files: integers as
 * big-endian bytes and calendar arithmetic.
 *
 * decode.c  type and row codecs, the Python builder driven by the core's
 *           value walker (wire bytes -> Python values)
 * encode.c  parameter encoding (Python values -> wire bytes), bound values
 * codec.c   the Codec type (one type codec, for tests and tools)
 */
#ifndef COODIE_CODEC_H
#define COODIE_CODEC_H

#include "binding.h"

/* ======================================================================== */
/* int <-> big-endian bytes                                                  */
/* ======================================================================== */

static inline PyObject *long_from_be(const uint8_t *p, size_t n, int is_signed)
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
static inline int long_to_be(PyObject *v, uint8_t *out, size_t n, int is_signed)
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
static inline size_t long_byte_bound(PyObject *v)
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

static inline void civil_from_days(int64_t z, int *year, int *month, int *day)
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

static inline int64_t days_from_civil(int64_t y, int m, int d)
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

static inline int64_t floordiv64(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* datetime.h keeps its C API in a per-file static: each file that uses it
 * imports it once at module init (0, or -1 with an exception). */
int decode_datetime_import(void);
int encode_datetime_import(void);

#endif /* COODIE_CODEC_H */

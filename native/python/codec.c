/*
 * codec.c - the Codec type: one type codec (decoder and encoder of a single
 * CQL type) exposed to Python for tests and tools, and the module hook that
 * registers it.
 */
#include "codec.h"

#include <datetime.h>
#include <string.h>

/* ======================================================================== */
/* Codec: one type codec, for tests and tools                                */
/* ======================================================================== */

typedef struct {
    PyObject_HEAD
    type_codec *tc;
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
    type_codec *tc = type_codec_build(st, t, 0);
    cql_arena_free(&arena);
    if (!tc)
        return NULL;
    CodecObject *self = (CodecObject *)type->tp_alloc(type, 0);
    if (!self) {
        type_codec_free(tc);
        return NULL;
    }
    self->tc = tc;
    self->module = Py_NewRef(module);
    return (PyObject *)self;
}

static void codec_dealloc(PyObject *op)
{
    CodecObject *self = (CodecObject *)op;
    PyTypeObject *tp = Py_TYPE(op);
    type_codec_free(self->tc);
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
    if (type_codec_encode(self->tc, value, &w, NULL) == 0) {
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
        return type_codec_decode(self->tc, (cql_bytes){NULL, -1}, NULL);
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len > INT32_MAX) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "value longer than 2 GiB");
        return NULL;
    }
    PyObject *res = type_codec_decode(self->tc, (cql_bytes){view.buf, (int32_t)view.len}, NULL);
    PyBuffer_Release(&view);
    return res;
}

static PyObject *codec_get_cql_type(PyObject *op, void *closure)
{
    (void)closure;
    return Py_NewRef(((CodecObject *)op)->tc->tname);
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

/* decimal.Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN): scaling a
 * decimal by a power of ten in it is exact whatever its number of digits, so
 * huge values never go through text (Python limits int <-> str to 4,300 digits). */
static PyObject *exact_decimal_context(void)
{
    static const char *const limits[][2] = {{"prec", "MAX_PREC"}, {"Emax", "MAX_EMAX"}, {"Emin", "MIN_EMIN"}};
    PyObject *context_type = import_attr("decimal", "Context");
    PyObject *kwargs = context_type ? PyDict_New() : NULL;
    PyObject *context = NULL;
    if (!kwargs)
        goto done;
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        PyObject *v = import_attr("decimal", limits[i][1]);
        int rc = v ? PyDict_SetItemString(kwargs, limits[i][0], v) : -1;
        Py_XDECREF(v);
        if (rc < 0)
            goto done;
    }
    context = PyObject_VectorcallDict(context_type, NULL, 0, kwargs);
done:
    Py_XDECREF(kwargs);
    Py_XDECREF(context_type);
    return context;
}

int codec_module_init(PyObject *module, native_state *st)
{
    (void)module;
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI || decode_datetime_import() < 0 || encode_datetime_import() < 0)
        return -1;
    st->utc = Py_NewRef(PyDateTime_TimeZone_UTC);
    if (!(st->uuid_type = import_attr("uuid", "UUID")) ||
        !(st->decimal_type = import_attr("decimal", "Decimal")) ||
        !(st->ipv4_type = import_attr("ipaddress", "IPv4Address")) ||
        !(st->ipv6_type = import_attr("ipaddress", "IPv6Address")))
        return -1;
    if (!(st->decimal_exact = exact_decimal_context()))
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

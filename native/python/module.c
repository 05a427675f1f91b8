/*
 * module.c - coodie._native, the CPython binding of the CQL protocol core.
 *
 * Frame headers, Murmur3 tokens and LZ4 bodies as functions; the Connection,
 * Prepared and Codec types (conn.c, codec.c); the driver's exception classes.
 * Multi-phase initialisation with per-module state and heap types (no static
 * Python objects), so the module can be loaded in several interpreters.
 */
#include "binding.h"

/* ======================================================================== */
/* Module state                                                              */
/* ======================================================================== */

static inline native_state *get_state(PyObject *module)
{
    return (native_state *)PyModule_GetState(module);
}

PyObject *binding_core_error(native_state *st, const char *what, const cql_error *err)
{
    if (err->code == CQL_ENOMEM)
        return PyErr_NoMemory();
    PyErr_Format(st->protocol_error, "%s: %s", what,
                 err->msg ? err->msg : cql_strerror(err->code));
    return NULL;
}

/* Bodies above this size are (de)compressed with the GIL released. */
#define RELEASE_GIL_THRESHOLD (64 * 1024)

static PyObject *raise_core_error(PyObject *module, const char *what, const cql_error *err)
{
    PyErr_Format(get_state(module)->protocol_error, "%s: %s", what,
                 err->msg ? err->msg : cql_strerror(err->code));
    return NULL;
}

/* Read an int argument and check it lies in [lo, hi]. */
static int arg_in_range(PyObject *obj, const char *name, long long lo, long long hi,
                        long long *out)
{
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow || v < lo || v > hi) {
        PyErr_Format(PyExc_ValueError, "%s must be in [%lld, %lld]", name, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* ======================================================================== */
/* Frame headers                                                             */
/* ======================================================================== */

PyDoc_STRVAR(encode_frame_header_doc,
"encode_frame_header(version, flags, stream, opcode, length) -> bytes\n\n"
"Encode the 9-byte CQL frame header.");

static PyObject *encode_frame_header(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    long long version, flags, stream, opcode, length;
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError, "encode_frame_header() takes 5 arguments (%zd given)",
                     nargs);
        return NULL;
    }
    if (arg_in_range(args[0], "version", 0, 0xFF, &version) < 0 ||
        arg_in_range(args[1], "flags", 0, 0xFF, &flags) < 0 ||
        arg_in_range(args[2], "stream", INT16_MIN, INT16_MAX, &stream) < 0 ||
        arg_in_range(args[3], "opcode", 0, 0xFF, &opcode) < 0 ||
        arg_in_range(args[4], "length", 0, CQL_MAX_BODY_LENGTH, &length) < 0)
        return NULL;
    if (cql_opcode_name((uint8_t)opcode) == NULL) {
        PyErr_Format(PyExc_ValueError, "unknown opcode 0x%02llx", opcode);
        return NULL;
    }
    cql_frame_header h = {(uint8_t)version, (uint8_t)flags, (int16_t)stream,
                          (uint8_t)opcode, (uint32_t)length};
    uint8_t out[CQL_HEADER_SIZE];
    cql_frame_header_encode(&h, out);
    return PyBytes_FromStringAndSize((const char *)out, CQL_HEADER_SIZE);
}

PyDoc_STRVAR(decode_frame_header_doc,
"decode_frame_header(data) -> (version, flags, stream, opcode, length)\n\n"
"Decode the frame header at the start of a bytes-like object. Raises\n"
"ValueError (ProtocolError) on short input, an unsupported version, an\n"
"unknown opcode or a body length over 256 MiB.");

static PyObject *decode_frame_header(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    cql_frame_header h;
    cql_error err = {0, NULL};
    int rc = cql_frame_header_decode((const uint8_t *)view.buf, (size_t)view.len, 0, &h, &err);
    Py_ssize_t len = view.len;
    PyBuffer_Release(&view);
    if (rc == CQL_AGAIN) {
        PyErr_Format(get_state(module)->protocol_error,
                     "frame header needs %d bytes, got %zd", CQL_HEADER_SIZE, len);
        return NULL;
    }
    if (rc != CQL_OK)
        return raise_core_error(module, "bad frame header", &err);
    return Py_BuildValue("(iiiik)", (int)h.version, (int)h.flags, (int)h.stream,
                         (int)h.opcode, (unsigned long)h.length);
}

/* ======================================================================== */
/* Murmur3                                                                   */
/* ======================================================================== */

PyDoc_STRVAR(murmur3_token_doc,
"murmur3_token(routing_key) -> int\n\n"
"Murmur3Partitioner token of a serialized routing key, as Cassandra computes it.");

static PyObject *murmur3_token(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    int64_t t = cql_murmur3_token((const uint8_t *)view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromLongLong(t);
}

PyDoc_STRVAR(routing_key_doc,
"routing_key(parts) -> bytes\n\n"
"Routing key of a partition key from its serialized components (in partition\n"
"key order): one component as it is, several as Cassandra's CompositeType.\n"
"Raises ValueError for a null component or one over 65535 bytes.");

#define ROUTING_MAX_PARTS 64

static PyObject *routing_key(PyObject *module, PyObject *arg)
{
    (void)module;
    PyObject *seq = PySequence_Fast(arg, "routing_key() takes a sequence of bytes");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > ROUTING_MAX_PARTS) {
        Py_DECREF(seq);
        return PyErr_Format(PyExc_ValueError, "a partition key has 1 to %d components",
                            ROUTING_MAX_PARTS);
    }
    cql_bytes parts[ROUTING_MAX_PARTS];
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (item == Py_None) {
            parts[i].p = NULL;
            parts[i].len = -1;
        } else if (PyBytes_Check(item)) {
            if (PyBytes_GET_SIZE(item) > INT32_MAX) {
                Py_DECREF(seq);
                return PyErr_Format(PyExc_ValueError, "partition key component too large");
            }
            parts[i].p = (const uint8_t *)PyBytes_AS_STRING(item);
            parts[i].len = (int32_t)PyBytes_GET_SIZE(item);
        } else {
            Py_DECREF(seq);
            return PyErr_Format(PyExc_TypeError, "partition key components are bytes, not %.100s",
                                Py_TYPE(item)->tp_name);
        }
    }
    cql_writer w;
    cql_error err = {0, NULL};
    cql_wr_init(&w);
    int rc = cql_routing_key(parts, (size_t)n, &w, &err);
    PyObject *res = NULL;
    if (rc == CQL_ENOMEM)
        PyErr_NoMemory();
    else if (rc != CQL_OK)
        PyErr_Format(PyExc_ValueError, "no routing key: %s",
                     err.msg ? err.msg : cql_strerror(err.code));
    else
        res = PyBytes_FromStringAndSize((const char *)w.data, (Py_ssize_t)w.len);
    cql_wr_free(&w);
    Py_DECREF(seq);
    return res;
}

/* ======================================================================== */
/* LZ4                                                                       */
/* ======================================================================== */

typedef int (*lz4_fn)(const uint8_t *src, size_t n, cql_writer *out, cql_error *err);

static int do_compress(const uint8_t *src, size_t n, cql_writer *out, cql_error *err)
{
    return cql_lz4_compress(src, n, out, err);
}

static int do_decompress(const uint8_t *src, size_t n, cql_writer *out, cql_error *err)
{
    return cql_lz4_decompress(src, n, 0, out, err);
}

static PyObject *run_lz4(PyObject *module, PyObject *arg, lz4_fn fn, const char *what)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    cql_writer w;
    cql_error err = {0, NULL};
    int rc;
    cql_wr_init(&w);
    if (view.len > RELEASE_GIL_THRESHOLD) {
        Py_BEGIN_ALLOW_THREADS
        rc = fn((const uint8_t *)view.buf, (size_t)view.len, &w, &err);
        Py_END_ALLOW_THREADS
    } else {
        rc = fn((const uint8_t *)view.buf, (size_t)view.len, &w, &err);
    }
    PyBuffer_Release(&view);
    PyObject *res = NULL;
    if (rc == CQL_ENOMEM)
        PyErr_NoMemory();
    else if (rc != CQL_OK)
        raise_core_error(module, what, &err);
    else
        res = PyBytes_FromStringAndSize((const char *)w.data, (Py_ssize_t)w.len);
    cql_wr_free(&w);
    return res;
}

PyDoc_STRVAR(lz4_compress_doc,
"lz4_compress(data) -> bytes\n\n"
"Compress a frame body as CQL v4 does: 4-byte big-endian uncompressed\n"
"length followed by one LZ4 block.");

static PyObject *lz4_compress(PyObject *module, PyObject *arg)
{
    return run_lz4(module, arg, do_compress, "LZ4 compression failed");
}

PyDoc_STRVAR(lz4_decompress_doc,
"lz4_decompress(data) -> bytes\n\n"
"Decompress a CQL v4 LZ4 frame body. Raises ValueError (ProtocolError) on\n"
"corrupt input or an implausible declared length.");

static PyObject *lz4_decompress(PyObject *module, PyObject *arg)
{
    return run_lz4(module, arg, do_decompress, "bad LZ4 body");
}

/* ======================================================================== */
/* Module definition                                                         */
/* ======================================================================== */

static PyMethodDef native_methods[] = {
    {"encode_frame_header", (PyCFunction)(void (*)(void))encode_frame_header, METH_FASTCALL,
     encode_frame_header_doc},
    {"decode_frame_header", decode_frame_header, METH_O, decode_frame_header_doc},
    {"murmur3_token", murmur3_token, METH_O, murmur3_token_doc},
    {"routing_key", routing_key, METH_O, routing_key_doc},
    {"lz4_compress", lz4_compress, METH_O, lz4_compress_doc},
    {"lz4_decompress", lz4_decompress, METH_O, lz4_decompress_doc},
    {NULL, NULL, 0, NULL},
};

/* Every field of native_state is a PyObject *: traverse and clear walk them
 * as an array. */
#define STATE_NFIELDS (sizeof(native_state) / sizeof(PyObject *))

static PyObject *new_error(const char *name, const char *doc, PyObject *base)
{
    return PyErr_NewExceptionWithDoc(name, doc, base, NULL);
}

static int add_type(PyObject *module, PyType_Spec *spec, PyObject *base, PyObject **out)
{
    *out = PyType_FromModuleAndSpec(module, spec, base);
    if (!*out)
        return -1;
    return PyModule_AddType(module, (PyTypeObject *)*out);
}

static int intern(PyObject **slot, const char *s)
{
    *slot = PyUnicode_InternFromString(s);
    return *slot ? 0 : -1;
}

static int native_exec(PyObject *module)
{
    native_state *st = get_state(module);
    st->protocol_error = new_error("coodie._native.ProtocolError",
                                   "Malformed or unsupported CQL protocol data.", PyExc_ValueError);
    if (!st->protocol_error)
        return -1;
    if (PyModule_AddObjectRef(module, "ProtocolError", st->protocol_error) < 0)
        return -1;
    /* The driver's own errors live in a namespace of their own ("cql"): they
     * are what the server or the connection reported, before coodie maps
     * them to coodie.exceptions. */
    if (!(st->error = new_error("cql.Error", "Base of the native CQL driver's errors.",
                                PyExc_Exception)) ||
        !(st->server_error = new_error(
              "cql.ServerError",
              "The server answered with an ERROR message. Attributes: code (int), name (str),\n"
              "message (the server's text), info (dict of the error's details).",
              st->error)) ||
        !(st->connection_closed = new_error(
              "cql.ConnectionClosed",
              "The connection was closed, or broke, before the request completed.", st->error)) ||
        !(st->timed_out = new_error("cql.OperationTimedOut",
                                    "No reply before the request's client-side deadline.",
                                    st->error)))
        return -1;
    if (PyModule_AddObjectRef(module, "Error", st->error) < 0 ||
        PyModule_AddObjectRef(module, "ServerError", st->server_error) < 0 ||
        PyModule_AddObjectRef(module, "ConnectionClosed", st->connection_closed) < 0 ||
        PyModule_AddObjectRef(module, "OperationTimedOut", st->timed_out) < 0)
        return -1;
    if (intern(&st->s_int, "int") < 0 || intern(&st->s_is_safe, "is_safe") < 0 ||
        intern(&st->s_packed, "packed") < 0 || intern(&st->s_months, "months") < 0 ||
        intern(&st->s_days, "days") < 0 || intern(&st->s_nanoseconds, "nanoseconds") < 0 ||
        intern(&st->s_as_tuple, "as_tuple") < 0 || intern(&st->s_scaleb, "scaleb") < 0 || intern(&st->s_utcoffset, "utcoffset") < 0 ||
        intern(&st->s_set_result, "set_result") < 0 ||
        intern(&st->s_set_exception, "set_exception") < 0 ||
        intern(&st->s_create_future, "create_future") < 0 ||
        intern(&st->s_call_soon, "call_soon") < 0 || intern(&st->s_call_later, "call_later") < 0 ||
        intern(&st->s_add_reader, "add_reader") < 0 ||
        intern(&st->s_remove_reader, "remove_reader") < 0 ||
        intern(&st->s_add_writer, "add_writer") < 0 ||
        intern(&st->s_remove_writer, "remove_writer") < 0 || intern(&st->s_cancel, "cancel") < 0 ||
        intern(&st->s_is_closed, "is_closed") < 0 || intern(&st->s_applied, "[applied]") < 0)
        return -1;
    if (codec_module_init(module, st) < 0)
        return -1;
    if (add_type(module, &codec_type_spec, NULL, &st->codec_type) < 0 ||
        add_type(module, &prepared_type_spec, NULL, &st->prepared_type) < 0 ||
        add_type(module, &conn_type_spec, NULL, &st->conn_type) < 0)
        return -1;
    if (PyModule_AddIntConstant(module, "PROTOCOL_VERSION", CQL_PROTOCOL_VERSION) < 0 ||
        PyModule_AddIntConstant(module, "HEADER_SIZE", CQL_HEADER_SIZE) < 0 ||
        PyModule_AddIntConstant(module, "MAX_BODY_LENGTH", CQL_MAX_BODY_LENGTH) < 0 ||
        PyModule_AddIntConstant(module, "MAX_STREAMS", CQL_MAX_STREAMS) < 0)
        return -1;
    return 0;
}

static int native_traverse(PyObject *module, visitproc visit, void *arg)
{
    native_state *st = get_state(module);
    PyObject **f = (PyObject **)st;
    for (size_t i = 0; i < STATE_NFIELDS; i++)
        Py_VISIT(f[i]);
    return 0;
}

static int native_clear(PyObject *module)
{
    native_state *st = get_state(module);
    PyObject **f = (PyObject **)st;
    for (size_t i = 0; i < STATE_NFIELDS; i++)
        Py_CLEAR(f[i]);
    return 0;
}

static void native_free(void *module)
{
    (void)native_clear((PyObject *)module);
}

static PyModuleDef_Slot native_slots[] = {
    {Py_mod_exec, (void *)native_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

PyDoc_STRVAR(native_doc, "Native CQL driver core of coodie: connections, column codecs, frames,\n"
             "Murmur3, LZ4.");

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    "coodie._native",
    native_doc,
    sizeof(native_state),
    native_methods,
    native_slots,
    native_traverse,
    native_clear,
    native_free,
};

PyMODINIT_FUNC PyInit__native(void)
{
    return PyModuleDef_Init(&native_module);
}

/* The extension's decoding path, Python objects included: an embedded CPython
 * runs coodie._native's type and row codecs (python/decode.c: the builder the
 * core's value walker drives) on network bytes.
 *
 * The first byte picks the input's layout:
 *   even: a Rows body after the kind (as fuzz_rows): row codecs built from
 *         its metadata, then row_codec_decode_rows over its rows
 *   odd:  an [option] type description followed by one value (as
 *         fuzz_type_option): a type codec, then type_codec_decode
 *
 * Decoding errors are expected (a Python exception, cleared); crashes, UB,
 * leaked references and timeouts are what is caught. Python objects come
 * from malloc (PYMEM_ALLOCATOR_MALLOC), so LeakSanitizer sees a leaked
 * scalar; a leaked container stays reachable through the garbage collector's
 * lists, so the collector is switched off and its count of live containers
 * must not move across a decode. Each input is decoded twice and only the
 * second is counted: the first may fill caches (lazy imports, type caches). The extension's own sources are
 * compiled into this binary with the fuzzing instrumentation; the interpreter
 * comes from libpython unchanged. */
#include "binding.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
PyMODINIT_FUNC PyInit__native(void);

static native_state *st;
static PyObject *gc_get_count; /* gc.get_count */

/* coodie.types.CqlDuration would need coodie and pydantic importable here; a
 * class with the same constructor stands in for it. */
static const char duration_stand_in[] =
    "class CqlDuration:\n"
    "    def __init__(self, months, days, nanoseconds):\n"
    "        self.months, self.days, self.nanoseconds = months, days, nanoseconds\n";

static void die(const char *what)
{
    if (PyErr_Occurred())
        PyErr_Print();
    fprintf(stderr, "fuzz_python_decode: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    PyPreConfig pre;
    PyPreConfig_InitPythonConfig(&pre);
    pre.allocator = PYMEM_ALLOCATOR_MALLOC; /* every object through malloc: leaks show */
    if (PyStatus_Exception(Py_PreInitialize(&pre)))
        die("cannot pre-initialize Python");
    if (PyImport_AppendInittab("_native", PyInit__native) < 0)
        die("cannot register the module");
    Py_InitializeEx(0);
    PyObject *module = PyImport_ImportModule("_native");
    if (!module)
        die("cannot import the module");
    st = (native_state *)PyModule_GetState(module);
    PyObject *globals = PyDict_New();
    if (!globals || PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) < 0)
        die("cannot make a namespace");
    PyObject *done = PyRun_String(duration_stand_in, Py_file_input, globals, globals);
    if (!done)
        die("cannot define the duration stand-in");
    Py_DECREF(done);
    st->duration_type = PyDict_GetItemString(globals, "CqlDuration");
    Py_XINCREF(st->duration_type);
    Py_DECREF(globals);
    if (!st->duration_type)
        die("no duration stand-in");
    /* the module stays imported (sys.modules) for the whole run */
    Py_DECREF(module);
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *off = gc ? PyObject_CallMethod(gc, "disable", NULL) : NULL;
    gc_get_count = gc ? PyObject_GetAttrString(gc, "get_count") : NULL;
    if (!off || !gc_get_count)
        die("cannot switch the garbage collector off");
    Py_DECREF(off);
    Py_DECREF(gc);
    return 0;
}

/* Containers allocated minus containers freed since the last collection. */
static long live_containers(void)
{
    PyObject *counts = PyObject_CallNoArgs(gc_get_count);
    if (!counts)
        die("gc.get_count failed");
    long n = PyLong_AsLong(PyTuple_GET_ITEM(counts, 0));
    Py_DECREF(counts);
    return n;
}

static void decode_rows_body(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size + 4);
    if (!buf)
        return;
    cql_store_be32(buf, CQL_RESULT_ROWS);
    if (size)
        memcpy(buf + 4, data, size);
    cql_reader r = cql_reader_make(buf, size + 4);
    cql_result res;
    cql_result_init(&res);
    if (cql_decode_result(&r, &res, NULL) == CQL_OK && res.kind == CQL_RESULT_ROWS &&
        res.metadata.columns) {
        row_codec *rc = row_codec_build(st, &res.metadata);
        if (rc) {
            cql_reader rows = res.rows;
            PyObject *out = row_codec_decode_rows(st, rc, &rows, res.rows_count,
                                                  res.metadata.column_count);
            Py_XDECREF(out);
            row_codec_free(rc);
        }
    }
    cql_result_free(&res);
    free(buf);
}

static void decode_typed_value(const uint8_t *data, size_t size)
{
    cql_arena a;
    cql_arena_init(&a);
    cql_reader r = cql_reader_make(data, size);
    cql_type *t;
    if (cql_type_parse_option(&r, &a, &t, NULL) == CQL_OK) {
        type_codec *tc = type_codec_build(st, t, 0);
        if (tc) {
            cql_bytes v = {r.p, (int32_t)(r.n > INT32_MAX ? INT32_MAX : r.n)};
            PyObject *out = type_codec_decode(tc, v, NULL);
            Py_XDECREF(out);
            type_codec_free(tc);
        }
    }
    cql_arena_free(&a);
}

static void decode(const uint8_t *data, size_t size)
{
    if (data[0] & 1)
        decode_typed_value(data + 1, size - 1);
    else
        decode_rows_body(data + 1, size - 1);
    if (PyErr_Occurred())
        PyErr_Clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    decode(data, size);
    long before = live_containers();
    decode(data, size);
    long after = live_containers();
    if (after != before) {
        fprintf(stderr, "fuzz_python_decode: %ld Python containers leaked\n", after - before);
        abort();
    }
    return 0;
}

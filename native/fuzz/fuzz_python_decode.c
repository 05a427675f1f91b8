/* The extension's decoding path, Python objects included: an embedded CPython
 * runs coodie._native's reply decoding (python/conn_reply.c) and its type and
 * row codecs (python/decode.c: the builder the core's value walker drives) on
 * network bytes.
 *
 * The first byte (mod 4) picks the input's layout:
 *   0: a Rows body after the kind (as fuzz_rows): row codecs built from its
 *      metadata, then row_codec_decode_rows over its rows
 *   1: an [option] type description followed by one value (as
 *      fuzz_type_option): a type codec, then type_codec_decode
 *   2: an opcode byte, a request kind byte, then a reply body: decode_reply,
 *      the value (or ServerError) a reply gives its request; an EXECUTE's
 *      rows without metadata decode with a Prepared made at start-up
 *   3: an EVENT body: event_value, the tuple an event handler receives
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
#include "conn.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
PyMODINIT_FUNC PyInit__native(void);

static native_state *st;
static ConnObject *conn;     /* what decode_reply reads of a connection */
static PyObject *prepared;   /* the statement of EXECUTE replies */
static PyObject *query_text; /* the statement text of PREPARE replies */
static PyObject *gc_get_count; /* gc.get_count */

/* coodie.types.CqlDuration would need coodie and pydantic importable here; a
 * class with the same constructor stands in for it. */
static const char duration_stand_in[] =
    "class CqlDuration:\n"
    "    def __init__(self, months, days, nanoseconds):\n"
    "        self.months, self.days, self.nanoseconds = months, days, nanoseconds\n";

static void prepare_statement(void);

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
    conn = PyMem_Calloc(1, sizeof(ConnObject)); /* never a live object: fields only */
    if (!conn)
        die("out of memory");
    conn->st = st;
    conn->module = module; /* the module stays imported for the whole run */
    prepare_statement();
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

/* A PREPARED reply: bind marker id int; result columns id int, name text,
 * tags set<text>, at timestamp. */
static const uint8_t prepared_reply[] = {
    0, 0, 0, 4,                                     /* kind: prepared */
    0, 3, 0xab, 0xcd, 0xef,                         /* id */
    0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,       /* global spec, 1 marker, pk [0] */
    0, 2, 'k', 's', 0, 1, 't', 0, 2, 'i', 'd', 0, 9,
    0, 0, 0, 1, 0, 0, 0, 4,                         /* global spec, 4 columns */
    0, 2, 'k', 's', 0, 1, 't',
    0, 2, 'i', 'd', 0, 9,
    0, 4, 'n', 'a', 'm', 'e', 0, 0x0d,
    0, 4, 't', 'a', 'g', 's', 0, 0x22, 0, 0x0d,
    0, 2, 'a', 't', 0, 0x0b,
};

static PyObject *reply(uint8_t opcode, uint8_t kind, PyObject *ctx, const uint8_t *p, size_t n)
{
    req r;
    memset(&r, 0, sizeof(r));
    r.kind = kind;
    r.ctx = ctx;
    cql_frame f;
    memset(&f, 0, sizeof(f));
    f.h.opcode = opcode;
    f.h.length = (uint32_t)n;
    f.body = p;
    cql_reader body = cql_reader_make(p, n);
    int is_error;
    return decode_reply(conn, &r, &f, &body, &is_error); /* never NULL */
}

static void prepare_statement(void)
{
    query_text = PyUnicode_FromString("SELECT * FROM ks.t WHERE id = ?");
    if (!query_text)
        die("out of memory");
    prepared = reply(CQL_OP_RESULT, K_PREPARE, query_text, prepared_reply, sizeof(prepared_reply));
    if (!PyObject_TypeCheck(prepared, (PyTypeObject *)st->prepared_type)) {
        PyObject_Print(prepared, stderr, 0);
        die("the start-up PREPARED reply does not decode");
    }
}

static void decode_reply_body(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    uint8_t kind = data[1] % (K_BATCH + 1);
    PyObject *ctx = kind == K_EXECUTE ? prepared : kind == K_PREPARE ? query_text : NULL;
    Py_DECREF(reply(data[0], kind, ctx, data + 2, size - 2));
}

static void decode_event_body(const uint8_t *data, size_t size)
{
    cql_reader body = cql_reader_make(data, size);
    Py_XDECREF(event_value(&body));
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
    switch (data[0] % 4) {
    case 0: decode_rows_body(data + 1, size - 1); break;
    case 1: decode_typed_value(data + 1, size - 1); break;
    case 2: decode_reply_body(data + 1, size - 1); break;
    default: decode_event_body(data + 1, size - 1); break;
    }
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

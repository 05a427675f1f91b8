/*
 * prepared.c - the Prepared type: a statement prepared on the server, with
 * the row codecs of its bind markers and of its result columns.
 */
#include "conn.h"

static void prepared_dealloc(PyObject *op)
{
    PreparedObject *p = (PreparedObject *)op;
    PyTypeObject *tp = Py_TYPE(op);
    Py_XDECREF(p->id);
    Py_XDECREF(p->query);
    Py_XDECREF(p->module);
    row_codec_free(p->bind);
    row_codec_free(p->result);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyObject *names_tuple(const row_codec *rp)
{
    if (!rp)
        return PyTuple_New(0);
    PyObject *t = PyTuple_New(rp->ncols);
    for (int32_t i = 0; t && i < rp->ncols; i++)
        PyTuple_SET_ITEM(t, i, Py_NewRef(rp->names[i]));
    return t;
}

static PyObject *types_tuple(const row_codec *rp)
{
    if (!rp)
        return PyTuple_New(0);
    PyObject *t = PyTuple_New(rp->ncols);
    for (int32_t i = 0; t && i < rp->ncols; i++)
        PyTuple_SET_ITEM(t, i, Py_NewRef(rp->cols[i]->tname));
    return t;
}

static PyObject *prepared_get_id(PyObject *op, void *c)
{
    (void)c;
    return Py_NewRef(((PreparedObject *)op)->id);
}

static PyObject *prepared_get_query(PyObject *op, void *c)
{
    (void)c;
    return Py_NewRef(((PreparedObject *)op)->query);
}

static PyObject *prepared_get_param_names(PyObject *op, void *c)
{
    (void)c;
    return names_tuple(((PreparedObject *)op)->bind);
}

static PyObject *prepared_get_param_types(PyObject *op, void *c)
{
    (void)c;
    return types_tuple(((PreparedObject *)op)->bind);
}

static PyObject *prepared_get_result_names(PyObject *op, void *c)
{
    (void)c;
    return names_tuple(((PreparedObject *)op)->result);
}

static PyObject *prepared_get_result_types(PyObject *op, void *c)
{
    (void)c;
    return types_tuple(((PreparedObject *)op)->result);
}

static PyObject *prepared_get_pk_indexes(PyObject *op, void *c)
{
    (void)c;
    const row_codec *rp = ((PreparedObject *)op)->bind;
    PyObject *t = PyTuple_New(rp->pk_count);
    for (int32_t i = 0; t && i < rp->pk_count; i++) {
        PyObject *v = PyLong_FromLong(rp->pk_indexes[i]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, v);
    }
    return t;
}

static PyObject *prepared_bind(PyObject *op, PyObject *params)
{
    PreparedObject *p = (PreparedObject *)op;
    bound_values b;
    bound_init(&b);
    PyObject *res = NULL;
    if (bound_encode(&b, p->bind, params) == 0) {
        bound_finish(&b);
        res = PyList_New((Py_ssize_t)b.n);
        for (size_t k = 0; res && k < b.n; k++) {
            PyObject *v = b.values[k].len < 0
                              ? Py_NewRef(Py_None)
                              : PyBytes_FromStringAndSize((const char *)b.values[k].p,
                                                          b.values[k].len);
            if (!v) {
                Py_CLEAR(res);
                break;
            }
            PyList_SET_ITEM(res, (Py_ssize_t)k, v);
        }
    }
    bound_free(&b);
    return res;
}

static PyObject *prepared_repr(PyObject *op)
{
    PreparedObject *p = (PreparedObject *)op;
    return PyUnicode_FromFormat("<Prepared %R, %d bind markers>", p->query, (int)p->bind->ncols);
}

static PyMethodDef prepared_methods[] = {
    {"bind", prepared_bind, METH_O,
     "bind(params) -> list[bytes | None]: the values as the server receives them\n"
     "(raises TypeError/ValueError naming the column and its CQL type)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef prepared_getset[] = {
    {"id", prepared_get_id, NULL, "the server's statement id", NULL},
    {"query", prepared_get_query, NULL, "the CQL text", NULL},
    {"param_names", prepared_get_param_names, NULL, "names of the bind markers", NULL},
    {"param_types", prepared_get_param_types, NULL, "CQL types of the bind markers", NULL},
    {"result_names", prepared_get_result_names, NULL, "names of the result columns", NULL},
    {"result_types", prepared_get_result_types, NULL, "CQL types of the result columns", NULL},
    {"pk_indexes", prepared_get_pk_indexes, NULL, "bind markers of the partition key", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot prepared_slots[] = {
    {Py_tp_dealloc, prepared_dealloc},
    {Py_tp_methods, prepared_methods},
    {Py_tp_getset, prepared_getset},
    {Py_tp_repr, prepared_repr},
    {Py_tp_doc, "A statement prepared on the server, with its column codecs (built once).\n"
                "Returned by Connection.prepare(); usable on any connection of the cluster."},
    {0, NULL},
};

PyType_Spec prepared_type_spec = {
    "coodie._native.Prepared",
    sizeof(PreparedObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    prepared_slots,
};

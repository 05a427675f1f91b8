/*
 * conn_reply.c - reply decoding: the value a reply frame gives its request
 * (rows, a Prepared, SUPPORTED options, an authentication step, ...) and
 * ERROR bodies as cql.ServerError instances.
 */
#include "conn.h"

static PyObject *str_from(cql_str s)
{
    return PyUnicode_DecodeUTF8(s.p, (Py_ssize_t)s.len, "replace");
}

static int dict_set_str(PyObject *d, const char *k, PyObject *v /* stolen */)
{
    if (!v)
        return -1;
    int rc = PyDict_SetItemString(d, k, v);
    Py_DECREF(v);
    return rc;
}

/* An ERROR body as a cql.ServerError instance (NULL + exception on failure). */
static PyObject *server_error(ConnObject *c, cql_reader *body)
{
    native_state *st = c->st;
    cql_server_error e;
    cql_error err = {0, NULL};
    if (cql_decode_error(body, CQL_PROTOCOL_VERSION, &e, &err) != CQL_OK)
        return binding_core_error(st, "malformed ERROR message", &err);
    const char *name = cql_error_code_name(e.code);
    PyObject *info = PyDict_New();
    if (!info)
        return NULL;
    int rc = 0;
    switch (e.code) {
    case CQL_ERR_UNAVAILABLE:
        rc = dict_set_str(info, "consistency", PyUnicode_FromString(consistency_name(e.consistency))) |
             dict_set_str(info, "required", PyLong_FromLong(e.required)) |
             dict_set_str(info, "alive", PyLong_FromLong(e.alive));
        break;
    case CQL_ERR_WRITE_TIMEOUT:
    case CQL_ERR_READ_TIMEOUT:
    case CQL_ERR_READ_FAILURE:
    case CQL_ERR_WRITE_FAILURE:
    case CQL_ERR_CAS_WRITE_UNKNOWN:
        rc = dict_set_str(info, "consistency", PyUnicode_FromString(consistency_name(e.consistency))) |
             dict_set_str(info, "received", PyLong_FromLong(e.received)) |
             dict_set_str(info, "block_for", PyLong_FromLong(e.block_for));
        if (e.code == CQL_ERR_READ_FAILURE || e.code == CQL_ERR_WRITE_FAILURE)
            rc |= dict_set_str(info, "failures", PyLong_FromLong(e.num_failures));
        if (e.code == CQL_ERR_READ_TIMEOUT || e.code == CQL_ERR_READ_FAILURE)
            rc |= dict_set_str(info, "data_present", PyBool_FromLong(e.data_present));
        if (e.code == CQL_ERR_WRITE_TIMEOUT || e.code == CQL_ERR_WRITE_FAILURE)
            rc |= dict_set_str(info, "write_type", str_from(e.write_type));
        break;
    case CQL_ERR_ALREADY_EXISTS:
        rc = dict_set_str(info, "keyspace", str_from(e.keyspace)) |
             dict_set_str(info, "table", str_from(e.table));
        break;
    case CQL_ERR_FUNCTION_FAILURE:
        rc = dict_set_str(info, "keyspace", str_from(e.keyspace)) |
             dict_set_str(info, "function", str_from(e.function));
        break;
    case CQL_ERR_UNPREPARED:
        rc = dict_set_str(info, "id", PyBytes_FromStringAndSize((const char *)e.unprepared_id.p,
                                                               e.unprepared_id.len));
        break;
    default:
        break;
    }
    if (rc != 0) {
        Py_DECREF(info);
        return NULL;
    }
    PyObject *message = str_from(e.message);
    if (!message) {
        Py_DECREF(info);
        return NULL;
    }
    /* "Unavailable (0x1000): <server text> [consistency=THREE, required=3, alive=1]" */
    PyObject *text;
    if (PyDict_GET_SIZE(info) > 0 && e.code != CQL_ERR_UNPREPARED) {
        PyObject *parts = PyList_New(0);
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (parts && PyDict_Next(info, &pos, &k, &v)) {
            PyObject *one = PyUnicode_FromFormat("%U=%S", k, v);
            if (!one || PyList_Append(parts, one) < 0)
                Py_CLEAR(parts);
            Py_XDECREF(one);
        }
        PyObject *sep = parts ? PyUnicode_FromString(", ") : NULL;
        PyObject *joined = sep ? PyUnicode_Join(sep, parts) : NULL;
        Py_XDECREF(sep);
        Py_XDECREF(parts);
        text = joined ? PyUnicode_FromFormat("%s (0x%04x): %U [%U]", name, (unsigned)e.code,
                                             message, joined)
                      : NULL;
        Py_XDECREF(joined);
    } else {
        text = PyUnicode_FromFormat("%s (0x%04x): %U", name, (unsigned)e.code, message);
    }
    PyObject *exc = text ? PyObject_CallOneArg(st->server_error, text) : NULL;
    Py_XDECREF(text);
    if (exc) {
        PyObject *code = PyLong_FromLong(e.code), *nm = PyUnicode_FromString(name);
        if (!code || !nm || PyObject_SetAttrString(exc, "code", code) < 0 ||
            PyObject_SetAttrString(exc, "name", nm) < 0 ||
            PyObject_SetAttrString(exc, "message", message) < 0 ||
            PyObject_SetAttrString(exc, "info", info) < 0)
            Py_CLEAR(exc);
        Py_XDECREF(code);
        Py_XDECREF(nm);
    }
    Py_DECREF(message);
    Py_DECREF(info);
    return exc;
}

static PyObject *schema_change_tuple(const cql_schema_change *sc)
{
    return Py_BuildValue("(NNNN)", str_from(sc->change_type), str_from(sc->target),
                         str_from(sc->keyspace), str_from(sc->name));
}

/* An EVENT body as the tuple handed to the event handler; NULL without an
 * exception when the body does not decode, with one on failure. */
PyObject *event_value(cql_reader *body)
{
    cql_event ev;
    cql_error err = {0, NULL};
    if (cql_decode_event(body, &ev, &err) != CQL_OK)
        return NULL;
    if (ev.type == CQL_EVENT_SCHEMA_CHANGE)
        return Py_BuildValue("(sN)", "SCHEMA_CHANGE", schema_change_tuple(&ev.schema));
    PyObject *addr = PyBytes_FromStringAndSize((const char *)ev.addr, ev.addr_len);
    return Py_BuildValue("(sNNi)",
                         ev.type == CQL_EVENT_TOPOLOGY_CHANGE ? "TOPOLOGY_CHANGE" : "STATUS_CHANGE",
                         str_from(ev.change), addr, (int)ev.port);
}

static PyObject *new_prepared(ConnObject *c, cql_result *res, PyObject *query)
{
    native_state *st = c->st;
    PreparedObject *p = PyObject_New(PreparedObject, (PyTypeObject *)st->prepared_type);
    if (!p)
        return NULL;
    p->st = st;
    p->module = Py_NewRef(c->module);
    p->id = PyBytes_FromStringAndSize((const char *)res->prepared_id.p,
                                      res->prepared_id.len < 0 ? 0 : res->prepared_id.len);
    p->query = Py_NewRef(query ? query : Py_None);
    p->bind = NULL;
    p->result = NULL;
    if (!p->id)
        goto fail;
    if (res->metadata.column_count > 0 && !res->metadata.columns) {
        PyErr_SetString(st->protocol_error, "prepared metadata without column specs");
        goto fail;
    }
    if (!(p->bind = row_codec_build(st, &res->metadata)))
        goto fail;
    if (res->result_metadata.column_count > 0 && res->result_metadata.columns &&
        !(res->result_metadata.flags & CQL_MF_NO_METADATA)) {
        if (!(p->result = row_codec_build(st, &res->result_metadata)))
            goto fail;
    }
    return (PyObject *)p;
fail:
    Py_DECREF(p);
    return NULL;
}

/* A RESULT body as the value of the request (new reference) or NULL. */
static PyObject *decode_result(ConnObject *c, req *r, cql_reader *body)
{
    native_state *st = c->st;
    cql_result res;
    cql_error err = {0, NULL};
    cql_result_init(&res);
    PyObject *out = NULL;
    if (cql_decode_result(body, &res, &err) != CQL_OK) {
        binding_core_error(st, "malformed RESULT message", &err);
        goto done;
    }
    if (r->kind == K_PREPARE) {
        if (res.kind != CQL_RESULT_PREPARED) {
            PyErr_Format(st->protocol_error, "PREPARE answered with result kind %d", (int)res.kind);
            goto done;
        }
        out = new_prepared(c, &res, r->ctx);
        goto done;
    }
    switch (res.kind) {
    case CQL_RESULT_ROWS: {
        const row_codec *rp = NULL;
        row_codec *owned = NULL;
        if (res.metadata.columns) {
            owned = row_codec_build(st, &res.metadata);
            if (!owned)
                goto done;
            rp = owned;
        } else if (r->kind == K_EXECUTE && ((PreparedObject *)r->ctx)->result) {
            rp = ((PreparedObject *)r->ctx)->result;
        } else if (res.metadata.column_count == 0) {
            rp = NULL;
        } else {
            PyErr_SetString(st->protocol_error, "rows without metadata to decode them with");
            goto done;
        }
        PyObject *rows;
        if (rp)
            rows = row_codec_decode_rows(st, rp, &res.rows, res.rows_count, res.metadata.column_count);
        else if (res.rows_count == 0)
            rows = PyList_New(0);
        else {
            PyErr_SetString(st->protocol_error, "rows without columns");
            rows = NULL;
        }
        row_codec_free(owned);
        if (!rows)
            goto done;
        PyObject *paging = res.metadata.paging_state
                               ? PyBytes_FromStringAndSize((const char *)res.metadata.paging_state,
                                                           (Py_ssize_t)res.metadata.paging_state_len)
                               : Py_NewRef(Py_None);
        if (!paging) {
            Py_DECREF(rows);
            goto done;
        }
        out = PyTuple_Pack(3, rows, paging, Py_None);
        Py_DECREF(rows);
        Py_DECREF(paging);
        break;
    }
    case CQL_RESULT_VOID:
        out = Py_BuildValue("(NOO)", PyList_New(0), Py_None, Py_None);
        break;
    case CQL_RESULT_SET_KEYSPACE:
        out = Py_BuildValue("(NON)", PyList_New(0), Py_None, str_from(res.keyspace));
        break;
    case CQL_RESULT_SCHEMA_CHANGE:
        out = Py_BuildValue("(NON)", PyList_New(0), Py_None, schema_change_tuple(&res.schema_change));
        break;
    default:
        PyErr_Format(st->protocol_error, "unexpected result kind %d", (int)res.kind);
        break;
    }
done:
    cql_result_free(&res);
    return out;
}

static PyObject *supported_dict(ConnObject *c, cql_reader *body)
{
    cql_map_iter m;
    cql_error err = {0, NULL};
    if (cql_decode_supported(body, &m, &err) != CQL_OK)
        return binding_core_error(c->st, "malformed SUPPORTED message", &err);
    PyObject *d = PyDict_New();
    cql_str k;
    cql_string_list vals;
    while (d && cql_string_multimap_next(&m, &k, &vals)) {
        PyObject *key = str_from(k), *lst = PyList_New(0);
        cql_str s;
        int ok = key && lst;
        while (ok && cql_string_list_next(&vals, &s)) {
            PyObject *v = str_from(s);
            ok = v && PyList_Append(lst, v) == 0;
            Py_XDECREF(v);
        }
        if (!ok || PyDict_SetItem(d, key, lst) < 0)
            Py_CLEAR(d);
        Py_XDECREF(key);
        Py_XDECREF(lst);
    }
    return d;
}

/* The value (or exception instance, *is_error = 1) a reply gives its request.
 * Never NULL. */
PyObject *decode_reply(ConnObject *c, req *r, const cql_frame *f, cql_reader *body,
                              int *is_error)
{
    native_state *st = c->st;
    PyObject *v = NULL;
    cql_error err = {0, NULL};
    *is_error = 0;
    uint8_t op = f->h.opcode;
    if (op == CQL_OP_ERROR) {
        v = server_error(c, body);
        if (v) {
            *is_error = 1;
            return v;
        }
        goto raised;
    }
    switch (r->kind) {
    case K_OPTIONS:
        if (op == CQL_OP_SUPPORTED)
            v = supported_dict(c, body);
        break;
    case K_STARTUP:
        if (op == CQL_OP_READY) {
            v = Py_NewRef(Py_None);
            if (c->want_lz4) {
                c->lz4 = 1;
                c->compress_out = 1;
            }
        } else if (op == CQL_OP_AUTHENTICATE) {
            cql_str cls;
            if (cql_decode_authenticate(body, &cls, &err) != CQL_OK) {
                binding_core_error(st, "malformed AUTHENTICATE message", &err);
                goto raised;
            }
            if (c->want_lz4)
                c->lz4 = 1;
            v = str_from(cls);
        }
        break;
    case K_AUTH:
        if (op == CQL_OP_AUTH_CHALLENGE || op == CQL_OP_AUTH_SUCCESS) {
            cql_bytes tok;
            if (cql_decode_auth_token(body, &tok, &err) != CQL_OK) {
                binding_core_error(st, "malformed authentication message", &err);
                goto raised;
            }
            PyObject *t = tok.len < 0 ? Py_NewRef(Py_None)
                                      : PyBytes_FromStringAndSize((const char *)tok.p, tok.len);
            if (!t)
                goto raised;
            if (op == CQL_OP_AUTH_SUCCESS && c->lz4)
                c->compress_out = 1;
            v = Py_BuildValue("(sN)", op == CQL_OP_AUTH_SUCCESS ? "success" : "challenge", t);
        }
        break;
    case K_REGISTER:
        if (op == CQL_OP_READY)
            v = Py_NewRef(Py_None);
        break;
    default:
        if (op == CQL_OP_RESULT)
            v = decode_result(c, r, body);
        break;
    }
    if (v)
        return v;
    if (!PyErr_Occurred()) {
        const char *name = cql_opcode_name(op);
        PyErr_Format(st->protocol_error, "unexpected %s message in reply", name ? name : "unknown");
    }
raised:
    *is_error = 1;
    return fetch_exc();
}

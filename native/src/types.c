/*
 * types.c - CQL type descriptions: type names and sizes, and type trees
 * parsed from [option]s and from Cassandra marshal class names.
 */
#include <stdlib.h>
#include <string.h>

#include "cql/types.h"

/* ======================================================================== */
/* Type names                                                                */
/* ======================================================================== */

const char *cql_type_name(uint16_t id)
{
    switch (id) {
    case CQL_TYPE_CUSTOM: return "custom";
    case CQL_TYPE_ASCII: return "ascii";
    case CQL_TYPE_BIGINT: return "bigint";
    case CQL_TYPE_BLOB: return "blob";
    case CQL_TYPE_BOOLEAN: return "boolean";
    case CQL_TYPE_COUNTER: return "counter";
    case CQL_TYPE_DECIMAL: return "decimal";
    case CQL_TYPE_DOUBLE: return "double";
    case CQL_TYPE_FLOAT: return "float";
    case CQL_TYPE_INT: return "int";
    case CQL_TYPE_TIMESTAMP: return "timestamp";
    case CQL_TYPE_UUID: return "uuid";
    case CQL_TYPE_VARCHAR: return "varchar";
    case CQL_TYPE_VARINT: return "varint";
    case CQL_TYPE_TIMEUUID: return "timeuuid";
    case CQL_TYPE_INET: return "inet";
    case CQL_TYPE_DATE: return "date";
    case CQL_TYPE_TIME: return "time";
    case CQL_TYPE_SMALLINT: return "smallint";
    case CQL_TYPE_TINYINT: return "tinyint";
    case CQL_TYPE_DURATION: return "duration";
    case CQL_TYPE_LIST: return "list";
    case CQL_TYPE_MAP: return "map";
    case CQL_TYPE_SET: return "set";
    case CQL_TYPE_UDT: return "udt";
    case CQL_TYPE_TUPLE: return "tuple";
    case CQL_TYPE_VECTOR: return "vector";
    default: return "unknown";
    }
}

static int is_simple_wire_id(uint16_t id)
{
    return (id >= CQL_TYPE_ASCII && id <= CQL_TYPE_DURATION && id != 0x000A);
}

int32_t cql_type_fixed_size(const cql_type *t)
{
    switch (t->id) {
    case CQL_TYPE_BOOLEAN: return 1;
    case CQL_TYPE_INT:
    case CQL_TYPE_FLOAT:
    case CQL_TYPE_DATE: return 4;
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER:
    case CQL_TYPE_DOUBLE:
    case CQL_TYPE_TIMESTAMP:
    case CQL_TYPE_TIME: return 8;
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID: return 16;
    case CQL_TYPE_VECTOR: return t->fixed_size;
    default: return 0; /* smallint/tinyint are variable in Cassandra's vectors */
    }
}

/* ======================================================================== */
/* Type nodes                                                                */
/* ======================================================================== */

static cql_type *new_type(cql_arena *a, uint16_t id, uint16_t nchildren)
{
    cql_type *t = (cql_type *)cql_arena_alloc(a, sizeof(cql_type));
    if (!t)
        return NULL;
    t->id = id;
    t->n = nchildren;
    if (nchildren) {
        t->children = (cql_type **)cql_arena_alloc(a, nchildren * sizeof(cql_type *));
        if (!t->children)
            return NULL;
    }
    return t;
}

/* Compute a vector's element layout once its child and dimension are known. */
static int finish_vector(cql_type *t, cql_error *err)
{
    int64_t fs = cql_type_fixed_size(t->children[0]);
    t->fixed_size = 0;
    if (fs > 0) {
        int64_t total = fs * (int64_t)t->dim;
        if (total > INT32_MAX)
            return cql_fail(err, CQL_ELIMIT, "vector serialized size over limit");
        t->fixed_size = (int32_t)total;
    }
    return CQL_OK;
}

/* ======================================================================== */
/* Marshal class names (custom types)                                        */
/* ======================================================================== */

typedef struct class_parser {
    const char *s;
    size_t n;
    size_t i;
    cql_arena *a;
    cql_error *err;
} class_parser;

static const struct {
    const char *name;
    uint16_t id;
} k_marshal_simple[] = {
    {"AsciiType", CQL_TYPE_ASCII},
    {"LongType", CQL_TYPE_BIGINT},
    {"BytesType", CQL_TYPE_BLOB},
    {"BooleanType", CQL_TYPE_BOOLEAN},
    {"CounterColumnType", CQL_TYPE_COUNTER},
    {"DecimalType", CQL_TYPE_DECIMAL},
    {"DoubleType", CQL_TYPE_DOUBLE},
    {"FloatType", CQL_TYPE_FLOAT},
    {"Int32Type", CQL_TYPE_INT},
    {"TimestampType", CQL_TYPE_TIMESTAMP},
    {"DateType", CQL_TYPE_TIMESTAMP},
    {"UUIDType", CQL_TYPE_UUID},
    {"UTF8Type", CQL_TYPE_VARCHAR},
    {"IntegerType", CQL_TYPE_VARINT},
    {"TimeUUIDType", CQL_TYPE_TIMEUUID},
    {"InetAddressType", CQL_TYPE_INET},
    {"SimpleDateType", CQL_TYPE_DATE},
    {"TimeType", CQL_TYPE_TIME},
    {"ShortType", CQL_TYPE_SMALLINT},
    {"ByteType", CQL_TYPE_TINYINT},
    {"DurationType", CQL_TYPE_DURATION},
};

static const char k_marshal_prefix[] = "org.apache.cassandra.db.marshal.";

static void cp_ws(class_parser *cp)
{
    while (cp->i < cp->n && (cp->s[cp->i] == ' ' || cp->s[cp->i] == '\t' ||
                             cp->s[cp->i] == '\n' || cp->s[cp->i] == '\r'))
        cp->i++;
}

static int cp_is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '$' || c == '-';
}

static int cp_peek(class_parser *cp, char c)
{
    cp_ws(cp);
    return cp->i < cp->n && cp->s[cp->i] == c;
}

static int cp_expect(class_parser *cp, char c)
{
    if (!cp_peek(cp, c))
        return cql_fail(cp->err, CQL_EINVAL, "malformed type class name");
    cp->i++;
    return CQL_OK;
}

static cql_str cp_name(class_parser *cp)
{
    cql_str out;
    cp_ws(cp);
    size_t start = cp->i;
    while (cp->i < cp->n && cp_is_name_char(cp->s[cp->i]))
        cp->i++;
    out.p = cp->s + start;
    out.len = cp->i - start;
    return out;
}

/* Skip a balanced parenthesised parameter list of a class we do not know. */
static int cp_skip_params(class_parser *cp)
{
    int level = 0;
    if (!cp_peek(cp, '('))
        return CQL_OK;
    do {
        if (cp->i >= cp->n)
            return cql_fail(cp->err, CQL_EINVAL, "unbalanced parentheses in type class name");
        char c = cp->s[cp->i++];
        if (c == '(') {
            if (++level > CQL_MAX_DEPTH)
                return cql_fail(cp->err, CQL_EDEPTH, "type class name nested too deep");
        } else if (c == ')') {
            level--;
        }
    } while (level > 0);
    return CQL_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* UserType names are hex-encoded UTF-8. */
static int cp_hex_name(class_parser *cp, cql_str *out)
{
    cql_str h = cp_name(cp);
    if (h.len % 2)
        return cql_fail(cp->err, CQL_EINVAL, "odd-length hex name in UserType");
    char *d = (char *)cql_arena_alloc(cp->a, h.len / 2 + 1);
    if (!d)
        return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
    for (size_t k = 0; k < h.len / 2; k++) {
        int hi = hexval(h.p[2 * k]), lo = hexval(h.p[2 * k + 1]);
        if (hi < 0 || lo < 0)
            return cql_fail(cp->err, CQL_EINVAL, "bad hex digit in UserType name");
        d[k] = (char)((hi << 4) | lo);
    }
    out->p = d;
    out->len = h.len / 2;
    return CQL_OK;
}

static int cp_type(class_parser *cp, int depth, cql_type **out);

/* Parse "(T1, T2, ...)" into a growable temporary array of children. */
static int cp_type_list(class_parser *cp, int depth, cql_type ***items,
                        uint16_t *count)
{
    size_t cap = 4, n = 0;
    cql_type **v = (cql_type **)cql_arena_alloc(cp->a, cap * sizeof(*v));
    int rc;
    if (!v)
        return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
    if ((rc = cp_expect(cp, '(')) != CQL_OK)
        return rc;
    if (!cp_peek(cp, ')')) {
        for (;;) {
            if (n == cap) {
                if (cap >= UINT16_MAX)
                    return cql_fail(cp->err, CQL_ELIMIT, "too many type parameters");
                cql_type **nv = (cql_type **)cql_arena_alloc(cp->a, 2 * cap * sizeof(*v));
                if (!nv)
                    return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
                memcpy(nv, v, n * sizeof(*v));
                v = nv;
                cap *= 2;
            }
            if ((rc = cp_type(cp, depth + 1, &v[n])) != CQL_OK)
                return rc;
            n++;
            if (!cp_peek(cp, ','))
                break;
            cp->i++;
        }
    }
    if ((rc = cp_expect(cp, ')')) != CQL_OK)
        return rc;
    *items = v;
    *count = (uint16_t)n;
    return CQL_OK;
}

static int cp_user_type(class_parser *cp, int depth, cql_type **out)
{
    int rc;
    cql_type *t = new_type(cp->a, CQL_TYPE_UDT, 0);
    if (!t)
        return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
    if ((rc = cp_expect(cp, '(')) != CQL_OK)
        return rc;
    cql_str ks = cp_name(cp);
    if ((rc = cql_arena_strdup(cp->a, ks, &t->keyspace)) != CQL_OK)
        return cql_fail(cp->err, rc, "out of memory");
    if ((rc = cp_expect(cp, ',')) != CQL_OK || (rc = cp_hex_name(cp, &t->name)) != CQL_OK)
        return rc;
    size_t cap = 4, n = 0;
    cql_type **kids = (cql_type **)cql_arena_alloc(cp->a, cap * sizeof(*kids));
    cql_str *names = (cql_str *)cql_arena_alloc(cp->a, cap * sizeof(*names));
    if (!kids || !names)
        return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
    while (cp_peek(cp, ',')) {
        cp->i++;
        if (n == cap) {
            if (cap >= UINT16_MAX)
                return cql_fail(cp->err, CQL_ELIMIT, "too many UserType fields");
            cql_type **nk = (cql_type **)cql_arena_alloc(cp->a, 2 * cap * sizeof(*kids));
            cql_str *nn = (cql_str *)cql_arena_alloc(cp->a, 2 * cap * sizeof(*names));
            if (!nk || !nn)
                return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
            memcpy(nk, kids, n * sizeof(*kids));
            memcpy(nn, names, n * sizeof(*names));
            kids = nk;
            names = nn;
            cap *= 2;
        }
        if ((rc = cp_hex_name(cp, &names[n])) != CQL_OK || (rc = cp_expect(cp, ':')) != CQL_OK ||
            (rc = cp_type(cp, depth + 1, &kids[n])) != CQL_OK)
            return rc;
        n++;
    }
    if ((rc = cp_expect(cp, ')')) != CQL_OK)
        return rc;
    t->n = (uint16_t)n;
    t->children = kids;
    t->field_names = names;
    *out = t;
    return CQL_OK;
}

static int cp_vector(class_parser *cp, int depth, cql_type **out)
{
    int rc;
    cql_type *t = new_type(cp->a, CQL_TYPE_VECTOR, 1);
    if (!t)
        return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
    if ((rc = cp_expect(cp, '(')) != CQL_OK ||
        (rc = cp_type(cp, depth + 1, &t->children[0])) != CQL_OK ||
        (rc = cp_expect(cp, ',')) != CQL_OK)
        return rc;
    cp_ws(cp);
    int64_t dim = 0;
    size_t digits = 0;
    while (cp->i < cp->n && cp->s[cp->i] >= '0' && cp->s[cp->i] <= '9') {
        dim = dim * 10 + (cp->s[cp->i++] - '0');
        if (dim > CQL_MAX_VECTOR_DIM)
            return cql_fail(cp->err, CQL_ELIMIT, "vector dimension over limit");
        digits++;
    }
    if (digits == 0 || dim == 0)
        return cql_fail(cp->err, CQL_EINVAL, "bad vector dimension");
    if ((rc = cp_expect(cp, ')')) != CQL_OK)
        return rc;
    t->dim = (int32_t)dim;
    if ((rc = finish_vector(t, cp->err)) != CQL_OK)
        return rc;
    *out = t;
    return CQL_OK;
}

static int cp_type(class_parser *cp, int depth, cql_type **out)
{
    int rc;
    if (depth > CQL_MAX_DEPTH)
        return cql_fail(cp->err, CQL_EDEPTH, "type class name nested too deep");
    size_t start = (cp_ws(cp), cp->i);
    cql_str full = cp_name(cp);
    if (full.len == 0)
        return cql_fail(cp->err, CQL_EINVAL, "empty type class name");
    cql_str nm = full;
    size_t plen = sizeof(k_marshal_prefix) - 1;
    if (nm.len > plen && memcmp(nm.p, k_marshal_prefix, plen) == 0) {
        nm.p += plen;
        nm.len -= plen;
    }
    for (size_t k = 0; k < sizeof(k_marshal_simple) / sizeof(k_marshal_simple[0]); k++) {
        if (cql_str_eq(nm, k_marshal_simple[k].name)) {
            cql_type *t = new_type(cp->a, k_marshal_simple[k].id, 0);
            if (!t)
                return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
            *out = t;
            return CQL_OK;
        }
    }
    if (cql_str_eq(nm, "FrozenType") || cql_str_eq(nm, "ReversedType")) {
        /* Wrappers that do not change the value encoding. */
        cql_type **kids;
        uint16_t n;
        if ((rc = cp_type_list(cp, depth, &kids, &n)) != CQL_OK)
            return rc;
        if (n != 1)
            return cql_fail(cp->err, CQL_EINVAL, "wrapper type needs one parameter");
        *out = kids[0];
        return CQL_OK;
    }
    uint16_t coll = cql_str_eq(nm, "ListType")    ? CQL_TYPE_LIST
                    : cql_str_eq(nm, "SetType")   ? CQL_TYPE_SET
                    : cql_str_eq(nm, "MapType")   ? CQL_TYPE_MAP
                    : cql_str_eq(nm, "TupleType") ? CQL_TYPE_TUPLE
                                                  : 0;
    if (coll) {
        cql_type *t = new_type(cp->a, coll, 0);
        if (!t)
            return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
        if ((rc = cp_type_list(cp, depth, &t->children, &t->n)) != CQL_OK)
            return rc;
        uint16_t want = coll == CQL_TYPE_MAP ? 2 : coll == CQL_TYPE_TUPLE ? t->n : 1;
        if (t->n != want)
            return cql_fail(cp->err, CQL_EINVAL, "wrong number of collection type parameters");
        *out = t;
        return CQL_OK;
    }
    if (cql_str_eq(nm, "UserType"))
        return cp_user_type(cp, depth, out);
    if (cql_str_eq(nm, "VectorType"))
        return cp_vector(cp, depth, out);
    /* Unknown class: keep its full text, values arrive as raw bytes. */
    if ((rc = cp_skip_params(cp)) != CQL_OK)
        return rc;
    cql_type *t = new_type(cp->a, CQL_TYPE_CUSTOM, 0);
    if (!t)
        return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
    cql_str text = {cp->s + start, cp->i - start};
    if (cql_arena_strdup(cp->a, text, &t->custom) != CQL_OK)
        return cql_fail(cp->err, CQL_ENOMEM, "out of memory");
    *out = t;
    return CQL_OK;
}

static int parse_class(const char *s, size_t n, cql_arena *a, int depth,
                       cql_type **out, cql_error *err)
{
    class_parser cp = {s, n, 0, a, err};
    int rc = cp_type(&cp, depth, out);
    if (rc != CQL_OK)
        return rc;
    cp_ws(&cp);
    if (cp.i != cp.n)
        return cql_fail(err, CQL_EINVAL, "trailing characters after type class name");
    /* Keep the text for custom types that were recognised too (debugging). */
    if ((*out)->custom.p == NULL) {
        cql_str text = {s, n};
        if (cql_arena_strdup(a, text, &(*out)->custom) != CQL_OK)
            return cql_fail(err, CQL_ENOMEM, "out of memory");
    }
    return CQL_OK;
}

int cql_type_parse_class(const char *s, size_t n, cql_arena *a, cql_type **out,
                         cql_error *err)
{
    return parse_class(s, n, a, 0, out, err);
}

/* ======================================================================== */
/* [option] type descriptions                                                */
/* ======================================================================== */

static int parse_option(cql_reader *r, cql_arena *a, int depth, cql_type **out,
                        cql_error *err)
{
    uint16_t id;
    int rc;
    if (depth > CQL_MAX_DEPTH)
        return cql_fail(err, CQL_EDEPTH, "type nested too deep");
    if (cql_rd_u16(r, &id) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated type [option] id");

    if (id == CQL_TYPE_CUSTOM) {
        cql_str cls;
        if ((rc = cql_rd_string(r, &cls, err)) != CQL_OK)
            return rc;
        return parse_class(cls.p, cls.len, a, depth, out, err);
    }
    if (is_simple_wire_id(id)) {
        *out = new_type(a, id, 0);
        return *out ? CQL_OK : cql_fail(err, CQL_ENOMEM, "out of memory");
    }

    cql_type *t;
    switch (id) {
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP: {
        uint16_t n = id == CQL_TYPE_MAP ? 2 : 1;
        if (!(t = new_type(a, id, n)))
            return cql_fail(err, CQL_ENOMEM, "out of memory");
        for (uint16_t k = 0; k < n; k++)
            if ((rc = parse_option(r, a, depth + 1, &t->children[k], err)) != CQL_OK)
                return rc;
        break;
    }
    case CQL_TYPE_UDT: {
        cql_str ks, name;
        uint16_t n;
        if ((rc = cql_rd_string(r, &ks, err)) != CQL_OK ||
            (rc = cql_rd_string(r, &name, err)) != CQL_OK)
            return rc;
        if (cql_rd_u16(r, &n) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated UDT field count");
        /* Each field needs at least a [string] and an [option] id. */
        if ((size_t)n * 4 > r->n)
            return cql_fail(err, CQL_ETRUNC, "UDT field count exceeds remaining bytes");
        if (!(t = new_type(a, id, n)))
            return cql_fail(err, CQL_ENOMEM, "out of memory");
        t->field_names = (cql_str *)cql_arena_alloc(a, (size_t)(n ? n : 1) * sizeof(cql_str));
        if (!t->field_names || cql_arena_strdup(a, ks, &t->keyspace) != CQL_OK ||
            cql_arena_strdup(a, name, &t->name) != CQL_OK)
            return cql_fail(err, CQL_ENOMEM, "out of memory");
        for (uint16_t k = 0; k < n; k++) {
            cql_str fname;
            if ((rc = cql_rd_string(r, &fname, err)) != CQL_OK)
                return rc;
            if (cql_arena_strdup(a, fname, &t->field_names[k]) != CQL_OK)
                return cql_fail(err, CQL_ENOMEM, "out of memory");
            if ((rc = parse_option(r, a, depth + 1, &t->children[k], err)) != CQL_OK)
                return rc;
        }
        break;
    }
    case CQL_TYPE_TUPLE: {
        uint16_t n;
        if (cql_rd_u16(r, &n) != CQL_OK)
            return cql_fail(err, CQL_ETRUNC, "truncated tuple arity");
        if ((size_t)n * 2 > r->n)
            return cql_fail(err, CQL_ETRUNC, "tuple arity exceeds remaining bytes");
        if (!(t = new_type(a, id, n)))
            return cql_fail(err, CQL_ENOMEM, "out of memory");
        for (uint16_t k = 0; k < n; k++)
            if ((rc = parse_option(r, a, depth + 1, &t->children[k], err)) != CQL_OK)
                return rc;
        break;
    }
    default:
        return cql_fail(err, CQL_EPROTO, "unknown type [option] id");
    }
    *out = t;
    return CQL_OK;
}

int cql_type_parse_option(cql_reader *r, cql_arena *a, cql_type **out,
                          cql_error *err)
{
    cql_reader save = *r;
    int rc = parse_option(r, a, 0, out, err);
    if (rc != CQL_OK)
        *r = save;
    return rc;
}

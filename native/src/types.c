/*
 * types.c - type descriptions and value codecs.
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

/* ======================================================================== */
/* Scalar codecs                                                             */
/* ======================================================================== */

static int want_size(size_t n, size_t want)
{
    return n == want ? CQL_OK : (n < want ? CQL_ETRUNC : CQL_EINVAL);
}

int cql_decode_bool(const uint8_t *p, size_t n, int *out)
{
    int rc = want_size(n, 1);
    if (rc == CQL_OK)
        *out = p[0] != 0;
    return rc;
}

int cql_decode_tinyint(const uint8_t *p, size_t n, int8_t *out)
{
    int rc = want_size(n, 1);
    if (rc == CQL_OK)
        *out = (int8_t)p[0];
    return rc;
}

int cql_decode_smallint(const uint8_t *p, size_t n, int16_t *out)
{
    int rc = want_size(n, 2);
    if (rc == CQL_OK)
        *out = (int16_t)cql_load_be16(p);
    return rc;
}

int cql_decode_int(const uint8_t *p, size_t n, int32_t *out)
{
    int rc = want_size(n, 4);
    if (rc == CQL_OK)
        *out = (int32_t)cql_load_be32(p);
    return rc;
}

int cql_decode_bigint(const uint8_t *p, size_t n, int64_t *out)
{
    int rc = want_size(n, 8);
    if (rc == CQL_OK)
        *out = (int64_t)cql_load_be64(p);
    return rc;
}

int cql_decode_float(const uint8_t *p, size_t n, float *out)
{
    int rc = want_size(n, 4);
    if (rc == CQL_OK) {
        uint32_t u = cql_load_be32(p);
        memcpy(out, &u, sizeof(u));
    }
    return rc;
}

int cql_decode_double(const uint8_t *p, size_t n, double *out)
{
    int rc = want_size(n, 8);
    if (rc == CQL_OK) {
        uint64_t u = cql_load_be64(p);
        memcpy(out, &u, sizeof(u));
    }
    return rc;
}

int cql_decode_varint_i64(const uint8_t *p, size_t n, int64_t *out)
{
    if (n == 0)
        return CQL_EINVAL;
    /* Drop sign-extension bytes that carry no information. */
    while (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) ||
                     (p[0] == 0xFF && (p[1] & 0x80)))) {
        p++;
        n--;
    }
    if (n > 8)
        return CQL_ERANGE;
    uint64_t v = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
    for (size_t k = 0; k < n; k++)
        v = (v << 8) | p[k];
    *out = (int64_t)v;
    return CQL_OK;
}

size_t cql_encode_varint_i64(int64_t v, uint8_t out[8])
{
    uint8_t tmp[8];
    size_t k = 0;
    cql_store_be64(tmp, (uint64_t)v);
    while (k < 7 && ((tmp[k] == 0x00 && !(tmp[k + 1] & 0x80)) ||
                     (tmp[k] == 0xFF && (tmp[k + 1] & 0x80))))
        k++;
    memcpy(out, tmp + k, 8 - k);
    return 8 - k;
}

int cql_decode_decimal(const uint8_t *p, size_t n, int32_t *scale,
                       const uint8_t **unscaled, size_t *unscaled_len)
{
    if (n < 5)
        return n < 4 ? CQL_ETRUNC : CQL_EINVAL; /* the varint needs a byte */
    *scale = (int32_t)cql_load_be32(p);
    *unscaled = p + 4;
    *unscaled_len = n - 4;
    return CQL_OK;
}

int cql_decode_uuid(const uint8_t *p, size_t n, const uint8_t **out)
{
    int rc = want_size(n, 16);
    if (rc == CQL_OK)
        *out = p;
    return rc;
}

int cql_decode_inet(const uint8_t *p, size_t n, const uint8_t **addr, size_t *len)
{
    if (n != 4 && n != 16)
        return CQL_EINVAL;
    *addr = p;
    *len = n;
    return CQL_OK;
}

int cql_decode_date(const uint8_t *p, size_t n, int64_t *days)
{
    int rc = want_size(n, 4);
    if (rc == CQL_OK)
        *days = (int64_t)cql_load_be32(p) - CQL_DATE_EPOCH_OFFSET;
    return rc;
}

uint32_t cql_encode_date(int64_t days_since_epoch)
{
    return (uint32_t)(days_since_epoch + CQL_DATE_EPOCH_OFFSET);
}

int cql_decode_time(const uint8_t *p, size_t n, int64_t *ns)
{
    int64_t v;
    int rc = cql_decode_bigint(p, n, &v);
    if (rc != CQL_OK)
        return rc;
    if (v < 0 || v > CQL_TIME_MAX_NS)
        return CQL_ERANGE;
    *ns = v;
    return CQL_OK;
}

/* ======================================================================== */
/* Variable-length integers                                                  */
/* ======================================================================== */

/* The count of leading 1 bits of the first byte is the number of extra bytes;
 * the rest of the first byte and the extra bytes hold the value big-endian. */
int cql_rd_uvint(cql_reader *r, uint64_t *out)
{
    if (r->n < 1)
        return CQL_ETRUNC;
    unsigned first = r->p[0];
    unsigned extra = first == 0xFF ? 8u
                                   : (unsigned)__builtin_clz((~first & 0xFFu) << 24);
    if (r->n < 1 + (size_t)extra)
        return CQL_ETRUNC;
    uint64_t v = extra >= 8 ? 0 : (first & (0xFFu >> extra));
    for (unsigned k = 1; k <= extra; k++)
        v = (v << 8) | r->p[k];
    r->p += 1 + extra;
    r->n -= 1 + extra;
    *out = v;
    return CQL_OK;
}

int cql_rd_vint(cql_reader *r, int64_t *out)
{
    uint64_t u;
    int rc = cql_rd_uvint(r, &u);
    if (rc == CQL_OK)
        *out = (int64_t)((u >> 1) ^ (~(u & 1) + 1)); /* zig-zag */
    return rc;
}

size_t cql_uvint_size(uint64_t v)
{
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1);
    unsigned extra = (bits - 1) / 7;
    return (extra > 8 ? 8 : extra) + 1;
}

size_t cql_put_uvint(uint64_t v, uint8_t out[CQL_VINT_MAX_SIZE])
{
    size_t size = cql_uvint_size(v);
    size_t extra = size - 1;
    if (extra == 8) {
        out[0] = 0xFF;
        cql_store_be64(out + 1, v);
        return size;
    }
    for (size_t k = size; k-- > 0;) {
        out[k] = (uint8_t)v;
        v >>= 8;
    }
    if (extra)
        out[0] |= (uint8_t)(0xFFu << (8 - extra));
    return size;
}

size_t cql_put_vint(int64_t v, uint8_t out[CQL_VINT_MAX_SIZE])
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); /* zig-zag */
    return cql_put_uvint(u, out);
}

void cql_wr_uvint(cql_writer *w, uint64_t v)
{
    uint8_t tmp[CQL_VINT_MAX_SIZE];
    cql_wr_raw(w, tmp, cql_put_uvint(v, tmp));
}

/* ======================================================================== */
/* Duration                                                                  */
/* ======================================================================== */

static int same_sign(int64_t a, int64_t b, int64_t c)
{
    int neg = a < 0 || b < 0 || c < 0;
    int pos = a > 0 || b > 0 || c > 0;
    return !(neg && pos);
}

int cql_decode_duration(const uint8_t *p, size_t n, cql_duration *out)
{
    cql_reader r = cql_reader_make(p, n);
    int64_t months, days, nanos;
    if (cql_rd_vint(&r, &months) != CQL_OK || cql_rd_vint(&r, &days) != CQL_OK ||
        cql_rd_vint(&r, &nanos) != CQL_OK)
        return CQL_ETRUNC;
    if (r.n != 0)
        return CQL_EINVAL;
    if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN || days > INT32_MAX)
        return CQL_ERANGE;
    if (!same_sign(months, days, nanos))
        return CQL_EINVAL;
    out->months = (int32_t)months;
    out->days = (int32_t)days;
    out->nanoseconds = nanos;
    return CQL_OK;
}

size_t cql_encode_duration(const cql_duration *d, uint8_t out[CQL_DURATION_MAX_SIZE])
{
    if (!same_sign(d->months, d->days, d->nanoseconds))
        return 0;
    size_t n = cql_put_vint(d->months, out);
    n += cql_put_vint(d->days, out + n);
    n += cql_put_vint(d->nanoseconds, out + n);
    return n;
}

/* ======================================================================== */
/* Text validation                                                           */
/* ======================================================================== */

int cql_ascii_valid(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t k = 0; k < n; k++)
        acc |= p[k];
    return !(acc & 0x80);
}

int cql_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, eight bytes at a time. */
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2; cp = c & 0x1Fu; min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3; cp = c & 0x0Fu; min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4; cp = c & 0x07u; min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* ======================================================================== */
/* Collection iteration                                                      */
/* ======================================================================== */

int cql_collection_begin(const uint8_t *p, size_t n, uint16_t kind,
                         cql_elem_iter *it, int32_t *count, cql_error *err)
{
    cql_reader r = cql_reader_make(p, n);
    int32_t c;
    if (cql_rd_i32(&r, &c) != CQL_OK)
        return cql_fail(err, CQL_ETRUNC, "truncated collection element count");
    if (c < 0)
        return cql_fail(err, CQL_EINVAL, "negative collection element count");
    uint64_t per = kind == CQL_TYPE_MAP ? 8 : 4; /* minimum bytes per entry */
    if ((uint64_t)c * per > r.n)
        return cql_fail(err, CQL_ETRUNC, "collection element count exceeds remaining bytes");
    if (kind == CQL_TYPE_MAP && c > INT32_MAX / 2)
        return cql_fail(err, CQL_ELIMIT, "map entry count over limit");
    it->r = r;
    it->left = kind == CQL_TYPE_MAP ? 2 * c : c;
    *count = c;
    return CQL_OK;
}

void cql_fields_begin(const uint8_t *p, size_t n, cql_elem_iter *it)
{
    it->r = cql_reader_make(p, n);
    it->left = -1;
}

int cql_elem_next(cql_elem_iter *it, cql_bytes *elem, cql_error *err)
{
    if (it->left == 0 || (it->left < 0 && it->r.n == 0))
        return CQL_AGAIN;
    int rc = cql_rd_bytes(&it->r, elem, err);
    if (rc != CQL_OK)
        return rc;
    if (it->left > 0)
        it->left--;
    return CQL_OK;
}

/* ======================================================================== */
/* Callback-driven value decoding                                            */
/* ======================================================================== */

typedef struct dec_ctx {
    const cql_value_cb *cb;
    void *ud;
    cql_error *err;
} dec_ctx;

#define CALL(ctx, fn, ...)                                                    \
    do {                                                                      \
        if ((ctx)->cb->fn && (ctx)->cb->fn((ctx)->ud, __VA_ARGS__) != 0)      \
            return cql_fail((ctx)->err, CQL_ECALLBACK, "decoding stopped by callback"); \
    } while (0)

static int decode_any(dec_ctx *c, const cql_type *t, cql_bytes v, int depth);

static int size_error(dec_ctx *c, int rc, const cql_type *t)
{
    (void)t;
    if (rc == CQL_ERANGE)
        return cql_fail(c->err, rc, "value out of range for its type");
    return cql_fail(c->err, rc == CQL_ETRUNC ? CQL_ETRUNC : CQL_EINVAL,
                    "value size does not match its type");
}

static int emit_null(dec_ctx *c, const cql_type *t)
{
    CALL(c, on_null, t);
    return CQL_OK;
}

static int emit_empty(dec_ctx *c, const cql_type *t)
{
    if (c->cb->on_empty) {
        CALL(c, on_empty, t);
        return CQL_OK;
    }
    return emit_null(c, t);
}

static int decode_list(dec_ctx *c, const cql_type *t, const uint8_t *p, size_t n,
                       int depth)
{
    cql_elem_iter it;
    int32_t count;
    cql_bytes e;
    int rc = cql_collection_begin(p, n, t->id, &it, &count, c->err);
    if (rc != CQL_OK)
        return rc;
    CALL(c, begin_collection, t, count);
    for (int64_t k = 0; (rc = cql_elem_next(&it, &e, c->err)) == CQL_OK; k++) {
        const cql_type *et = t->children[t->id == CQL_TYPE_MAP ? (k & 1) : 0];
        if ((rc = decode_any(c, et, e, depth + 1)) != CQL_OK)
            return rc;
    }
    if (rc != CQL_AGAIN)
        return rc;
    if (it.r.n != 0)
        return cql_fail(c->err, CQL_EINVAL, "trailing bytes after collection elements");
    CALL(c, end_collection, t);
    return CQL_OK;
}

static int decode_fields(dec_ctx *c, const cql_type *t, const uint8_t *p, size_t n,
                         int depth)
{
    /* Count first: the callback wants the number of fields present. */
    cql_elem_iter it;
    cql_bytes e;
    int32_t present = 0;
    int rc;
    cql_fields_begin(p, n, &it);
    while ((rc = cql_elem_next(&it, &e, c->err)) == CQL_OK) {
        if (++present > t->n)
            return cql_fail(c->err, CQL_EINVAL, "more fields than the tuple/UDT type has");
    }
    if (rc != CQL_AGAIN)
        return rc;
    CALL(c, begin_collection, t, present);
    cql_fields_begin(p, n, &it);
    for (int32_t k = 0; k < present; k++) {
        if ((rc = cql_elem_next(&it, &e, c->err)) != CQL_OK)
            return rc;
        if ((rc = decode_any(c, t->children[k], e, depth + 1)) != CQL_OK)
            return rc;
    }
    CALL(c, end_collection, t);
    return CQL_OK;
}

static int decode_vector(dec_ctx *c, const cql_type *t, const uint8_t *p, size_t n,
                         int depth)
{
    const cql_type *et = t->children[0];
    int32_t fs = cql_type_fixed_size(et);
    int rc;
    if (fs > 0 && n != (size_t)fs * (size_t)t->dim)
        return cql_fail(c->err, n < (size_t)fs * (size_t)t->dim ? CQL_ETRUNC : CQL_EINVAL,
                        "vector size does not match dimension");
    CALL(c, begin_collection, t, t->dim);
    cql_reader r = cql_reader_make(p, n);
    for (int32_t k = 0; k < t->dim; k++) {
        cql_bytes e;
        if (fs > 0) {
            e.p = r.p;
            e.len = fs;
            r.p += fs;
            r.n -= (size_t)fs;
        } else {
            /* Variable-size elements carry an [unsigned vint] length. */
            uint64_t len;
            if (cql_rd_uvint(&r, &len) != CQL_OK)
                return cql_fail(c->err, CQL_ETRUNC, "truncated vector element length");
            if (len > r.n || len > INT32_MAX)
                return cql_fail(c->err, CQL_ETRUNC, "vector element longer than remaining bytes");
            e.p = r.p;
            e.len = (int32_t)len;
            r.p += len;
            r.n -= (size_t)len;
        }
        if ((rc = decode_any(c, et, e, depth + 1)) != CQL_OK)
            return rc;
    }
    if (r.n != 0)
        return cql_fail(c->err, CQL_EINVAL, "trailing bytes after vector elements");
    CALL(c, end_collection, t);
    return CQL_OK;
}

static int decode_scalar(dec_ctx *c, const cql_type *t, const uint8_t *p, size_t n)
{
    int rc;
    switch (t->id) {
    case CQL_TYPE_ASCII:
        if (!cql_ascii_valid(p, n))
            return cql_fail(c->err, CQL_EINVAL, "ascii value has a byte above 127");
        CALL(c, on_text, t, (const char *)p, n);
        return CQL_OK;
    case CQL_TYPE_VARCHAR:
        if (!cql_utf8_valid(p, n))
            return cql_fail(c->err, CQL_EINVAL, "text value is not valid UTF-8");
        CALL(c, on_text, t, (const char *)p, n);
        return CQL_OK;
    case CQL_TYPE_BLOB:
    case CQL_TYPE_CUSTOM:
        CALL(c, on_bytes, t, p, n);
        return CQL_OK;
    default:
        break;
    }
    if (n == 0)
        return emit_empty(c, t);
    switch (t->id) {
    case CQL_TYPE_BOOLEAN: {
        int v;
        if ((rc = cql_decode_bool(p, n, &v)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_bool, t, v);
        return CQL_OK;
    }
    case CQL_TYPE_TINYINT: {
        int8_t v;
        if ((rc = cql_decode_tinyint(p, n, &v)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_int64, t, v);
        return CQL_OK;
    }
    case CQL_TYPE_SMALLINT: {
        int16_t v;
        if ((rc = cql_decode_smallint(p, n, &v)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_int64, t, v);
        return CQL_OK;
    }
    case CQL_TYPE_INT: {
        int32_t v;
        if ((rc = cql_decode_int(p, n, &v)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_int64, t, v);
        return CQL_OK;
    }
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER:
    case CQL_TYPE_TIMESTAMP: {
        int64_t v;
        if ((rc = cql_decode_bigint(p, n, &v)) != CQL_OK)
            return size_error(c, rc, t);
        if (t->id == CQL_TYPE_TIMESTAMP)
            CALL(c, on_timestamp, t, v);
        else
            CALL(c, on_int64, t, v);
        return CQL_OK;
    }
    case CQL_TYPE_FLOAT: {
        float v;
        if ((rc = cql_decode_float(p, n, &v)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_double, t, (double)v);
        return CQL_OK;
    }
    case CQL_TYPE_DOUBLE: {
        double v;
        if ((rc = cql_decode_double(p, n, &v)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_double, t, v);
        return CQL_OK;
    }
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID: {
        const uint8_t *u;
        if ((rc = cql_decode_uuid(p, n, &u)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_uuid, t, u);
        return CQL_OK;
    }
    case CQL_TYPE_VARINT:
        CALL(c, on_varint, t, p, n);
        return CQL_OK;
    case CQL_TYPE_DECIMAL: {
        int32_t scale;
        const uint8_t *u;
        size_t ulen;
        if ((rc = cql_decode_decimal(p, n, &scale, &u, &ulen)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_decimal, t, scale, u, ulen);
        return CQL_OK;
    }
    case CQL_TYPE_INET: {
        const uint8_t *a;
        size_t alen;
        if ((rc = cql_decode_inet(p, n, &a, &alen)) != CQL_OK)
            return cql_fail(c->err, rc, "inet value is neither 4 nor 16 bytes");
        CALL(c, on_inet, t, a, alen);
        return CQL_OK;
    }
    case CQL_TYPE_DATE: {
        int64_t d;
        if ((rc = cql_decode_date(p, n, &d)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_date, t, d);
        return CQL_OK;
    }
    case CQL_TYPE_TIME: {
        int64_t ns;
        if ((rc = cql_decode_time(p, n, &ns)) != CQL_OK)
            return size_error(c, rc, t);
        CALL(c, on_time, t, ns);
        return CQL_OK;
    }
    case CQL_TYPE_DURATION: {
        cql_duration d;
        if ((rc = cql_decode_duration(p, n, &d)) != CQL_OK)
            return cql_fail(c->err, rc, "malformed duration value");
        CALL(c, on_duration, t, &d);
        return CQL_OK;
    }
    default:
        return cql_fail(c->err, CQL_EPROTO, "value of an unknown type");
    }
}

static int decode_any(dec_ctx *c, const cql_type *t, cql_bytes v, int depth)
{
    if (depth > CQL_MAX_DEPTH)
        return cql_fail(c->err, CQL_EDEPTH, "value nested too deep");
    if (v.len < 0)
        return emit_null(c, t);
    const uint8_t *p = v.p;
    size_t n = (size_t)v.len;
    switch (t->id) {
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
        if (n == 0)
            return emit_empty(c, t);
        return decode_list(c, t, p, n, depth);
    case CQL_TYPE_TUPLE:
    case CQL_TYPE_UDT:
        return decode_fields(c, t, p, n, depth);
    case CQL_TYPE_VECTOR:
        if (n == 0)
            return emit_empty(c, t);
        return decode_vector(c, t, p, n, depth);
    default:
        return decode_scalar(c, t, p, n);
    }
}

int cql_decode_value(const cql_type *t, cql_bytes v, const cql_value_cb *cb,
                     void *ud, cql_error *err)
{
    dec_ctx c = {cb, ud, err};
    return decode_any(&c, t, v, 0);
}

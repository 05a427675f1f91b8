/*
 * cql/types.h - CQL data types: type descriptions parsed from metadata, value
 * codecs between wire bytes and C representations, and a callback-driven
 * decoder for whole (possibly nested) values.
 */
#ifndef CQL_TYPES_H
#define CQL_TYPES_H

#include "cql/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Type descriptions                                                         */
/* ------------------------------------------------------------------------ */

/* [option] ids of section 4.2.5.2, plus ids that only arrive as custom class
 * names in v4 (duration, vector). */
enum cql_type_id {
    CQL_TYPE_CUSTOM = 0x0000,
    CQL_TYPE_ASCII = 0x0001,
    CQL_TYPE_BIGINT = 0x0002,
    CQL_TYPE_BLOB = 0x0003,
    CQL_TYPE_BOOLEAN = 0x0004,
    CQL_TYPE_COUNTER = 0x0005,
    CQL_TYPE_DECIMAL = 0x0006,
    CQL_TYPE_DOUBLE = 0x0007,
    CQL_TYPE_FLOAT = 0x0008,
    CQL_TYPE_INT = 0x0009,
    CQL_TYPE_TIMESTAMP = 0x000B,
    CQL_TYPE_UUID = 0x000C,
    CQL_TYPE_VARCHAR = 0x000D,
    CQL_TYPE_VARINT = 0x000E,
    CQL_TYPE_TIMEUUID = 0x000F,
    CQL_TYPE_INET = 0x0010,
    CQL_TYPE_DATE = 0x0011,
    CQL_TYPE_TIME = 0x0012,
    CQL_TYPE_SMALLINT = 0x0013,
    CQL_TYPE_TINYINT = 0x0014,
    CQL_TYPE_DURATION = 0x0015, /* v5 id; v4 sends DurationType as custom */
    CQL_TYPE_LIST = 0x0020,
    CQL_TYPE_MAP = 0x0021,
    CQL_TYPE_SET = 0x0022,
    CQL_TYPE_UDT = 0x0030,
    CQL_TYPE_TUPLE = 0x0031,
    CQL_TYPE_VECTOR = 0x0100 /* not a wire id: VectorType custom class */
};

typedef struct cql_type cql_type;

struct cql_type {
    uint16_t id;           /* enum cql_type_id */
    uint16_t n;            /* number of children */
    int32_t dim;           /* vector dimension */
    int32_t fixed_size;    /* serialized size if fixed (vector elements), else 0 */
    cql_type **children;   /* list/set: 1, map: 2, tuple/udt: n, vector: 1 */
    cql_str *field_names;  /* udt: n names */
    cql_str keyspace;      /* udt */
    cql_str name;          /* udt */
    cql_str custom;        /* class name as received, for custom types */
};

/* Name of a type id ("int", "list", ...). */
const char *cql_type_name(uint16_t id);

/* Parse an [option] type description; nodes and names live in the arena. */
int cql_type_parse_option(cql_reader *r, cql_arena *a, cql_type **out,
                          cql_error *err);

/* Parse a Cassandra marshal class name, e.g.
 * "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)".
 * Unknown classes become CQL_TYPE_CUSTOM; malformed known wrappers fail. */
int cql_type_parse_class(const char *s, size_t n, cql_arena *a, cql_type **out,
                         cql_error *err);

/* Serialized size of a value of type t when the size is fixed, else 0. */
int32_t cql_type_fixed_size(const cql_type *t);

/* ------------------------------------------------------------------------ */
/* Scalar codecs (p/n is the value payload, without its [bytes] length)      */
/* ------------------------------------------------------------------------ */

typedef struct cql_duration {
    int32_t months;
    int32_t days;
    int64_t nanoseconds;
} cql_duration;

#define CQL_DATE_EPOCH_OFFSET 2147483648LL       /* 2^31: 1970-01-01 */
#define CQL_TIME_MAX_NS 86399999999999LL         /* 23:59:59.999999999 */

int cql_decode_bool(const uint8_t *p, size_t n, int *out);
int cql_decode_tinyint(const uint8_t *p, size_t n, int8_t *out);
int cql_decode_smallint(const uint8_t *p, size_t n, int16_t *out);
int cql_decode_int(const uint8_t *p, size_t n, int32_t *out);
int cql_decode_bigint(const uint8_t *p, size_t n, int64_t *out); /* bigint, counter, timestamp */
int cql_decode_float(const uint8_t *p, size_t n, float *out);
int cql_decode_double(const uint8_t *p, size_t n, double *out);
/* Varint: CQL_ERANGE if it does not fit in int64 (caller keeps the bytes). */
int cql_decode_varint_i64(const uint8_t *p, size_t n, int64_t *out);
/* Decimal: scale, then a borrowed view of the unscaled varint bytes. */
int cql_decode_decimal(const uint8_t *p, size_t n, int32_t *scale,
                       const uint8_t **unscaled, size_t *unscaled_len);
int cql_decode_uuid(const uint8_t *p, size_t n, const uint8_t **out);
int cql_decode_inet(const uint8_t *p, size_t n, const uint8_t **addr, size_t *len);
/* Date: days relative to 1970-01-01 (the wire's 2^31 offset removed). */
int cql_decode_date(const uint8_t *p, size_t n, int64_t *days);
/* Time: nanoseconds since midnight, range-checked. */
int cql_decode_time(const uint8_t *p, size_t n, int64_t *ns);
int cql_decode_duration(const uint8_t *p, size_t n, cql_duration *out);

/* UTF-8 and ASCII validation: 1 if valid. Strict UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
int cql_utf8_valid(const uint8_t *p, size_t n);
int cql_ascii_valid(const uint8_t *p, size_t n);

/* Encoders to raw payload bytes. Return the number of bytes written. */
size_t cql_encode_varint_i64(int64_t v, uint8_t out[8]);   /* minimal length */
uint32_t cql_encode_date(int64_t days_since_epoch);         /* caller range-checks */
#define CQL_DURATION_MAX_SIZE 27
/* Fails (returns 0) if the three fields do not share one sign. */
size_t cql_encode_duration(const cql_duration *d, uint8_t out[CQL_DURATION_MAX_SIZE]);

/* ------------------------------------------------------------------------ */
/* Variable-length integers (Cassandra VIntCoding)                           */
/* ------------------------------------------------------------------------ */

#define CQL_VINT_MAX_SIZE 9
int cql_rd_uvint(cql_reader *r, uint64_t *out);
int cql_rd_vint(cql_reader *r, int64_t *out); /* zig-zag */
size_t cql_uvint_size(uint64_t v);
size_t cql_put_uvint(uint64_t v, uint8_t out[CQL_VINT_MAX_SIZE]);
size_t cql_put_vint(int64_t v, uint8_t out[CQL_VINT_MAX_SIZE]);
void cql_wr_uvint(cql_writer *w, uint64_t v);

/* ------------------------------------------------------------------------ */
/* Collection iteration                                                      */
/* ------------------------------------------------------------------------ */

/* Elements of a list/set ([int] n, n x [bytes]), map (n pairs, 2n [bytes]),
 * or tuple/UDT (sequence of [bytes] up to the end). The count is checked
 * against the bytes present before iteration starts. */
typedef struct cql_elem_iter {
    cql_reader r;
    int32_t left; /* elements still to read; -1 for tuple/udt (until end) */
} cql_elem_iter;

/* kind: CQL_TYPE_LIST, CQL_TYPE_SET, CQL_TYPE_MAP. *count is the element
 * count (pairs for a map). */
int cql_collection_begin(const uint8_t *p, size_t n, uint16_t kind,
                         cql_elem_iter *it, int32_t *count, cql_error *err);
void cql_fields_begin(const uint8_t *p, size_t n, cql_elem_iter *it);
/* Returns CQL_OK with *elem set, CQL_AGAIN at the end, or an error. */
int cql_elem_next(cql_elem_iter *it, cql_bytes *elem, cql_error *err);

/* ------------------------------------------------------------------------ */
/* Callback-driven value decoding                                            */
/* ------------------------------------------------------------------------ */

/* Any callback may be NULL (the value is skipped, after validation). A
 * non-zero return stops decoding with CQL_ECALLBACK. `t` is the node of the
 * type tree the value belongs to. */
typedef struct cql_value_cb {
    int (*on_null)(void *ud, const cql_type *t);
    /* Zero-length value of a non-string type ("empty", legacy); NULL falls
     * back to on_null. */
    int (*on_empty)(void *ud, const cql_type *t);
    int (*on_bool)(void *ud, const cql_type *t, int v);
    int (*on_int64)(void *ud, const cql_type *t, int64_t v);     /* tinyint..bigint, counter */
    int (*on_double)(void *ud, const cql_type *t, double v);     /* float, double */
    int (*on_text)(void *ud, const cql_type *t, const char *s, size_t n); /* ascii, varchar */
    int (*on_bytes)(void *ud, const cql_type *t, const uint8_t *p, size_t n); /* blob, custom */
    int (*on_uuid)(void *ud, const cql_type *t, const uint8_t *u16); /* uuid, timeuuid */
    int (*on_varint)(void *ud, const cql_type *t, const uint8_t *p, size_t n);
    int (*on_decimal)(void *ud, const cql_type *t, int32_t scale,
                      const uint8_t *p, size_t n);
    int (*on_inet)(void *ud, const cql_type *t, const uint8_t *addr, size_t n);
    int (*on_date)(void *ud, const cql_type *t, int64_t days);   /* since 1970-01-01 */
    int (*on_time)(void *ud, const cql_type *t, int64_t ns);
    int (*on_timestamp)(void *ud, const cql_type *t, int64_t ms);
    int (*on_duration)(void *ud, const cql_type *t, const cql_duration *d);
    /* list/set/vector: n elements; map: n pairs (2n values follow, key
     * first); tuple/udt: n fields present (a UDT may have fewer than t->n). */
    int (*begin_collection)(void *ud, const cql_type *t, int32_t n);
    int (*end_collection)(void *ud, const cql_type *t);
    int (*begin_row)(void *ud, int32_t row);
    int (*end_row)(void *ud, int32_t row);
    /* Non-zero when on_text checks UTF-8 itself (a CPython string decoder
     * does, and fails the value): the walker then skips its own check of
     * varchar values instead of running it twice. */
    int on_text_checks_utf8;
} cql_value_cb;

/* Decode one [bytes] value (null when v.len < 0) of type t. */
int cql_decode_value(const cql_type *t, cql_bytes v, const cql_value_cb *cb,
                     void *ud, cql_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CQL_TYPES_H */

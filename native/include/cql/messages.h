/*
 * cql/messages.h - request encoders and response decoders (section 4).
 *
 * Encoders append one complete frame to a cql_writer (so a connection can
 * queue many frames in one output buffer and flush them with one write). They
 * are all-or-nothing: on failure the writer is restored to its prior length.
 *
 * Decoders take a reader positioned at the message (after cql_read_prelude)
 * and borrow strings from it, except metadata (names and type trees), which
 * is copied into the result's arena so it can outlive the frame.
 */
#ifndef CQL_MESSAGES_H
#define CQL_MESSAGES_H

#include "cql/frame.h"
#include "cql/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Constants                                                                 */
/* ------------------------------------------------------------------------ */

enum cql_consistency {
    CQL_CONSISTENCY_ANY = 0x0000,
    CQL_CONSISTENCY_ONE = 0x0001,
    CQL_CONSISTENCY_TWO = 0x0002,
    CQL_CONSISTENCY_THREE = 0x0003,
    CQL_CONSISTENCY_QUORUM = 0x0004,
    CQL_CONSISTENCY_ALL = 0x0005,
    CQL_CONSISTENCY_LOCAL_QUORUM = 0x0006,
    CQL_CONSISTENCY_EACH_QUORUM = 0x0007,
    CQL_CONSISTENCY_SERIAL = 0x0008,
    CQL_CONSISTENCY_LOCAL_SERIAL = 0x0009,
    CQL_CONSISTENCY_LOCAL_ONE = 0x000A
};

/* Query parameter flags (QUERY/EXECUTE/BATCH). */
enum cql_query_flag {
    CQL_QF_VALUES = 0x01,
    CQL_QF_SKIP_METADATA = 0x02,
    CQL_QF_PAGE_SIZE = 0x04,
    CQL_QF_PAGING_STATE = 0x08,
    CQL_QF_SERIAL_CONSISTENCY = 0x10,
    CQL_QF_DEFAULT_TIMESTAMP = 0x20,
    CQL_QF_NAMES = 0x40
};

enum cql_batch_type {
    CQL_BATCH_LOGGED = 0,
    CQL_BATCH_UNLOGGED = 1,
    CQL_BATCH_COUNTER = 2
};

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct cql_payload_entry {
    cql_str key;
    cql_bytes value;
} cql_payload_entry;

/* Frame-level options of a request. Zero-initialised means: version 4,
 * stream 0, no tracing, no custom payload. */
typedef struct cql_request {
    uint8_t version;  /* 0 means CQL_PROTOCOL_VERSION */
    uint8_t flags;    /* CQL_FLAG_TRACING; CUSTOM_PAYLOAD is set from payload */
    int16_t stream;
    const cql_payload_entry *payload; /* QUERY/PREPARE/EXECUTE/BATCH only */
    size_t payload_count;
} cql_request;

typedef struct cql_query_params {
    uint16_t consistency;
    const cql_bytes *values;   /* non-NULL sets the Values flag (len -1 null, -2 unset) */
    size_t value_count;
    const cql_str *names;      /* optional, one per value: sets the Names flag */
    int skip_metadata;
    int32_t page_size;         /* > 0 sets the Page_size flag */
    const uint8_t *paging_state; /* non-NULL sets With_paging_state */
    size_t paging_state_len;
    int has_serial_consistency;
    uint16_t serial_consistency;
    int has_timestamp;
    int64_t timestamp;         /* microseconds */
} cql_query_params;

typedef struct cql_batch_stmt {
    int is_prepared;           /* 1: query is a prepared id */
    const uint8_t *query;      /* query text or prepared id */
    size_t query_len;
    const cql_bytes *values;
    size_t value_count;
    const cql_str *names;      /* required per statement iff batch with_names */
} cql_batch_stmt;

typedef struct cql_batch_params {
    uint8_t type;              /* enum cql_batch_type */
    uint16_t consistency;
    int has_serial_consistency;
    uint16_t serial_consistency;
    int has_timestamp;
    int64_t timestamp;
    int with_names;
} cql_batch_params;

int cql_encode_options(cql_writer *w, const cql_request *rq, cql_error *err);
/* kv holds n key/value pairs: kv[2i] key, kv[2i+1] value. */
int cql_encode_startup(cql_writer *w, const cql_request *rq, const cql_str *kv,
                       size_t n, cql_error *err);
/* STARTUP with CQL_VERSION 3.0.0 and, if compression != NULL, COMPRESSION. */
int cql_encode_startup_default(cql_writer *w, const cql_request *rq,
                               const char *compression, cql_error *err);
int cql_encode_auth_response(cql_writer *w, const cql_request *rq,
                             const uint8_t *token, int32_t token_len, cql_error *err);
/* SASL PLAIN: token is "\0" user "\0" password. */
int cql_encode_auth_plain(cql_writer *w, const cql_request *rq, cql_str user,
                          cql_str password, cql_error *err);
int cql_encode_query(cql_writer *w, const cql_request *rq, cql_str query,
                     const cql_query_params *qp, cql_error *err);
int cql_encode_prepare(cql_writer *w, const cql_request *rq, cql_str query,
                       cql_error *err);
int cql_encode_execute(cql_writer *w, const cql_request *rq, const uint8_t *id,
                       size_t id_len, const cql_query_params *qp, cql_error *err);
int cql_encode_batch(cql_writer *w, const cql_request *rq, const cql_batch_stmt *stmts,
                     size_t n, const cql_batch_params *bp, cql_error *err);
int cql_encode_register(cql_writer *w, const cql_request *rq, const cql_str *events,
                        size_t n, cql_error *err);

/* ------------------------------------------------------------------------ */
/* Simple responses                                                          */
/* ------------------------------------------------------------------------ */

/* READY: empty body (extra bytes are allowed by the spec and ignored). */
int cql_decode_ready(cql_reader *r, cql_error *err);
/* SUPPORTED: a [string multimap] (use cql_string_multimap_next / _find). */
int cql_decode_supported(cql_reader *r, cql_map_iter *out, cql_error *err);
/* AUTHENTICATE: the authenticator class name. */
int cql_decode_authenticate(cql_reader *r, cql_str *authenticator, cql_error *err);
/* AUTH_CHALLENGE and AUTH_SUCCESS: one [bytes] token (may be null). */
int cql_decode_auth_token(cql_reader *r, cql_bytes *token, cql_error *err);

/* ------------------------------------------------------------------------ */
/* RESULT                                                                    */
/* ------------------------------------------------------------------------ */

enum cql_result_kind {
    CQL_RESULT_VOID = 0x0001,
    CQL_RESULT_ROWS = 0x0002,
    CQL_RESULT_SET_KEYSPACE = 0x0003,
    CQL_RESULT_PREPARED = 0x0004,
    CQL_RESULT_SCHEMA_CHANGE = 0x0005
};

enum cql_metadata_flag {
    CQL_MF_GLOBAL_TABLES_SPEC = 0x0001,
    CQL_MF_HAS_MORE_PAGES = 0x0002,
    CQL_MF_NO_METADATA = 0x0004,
    CQL_MF_METADATA_CHANGED = 0x0008 /* v5 */
};

typedef struct cql_column {
    cql_str keyspace;
    cql_str table;
    cql_str name;
    cql_type *type;
} cql_column;

typedef struct cql_metadata {
    int32_t flags;
    int32_t column_count;
    const uint8_t *paging_state; /* borrowed from the body; NULL if none */
    size_t paging_state_len;
    cql_str keyspace;            /* global table spec, if any */
    cql_str table;
    cql_column *columns;         /* NULL when No_metadata */
    int32_t pk_count;            /* prepared bind metadata only */
    uint16_t *pk_indexes;
} cql_metadata;

typedef struct cql_schema_change {
    cql_str change_type; /* CREATED, UPDATED, DROPPED */
    cql_str target;      /* KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE */
    cql_str keyspace;
    cql_str name;        /* empty for KEYSPACE */
    cql_string_list arg_types; /* FUNCTION/AGGREGATE */
} cql_schema_change;

typedef struct cql_result {
    int32_t kind;
    cql_arena arena;
    /* rows: result metadata; prepared: bind-marker metadata */
    cql_metadata metadata;
    /* rows */
    int32_t rows_count;
    cql_reader rows;            /* rows content, borrowed */
    /* set_keyspace */
    cql_str keyspace;
    /* prepared */
    cql_bytes prepared_id;      /* borrowed */
    cql_metadata result_metadata;
    /* schema_change */
    cql_schema_change schema_change;
} cql_result;

void cql_result_init(cql_result *res);
void cql_result_free(cql_result *res);
/* Decode a RESULT body. Rows content is validated lazily by cql_decode_rows. */
int cql_decode_result(cql_reader *r, cql_result *res, cql_error *err);

/* Rows metadata (section 4.2.5.2) and prepared bind metadata (4.2.5.4). */
int cql_decode_rows_metadata(cql_reader *r, cql_arena *a, cql_metadata *m,
                             cql_error *err);
int cql_decode_prepared_metadata(cql_reader *r, cql_arena *a, cql_metadata *m,
                                 cql_error *err);
int cql_decode_schema_change(cql_reader *r, cql_schema_change *sc, cql_error *err);

/* Walk every row of a Rows result, reporting values through cb. meta gives
 * the column types: pass NULL to use res->metadata, or the prepared result
 * metadata when the request set skip_metadata. */
int cql_decode_rows(const cql_result *res, const cql_metadata *meta,
                    const cql_value_cb *cb, void *ud, cql_error *err);

/* ------------------------------------------------------------------------ */
/* ERROR                                                                     */
/* ------------------------------------------------------------------------ */

enum cql_error_code {
    CQL_ERR_SERVER = 0x0000,
    CQL_ERR_PROTOCOL = 0x000A,
    CQL_ERR_AUTH = 0x0100,
    CQL_ERR_UNAVAILABLE = 0x1000,
    CQL_ERR_OVERLOADED = 0x1001,
    CQL_ERR_BOOTSTRAPPING = 0x1002,
    CQL_ERR_TRUNCATE = 0x1003,
    CQL_ERR_WRITE_TIMEOUT = 0x1100,
    CQL_ERR_READ_TIMEOUT = 0x1200,
    CQL_ERR_READ_FAILURE = 0x1300,
    CQL_ERR_FUNCTION_FAILURE = 0x1400,
    CQL_ERR_WRITE_FAILURE = 0x1500,
    CQL_ERR_CDC_WRITE_FAILURE = 0x1600,
    CQL_ERR_CAS_WRITE_UNKNOWN = 0x1700,
    CQL_ERR_SYNTAX = 0x2000,
    CQL_ERR_UNAUTHORIZED = 0x2100,
    CQL_ERR_INVALID = 0x2200,
    CQL_ERR_CONFIG = 0x2300,
    CQL_ERR_ALREADY_EXISTS = 0x2400,
    CQL_ERR_UNPREPARED = 0x2500
};

typedef struct cql_server_error {
    int32_t code;
    cql_str message;
    uint16_t consistency;   /* unavailable, timeouts, failures, cas unknown */
    int32_t required;       /* unavailable */
    int32_t alive;          /* unavailable */
    int32_t received;       /* timeouts, failures */
    int32_t block_for;      /* timeouts, failures */
    int32_t num_failures;   /* failures (v4; v5: size of the reason map) */
    uint8_t data_present;   /* read timeout/failure */
    cql_str write_type;     /* write timeout/failure */
    int has_contentions;    /* v5 write timeout of a CAS write */
    uint16_t contentions;
    int32_t reason_count;   /* v5 failures: entries in reason_map */
    cql_reader reason_map;  /* iterate with cql_reason_map_next */
    cql_str keyspace;       /* already exists, function failure */
    cql_str table;          /* already exists (empty for a keyspace) */
    cql_str function;       /* function failure */
    cql_string_list arg_types; /* function failure */
    cql_bytes unprepared_id;   /* unprepared */
} cql_server_error;

const char *cql_error_code_name(int32_t code);
/* version selects the v4 or v5 layout of failure errors. */
int cql_decode_error(cql_reader *r, int version, cql_server_error *out,
                     cql_error *err);
/* One reason-map entry: replica address and failure code. 1 while entries remain. */
int cql_reason_map_next(cql_server_error *e, const uint8_t **addr,
                        uint8_t *addr_len, uint16_t *failure_code);

/* ------------------------------------------------------------------------ */
/* EVENT                                                                     */
/* ------------------------------------------------------------------------ */

enum cql_event_type {
    CQL_EVENT_TOPOLOGY_CHANGE = 1,
    CQL_EVENT_STATUS_CHANGE = 2,
    CQL_EVENT_SCHEMA_CHANGE = 3
};

typedef struct cql_event {
    int type;
    cql_str change;            /* NEW_NODE/REMOVED_NODE, UP/DOWN */
    const uint8_t *addr;       /* topology/status */
    uint8_t addr_len;
    int32_t port;
    cql_schema_change schema;  /* schema change */
} cql_event;

int cql_decode_event(cql_reader *r, cql_event *ev, cql_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CQL_MESSAGES_H */

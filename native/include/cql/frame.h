/*
 * cql/frame.h - v4 frame header, opcodes, flags, the frame splitter and the
 * response prelude (tracing id, warnings, custom payload).
 */
#ifndef CQL_FRAME_H
#define CQL_FRAME_H

#include "cql/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CQL_PROTOCOL_VERSION 4
#define CQL_HEADER_SIZE 9
#define CQL_VERSION_RESPONSE 0x80 /* direction bit of the version byte */

/* Opcodes (section 2.4). 0x04 does not exist. */
enum cql_opcode {
    CQL_OP_ERROR = 0x00,
    CQL_OP_STARTUP = 0x01,
    CQL_OP_READY = 0x02,
    CQL_OP_AUTHENTICATE = 0x03,
    CQL_OP_OPTIONS = 0x05,
    CQL_OP_SUPPORTED = 0x06,
    CQL_OP_QUERY = 0x07,
    CQL_OP_RESULT = 0x08,
    CQL_OP_PREPARE = 0x09,
    CQL_OP_EXECUTE = 0x0A,
    CQL_OP_REGISTER = 0x0B,
    CQL_OP_EVENT = 0x0C,
    CQL_OP_BATCH = 0x0D,
    CQL_OP_AUTH_CHALLENGE = 0x0E,
    CQL_OP_AUTH_RESPONSE = 0x0F,
    CQL_OP_AUTH_SUCCESS = 0x10
};

/* Header flags (section 2.2). */
enum cql_frame_flag {
    CQL_FLAG_COMPRESSION = 0x01,
    CQL_FLAG_TRACING = 0x02,
    CQL_FLAG_CUSTOM_PAYLOAD = 0x04,
    CQL_FLAG_WARNING = 0x08,
    CQL_FLAG_USE_BETA = 0x10
};

typedef struct cql_frame_header {
    uint8_t version; /* full byte, direction bit included */
    uint8_t flags;
    int16_t stream;
    uint8_t opcode;
    uint32_t length; /* body length */
} cql_frame_header;

/* Name of an opcode ("RESULT"), or NULL for an unknown one. */
const char *cql_opcode_name(uint8_t opcode);

/* Write the 9 header bytes. */
void cql_frame_header_encode(const cql_frame_header *h, uint8_t out[CQL_HEADER_SIZE]);

/* Parse 9 header bytes from p[0..n). Returns CQL_AGAIN when n < 9, an error
 * for a version outside 3..5, an unknown opcode, or a body longer than
 * max_body (0 means CQL_MAX_BODY_LENGTH). */
int cql_frame_header_decode(const uint8_t *p, size_t n, uint32_t max_body,
                            cql_frame_header *h, cql_error *err);

/* ------------------------------------------------------------------------ */
/* Splitting a byte stream into frames                                       */
/* ------------------------------------------------------------------------ */

typedef struct cql_frame {
    cql_frame_header h;
    const uint8_t *body; /* h.length bytes, borrowed */
} cql_frame;

/* Stateless: look at buf[0..n) and, if a whole frame is there, describe it
 * and set *consumed. Returns CQL_OK, CQL_AGAIN (need more bytes) or an
 * error (the stream is then unusable). Never copies. */
int cql_frame_next(const uint8_t *buf, size_t n, uint32_t max_body,
                   cql_frame *f, size_t *consumed, cql_error *err);

/* Buffering splitter for callers that receive arbitrary chunks: feed bytes,
 * then call next until CQL_AGAIN. A frame's body stays valid until the next
 * call to feed. */
typedef struct cql_framer {
    cql_writer buf;
    size_t pos;        /* start of unconsumed bytes in buf */
    uint32_t max_body; /* per-frame body limit */
} cql_framer;

void cql_framer_init(cql_framer *fr, uint32_t max_body);
void cql_framer_free(cql_framer *fr);
int cql_framer_feed(cql_framer *fr, const void *p, size_t n, cql_error *err);
int cql_framer_next(cql_framer *fr, cql_frame *f, cql_error *err);
/* Bytes buffered but not yet returned as frames. */
size_t cql_framer_pending(const cql_framer *fr);

/* ------------------------------------------------------------------------ */
/* Response prelude                                                          */
/* ------------------------------------------------------------------------ */

/* What precedes the message in a response body, depending on the flags. */
typedef struct cql_prelude {
    const uint8_t *tracing_id; /* 16 bytes, or NULL */
    int has_warnings;
    cql_string_list warnings;
    int has_custom_payload;
    cql_map_iter custom_payload; /* [bytes map] */
} cql_prelude;

/* Consume tracing id, warnings and custom payload from *body as announced by
 * flags; *body is left at the message proper. The compression flag must
 * have been dealt with already (body decompressed). */
int cql_read_prelude(uint8_t flags, cql_reader *body, cql_prelude *out,
                     cql_error *err);

/* ------------------------------------------------------------------------ */
/* Building request frames                                                   */
/* ------------------------------------------------------------------------ */

/* Append a header with a zero length; returns the frame's offset in w. */
size_t cql_frame_begin(cql_writer *w, uint8_t version, uint8_t flags,
                       int16_t stream, uint8_t opcode);
/* Patch the length of the frame started at off; fails if over the limit. */
int cql_frame_finish(cql_writer *w, size_t off, cql_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CQL_FRAME_H */

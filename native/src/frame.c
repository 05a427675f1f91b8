/*
 * frame.c - v4 frame header, frame splitting, response prelude.
 */
#include <stdlib.h>
#include <string.h>

#include "cql/frame.h"

/* ======================================================================== */
/* Opcodes                                                                   */
/* ======================================================================== */

const char *cql_opcode_name(uint8_t opcode)
{
    switch (opcode) {
    case CQL_OP_ERROR: return "ERROR";
    case CQL_OP_STARTUP: return "STARTUP";
    case CQL_OP_READY: return "READY";
    case CQL_OP_AUTHENTICATE: return "AUTHENTICATE";
    case CQL_OP_OPTIONS: return "OPTIONS";
    case CQL_OP_SUPPORTED: return "SUPPORTED";
    case CQL_OP_QUERY: return "QUERY";
    case CQL_OP_RESULT: return "RESULT";
    case CQL_OP_PREPARE: return "PREPARE";
    case CQL_OP_EXECUTE: return "EXECUTE";
    case CQL_OP_REGISTER: return "REGISTER";
    case CQL_OP_EVENT: return "EVENT";
    case CQL_OP_BATCH: return "BATCH";
    case CQL_OP_AUTH_CHALLENGE: return "AUTH_CHALLENGE";
    case CQL_OP_AUTH_RESPONSE: return "AUTH_RESPONSE";
    case CQL_OP_AUTH_SUCCESS: return "AUTH_SUCCESS";
    default: return NULL;
    }
}

/* ======================================================================== */
/* Header                                                                    */
/* ======================================================================== */

void cql_frame_header_encode(const cql_frame_header *h, uint8_t out[CQL_HEADER_SIZE])
{
    out[0] = h->version;
    out[1] = h->flags;
    cql_store_be16(out + 2, (uint16_t)h->stream);
    out[4] = h->opcode;
    cql_store_be32(out + 5, h->length);
}

int cql_frame_header_decode(const uint8_t *p, size_t n, uint32_t max_body,
                            cql_frame_header *h, cql_error *err)
{
    if (n < CQL_HEADER_SIZE)
        return CQL_AGAIN;
    if (max_body == 0 || max_body > CQL_MAX_BODY_LENGTH)
        max_body = CQL_MAX_BODY_LENGTH;
    uint8_t v = p[0] & 0x7F;
    /* v1/v2 used a different (8-byte) header; v5 envelopes reuse this one. */
    if (v < 3 || v > 5)
        return cql_fail(err, CQL_EPROTO, "unsupported protocol version in frame header");
    if (cql_opcode_name(p[4]) == NULL)
        return cql_fail(err, CQL_EPROTO, "unknown opcode in frame header");
    uint32_t len = cql_load_be32(p + 5);
    if (len > max_body)
        return cql_fail(err, CQL_ELIMIT, "frame body length over limit");
    h->version = p[0];
    h->flags = p[1];
    h->stream = (int16_t)cql_load_be16(p + 2);
    h->opcode = p[4];
    h->length = len;
    return CQL_OK;
}

/* ======================================================================== */
/* Splitting                                                                 */
/* ======================================================================== */

int cql_frame_next(const uint8_t *buf, size_t n, uint32_t max_body,
                   cql_frame *f, size_t *consumed, cql_error *err)
{
    int rc = cql_frame_header_decode(buf, n, max_body, &f->h, err);
    if (rc != CQL_OK)
        return rc;
    if (n - CQL_HEADER_SIZE < f->h.length)
        return CQL_AGAIN;
    f->body = buf + CQL_HEADER_SIZE;
    *consumed = CQL_HEADER_SIZE + (size_t)f->h.length;
    return CQL_OK;
}

void cql_framer_init(cql_framer *fr, uint32_t max_body)
{
    cql_wr_init(&fr->buf);
    fr->pos = 0;
    fr->max_body = max_body;
}

void cql_framer_free(cql_framer *fr)
{
    cql_wr_free(&fr->buf);
    fr->pos = 0;
}

size_t cql_framer_pending(const cql_framer *fr)
{
    return fr->buf.len - fr->pos;
}

int cql_framer_feed(cql_framer *fr, const void *p, size_t n, cql_error *err)
{
    /* Drop consumed bytes first so the buffer does not grow without bound;
     * bodies handed out earlier become invalid here, as documented. */
    if (fr->pos) {
        size_t left = fr->buf.len - fr->pos;
        if (left)
            memmove(fr->buf.data, fr->buf.data + fr->pos, left);
        fr->buf.len = left;
        fr->pos = 0;
    }
    cql_wr_raw(&fr->buf, p, n);
    return cql_wr_status(&fr->buf, err);
}

int cql_framer_next(cql_framer *fr, cql_frame *f, cql_error *err)
{
    size_t used = 0;
    if (fr->buf.len == fr->pos)
        return CQL_AGAIN;
    int rc = cql_frame_next(fr->buf.data + fr->pos, fr->buf.len - fr->pos,
                            fr->max_body, f, &used, err);
    if (rc == CQL_OK)
        fr->pos += used;
    return rc;
}

/* ======================================================================== */
/* Response prelude                                                          */
/* ======================================================================== */

int cql_read_prelude(uint8_t flags, cql_reader *body, cql_prelude *out,
                     cql_error *err)
{
    cql_reader r = *body;
    int rc;
    memset(out, 0, sizeof(*out));
    if (flags & CQL_FLAG_TRACING) {
        rc = cql_rd_uuid(&r, &out->tracing_id, err);
        if (rc != CQL_OK)
            return rc;
    }
    if (flags & CQL_FLAG_WARNING) {
        rc = cql_rd_string_list(&r, &out->warnings, err);
        if (rc != CQL_OK)
            return rc;
        out->has_warnings = 1;
    }
    if (flags & CQL_FLAG_CUSTOM_PAYLOAD) {
        rc = cql_rd_bytes_map(&r, &out->custom_payload, err);
        if (rc != CQL_OK)
            return rc;
        out->has_custom_payload = 1;
    }
    *body = r;
    return CQL_OK;
}

/* ======================================================================== */
/* Request frames                                                            */
/* ======================================================================== */

size_t cql_frame_begin(cql_writer *w, uint8_t version, uint8_t flags,
                       int16_t stream, uint8_t opcode)
{
    size_t off = w->len;
    uint8_t *d = cql_wr_reserve(w, CQL_HEADER_SIZE);
    if (d) {
        cql_frame_header h = {version, flags, stream, opcode, 0};
        cql_frame_header_encode(&h, d);
    }
    return off;
}

int cql_frame_finish(cql_writer *w, size_t off, cql_error *err)
{
    if (w->err != CQL_OK)
        return cql_wr_status(w, err);
    if (off > w->len || w->len - off < CQL_HEADER_SIZE)
        return cql_fail(err, CQL_EINVAL, "frame offset outside writer");
    size_t body = w->len - off - CQL_HEADER_SIZE;
    if (body > CQL_MAX_BODY_LENGTH) {
        cql_wr_fail(w, CQL_ELIMIT, "request body over 256 MiB");
        return cql_wr_status(w, err);
    }
    cql_store_be32(w->data + off + 5, (uint32_t)body);
    return CQL_OK;
}

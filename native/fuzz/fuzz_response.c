/* A whole response frame: header, optional LZ4 body, prelude, then the
 * decoder chosen by the opcode. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cql_frame f;
    size_t used;
    if (cql_frame_next(data, size, 1 << 20, &f, &used, NULL) != CQL_OK)
        return 0;
    cql_writer plain;
    cql_wr_init(&plain);
    const uint8_t *body = f.body;
    size_t len = f.h.length;
    if (f.h.flags & CQL_FLAG_COMPRESSION) {
        if (cql_lz4_decompress(body, len, 1 << 20, &plain, NULL) != CQL_OK)
            goto out;
        body = plain.data;
        len = plain.len;
    }
    cql_reader r = cql_reader_make(body, len);
    cql_prelude pre;
    if (cql_read_prelude(f.h.flags, &r, &pre, NULL) != CQL_OK)
        goto out;
    if (pre.has_warnings)
        fuzz_walk_string_list(pre.warnings);
    int version = f.h.version & 0x7F;
    switch (f.h.opcode) {
    case CQL_OP_ERROR:
        fuzz_error_body(r.p, r.n, version);
        break;
    case CQL_OP_RESULT:
        fuzz_result_body(r.p, r.n);
        break;
    case CQL_OP_EVENT:
        fuzz_event_body(r.p, r.n);
        break;
    case CQL_OP_SUPPORTED:
        fuzz_supported_body(r.p, r.n);
        break;
    case CQL_OP_READY:
        (void)cql_decode_ready(&r, NULL);
        break;
    case CQL_OP_AUTHENTICATE: {
        cql_str s;
        if (cql_decode_authenticate(&r, &s, NULL) == CQL_OK)
            (void)fuzz_touch(s.p, s.len);
        break;
    }
    case CQL_OP_AUTH_CHALLENGE:
    case CQL_OP_AUTH_SUCCESS: {
        cql_bytes b;
        if (cql_decode_auth_token(&r, &b, NULL) == CQL_OK && b.len > 0)
            (void)fuzz_touch(b.p, (size_t)b.len);
        break;
    }
    default:
        break;
    }
out:
    cql_wr_free(&plain);
    return 0;
}

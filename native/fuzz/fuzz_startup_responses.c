/* SUPPORTED, AUTHENTICATE, AUTH_CHALLENGE/AUTH_SUCCESS bodies and the
 * response prelude; the first byte picks the decoder. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t sel = data[0];
    cql_reader r = cql_reader_make(data + 1, size - 1);
    switch (sel % 4) {
    case 0:
        fuzz_supported_body(r.p, r.n);
        break;
    case 1: {
        cql_str s;
        if (cql_decode_authenticate(&r, &s, NULL) == CQL_OK)
            (void)fuzz_touch(s.p, s.len);
        break;
    }
    case 2: {
        cql_bytes b;
        while (cql_decode_auth_token(&r, &b, NULL) == CQL_OK && b.len > 0)
            (void)fuzz_touch(b.p, (size_t)b.len);
        break;
    }
    default: {
        cql_prelude p;
        if (cql_read_prelude((uint8_t)(sel >> 2), &r, &p, NULL) == CQL_OK) {
            if (p.tracing_id)
                (void)fuzz_touch(p.tracing_id, 16);
            fuzz_walk_string_list(p.warnings);
            cql_str k;
            cql_bytes v;
            while (cql_bytes_map_next(&p.custom_payload, &k, &v))
                if (v.len > 0)
                    (void)fuzz_touch(v.p, (size_t)v.len);
        }
        break;
    }
    }
    return 0;
}

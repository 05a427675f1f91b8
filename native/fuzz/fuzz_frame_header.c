/* Frame header decoding and frame splitting, fed in chunks. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cql_frame_header h;
    cql_frame f;
    size_t used;
    (void)cql_frame_header_decode(data, size, 0, &h, NULL);

    /* Walk the input as a stream of back-to-back frames. */
    size_t off = 0;
    while (off < size && cql_frame_next(data + off, size - off, 1 << 20, &f, &used, NULL) == CQL_OK) {
        (void)fuzz_touch(f.body, f.h.length);
        off += used;
    }

    /* Same stream through the buffering splitter, in uneven chunks. */
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] % 17 + 1;
    cql_framer fr;
    cql_framer_init(&fr, 1 << 20);
    for (size_t o = 1; o < size; o += chunk) {
        size_t n = size - o < chunk ? size - o : chunk;
        if (cql_framer_feed(&fr, data + o, n, NULL) != CQL_OK)
            break;
        int rc;
        while ((rc = cql_framer_next(&fr, &f, NULL)) == CQL_OK)
            (void)fuzz_touch(f.body, f.h.length);
        if (rc != CQL_AGAIN)
            break;
    }
    cql_framer_free(&fr);
    return 0;
}

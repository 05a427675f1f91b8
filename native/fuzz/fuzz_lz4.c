/* LZ4 bodies: decompression of arbitrary input, and a round trip of
 * whatever decompressed. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cql_writer d, c, back;
    cql_wr_init(&d);
    cql_wr_init(&c);
    cql_wr_init(&back);
    if (cql_lz4_decompress(data, size, 1 << 22, &d, NULL) == CQL_OK) {
        if (cql_lz4_compress(d.data, d.len, &c, NULL) != CQL_OK ||
            cql_lz4_decompress(c.data, c.len, 1 << 22, &back, NULL) != CQL_OK ||
            back.len != d.len || (d.len && memcmp(back.data, d.data, d.len) != 0))
            __builtin_trap();
    }
    cql_wr_free(&d);
    cql_wr_free(&c);
    cql_wr_free(&back);
    return 0;
}

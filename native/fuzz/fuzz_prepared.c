/* A Prepared body after the kind; its result metadata then decodes the
 * remaining bytes as a skip_metadata Rows result would be decoded. */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size + 4);
    if (!buf)
        return 0;
    cql_store_be32(buf, CQL_RESULT_PREPARED);
    if (size)
        memcpy(buf + 4, data, size);
    cql_reader r = cql_reader_make(buf, size + 4);
    cql_result res;
    cql_result_init(&res);
    if (cql_decode_result(&r, &res, NULL) == CQL_OK) {
        fuzz_walk_metadata(&res.metadata);
        fuzz_walk_metadata(&res.result_metadata);
        /* Remaining bytes: rows_count + rows for the result metadata. */
        cql_result rows;
        cql_result_init(&rows);
        rows.kind = CQL_RESULT_ROWS;
        rows.metadata.column_count = res.result_metadata.column_count;
        int32_t count;
        if (res.result_metadata.columns && cql_rd_i32(&r, &count) == CQL_OK && count >= 0 &&
            count <= 4096) {
            rows.rows_count = count;
            rows.rows = r;
            collector c;
            collector_init(&c);
            (void)cql_decode_rows(&rows, &res.result_metadata, &collector_cb, &c, NULL);
        }
        cql_result_free(&rows);
    }
    cql_result_free(&res);
    free(buf);
    return 0;
}

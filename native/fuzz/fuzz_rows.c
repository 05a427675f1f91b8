/* Rows metadata + rows: the input is a Rows body after the kind. */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size + 4);
    if (!buf)
        return 0;
    cql_store_be32(buf, CQL_RESULT_ROWS);
    if (size)
        memcpy(buf + 4, data, size);
    fuzz_result_body(buf, size + 4);

    /* The same bytes as standalone rows metadata. */
    cql_arena a;
    cql_arena_init(&a);
    cql_metadata m;
    cql_reader r = cql_reader_make(data, size);
    if (cql_decode_rows_metadata(&r, &a, &m, NULL) == CQL_OK)
        fuzz_walk_metadata(&m);
    cql_arena_free(&a);
    free(buf);
    return 0;
}

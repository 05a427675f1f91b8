/* A marshal class name (custom types, Cassandra 5 vectors, UserType), then
 * after a NUL byte one value of that type. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t name_len = nul ? (size_t)(nul - data) : size;
    cql_arena a;
    cql_arena_init(&a);
    cql_type *t;
    if (cql_type_parse_class((const char *)data, name_len, &a, &t, NULL) == CQL_OK && nul) {
        collector c;
        collector_init(&c);
        size_t n = size - name_len - 1;
        cql_bytes v = {nul + 1, (int32_t)(n > INT32_MAX ? INT32_MAX : n)};
        (void)cql_decode_value(t, v, &collector_cb, &c, NULL);
    }
    cql_arena_free(&a);
    return 0;
}

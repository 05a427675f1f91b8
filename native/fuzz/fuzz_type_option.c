/* An [option] type description followed by one value of that type: covers
 * every value decoder, collections, tuples and UDTs. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cql_arena a;
    cql_arena_init(&a);
    cql_reader r = cql_reader_make(data, size);
    cql_type *t;
    if (cql_type_parse_option(&r, &a, &t, NULL) == CQL_OK) {
        collector c;
        collector_init(&c);
        cql_bytes v = {r.p, (int32_t)(r.n > INT32_MAX ? INT32_MAX : r.n)};
        (void)cql_decode_value(t, v, &collector_cb, &c, NULL);
        (void)cql_type_fixed_size(t);
    }
    cql_arena_free(&a);
    return 0;
}

/* A RESULT body of any kind, rows decoded through the collector. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_result_body(data, size);
    return 0;
}

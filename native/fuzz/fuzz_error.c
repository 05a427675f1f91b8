/* ERROR bodies; the first byte picks the v4 or v5 layout. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fuzz_error_body(data + 1, size - 1, (data[0] & 1) ? 5 : 4);
    return 0;
}

/* EVENT bodies: topology, status and schema changes. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_event_body(data, size);
    return 0;
}

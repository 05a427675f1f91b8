#include "testing.h"
void suite_lz4(void) {}

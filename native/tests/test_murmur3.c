#include "testing.h"
void suite_murmur3(void) {}

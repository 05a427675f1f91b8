#include "testing.h"
void suite_types(void) {}

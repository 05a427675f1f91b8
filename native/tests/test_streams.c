#include "testing.h"
void suite_streams(void) {}

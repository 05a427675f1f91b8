#include "testing.h"
void suite_messages(void) {}

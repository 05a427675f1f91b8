/*
 * test_main.c - runs every suite and prints the summary line.
 */
#include <stdlib.h>

#include "testing.h"

long t_passed, t_failed;
const char *t_current = "?";

void t_report(int ok, const char *file, int line, const char *expr,
              const char *detail)
{
    if (ok) {
        t_passed++;
        return;
    }
    t_failed++;
    fprintf(stderr, "FAIL %s (%s:%d): %s%s%s\n", t_current, file, line, expr,
            detail ? "  -- " : "", detail ? detail : "");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    suite_buf();
    suite_frame();
    suite_types();
    suite_messages();
    suite_lz4();
    suite_murmur3();
    suite_streams();
    printf("%ld passed, %ld failed\n", t_passed, t_failed);
    return t_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

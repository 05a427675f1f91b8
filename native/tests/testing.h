/*
 * testing.h - a tiny test runner.
 *
 * CHECK-style macros count every assertion; a failed one prints where it
 * failed and the test goes on (so one run shows every failure). main() in
 * test_main.c prints "N passed, N failed" and exits non-zero on failure.
 */
#ifndef CQL_TESTING_H
#define CQL_TESTING_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

extern long t_passed, t_failed;
extern const char *t_current;

void t_report(int ok, const char *file, int line, const char *expr,
              const char *detail);

#define CHECK(cond)                                                         \
    t_report(!!(cond), __FILE__, __LINE__, #cond, NULL)

#define CHECK_EQ(a, b)                                                      \
    do {                                                                    \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);             \
        char t_d_[96];                                                      \
        snprintf(t_d_, sizeof t_d_, "%lld != %lld", t_a_, t_b_);            \
        t_report(t_a_ == t_b_, __FILE__, __LINE__, #a " == " #b, t_d_);     \
    } while (0)

#define CHECK_MEM(p, q, n)                                                  \
    t_report(memcmp((p), (q), (n)) == 0, __FILE__, __LINE__,                \
             "memcmp(" #p ", " #q ")", NULL)

#define CHECK_STR(s, lit)                                                   \
    t_report((s).len == strlen(lit) && memcmp((s).p, (lit), (s).len) == 0,  \
             __FILE__, __LINE__, #s " == " #lit, NULL)

/* Each test file defines a suite function that calls its tests. */
#define RUN(fn)                                                             \
    do {                                                                    \
        t_current = #fn;                                                    \
        fn();                                                               \
    } while (0)

void suite_buf(void);
void suite_frame(void);
void suite_types(void);
void suite_messages(void);
void suite_lz4(void);
void suite_murmur3(void);
void suite_streams(void);

#endif /* CQL_TESTING_H */

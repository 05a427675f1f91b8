/*
 * collector.h - a cql_value_cb implementation that renders decoded values as
 * text, for assertions in the unit tests and as the sink of the fuzzers.
 */
#ifndef CQL_COLLECTOR_H
#define CQL_COLLECTOR_H

#include "cql/types.h"

#define COLLECTOR_DEPTH 80

typedef struct collector {
    char out[8192];
    size_t len;
    int truncated;
    int depth;
    unsigned char first[COLLECTOR_DEPTH]; /* no separator needed yet */
    long values;                          /* values reported */
    long stop_after;                      /* >0: fail the Nth callback */
} collector;

void collector_init(collector *c);
/* The callback table; ud must be a collector*. */
extern const cql_value_cb collector_cb;

#endif /* CQL_COLLECTOR_H */

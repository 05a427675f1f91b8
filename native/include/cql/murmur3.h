/*
 * cql/murmur3.h - Cassandra's Murmur3Partitioner token and routing keys.
 */
#ifndef CQL_MURMUR3_H
#define CQL_MURMUR3_H

#include "cql/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MurmurHash3 x64_128 exactly as Cassandra computes it (seed 0, tail bytes
 * sign-extended), returning the first 64-bit half as the token, with
 * INT64_MIN mapped to INT64_MAX as Murmur3Partitioner does. */
int64_t cql_murmur3_token(const uint8_t *key, size_t n);

/* Both 64-bit halves of the hash (h[0] is the unnormalised token). */
void cql_murmur3_x64_128(const uint8_t *key, size_t n, int64_t h[2]);

/* Routing key of a partition key made of n components (values in pk order).
 * One component: its bytes as they are. Several: for each component a
 * [short] length, the bytes and a 0 byte (Cassandra's CompositeType). */
int cql_routing_key(const cql_bytes *parts, size_t n, cql_writer *out, cql_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CQL_MURMUR3_H */

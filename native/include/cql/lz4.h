/*
 * cql/lz4.h - LZ4 body compression as CQL v4 frames carry it: a 4-byte
 * big-endian uncompressed length followed by one raw LZ4 block.
 */
#ifndef CQL_LZ4_H
#define CQL_LZ4_H

#include "cql/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Append [be32 uncompressed length][LZ4 block] of src to out. */
int cql_lz4_compress(const uint8_t *src, size_t n, cql_writer *out, cql_error *err);

/* Append the decompressed body to out. The declared length must be at most
 * max_out (0 means CQL_MAX_BODY_LENGTH) and plausible for the input size
 * (LZ4 cannot expand more than ~255x), and must match what LZ4 produced. */
int cql_lz4_decompress(const uint8_t *src, size_t n, size_t max_out,
                       cql_writer *out, cql_error *err);

/* Compress, in place, the body of the finished frame starting at offset off
 * in w (header patched: compression flag set, new length). */
int cql_lz4_compress_frame(cql_writer *w, size_t off, cql_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CQL_LZ4_H */

/*
 * lz4.c - LZ4 block compression of frame bodies (liblz4).
 */
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "cql/frame.h"
#include "cql/lz4.h"

/* LZ4 block format: each sequence of at most 255 literal/match bytes needs
 * at least one input byte, so output can't exceed ~255x the input. */
#define LZ4_MAX_RATIO 255u

int cql_lz4_compress(const uint8_t *src, size_t n, cql_writer *out, cql_error *err)
{
    if (out->err != CQL_OK)
        return cql_wr_status(out, err);
    if (n > (size_t)LZ4_MAX_INPUT_SIZE || n > CQL_MAX_BODY_LENGTH)
        return cql_fail(err, CQL_ELIMIT, "body too large to compress");
    int bound = LZ4_compressBound((int)n);
    size_t start = out->len;
    uint8_t *d = cql_wr_reserve(out, 4 + (size_t)bound);
    if (!d)
        return cql_wr_status(out, err);
    cql_store_be32(d, (uint32_t)n);
    int m = n ? LZ4_compress_default((const char *)src, (char *)d + 4, (int)n, bound) : 0;
    if (n && m <= 0) {
        out->len = start;
        return cql_fail(err, CQL_ECOMPRESS, "LZ4 compression failed");
    }
    out->len = start + 4 + (size_t)m;
    return CQL_OK;
}

int cql_lz4_decompress(const uint8_t *src, size_t n, size_t max_out,
                       cql_writer *out, cql_error *err)
{
    if (out->err != CQL_OK)
        return cql_wr_status(out, err);
    if (max_out == 0 || max_out > CQL_MAX_BODY_LENGTH)
        max_out = CQL_MAX_BODY_LENGTH;
    if (n < 4)
        return cql_fail(err, CQL_ETRUNC, "compressed body shorter than its length prefix");
    uint32_t declared = cql_load_be32(src);
    size_t clen = n - 4;
    if (declared > max_out)
        return cql_fail(err, CQL_ELIMIT, "declared uncompressed length over limit");
    if (declared > (uint64_t)clen * LZ4_MAX_RATIO + 16)
        return cql_fail(err, CQL_ELIMIT, "declared uncompressed length implausible for input");
    if (clen > (size_t)LZ4_MAX_INPUT_SIZE)
        return cql_fail(err, CQL_ELIMIT, "compressed body too large");
    if (declared == 0) {
        /* liblz4 encodes an empty block as a single 0 byte. */
        if (clen > 1 || (clen == 1 && src[4] != 0))
            return cql_fail(err, CQL_ECOMPRESS, "data after empty LZ4 block");
        return CQL_OK;
    }
    size_t start = out->len;
    uint8_t *d = cql_wr_reserve(out, declared);
    if (!d)
        return cql_wr_status(out, err);
    int m = LZ4_decompress_safe((const char *)src + 4, (char *)d, (int)clen, (int)declared);
    if (m < 0 || (uint32_t)m != declared) {
        out->len = start;
        return cql_fail(err, CQL_ECOMPRESS, m < 0 ? "corrupt LZ4 block"
                                                  : "LZ4 block shorter than declared length");
    }
    return CQL_OK;
}

int cql_lz4_compress_frame(cql_writer *w, size_t off, cql_error *err)
{
    if (w->err != CQL_OK)
        return cql_wr_status(w, err);
    if (off > w->len || w->len - off < CQL_HEADER_SIZE)
        return cql_fail(err, CQL_EINVAL, "frame offset outside writer");
    size_t body = w->len - off - CQL_HEADER_SIZE;
    /* Compress into a scratch writer, then copy back over the body. */
    cql_writer tmp;
    cql_wr_init(&tmp);
    int rc = cql_lz4_compress(w->data + off + CQL_HEADER_SIZE, body, &tmp, err);
    if (rc == CQL_OK) {
        w->len = off + CQL_HEADER_SIZE;
        cql_wr_raw(w, tmp.data, tmp.len);
        rc = cql_wr_status(w, err);
        if (rc == CQL_OK) {
            w->data[off + 1] |= CQL_FLAG_COMPRESSION;
            cql_store_be32(w->data + off + 5, (uint32_t)tmp.len);
        }
    }
    cql_wr_free(&tmp);
    return rc;
}

/*
 * murmur3.c - Murmur3Partitioner tokens.
 *
 * Cassandra hashes with MurmurHash3_x64_128, but reads the 1..15 tail bytes
 * as signed Java bytes, so bytes >= 0x80 are sign-extended before being
 * shifted into place. Keys whose length is a multiple of 16 hash as the
 * reference algorithm; others differ whenever a tail byte is >= 0x80.
 * All arithmetic is on uint64_t so wrap-around is defined.
 */
#include "cql/murmur3.h"

#define C1 0x87c37b91114253d5ULL
#define C2 0x4cf5ad432745937fULL

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

/* Little-endian 64-bit block. */
static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* A tail byte the way Java's (long) key.get(i) sees it. */
static inline uint64_t sbyte(uint8_t b)
{
    return (uint64_t)(int64_t)(int8_t)b;
}

void cql_murmur3_x64_128(const uint8_t *key, size_t n, int64_t out[2])
{
    uint64_t h1 = 0, h2 = 0; /* seed 0 */
    size_t nblocks = n / 16;

    for (size_t i = 0; i < nblocks; i++) {
        uint64_t k1 = load_le64(key + 16 * i);
        uint64_t k2 = load_le64(key + 16 * i + 8);

        k1 *= C1; k1 = rotl64(k1, 31); k1 *= C2; h1 ^= k1;
        h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
        k2 *= C2; k2 = rotl64(k2, 33); k2 *= C1; h2 ^= k2;
        h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
    }

    const uint8_t *tail = key + 16 * nblocks;
    uint64_t k1 = 0, k2 = 0;
    switch (n & 15) {
    case 15: k2 ^= sbyte(tail[14]) << 48; /* fall through */
    case 14: k2 ^= sbyte(tail[13]) << 40; /* fall through */
    case 13: k2 ^= sbyte(tail[12]) << 32; /* fall through */
    case 12: k2 ^= sbyte(tail[11]) << 24; /* fall through */
    case 11: k2 ^= sbyte(tail[10]) << 16; /* fall through */
    case 10: k2 ^= sbyte(tail[9]) << 8;   /* fall through */
    case 9:
        k2 ^= sbyte(tail[8]);
        k2 *= C2; k2 = rotl64(k2, 33); k2 *= C1; h2 ^= k2;
        /* fall through */
    case 8: k1 ^= sbyte(tail[7]) << 56; /* fall through */
    case 7: k1 ^= sbyte(tail[6]) << 48; /* fall through */
    case 6: k1 ^= sbyte(tail[5]) << 40; /* fall through */
    case 5: k1 ^= sbyte(tail[4]) << 32; /* fall through */
    case 4: k1 ^= sbyte(tail[3]) << 24; /* fall through */
    case 3: k1 ^= sbyte(tail[2]) << 16; /* fall through */
    case 2: k1 ^= sbyte(tail[1]) << 8;  /* fall through */
    case 1:
        k1 ^= sbyte(tail[0]);
        k1 *= C1; k1 = rotl64(k1, 31); k1 *= C2; h1 ^= k1;
        break;
    default:
        break;
    }

    h1 ^= (uint64_t)n;
    h2 ^= (uint64_t)n;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    out[0] = (int64_t)h1;
    out[1] = (int64_t)h2;
}

int64_t cql_murmur3_token(const uint8_t *key, size_t n)
{
    int64_t h[2];
    cql_murmur3_x64_128(key, n, h);
    /* INT64_MIN is reserved as the ring's minimum token. */
    return h[0] == INT64_MIN ? INT64_MAX : h[0];
}

int cql_routing_key(const cql_bytes *parts, size_t n, cql_writer *out, cql_error *err)
{
    if (out->err != CQL_OK)
        return cql_wr_status(out, err);
    size_t saved = out->len;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len < 0)
            return cql_fail(err, CQL_EINVAL, "partition key component is null");
        if (n > 1 && parts[i].len > UINT16_MAX)
            return cql_fail(err, CQL_ELIMIT, "composite key component over 65535 bytes");
    }
    if (n == 1) {
        cql_wr_raw(out, parts[0].p, (size_t)parts[0].len);
    } else {
        for (size_t i = 0; i < n; i++) {
            cql_wr_u16(out, (uint16_t)parts[i].len);
            cql_wr_raw(out, parts[i].p, (size_t)parts[i].len);
            cql_wr_u8(out, 0);
        }
    }
    int rc = cql_wr_status(out, err);
    if (rc != CQL_OK) {
        out->len = saved;
        out->err = CQL_OK;
        out->errmsg = NULL;
    }
    return rc;
}

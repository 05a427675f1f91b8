/*
 * test_murmur3.c - Murmur3Partitioner tokens and routing keys.
 *
 * Expected tokens were computed with an independent arbitrary-precision
 * implementation of Cassandra's MurmurHash.hash3_x64_128 (seed 0, signed
 * tail bytes, token = first half, Long.MIN_VALUE -> Long.MAX_VALUE); the same
 * reference lives in tests/unit/native/test_native_core.py. The int key 1
 * giving -4069959284402364209 matches what Cassandra reports for
 * SELECT token(k) with k int = 1.
 */
#include "cql/murmur3.h"
#include "testing.h"

static size_t unhex(const char *hex, uint8_t *buf)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        buf[n++] = (uint8_t)v;
    }
    return n;
}

static void test_vectors(void)
{
    static const struct {
        const char *hex;
        int64_t token;
    } vec[] = {
        {"", 0},
        {"61", -8839064797231613815LL},
        {"313233", -7468325962851647638LL},
        {"00000001", -4069959284402364209LL},
        {"0000000000000001", 6292367497774912474LL},
        {"fefefefefefefefe", -8927430733708461935LL},
        {"1010101010101010", 1446172840243228796LL},
        {"00ff10fa9900ff10fa9900ff10fa9900ff10fa9900ff10fa99"
         "00ff10fa9900ff10fa9900ff10fa9900ff10fa9900ff10fa99", 5837342703291459765LL},
        {"68656c6c6f20776f726c64", 5998619086395760910LL},
        {"000102030405060708090a0b0c0d0e0f", 4920504430128807728LL},
        {"000102030405060708090a0b0c0d0e0f10", 6662781046685680142LL},
        {"80", -5284281814142962636LL},
        {"ffffffffffffffffffffffffffffff", -2195530867418009455LL},
        {"0004000000010000047465787400", 183103296206488266LL},
    };
    uint8_t buf[256];
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        size_t n = unhex(vec[i].hex, buf);
        CHECK_EQ(cql_murmur3_token(buf, n), vec[i].token);
    }
    /* 256 bytes 00..ff: many full blocks plus no tail. */
    for (int i = 0; i < 256; i++)
        buf[i] = (uint8_t)i;
    CHECK_EQ(cql_murmur3_token(buf, 256), 2060892794568774329LL);
    int64_t h[2];
    cql_murmur3_x64_128(buf, 3, h);
    CHECK_EQ(h[0], cql_murmur3_token(buf, 3));
}

static void test_routing_key(void)
{
    cql_writer w;
    cql_wr_init(&w);
    cql_bytes one[1] = {{(const uint8_t *)"\x00\x00\x00\x01", 4}};
    CHECK_EQ(cql_routing_key(one, 1, &w, NULL), CQL_OK);
    CHECK_EQ(w.len, 4);
    CHECK_EQ(cql_murmur3_token(w.data, w.len), -4069959284402364209LL);

    /* (int 1, text 'text') -> [0004 00000001 00][0004 'text' 00] */
    cql_wr_reset(&w);
    cql_bytes two[2] = {{(const uint8_t *)"\x00\x00\x00\x01", 4}, {(const uint8_t *)"text", 4}};
    CHECK_EQ(cql_routing_key(two, 2, &w, NULL), CQL_OK);
    const uint8_t want[] = {0, 4, 0, 0, 0, 1, 0, 0, 4, 't', 'e', 'x', 't', 0};
    CHECK_EQ(w.len, sizeof want);
    CHECK_MEM(w.data, want, sizeof want);
    CHECK_EQ(cql_murmur3_token(w.data, w.len), 183103296206488266LL);

    cql_wr_reset(&w);
    cql_bytes nul[2] = {{NULL, -1}, {(const uint8_t *)"x", 1}};
    CHECK_EQ(cql_routing_key(nul, 2, &w, NULL), CQL_EINVAL);
    CHECK_EQ(w.len, 0);
    static uint8_t big[70000];
    cql_bytes huge[2] = {{big, (int32_t)sizeof big}, {big, 1}};
    CHECK_EQ(cql_routing_key(huge, 2, &w, NULL), CQL_ELIMIT);
    CHECK_EQ(cql_routing_key(huge, 1, &w, NULL), CQL_OK); /* single: no length prefix */
    CHECK_EQ(w.len, sizeof big);
    cql_wr_free(&w);
}

void suite_murmur3(void)
{
    RUN(test_vectors);
    RUN(test_routing_key);
}

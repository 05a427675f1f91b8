/*
 * test_streams.c - stream-id slot table.
 */
#include "cql/streams.h"
#include "testing.h"

static void test_acquire_release(void)
{
    cql_streams s;
    CHECK_EQ(cql_streams_init(&s, 0, NULL), CQL_ELIMIT);
    CHECK_EQ(cql_streams_init(&s, 32769, NULL), CQL_ELIMIT);
    CHECK_EQ(cql_streams_init(&s, 4, NULL), CQL_OK);
    int a = 1, b = 2;
    int16_t id0, id1, id;
    uint32_t g0, g1, g;
    CHECK_EQ(cql_streams_acquire(&s, &a, &id0, &g0), CQL_OK);
    CHECK_EQ(id0, 0);
    CHECK_EQ(cql_streams_acquire(&s, &b, &id1, &g1), CQL_OK);
    CHECK_EQ(id1, 1);
    CHECK(cql_streams_lookup(&s, id0, g0) == &a);
    CHECK(cql_streams_lookup(&s, id0, g0 + 1) == NULL);
    CHECK(cql_streams_lookup(&s, -1, g0) == NULL);
    CHECK(cql_streams_lookup(&s, 4, g0) == NULL);
    CHECK_EQ(s.in_use, 2);

    /* LIFO: the id released last is handed out next, with a new generation. */
    CHECK_EQ(cql_streams_release(&s, id1, g1), CQL_OK);
    CHECK_EQ(cql_streams_release(&s, id1, g1), CQL_ESTALE);
    CHECK_EQ(cql_streams_acquire(&s, &b, &id, &g), CQL_OK);
    CHECK_EQ(id, id1);
    CHECK(g != g1);
    CHECK(cql_streams_lookup(&s, id, g1) == NULL);

    /* Fill up. */
    CHECK_EQ(cql_streams_acquire(&s, &a, &id, &g), CQL_OK);
    CHECK_EQ(cql_streams_acquire(&s, &a, &id, &g), CQL_OK);
    CHECK_EQ(cql_streams_acquire(&s, &a, &id, &g), CQL_EFULL);
    CHECK_EQ(s.in_use, 4);
    cql_streams_free(&s);
}

static void test_complete_and_orphans(void)
{
    cql_streams s;
    CHECK_EQ(cql_streams_init(&s, 2, NULL), CQL_OK);
    int a = 1, b = 2;
    void *data;
    int16_t ia, ib, id;
    uint32_t ga, gb, g;
    cql_streams_acquire(&s, &a, &ia, &ga);
    cql_streams_acquire(&s, &b, &ib, &gb);

    /* Normal reply. */
    CHECK_EQ(cql_streams_complete(&s, ia, &data), CQL_STREAM_IN_USE);
    CHECK(data == &a);
    /* A duplicate or unknown reply is recognised. */
    CHECK_EQ(cql_streams_complete(&s, ia, &data), CQL_STREAM_FREE);
    CHECK(data == NULL);
    CHECK_EQ(cql_streams_complete(&s, -1, &data), CQL_STREAM_FREE);
    CHECK_EQ(cql_streams_complete(&s, 1000, &data), CQL_STREAM_FREE);

    /* Timeout: b is orphaned, its id stays reserved. */
    CHECK_EQ(cql_streams_orphan(&s, ib, gb, &data), CQL_OK);
    CHECK(data == &b);
    CHECK_EQ(s.orphaned, 1);
    CHECK_EQ(s.in_use, 0);
    CHECK(cql_streams_lookup(&s, ib, gb) == NULL);
    CHECK_EQ(cql_streams_orphan(&s, ib, gb, &data), CQL_ESTALE);  /* twice */
    CHECK_EQ(cql_streams_release(&s, ib, gb), CQL_ESTALE);
    /* Only one id is free now, and it is not ib. */
    CHECK_EQ(cql_streams_acquire(&s, &a, &id, &g), CQL_OK);
    CHECK(id != ib);
    CHECK_EQ(cql_streams_acquire(&s, &a, &id, &g), CQL_EFULL);

    /* The late reply for ib is discarded and frees the id. */
    CHECK_EQ(cql_streams_complete(&s, ib, &data), CQL_STREAM_ORPHANED);
    CHECK(data == NULL);
    CHECK_EQ(s.orphaned, 0);
    int16_t id2;
    uint32_t g2;
    CHECK_EQ(cql_streams_acquire(&s, &b, &id2, &g2), CQL_OK);
    CHECK_EQ(id2, ib);
    /* A stale timer for the old request on the reused id does nothing. */
    CHECK_EQ(cql_streams_orphan(&s, ib, gb, &data), CQL_ESTALE);
    CHECK(cql_streams_lookup(&s, id2, g2) == &b);
    cql_streams_free(&s);
}

static void test_full_range(void)
{
    cql_streams s;
    CHECK_EQ(cql_streams_init(&s, CQL_MAX_STREAMS, NULL), CQL_OK);
    int16_t id;
    uint32_t g;
    long bad = 0;
    for (int i = 0; i < CQL_MAX_STREAMS; i++)
        if (cql_streams_acquire(&s, NULL, &id, &g) != CQL_OK || id != i)
            bad++;
    CHECK_EQ(bad, 0);
    CHECK_EQ(cql_streams_acquire(&s, NULL, &id, &g), CQL_EFULL);
    void *data;
    CHECK_EQ(cql_streams_complete(&s, 32767, &data), CQL_STREAM_IN_USE);
    CHECK_EQ(cql_streams_acquire(&s, NULL, &id, &g), CQL_OK);
    CHECK_EQ(id, 32767);
    cql_streams_free(&s);
}

void suite_streams(void)
{
    RUN(test_acquire_release);
    RUN(test_complete_and_orphans);
    RUN(test_full_range);
}

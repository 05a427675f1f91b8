/*
 * cql/streams.h - stream-id slot table of one connection.
 *
 * A flat array indexed by stream id, with a LIFO free list (the most recently
 * released id is reused first: its slot is cache-warm). Each slot carries a
 * generation counter bumped whenever its id changes owner, so a handle
 * {id, gen} held by a timer or future is recognised as stale once the slot
 * has moved on.
 *
 * Timeouts: a request that times out is *orphaned*, not freed. Its id stays
 * reserved until the server's late reply arrives, because v4 stream ids are
 * only 15 bits and a reused id would route that late reply to the wrong
 * request. complete() then frees the slot and reports CQL_STREAM_ORPHANED so
 * the reply is discarded.
 */
#ifndef CQL_STREAMS_H
#define CQL_STREAMS_H

#include "cql/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CQL_MAX_STREAMS 32768 /* ids 0..32767; negative ids are the server's */

enum cql_stream_state {
    CQL_STREAM_FREE = 0,
    CQL_STREAM_IN_USE = 1,
    CQL_STREAM_ORPHANED = 2
};

typedef struct cql_stream_slot {
    void *data;    /* caller's request context */
    uint32_t gen;  /* bumped on acquire and on orphan */
    uint8_t state; /* enum cql_stream_state */
} cql_stream_slot;

typedef struct cql_streams {
    cql_stream_slot *slots;
    int16_t *free_ids; /* LIFO stack of free ids */
    uint32_t capacity;
    uint32_t nfree;
    uint32_t in_use;
    uint32_t orphaned;
} cql_streams;

/* capacity: 1..CQL_MAX_STREAMS ids (0..capacity-1). */
int cql_streams_init(cql_streams *s, uint32_t capacity, cql_error *err);
void cql_streams_free(cql_streams *s);

/* Take a free id for a new request. CQL_EFULL when all are in use or orphaned. */
int cql_streams_acquire(cql_streams *s, void *data, int16_t *id, uint32_t *gen);

/* A reply arrived for id. Returns CQL_STREAM_IN_USE with *data set (slot
 * freed), CQL_STREAM_ORPHANED (slot freed, discard the reply) or
 * CQL_STREAM_FREE (no request has this id: discard). */
int cql_streams_complete(cql_streams *s, int16_t id, void **data);

/* The request {id, gen} timed out or was cancelled: keep the id reserved
 * until its reply comes. Returns CQL_OK and the request's data, or
 * CQL_ESTALE if the handle is not current. */
int cql_streams_orphan(cql_streams *s, int16_t id, uint32_t gen, void **data);

/* Give back an id whose request was never sent (e.g. encoding failed). */
int cql_streams_release(cql_streams *s, int16_t id, uint32_t gen);

/* Data of a live request, or NULL if {id, gen} is not current. */
void *cql_streams_lookup(const cql_streams *s, int16_t id, uint32_t gen);

#ifdef __cplusplus
}
#endif
#endif /* CQL_STREAMS_H */

/*
 * streams.c - stream-id slot table.
 */
#include <stdlib.h>

#include "cql/streams.h"

int cql_streams_init(cql_streams *s, uint32_t capacity, cql_error *err)
{
    s->slots = NULL;
    s->free_ids = NULL;
    s->capacity = s->nfree = s->in_use = s->orphaned = 0;
    if (capacity == 0 || capacity > CQL_MAX_STREAMS)
        return cql_fail(err, CQL_ELIMIT, "stream capacity must be 1..32768");
    s->slots = (cql_stream_slot *)calloc(capacity, sizeof(cql_stream_slot));
    s->free_ids = (int16_t *)malloc(capacity * sizeof(int16_t));
    if (!s->slots || !s->free_ids) {
        cql_streams_free(s);
        return cql_fail(err, CQL_ENOMEM, "out of memory for stream table");
    }
    /* Push in reverse so id 0 is handed out first. */
    for (uint32_t i = 0; i < capacity; i++)
        s->free_ids[i] = (int16_t)(capacity - 1 - i);
    s->capacity = capacity;
    s->nfree = capacity;
    return CQL_OK;
}

void cql_streams_free(cql_streams *s)
{
    free(s->slots);
    free(s->free_ids);
    s->slots = NULL;
    s->free_ids = NULL;
    s->capacity = s->nfree = s->in_use = s->orphaned = 0;
}

static cql_stream_slot *slot_at(const cql_streams *s, int16_t id)
{
    if (id < 0 || (uint32_t)id >= s->capacity)
        return NULL;
    return &s->slots[id];
}

static void push_free(cql_streams *s, int16_t id, cql_stream_slot *sl)
{
    sl->state = CQL_STREAM_FREE;
    sl->data = NULL;
    s->free_ids[s->nfree++] = id;
}

int cql_streams_acquire(cql_streams *s, void *data, int16_t *id, uint32_t *gen)
{
    if (s->nfree == 0)
        return CQL_EFULL;
    int16_t i = s->free_ids[--s->nfree];
    cql_stream_slot *sl = &s->slots[i];
    sl->state = CQL_STREAM_IN_USE;
    sl->data = data;
    sl->gen++;
    s->in_use++;
    *id = i;
    *gen = sl->gen;
    return CQL_OK;
}

int cql_streams_complete(cql_streams *s, int16_t id, void **data)
{
    cql_stream_slot *sl = slot_at(s, id);
    *data = NULL;
    if (!sl || sl->state == CQL_STREAM_FREE)
        return CQL_STREAM_FREE;
    int state = sl->state;
    if (state == CQL_STREAM_IN_USE) {
        *data = sl->data;
        s->in_use--;
    } else {
        s->orphaned--;
    }
    push_free(s, id, sl);
    return state;
}

int cql_streams_orphan(cql_streams *s, int16_t id, uint32_t gen, void **data)
{
    cql_stream_slot *sl = slot_at(s, id);
    if (!sl || sl->state != CQL_STREAM_IN_USE || sl->gen != gen)
        return CQL_ESTALE;
    if (data)
        *data = sl->data;
    sl->state = CQL_STREAM_ORPHANED;
    sl->data = NULL;
    sl->gen++; /* the old handle is dead from now on */
    s->in_use--;
    s->orphaned++;
    return CQL_OK;
}

int cql_streams_release(cql_streams *s, int16_t id, uint32_t gen)
{
    cql_stream_slot *sl = slot_at(s, id);
    if (!sl || sl->state != CQL_STREAM_IN_USE || sl->gen != gen)
        return CQL_ESTALE;
    s->in_use--;
    push_free(s, id, sl);
    return CQL_OK;
}

void *cql_streams_lookup(const cql_streams *s, int16_t id, uint32_t gen)
{
    cql_stream_slot *sl = slot_at(s, id);
    if (!sl || sl->state != CQL_STREAM_IN_USE || sl->gen != gen)
        return NULL;
    return sl->data;
}

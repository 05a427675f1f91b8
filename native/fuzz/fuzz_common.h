/*
 * fuzz_common.h - shared helpers of the libFuzzer targets.
 *
 * Every target feeds network bytes to one decoder and walks whatever it
 * returns (iterators, row values) so that lazily-validated parts get
 * exercised too. Decoding errors are expected; crashes, leaks, UB and
 * timeouts are what the sanitizers catch.
 */
#ifndef CQL_FUZZ_COMMON_H
#define CQL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collector.h"
#include "cql/cql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every byte of a borrowed string so ASan checks its bounds. */
static inline unsigned fuzz_touch(const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += b[i];
    return acc;
}

static inline void fuzz_walk_string_list(cql_string_list l)
{
    cql_str s;
    while (cql_string_list_next(&l, &s))
        (void)fuzz_touch(s.p, s.len);
}

static inline void fuzz_walk_metadata(const cql_metadata *m)
{
    if (m->paging_state)
        (void)fuzz_touch(m->paging_state, m->paging_state_len);
    if (!m->columns)
        return;
    for (int32_t i = 0; i < m->column_count; i++)
        (void)fuzz_touch(m->columns[i].name.p, m->columns[i].name.len);
}

/* Decode a RESULT body and everything in it. */
static inline void fuzz_result_body(const uint8_t *p, size_t n)
{
    cql_reader r = cql_reader_make(p, n);
    cql_result res;
    cql_result_init(&res);
    if (cql_decode_result(&r, &res, NULL) == CQL_OK) {
        fuzz_walk_metadata(&res.metadata);
        if (res.kind == CQL_RESULT_ROWS && res.metadata.columns) {
            collector c;
            collector_init(&c);
            (void)cql_decode_rows(&res, NULL, &collector_cb, &c, NULL);
        }
        if (res.kind == CQL_RESULT_PREPARED) {
            fuzz_walk_metadata(&res.result_metadata);
            (void)fuzz_touch(res.prepared_id.p, (size_t)res.prepared_id.len);
        }
        if (res.kind == CQL_RESULT_SCHEMA_CHANGE)
            fuzz_walk_string_list(res.schema_change.arg_types);
    }
    cql_result_free(&res);
}

static inline void fuzz_error_body(const uint8_t *p, size_t n, int version)
{
    cql_reader r = cql_reader_make(p, n);
    cql_server_error e;
    if (cql_decode_error(&r, version, &e, NULL) == CQL_OK) {
        const uint8_t *addr;
        uint8_t alen;
        uint16_t code;
        (void)fuzz_touch(e.message.p, e.message.len);
        while (cql_reason_map_next(&e, &addr, &alen, &code))
            (void)fuzz_touch(addr, alen);
        fuzz_walk_string_list(e.arg_types);
        if (e.unprepared_id.len > 0)
            (void)fuzz_touch(e.unprepared_id.p, (size_t)e.unprepared_id.len);
    }
}

static inline void fuzz_event_body(const uint8_t *p, size_t n)
{
    cql_reader r = cql_reader_make(p, n);
    cql_event ev;
    if (cql_decode_event(&r, &ev, NULL) == CQL_OK) {
        if (ev.addr)
            (void)fuzz_touch(ev.addr, ev.addr_len);
        fuzz_walk_string_list(ev.schema.arg_types);
    }
}

static inline void fuzz_supported_body(const uint8_t *p, size_t n)
{
    cql_reader r = cql_reader_make(p, n);
    cql_map_iter m;
    if (cql_decode_supported(&r, &m, NULL) == CQL_OK) {
        cql_string_list l;
        cql_str k;
        (void)cql_string_multimap_find(&m, "COMPRESSION", &l);
        while (cql_string_multimap_next(&m, &k, &l)) {
            (void)fuzz_touch(k.p, k.len);
            fuzz_walk_string_list(l);
        }
    }
}

#endif /* CQL_FUZZ_COMMON_H */

/*
 * collector.c - renders decoded values as text.
 *
 * Format: null, empty, true/false, integers, doubles (%.9g), 'text',
 * 0xHEX (blob/custom), uuid:HEX, varint:0xHEX, dec:SCALE:0xHEX,
 * inet:HEX, date:D, time:NS, ts:MS, dur:M:D:NS, name[e1,e2,...] for
 * collections, and (v1,v2) per row.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"

void collector_init(collector *c)
{
    memset(c, 0, sizeof(*c));
    c->first[0] = 1;
}

static void put(collector *c, const char *fmt, ...)
{
    va_list ap;
    size_t room = sizeof(c->out) - c->len;
    if (c->truncated || room <= 1) {
        c->truncated = 1;
        return;
    }
    va_start(ap, fmt);
    int n = vsnprintf(c->out + c->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        c->truncated = 1;
        c->len = sizeof(c->out) - 1;
    } else {
        c->len += (size_t)n;
    }
}

static void put_hex(collector *c, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(c, "%02x", p[i]);
}

/* Separator handling, then the stop_after hook used to test aborts. */
static int item(collector *c)
{
    if (c->depth < COLLECTOR_DEPTH) {
        if (!c->first[c->depth])
            put(c, ",");
        c->first[c->depth] = 0;
    }
    c->values++;
    return c->stop_after > 0 && c->values >= c->stop_after;
}

static int on_null(void *ud, const cql_type *t)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "null");
    return stop;
}

static int on_empty(void *ud, const cql_type *t)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "empty");
    return stop;
}

static int on_bool(void *ud, const cql_type *t, int v)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, v ? "true" : "false");
    return stop;
}

static int on_int64(void *ud, const cql_type *t, int64_t v)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "%lld", (long long)v);
    return stop;
}

static int on_double(void *ud, const cql_type *t, double v)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "%.9g", v);
    return stop;
}

static int on_text(void *ud, const cql_type *t, const char *s, size_t n)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "'%.*s'", (int)(n > 200 ? 200 : n), s);
    return stop;
}

static int on_bytes(void *ud, const cql_type *t, const uint8_t *p, size_t n)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "0x");
    put_hex(c, p, n > 64 ? 64 : n);
    return stop;
}

static int on_uuid(void *ud, const cql_type *t, const uint8_t *u)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "uuid:");
    put_hex(c, u, 16);
    return stop;
}

static int on_varint(void *ud, const cql_type *t, const uint8_t *p, size_t n)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "varint:0x");
    put_hex(c, p, n > 64 ? 64 : n);
    return stop;
}

static int on_decimal(void *ud, const cql_type *t, int32_t scale, const uint8_t *p, size_t n)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "dec:%d:0x", (int)scale);
    put_hex(c, p, n > 64 ? 64 : n);
    return stop;
}

static int on_inet(void *ud, const cql_type *t, const uint8_t *a, size_t n)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "inet:");
    put_hex(c, a, n);
    return stop;
}

static int on_date(void *ud, const cql_type *t, int64_t d)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "date:%lld", (long long)d);
    return stop;
}

static int on_time(void *ud, const cql_type *t, int64_t ns)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "time:%lld", (long long)ns);
    return stop;
}

static int on_timestamp(void *ud, const cql_type *t, int64_t ms)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "ts:%lld", (long long)ms);
    return stop;
}

static int on_duration(void *ud, const cql_type *t, const cql_duration *d)
{
    (void)t;
    collector *c = ud;
    int stop = item(c);
    put(c, "dur:%d:%d:%lld", (int)d->months, (int)d->days, (long long)d->nanoseconds);
    return stop;
}

static int begin_collection(void *ud, const cql_type *t, int32_t n)
{
    (void)n;
    collector *c = ud;
    int stop = item(c);
    put(c, "%s[", cql_type_name(t->id));
    c->depth++;
    if (c->depth < COLLECTOR_DEPTH)
        c->first[c->depth] = 1;
    return stop;
}

static int end_collection(void *ud, const cql_type *t)
{
    (void)t;
    collector *c = ud;
    c->depth--;
    put(c, "]");
    return 0;
}

static int begin_row(void *ud, int32_t row)
{
    (void)row;
    collector *c = ud;
    put(c, "(");
    c->depth++;
    if (c->depth < COLLECTOR_DEPTH)
        c->first[c->depth] = 1;
    return 0;
}

static int end_row(void *ud, int32_t row)
{
    (void)row;
    collector *c = ud;
    c->depth--;
    put(c, ")");
    return 0;
}

const cql_value_cb collector_cb = {
    on_null, on_empty, on_bool, on_int64, on_double, on_text, on_bytes,
    on_uuid, on_varint, on_decimal, on_inet, on_date, on_time, on_timestamp,
    on_duration, begin_collection, end_collection, begin_row, end_row,
    0, /* the walker checks UTF-8 */
};

/* Every scalar decoder, vints, text validation and element iteration; the
 * first byte picks the decoder, the rest is the value payload. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    int b;
    int8_t i8;
    int16_t i16;
    int32_t i32, scale, count;
    int64_t i64;
    uint64_t u64;
    float f;
    double d;
    const uint8_t *ptr;
    size_t len;
    cql_duration dur;
    cql_reader r;
    cql_elem_iter it;
    cql_bytes e;

    switch (data[0] % 14) {
    case 0: (void)cql_decode_bool(p, n, &b); break;
    case 1: (void)cql_decode_tinyint(p, n, &i8); (void)cql_decode_smallint(p, n, &i16); break;
    case 2: (void)cql_decode_int(p, n, &i32); (void)cql_decode_bigint(p, n, &i64); break;
    case 3: (void)cql_decode_float(p, n, &f); (void)cql_decode_double(p, n, &d); break;
    case 4:
        if (cql_decode_varint_i64(p, n, &i64) == CQL_OK) {
            uint8_t out[8];
            int64_t back;
            size_t m = cql_encode_varint_i64(i64, out);
            if (cql_decode_varint_i64(out, m, &back) != CQL_OK || back != i64)
                __builtin_trap();
        }
        break;
    case 5:
        if (cql_decode_decimal(p, n, &scale, &ptr, &len) == CQL_OK)
            (void)fuzz_touch(ptr, len);
        break;
    case 6:
        if (cql_decode_uuid(p, n, &ptr) == CQL_OK)
            (void)fuzz_touch(ptr, 16);
        if (cql_decode_inet(p, n, &ptr, &len) == CQL_OK)
            (void)fuzz_touch(ptr, len);
        break;
    case 7: (void)cql_decode_date(p, n, &i64); (void)cql_decode_time(p, n, &i64); break;
    case 8:
        if (cql_decode_duration(p, n, &dur) == CQL_OK) {
            uint8_t out[CQL_DURATION_MAX_SIZE];
            cql_duration back;
            size_t m = cql_encode_duration(&dur, out);
            if (m == 0 || cql_decode_duration(out, m, &back) != CQL_OK ||
                back.months != dur.months || back.days != dur.days ||
                back.nanoseconds != dur.nanoseconds)
                __builtin_trap();
        }
        break;
    case 9:
        r = cql_reader_make(p, n);
        while (cql_rd_uvint(&r, &u64) == CQL_OK) {
            uint8_t out[CQL_VINT_MAX_SIZE];
            size_t m = cql_put_uvint(u64, out);
            cql_reader rr = cql_reader_make(out, m);
            uint64_t back;
            if (cql_rd_uvint(&rr, &back) != CQL_OK || back != u64)
                __builtin_trap();
        }
        break;
    case 10:
        r = cql_reader_make(p, n);
        while (cql_rd_vint(&r, &i64) == CQL_OK)
            ;
        break;
    case 11: (void)cql_utf8_valid(p, n); (void)cql_ascii_valid(p, n); break;
    case 12:
        if (cql_collection_begin(p, n, (data[0] & 0x80) ? CQL_TYPE_MAP : CQL_TYPE_LIST, &it,
                                 &count, NULL) == CQL_OK)
            while (cql_elem_next(&it, &e, NULL) == CQL_OK)
                if (e.len > 0)
                    (void)fuzz_touch(e.p, (size_t)e.len);
        break;
    default:
        cql_fields_begin(p, n, &it);
        while (cql_elem_next(&it, &e, NULL) == CQL_OK)
            if (e.len > 0)
                (void)fuzz_touch(e.p, (size_t)e.len);
        break;
    }
    return 0;
}

#!/usr/bin/env python3
"""Write the hand-built seed corpus of every fuzz target.

Each seed is a small valid input for its target (a response frame, a RESULT
body, a type description followed by a value, ...), so the fuzzers start
from the interesting parts of the format instead of from random bytes.
Frames captured from a real node can be dropped into the same folders.

Usage: python3 native/fuzz/make_seeds.py   (rewrites native/fuzz/corpus/)
"""

from __future__ import annotations

import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


# ---------------------------------------------------------------- notations


def short(n: int) -> bytes:
    return struct.pack(">H", n)


def int32(n: int) -> bytes:
    return struct.pack(">i", n)


def int64(n: int) -> bytes:
    return struct.pack(">q", n)


def string(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return short(len(b)) + b


def string_list(items: list[str]) -> bytes:
    return short(len(items)) + b"".join(string(s) for s in items)


def bytes_(b: bytes | None) -> bytes:
    return int32(-1) if b is None else int32(len(b)) + b


def short_bytes(b: bytes) -> bytes:
    return short(len(b)) + b


def inet(addr: bytes, port: int) -> bytes:
    return bytes([len(addr)]) + addr + int32(port)


def frame(opcode: int, body: bytes, stream: int = 0, flags: int = 0, version: int = 0x84) -> bytes:
    return struct.pack(">BBhBI", version, flags, stream, opcode, len(body)) + body


def uvint(v: int) -> bytes:
    extra = 0
    while extra < 8 and v >= 1 << (7 * (extra + 1)):
        extra += 1
    if extra == 8:
        return b"\xff" + struct.pack(">Q", v)
    raw = v.to_bytes(extra + 1, "big")
    return bytes([raw[0] | ((0xFF << (8 - extra)) & 0xFF)]) + raw[1:]


def vint(v: int) -> bytes:
    return uvint(((v << 1) ^ (v >> 63)) & ((1 << 64) - 1))


# ---------------------------------------------------------------- types

T_INT, T_TEXT, T_BIGINT, T_LIST, T_MAP, T_SET, T_UDT, T_TUPLE = 9, 13, 2, 32, 33, 34, 48, 49
VECTOR = "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)"


def opt(tid: int, *rest: bytes) -> bytes:
    return short(tid) + b"".join(rest)


def custom(cls: str) -> bytes:
    return short(0) + string(cls)


# ---------------------------------------------------------------- bodies


def rows_body(global_spec: bool = True, more_pages: bool = False, no_metadata: bool = False) -> bytes:
    flags = (1 if global_spec else 0) | (2 if more_pages else 0) | (4 if no_metadata else 0)
    cols = [
        ("id", opt(T_INT)),
        ("name", opt(T_TEXT)),
        ("tags", opt(T_LIST, opt(T_INT))),
        ("emb", custom(VECTOR)),
    ]
    out = int32(flags) + int32(len(cols))
    if more_pages:
        out += bytes_(b"\x00\x01\x02")
    if not no_metadata:
        if global_spec:
            out += string("ks") + string("t")
        for name, typ in cols:
            if not global_spec:
                out += string("ks") + string("t")
            out += string(name) + typ
    out += int32(2)
    out += bytes_(int32(1)) + bytes_(b"alice") + bytes_(int32(1) + bytes_(int32(5)))
    out += bytes_(struct.pack(">fff", 1.0, -2.0, 0.5))
    out += bytes_(int32(2)) + bytes_(None) + bytes_(None) + bytes_(None)
    return out


def prepared_body() -> bytes:
    out = short_bytes(b"\xab\xcd\xef")
    out += int32(1) + int32(2) + int32(1) + short(0)
    out += string("ks") + string("t") + string("id") + opt(T_INT)
    out += string("v") + opt(T_MAP, opt(T_TEXT), opt(T_BIGINT))
    out += int32(1) + int32(2) + string("ks") + string("t")
    out += string("id") + opt(T_INT) + string("name") + opt(T_TEXT)
    return out


def schema_change(target: str) -> bytes:
    out = string("CREATED") + string(target) + string("ks")
    if target in ("TABLE", "TYPE"):
        out += string("obj")
    if target in ("FUNCTION", "AGGREGATE"):
        out += string("fn") + string_list(["int", "text"])
    return out


def error_bodies() -> dict[str, bytes]:
    m = string("boom")
    return {
        "server": int32(0x0000) + m,
        "unavailable": int32(0x1000) + m + short(4) + int32(3) + int32(1),
        "write_timeout": int32(0x1100) + m + short(1) + int32(0) + int32(1) + string("SIMPLE"),
        "write_timeout_cas_v5": int32(0x1100) + m + short(1) + int32(0) + int32(1) + string("CAS") + short(2),
        "read_timeout": int32(0x1200) + m + short(1) + int32(0) + int32(1) + b"\x00",
        "read_failure_v4": int32(0x1300) + m + short(1) + int32(0) + int32(1) + int32(1) + b"\x01",
        "read_failure_v5": int32(0x1300)
        + m
        + short(1)
        + int32(0)
        + int32(1)
        + int32(1)
        + b"\x04\x0a\x00\x00\x01"
        + short(1)
        + b"\x01",
        "function_failure": int32(0x1400) + m + string("ks") + string("f") + string_list(["int"]),
        "write_failure_v4": int32(0x1500) + m + short(1) + int32(0) + int32(1) + int32(1) + string("BATCH"),
        "write_failure_v5": int32(0x1500)
        + m
        + short(1)
        + int32(0)
        + int32(1)
        + int32(1)
        + b"\x10"
        + b"\x00" * 15
        + b"\x01"
        + short(0)
        + string("BATCH"),
        "cas_unknown": int32(0x1700) + m + short(8) + int32(0) + int32(1),
        "already_exists": int32(0x2400) + m + string("ks") + string("t"),
        "unprepared": int32(0x2500) + m + short_bytes(b"\x01\x02\x03\x04"),
        "syntax": int32(0x2000) + m,
    }


def event_bodies() -> dict[str, bytes]:
    return {
        "topology": string("TOPOLOGY_CHANGE") + string("NEW_NODE") + inet(b"\x7f\x00\x00\x02", 9042),
        "status6": string("STATUS_CHANGE") + string("UP") + inet(b"\x00" * 15 + b"\x01", 9042),
        "schema_table": string("SCHEMA_CHANGE") + schema_change("TABLE"),
        "schema_function": string("SCHEMA_CHANGE") + schema_change("FUNCTION"),
    }


def supported_body() -> bytes:
    return (
        short(2)
        + string("COMPRESSION")
        + string_list(["lz4", "snappy"])
        + string("CQL_VERSION")
        + string_list(["3.4.7"])
    )


def lz4_literal_block(data: bytes) -> bytes:
    """An LZ4 block holding data as literals only (valid for any data)."""
    n = len(data)
    if n < 15:
        token = bytes([n << 4])
    else:
        rest, ext = n - 15, b""
        while rest >= 255:
            ext += b"\xff"
            rest -= 255
        token = b"\xf0" + ext + bytes([rest])
    return struct.pack(">I", n) + token + data


# ---------------------------------------------------------------- targets


def seeds() -> dict[str, dict[str, bytes]]:
    s: dict[str, dict[str, bytes]] = {}
    results = {
        "void": int32(1),
        "rows_global": int32(2) + rows_body(True),
        "rows_per_column_spec": int32(2) + rows_body(False, True),
        "rows_no_metadata": int32(2) + rows_body(True, True, True),
        "set_keyspace": int32(3) + string("ks"),
        "prepared": int32(4) + prepared_body(),
        "schema_keyspace": int32(5) + schema_change("KEYSPACE"),
        "schema_aggregate": int32(5) + schema_change("AGGREGATE"),
    }
    s["fuzz_result"] = results
    s["fuzz_rows"] = {
        "global": rows_body(True),
        "per_column": rows_body(False, True),
        "no_metadata": rows_body(True, False, True),
    }
    # layout byte (mod 4): 0 a Rows body after the kind, 1 [option] + value,
    # 2 opcode + request kind + reply body, 3 an EVENT body
    s["fuzz_python_decode"] = {"rows_" + k: b"\x00" + v for k, v in s["fuzz_rows"].items()}
    s["fuzz_prepared"] = {"prepared": prepared_body() + int32(1) + bytes_(int32(7)) + bytes_(b"bob")}
    errs = error_bodies()
    s["fuzz_error"] = {k: (b"\x01" if k.endswith("_v5") else b"\x00") + v for k, v in errs.items()}
    s["fuzz_event"] = event_bodies()
    s["fuzz_python_decode"].update(python_reply_seeds(results, errs))
    s["fuzz_python_decode"].update({"event_" + k: b"\x03" + v for k, v in s["fuzz_event"].items()})
    s["fuzz_startup_responses"] = {
        "supported": b"\x00" + supported_body(),
        "authenticate": b"\x01" + string("org.apache.cassandra.auth.PasswordAuthenticator"),
        "auth_token": b"\x02" + bytes_(b"token") + bytes_(None),
        # selector 3 | flags (tracing, warning, custom payload) << 2
        "prelude": bytes([3 | (0x0E << 2)])
        + bytes(range(16))
        + string_list(["warn"])
        + short(1)
        + string("k")
        + bytes_(b"v"),
    }
    resp = {
        "ready": frame(0x02, b""),
        "supported": frame(0x06, supported_body()),
        "authenticate": frame(0x03, string("org.apache.cassandra.auth.PasswordAuthenticator")),
        "auth_success": frame(0x10, bytes_(None)),
        "auth_challenge": frame(0x0E, bytes_(b"c")),
        "event": frame(0x0C, event_bodies()["topology"], stream=-1),
        "error": frame(0x00, errs["unavailable"]),
        "error_v5": frame(0x00, errs["read_failure_v5"], version=0x85),
        "rows": frame(0x08, results["rows_global"], stream=5),
        "rows_traced_warned": frame(
            0x08, bytes(range(16)) + string_list(["w"]) + results["void"], flags=0x0A
        ),
        "rows_lz4": frame(0x08, lz4_literal_block(results["rows_global"]), flags=0x01),
    }
    s["fuzz_response"] = resp
    s["fuzz_frame_header"] = {
        "two_frames": b"\x03" + resp["ready"] + resp["rows"],
        "header_only": resp["ready"],
    }

    vals = {
        "int": opt(T_INT) + int32(42),
        "text": opt(T_TEXT) + b"h\xc3\xa9llo",
        "list": opt(T_LIST, opt(T_INT)) + int32(2) + bytes_(int32(1)) + bytes_(None),
        "set": opt(T_SET, opt(T_TEXT)) + int32(1) + bytes_(b"a"),
        "map": opt(T_MAP, opt(T_TEXT), opt(T_LIST, opt(T_INT)))
        + int32(1)
        + bytes_(b"k")
        + bytes_(int32(1) + bytes_(int32(3))),
        "tuple": opt(T_TUPLE, short(2), opt(T_INT), opt(T_TEXT)) + bytes_(int32(1)) + bytes_(None),
        "udt": opt(
            T_UDT,
            string("ks"),
            string("addr"),
            short(2),
            string("street"),
            opt(T_TEXT),
            string("zip"),
            opt(T_INT),
        )
        + bytes_(b"main"),
        "decimal": opt(6) + int32(2) + b"\x04\xd2",
        "varint": opt(14) + b"\x00\xff" * 9,
        "uuid": opt(12) + bytes(range(16)),
        "inet6": opt(16) + b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x01",
        "date": opt(17) + struct.pack(">I", 2**31 + 19723),
        "time": opt(18) + int64(86399999999999),
        "timestamp": opt(11) + int64(1700000000000),
        "vector": custom(VECTOR) + struct.pack(">fff", 1.0, 2.0, 3.0),
        "duration": custom("org.apache.cassandra.db.marshal.DurationType") + vint(1) + vint(2) + vint(3),
    }
    s["fuzz_type_option"] = vals
    s["fuzz_python_decode"].update({"value_" + k: b"\x01" + v for k, v in vals.items()})
    s["fuzz_type_class"] = {
        "vector_float": VECTOR.encode() + b"\x00" + struct.pack(">fff", 1, 2, 3),
        "vector_text": b"VectorType(UTF8Type,2)\x00" + uvint(2) + b"hi" + uvint(1) + b"x",
        "frozen_map": b"org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db."
        b"marshal.MapType(org.apache.cassandra.db.marshal.UTF8Type,"
        b"org.apache.cassandra.db.marshal.Int32Type))\x00" + int32(1) + bytes_(b"k") + bytes_(int32(1)),
        "usertype": b"org.apache.cassandra.db.marshal.UserType(ks,61646472,"
        b"737472656574:org.apache.cassandra.db.marshal.UTF8Type)\x00" + bytes_(b"x"),
        "tuple": b"TupleType(Int32Type,BooleanType)\x00" + bytes_(int32(1)) + bytes_(b"\x01"),
        "duration": b"DurationType\x00" + vint(-1) + vint(-2) + vint(-3),
    }
    s["fuzz_scalars"] = {
        "bool": b"\x00\x01",
        "int": b"\x02" + int32(-7),
        "varint": b"\x04" + b"\x00\x80",
        "decimal": b"\x05" + int32(3) + b"\x01",
        "uuid": b"\x06" + bytes(range(16)),
        "date": b"\x07" + struct.pack(">I", 2**31),
        "duration": b"\x08" + vint(14) + vint(3) + vint(3600 * 10**9),
        "uvints": b"\x09" + uvint(0) + uvint(300) + uvint(2**40) + uvint(2**64 - 1),
        "vints": b"\x0a" + vint(-1) + vint(2**62),
        "utf8": b"\x0b" + "h\u00e9llo \u20ac \U0001f600".encode(),
        "list": b"\x0c" + int32(2) + bytes_(b"a") + bytes_(None),
        "map": b"\x8c" + int32(1) + bytes_(b"k") + bytes_(b"v"),
        "fields": b"\x0d" + bytes_(b"a") + bytes_(None),
    }
    text = b"hello hello hello hello hello hello hello hello hello"
    s["fuzz_lz4"] = {
        "literal": lz4_literal_block(text),
        "empty": struct.pack(">I", 0) + b"\x00",
        # "abcd", a 16-byte match at offset 4, then 12 closing literals.
        "match": struct.pack(">I", 32) + b"\x4cabcd\x04\x00" + b"\xc0" + b"x" * 12,
    }
    return s


# Opcodes and the extension's request kinds (native/python/conn.h) of the
# reply layout of fuzz_python_decode.
OP_ERROR, OP_AUTHENTICATE, OP_SUPPORTED, OP_RESULT, OP_AUTH_SUCCESS = 0x00, 0x03, 0x06, 0x08, 0x10
K_OPTIONS, K_STARTUP, K_AUTH, K_QUERY, K_PREPARE, K_EXECUTE = 0, 1, 2, 4, 5, 6


def python_reply_seeds(results: dict[str, bytes], errs: dict[str, bytes]) -> dict[str, bytes]:
    def reply(opcode: int, kind: int, body: bytes) -> bytes:
        return bytes([2, opcode, kind]) + body

    out = {f"reply_{k}": reply(OP_RESULT, K_QUERY, v) for k, v in results.items()}
    out.update(
        {f"reply_error_{k}": reply(OP_ERROR, K_QUERY, v) for k, v in errs.items() if not k.endswith("_v5")}
    )
    out["reply_supported"] = reply(OP_SUPPORTED, K_OPTIONS, supported_body())
    out["reply_authenticate"] = reply(
        OP_AUTHENTICATE, K_STARTUP, string("org.apache.cassandra.auth.PasswordAuthenticator")
    )
    out["reply_auth_success"] = reply(OP_AUTH_SUCCESS, K_AUTH, bytes_(b"token"))
    out["reply_prepared"] = reply(OP_RESULT, K_PREPARE, int32(4) + prepared_body())
    # skip_metadata rows of the harness's own prepared statement: id int,
    # name text, tags set<text>, at timestamp
    no_meta = int32(2) + int32(4) + int32(4) + int32(1)
    no_meta += bytes_(int32(1)) + bytes_(b"ann") + bytes_(int32(1) + bytes_(b"x")) + bytes_(int64(0))
    out["reply_execute_rows"] = reply(OP_RESULT, K_EXECUTE, no_meta)
    return out


def main() -> None:
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    count = 0
    for target, files in seeds().items():
        d = os.path.join(CORPUS, target)
        os.makedirs(d)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            count += 1
    print(f"wrote {count} seeds in {len(seeds())} folders")


if __name__ == "__main__":
    main()

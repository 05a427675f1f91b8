"""Tests of the coodie._native binding of the C protocol core."""

from __future__ import annotations

import random
import struct

import pytest

from coodie import _native

# ---------------------------------------------------------------------------
# Reference Murmur3 (Cassandra's variant), written from the algorithm
# ---------------------------------------------------------------------------

_M64 = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _M64
    k ^= k >> 33
    return k


def _java_byte(b: int) -> int:
    """A byte as Java's (long) cast of a signed byte sees it, as 64 bits."""
    return (b - 256 if b >= 128 else b) & _M64


def reference_token(key: bytes) -> int:
    """MurmurHash3_x64_128 with seed 0 and sign-extended tail bytes; first half
    as a signed token, with Long.MIN_VALUE mapped to Long.MAX_VALUE."""
    h1 = h2 = 0
    nblocks = len(key) // 16
    for i in range(nblocks):
        k1 = int.from_bytes(key[16 * i : 16 * i + 8], "little")
        k2 = int.from_bytes(key[16 * i + 8 : 16 * i + 16], "little")
        k1 = _rotl((k1 * _C1) & _M64, 31) * _C2 & _M64
        h1 ^= k1
        h1 = (_rotl(h1, 27) + h2) & _M64
        h1 = (h1 * 5 + 0x52DCE729) & _M64
        k2 = _rotl((k2 * _C2) & _M64, 33) * _C1 & _M64
        h2 ^= k2
        h2 = (_rotl(h2, 31) + h1) & _M64
        h2 = (h2 * 5 + 0x38495AB5) & _M64
    tail = key[16 * nblocks :]
    k1 = k2 = 0
    for i in range(len(tail) - 1, 7, -1):
        k2 ^= (_java_byte(tail[i]) << (8 * (i - 8))) & _M64
    if len(tail) > 8:
        h2 ^= _rotl((k2 * _C2) & _M64, 33) * _C1 & _M64
    for i in range(min(len(tail), 8) - 1, -1, -1):
        k1 ^= (_java_byte(tail[i]) << (8 * i)) & _M64
    if tail:
        h1 ^= _rotl((k1 * _C1) & _M64, 31) * _C2 & _M64
    h1 ^= len(key)
    h2 ^= len(key)
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    h1 = (_fmix(h1) + _fmix(h2)) & _M64
    token = h1 - (1 << 64) if h1 >> 63 else h1
    return (1 << 63) - 1 if token == -(1 << 63) else token


# ---------------------------------------------------------------------------
# Module
# ---------------------------------------------------------------------------


def test_constants() -> None:
    assert _native.PROTOCOL_VERSION == 4
    assert _native.HEADER_SIZE == 9
    assert _native.MAX_BODY_LENGTH == 256 * 1024 * 1024
    assert issubclass(_native.ProtocolError, ValueError)


# ---------------------------------------------------------------------------
# Frame headers
# ---------------------------------------------------------------------------


def test_encode_frame_header_bytes() -> None:
    # OPTIONS request, stream 7, empty body.
    assert _native.encode_frame_header(4, 0, 7, 0x05, 0) == bytes([4, 0, 0, 7, 5, 0, 0, 0, 0])
    # EVENT response: stream -1, flags tracing|warning, length 1234.
    assert _native.encode_frame_header(0x84, 0x0A, -1, 0x0C, 1234) == bytes.fromhex("840affff0c000004d2")


@pytest.mark.parametrize(
    "header",
    [
        (4, 0, 0, 0x01, 22),
        (0x84, 0x01, 32767, 0x08, 256 * 1024 * 1024),
        (0x84, 0x0F, -32768, 0x00, 0),
        (0x83, 0, 1, 0x10, 5),
        (0x85, 0, 1, 0x0E, 5),
    ],
)
def test_frame_header_roundtrip(header: tuple[int, int, int, int, int]) -> None:
    encoded = _native.encode_frame_header(*header)
    assert len(encoded) == 9
    assert _native.decode_frame_header(encoded) == header
    # Trailing body bytes and other bytes-like objects are fine.
    assert _native.decode_frame_header(bytearray(encoded + b"body")) == header
    assert _native.decode_frame_header(memoryview(encoded)) == header


def test_decode_frame_header_matches_struct() -> None:
    raw = struct.pack(">BBhBI", 0x84, 0, 42, 0x08, 99)
    assert _native.decode_frame_header(raw) == (0x84, 0, 42, 0x08, 99)


@pytest.mark.parametrize("size", range(9))
def test_decode_frame_header_short(size: int) -> None:
    with pytest.raises(ValueError, match="needs 9 bytes"):
        _native.decode_frame_header(bytes([0x84, 0, 0, 1, 8, 0, 0, 0, 0])[:size])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (bytes([0x82, 0, 0, 1, 8, 0, 0, 0, 0]), "version"),
        (bytes([0x86, 0, 0, 1, 8, 0, 0, 0, 0]), "version"),
        (bytes([0x84, 0, 0, 1, 0x04, 0, 0, 0, 0]), "opcode"),
        (bytes([0x84, 0, 0, 1, 0x11, 0, 0, 0, 0]), "opcode"),
        (bytes([0x84, 0, 0, 1, 8, 0x10, 0, 0, 1]), "length"),
        (bytes([0x84, 0, 0, 1, 8, 0xFF, 0xFF, 0xFF, 0xFF]), "length"),
    ],
)
def test_decode_frame_header_invalid(raw: bytes, message: str) -> None:
    with pytest.raises(_native.ProtocolError, match=message):
        _native.decode_frame_header(raw)


def test_decode_frame_header_type_error() -> None:
    with pytest.raises(TypeError):
        _native.decode_frame_header("not bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        (256, 0, 0, 1, 0),
        (-1, 0, 0, 1, 0),
        (4, 256, 0, 1, 0),
        (4, 0, 32768, 1, 0),
        (4, 0, -32769, 1, 0),
        (4, 0, 0, 0x04, 0),
        (4, 0, 0, 1, -1),
        (4, 0, 0, 1, 256 * 1024 * 1024 + 1),
        (4, 0, 0, 1, 1 << 80),
    ],
)
def test_encode_frame_header_out_of_range(args: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        _native.encode_frame_header(*args)


def test_encode_frame_header_bad_arguments() -> None:
    with pytest.raises(TypeError):
        _native.encode_frame_header(4, 0, 0, 1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _native.encode_frame_header(4, 0, 0, 1, "0")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _native.encode_frame_header(4.0, 0, 0, 1, 0)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Murmur3
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "token"),
    [
        (b"", 0),
        (b"123", -7468325962851647638),
        # int 1: Cassandra's token(k) for an int partition key k = 1.
        (struct.pack(">i", 1), -4069959284402364209),
        (b"\xfe" * 8, -8927430733708461935),
        (b"\x10" * 8, 1446172840243228796),
        (b"\x00\xff\x10\xfa\x99" * 10, 5837342703291459765),
        # Composite (int 1, text 'text'): [len][bytes][0] per component.
        (bytes.fromhex("0004000000010000047465787400"), 183103296206488266),
    ],
)
def test_murmur3_known_tokens(key: bytes, token: int) -> None:
    assert _native.murmur3_token(key) == token
    assert reference_token(key) == token


def test_murmur3_matches_reference_on_random_keys() -> None:
    rng = random.Random(1234)
    for length in [*range(40), 63, 64, 65, 255, 1000]:
        for _ in range(5):
            key = bytes(rng.randrange(256) for _ in range(length))
            assert _native.murmur3_token(key) == reference_token(key), key.hex()


def test_murmur3_accepts_buffers() -> None:
    key = b"partition-key"
    assert _native.murmur3_token(bytearray(key)) == _native.murmur3_token(memoryview(key))
    with pytest.raises(TypeError):
        _native.murmur3_token("text")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# LZ4
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"x", b"hello " * 1000, bytes(range(256)) * 300, random.Random(7).randbytes(100_000)],
)
def test_lz4_roundtrip(data: bytes) -> None:
    compressed = _native.lz4_compress(data)
    assert struct.unpack(">I", compressed[:4])[0] == len(data)
    assert _native.lz4_decompress(compressed) == data


def test_lz4_compresses_repetitive_data() -> None:
    data = b"SELECT * FROM ks.t WHERE k = ?; " * 500
    assert len(_native.lz4_compress(data)) < len(data) // 10


def test_lz4_decompress_literal_block() -> None:
    # A hand-built block: 5 literal bytes, no match.
    body = struct.pack(">I", 5) + bytes([5 << 4]) + b"hello"
    assert _native.lz4_decompress(body) == b"hello"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\x00\x01",
        struct.pack(">I", 100) + b"\xff\xff\xff",  # corrupt block
        struct.pack(">I", 0xFFFFFFFF) + b"\x00" * 16,  # absurd declared size
        struct.pack(">I", 10_000) + bytes([5 << 4]) + b"hello",  # implausible ratio
        struct.pack(">I", 6) + bytes([5 << 4]) + b"hello",  # shorter than declared
    ],
)
def test_lz4_decompress_rejects_bad_input(body: bytes) -> None:
    with pytest.raises(ValueError):
        _native.lz4_decompress(body)


def test_lz4_truncated_bodies_fail() -> None:
    compressed = _native.lz4_compress(b"abcdefgh" * 64)
    for cut in range(len(compressed)):
        with pytest.raises(ValueError):
            _native.lz4_decompress(compressed[:cut])

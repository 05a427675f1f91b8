# Types of the C extension coodie._native (native/python/*.c). A unit test runs
# mypy's stubtest against the built module, so a name added to or removed from the
# module without this file following fails the suite.

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal, final

_Row = dict[str, Any]
#: rows, the paging state to fetch more (None at the end), and what a QUERY
#: reports: None, the keyspace of a USE, or (change, target, keyspace, name)
_Result = tuple[list[_Row], bytes | None, Any]
_BatchItem = tuple[Prepared, Sequence[Any]] | tuple[str, tuple[()]]

HEADER_SIZE: Final[int]
MAX_BODY_LENGTH: Final[int]
MAX_STREAMS: Final[int]
PROTOCOL_VERSION: Final[int]

class Error(Exception):
    """Base of the native CQL driver's errors."""

class ServerError(Error):
    code: int
    name: str
    message: str
    info: dict[str, Any]

class ConnectionClosed(Error): ...
class OperationTimedOut(Error): ...
class ProtocolError(ValueError): ...

@final
class Prepared:
    @property
    def id(self) -> bytes: ...
    @property
    def query(self) -> str: ...
    @property
    def param_names(self) -> tuple[str, ...]: ...
    @property
    def param_types(self) -> tuple[str, ...]: ...
    @property
    def pk_indexes(self) -> tuple[int, ...]: ...
    @property
    def result_names(self) -> tuple[str, ...]: ...
    @property
    def result_types(self) -> tuple[str, ...]: ...
    def bind(self, params: Sequence[Any], /) -> list[bytes | None]: ...

@final
class Codec:
    def __new__(cls, cql_type: bytes | str, /) -> Codec: ...
    @property
    def cql_type(self) -> str: ...
    def encode(self, value: Any, /) -> bytes | None: ...
    def decode(self, data: bytes | None, /) -> Any: ...

@final
class Connection:
    def __new__(
        cls,
        fd: int,
        *,
        max_streams: int = ...,
        max_frame: int = ...,
        compress_threshold: int = ...,
        tick: float = ...,
    ) -> Connection: ...
    @property
    def closed(self) -> bool: ...
    @property
    def compression(self) -> str | None: ...
    event_handler: Callable[[tuple[Any, ...]], object] | None
    @property
    def in_flight(self) -> int: ...
    @property
    def loop(self) -> asyncio.AbstractEventLoop | None: ...
    @property
    def tls(self) -> dict[str, Any] | None: ...
    def fileno(self) -> int: ...
    def close(self) -> None: ...
    def stats(self) -> dict[str, int]: ...
    def attach(self, loop: asyncio.AbstractEventLoop, /) -> None: ...
    def start_tls(
        self,
        *,
        cafile: str | None = None,
        cadata: str | bytes | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        password: str | bytes | None = None,
        verify: bool = True,
        check_hostname: bool = True,
        server_hostname: str | None = None,
        handshake: bool = True,
        timeout: float = 10,
    ) -> None: ...
    def tls_handshake_step(self) -> Literal[0, 1, 2]: ...
    # handshake
    def options(self, timeout: float | None = None) -> dict[str, list[str]]: ...
    def options_async(self, timeout: float | None = None) -> asyncio.Future[dict[str, list[str]]]: ...
    def startup(self, options: dict[str, str], timeout: float | None = None) -> str | None: ...
    def startup_async(
        self, options: dict[str, str], timeout: float | None = None
    ) -> asyncio.Future[str | None]: ...
    def authenticate(
        self, token: bytes, timeout: float | None = None
    ) -> tuple[Literal["challenge", "success"], bytes | None]: ...
    def authenticate_async(
        self, token: bytes, timeout: float | None = None
    ) -> asyncio.Future[tuple[Literal["challenge", "success"], bytes | None]]: ...
    def register(self, events: Sequence[str], timeout: float | None = None) -> None: ...
    def register_async(self, events: Sequence[str], timeout: float | None = None) -> asyncio.Future[None]: ...
    # requests
    def prepare(self, cql: str, timeout: float | None = None) -> Prepared: ...
    def prepare_async(self, cql: str, timeout: float | None = None) -> asyncio.Future[Prepared]: ...
    def query(
        self,
        cql: str,
        consistency: int = 1,
        page_size: int | None = None,
        paging_state: bytes | None = None,
        serial_consistency: int | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> _Result: ...
    def query_async(
        self,
        cql: str,
        consistency: int = 1,
        page_size: int | None = None,
        paging_state: bytes | None = None,
        serial_consistency: int | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> asyncio.Future[_Result]: ...
    def execute(
        self,
        prepared: Prepared,
        params: Sequence[Any],
        consistency: int = 1,
        page_size: int | None = None,
        paging_state: bytes | None = None,
        serial_consistency: int | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> _Result: ...
    def execute_async(
        self,
        prepared: Prepared,
        params: Sequence[Any],
        consistency: int = 1,
        page_size: int | None = None,
        paging_state: bytes | None = None,
        serial_consistency: int | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> asyncio.Future[_Result]: ...
    def batch(
        self,
        batch_type: int,
        statements: Sequence[_BatchItem],
        consistency: int = 1,
        serial_consistency: int | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> _Result: ...
    def batch_async(
        self,
        batch_type: int,
        statements: Sequence[_BatchItem],
        consistency: int = 1,
        serial_consistency: int | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> asyncio.Future[_Result]: ...
    # event-loop callbacks (asyncio mode)
    def _on_readable(self) -> None: ...
    def _on_writable(self) -> None: ...
    def _on_tick(self) -> None: ...

def decode_frame_header(data: bytes | bytearray | memoryview, /) -> tuple[int, int, int, int, int]: ...
def encode_frame_header(version: int, flags: int, stream: int, opcode: int, length: int, /) -> bytes: ...
def lz4_compress(data: bytes | bytearray | memoryview, /) -> bytes: ...
def lz4_decompress(data: bytes | bytearray | memoryview, /) -> bytes: ...
def murmur3_token(routing_key: bytes, /) -> int: ...
def routing_key(parts: Sequence[bytes], /) -> bytes: ...

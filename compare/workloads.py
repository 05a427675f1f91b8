"""The benchmarks: what one operation of each does, through coodie's API.

Each ODM operation is written once, as a generator that yields coodie calls
(``yield Item.get(id=k)``): the blocking runner gets the value straight back,
the asyncio runner awaits the coroutine and sends its result in. So the sync
and async variants of a benchmark run the same steps, the way coodie itself
writes an operation once as a plan.

Keys: reads use rows seeded once for the whole run; every driver writes in a
key range of its own (``KeySpace.base``), so drivers never contend for rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Annotated, Any

from compare.model import Benchmark
from coodie.fields import ClusteringKey, PrimaryKey

KEYSPACE = "coodie_compare"
DDL_KEYSPACE = "coodie_compare_ddl"
SEEDED_ITEMS = 1000
SCAN_ROWS = 10_000
SCAN_PAGE = 1000
SENSORS = 64
POINTS_PER_SENSOR = 200
FEED_LATEST = 20
FIND_LIMIT = 50
SERIES_WINDOW = 50
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

Steps = Generator[Any, Any, None]


@dataclass(frozen=True)
class Spec:
    """One benchmark: its description and the variants it runs in."""

    name: str
    title: str
    description: str
    requests_per_op: int
    #: also run with 64 in flight (not for a 10,000-row scan or DDL, whose cost is the server's)
    concurrent: bool = True
    #: has an asyncio form (instantiation does no I/O)
    has_async: bool = True
    #: at most this many operations per timed run (slow operations)
    max_ops: int | None = None
    #: raw-driver twin exists ("get", "save")
    raw: bool = False
    io: bool = True

    def describe(self) -> Benchmark:
        return Benchmark(
            name=self.name,
            title=self.title,
            description=self.description,
            requests_per_op=self.requests_per_op,
        )


SPECS: tuple[Spec, ...] = (
    Spec("get", "get by primary key", "`Item.get(id=k)`: SELECT one 8-column row by key", 1, raw=True),
    Spec("save", "save (INSERT)", "`Item(...).save()`: INSERT of one 8-column row", 1, raw=True),
    Spec("update", "partial update", "`item.update(score=..., count=...)`: UPDATE of two columns", 1),
    Spec("delete", "delete", "`Item(id=k).delete()`: DELETE by key", 1),
    Spec("batch_10", "batch of 10", "unlogged `BatchQuery` of 10 INSERTs into one partition", 1),
    Spec("batch_100", "batch of 100", "unlogged `BatchQuery` of 100 INSERTs into one partition", 1),
    Spec(
        "find_limit",
        f"find().limit({FIND_LIMIT}).all()",
        f"`Event.find(bucket=...).limit({FIND_LIMIT}).all()`: the first {FIND_LIMIT} rows of a partition",
        1,
    ),
    Spec(
        "scan_10k",
        "paged scan of 10,000 rows",
        f"`fetch_size({SCAN_PAGE})` + `paged_all()` page after page through a 10,000-row partition",
        SCAN_ROWS // SCAN_PAGE + 1,
        concurrent=False,
    ),
    Spec(
        "sync_table_noop",
        "sync_table() no-op",
        "`Item.sync_table()` on a table that matches the model (schema read, nothing to change)",
        3,
        concurrent=False,
        max_ops=200,
    ),
    Spec(
        "sync_table_create",
        "sync_table() create",
        "`sync_table()` of a new model: CREATE TABLE and schema agreement",
        4,
        concurrent=False,
        max_ops=3,
    ),
    Spec(
        "instantiate",
        "model instantiation",
        "`Item(**fields)`: Pydantic validation of an 8-field model, no I/O",
        0,
        concurrent=False,
        has_async=False,
        io=False,
    ),
    Spec(
        "feed",
        "notification feed",
        f"append one notification, then read the user's latest {FEED_LATEST} (clustering DESC)",
        2,
    ),
    Spec(
        "lwt_status",
        "status update with LWT",
        "`order.update(status=new, if_conditions={'status': old})`: a Paxos round per update",
        1,
    ),
    Spec(
        "timeseries",
        "time series",
        f"append one reading, then read a {SERIES_WINDOW}-point range by clustering key",
        2,
    ),
)
BY_NAME = {s.name: s for s in SPECS}


# ------------------------------------------------------------------ models --


def build_models(document: type[Any], batch: type[Any], keyspace: str = KEYSPACE) -> SimpleNamespace:
    """The benchmark tables as models of one API (``coodie.sync`` or ``coodie.aio``), with
    that API's batch class."""
    home = keyspace  # a class body reads enclosing names only if it does not assign them

    class Item(document):  # type: ignore[misc]
        id: Annotated[int, PrimaryKey()]
        name: str = ""
        score: float = 0.0
        count: int = 0
        active: bool = True
        ref: uuid.UUID | None = None
        created: dt.datetime | None = None
        note: str = ""

        class Settings:
            name = "item"
            keyspace = home

    class Event(document):  # type: ignore[misc]
        bucket: Annotated[str, PrimaryKey()]
        seq: Annotated[int, ClusteringKey()]
        payload: str = ""
        value: float = 0.0

        class Settings:
            name = "event"
            keyspace = home

    class Notification(document):  # type: ignore[misc]
        user: Annotated[int, PrimaryKey()]
        at: Annotated[dt.datetime, ClusteringKey(order="DESC")]
        text: str = ""
        read: bool = False

        class Settings:
            name = "notification"
            keyspace = home

    class Order(document):  # type: ignore[misc]
        id: Annotated[int, PrimaryKey()]
        status: str = "open"
        owner: str = ""

        class Settings:
            name = "orders"
            keyspace = home

    class Reading(document):  # type: ignore[misc]
        sensor: Annotated[int, PrimaryKey()]
        ts: Annotated[dt.datetime, ClusteringKey()]
        value: float = 0.0

        class Settings:
            name = "reading"
            keyspace = home

    return SimpleNamespace(
        Item=Item, Event=Event, Notification=Notification, Order=Order, Reading=Reading, Batch=batch
    )


def ddl_model(document: type[Any], table: str) -> type[Any]:
    """A fresh model for ``sync_table()`` create."""

    class Fresh(document):  # type: ignore[misc]
        id: Annotated[int, PrimaryKey()]
        at: Annotated[dt.datetime, ClusteringKey()]
        name: str = ""
        score: float = 0.0
        tags: set[str] = set()

        class Settings:
            name = table
            keyspace = DDL_KEYSPACE

    return Fresh


def item_fields(key: int) -> dict[str, Any]:
    return {
        "id": key,
        "name": f"item {key}",
        "score": key * 0.5,
        "count": key,
        "active": key % 2 == 0,
        "ref": uuid.UUID(int=key + 1),
        "created": EPOCH + dt.timedelta(seconds=key),
        "note": "x" * 40,
    }


# -------------------------------------------------------------- operations --


@dataclass
class KeySpace:
    """This driver's own keys for writes."""

    base: int
    ddl_prefix: str
    tables_made: int = 0
    lwt_state: dict[int, str] = field(default_factory=dict)

    def key(self, i: int) -> int:
        return self.base + i

    def bucket(self, slot: int) -> str:
        return f"w{self.base}_{slot}"


def op_steps(name: str, m: SimpleNamespace, document: type[Any], ks: KeySpace) -> Callable[[int, int], Steps]:
    """The steps of one operation of benchmark ``name`` (slot, sequence number) → generator."""

    def get(slot: int, i: int) -> Steps:
        yield m.Item.get(id=i % SEEDED_ITEMS)

    def save(slot: int, i: int) -> Steps:
        yield m.Item(**item_fields(ks.key(i))).save()

    updaters: dict[int, Any] = {}

    def update(slot: int, i: int) -> Steps:
        doc = updaters.get(slot)
        if doc is None:
            doc = updaters[slot] = m.Item(**item_fields(ks.key(50_000_000 + slot)))
        yield doc.update(score=float(i), count=i)

    def delete(slot: int, i: int) -> Steps:
        yield m.Item(id=ks.key(i % 100_000)).delete()

    def batch(size: int) -> Callable[[int, int], Steps]:
        def run(slot: int, i: int) -> Steps:
            b = m.Batch(logged=False)
            bucket = ks.bucket(slot)
            for n in range(size):
                yield m.Event(bucket=bucket, seq=i * size + n, payload="p" * 32, value=float(n)).save(batch=b)
            yield b.execute()

        return run

    def find_limit(slot: int, i: int) -> Steps:
        yield m.Event.find(bucket="scan").limit(FIND_LIMIT).all()

    def scan(slot: int, i: int) -> Steps:
        query = m.Event.find(bucket="scan").fetch_size(SCAN_PAGE)
        seen = 0
        page = yield query.paged_all()
        seen += len(page.data)
        while page.paging_state is not None:
            page = yield query.page(page.paging_state).paged_all()
            seen += len(page.data)
        if seen != SCAN_ROWS:
            raise AssertionError(f"scan read {seen} rows, not {SCAN_ROWS}")

    def sync_noop(slot: int, i: int) -> Steps:
        yield m.Item.sync_table()

    def sync_create(slot: int, i: int) -> Steps:
        ks.tables_made += 1
        yield ddl_model(document, f"{ks.ddl_prefix}_{ks.tables_made}").sync_table()

    def instantiate(slot: int, i: int) -> Steps:
        m.Item(**item_fields(i))
        yield from ()

    def feed(slot: int, i: int) -> Steps:
        user = ks.key(slot)
        at = EPOCH + dt.timedelta(microseconds=i)
        yield m.Notification(user=user, at=at, text=f"notification {i}").save()
        latest = yield m.Notification.find(user=user).limit(FEED_LATEST).all()
        if not latest:
            raise AssertionError("the feed read back nothing")

    def lwt_status(slot: int, i: int) -> Steps:
        key = ks.key(slot)
        old = ks.lwt_state.get(key, "open")
        new = "closed" if old == "open" else "open"
        result = yield m.Order(id=key, status=old).update(status=new, if_conditions={"status": old})
        if result is None or not result.applied:
            raise AssertionError(f"LWT not applied on order {key}: {result!r}")
        ks.lwt_state[key] = new

    def timeseries(slot: int, i: int) -> Steps:
        sensor = slot % SENSORS
        ts = EPOCH + dt.timedelta(days=1, microseconds=ks.key(i))
        yield m.Reading(sensor=sensor, ts=ts, value=float(i)).save()
        low = EPOCH + dt.timedelta(seconds=(i % (POINTS_PER_SENSOR - SERIES_WINDOW)))
        high = low + dt.timedelta(seconds=SERIES_WINDOW)
        rows = yield m.Reading.find(sensor=sensor, ts__gte=low, ts__lt=high).all()
        if len(rows) != SERIES_WINDOW:
            raise AssertionError(f"range read {len(rows)} points, not {SERIES_WINDOW}")

    table: dict[str, Callable[[int, int], Steps]] = {
        "get": get,
        "save": save,
        "update": update,
        "delete": delete,
        "batch_10": batch(10),
        "batch_100": batch(100),
        "find_limit": find_limit,
        "scan_10k": scan,
        "sync_table_noop": sync_noop,
        "sync_table_create": sync_create,
        "instantiate": instantiate,
        "feed": feed,
        "lwt_status": lwt_status,
        "timeseries": timeseries,
    }
    return table[name]


def drive_sync(steps: Steps) -> None:
    """Run the steps with the blocking API: each yielded value already is the result."""
    value: Any = None
    try:
        while True:
            value = steps.send(value)
    except StopIteration:
        return


async def drive_async(steps: Steps) -> None:
    """Run the steps with the asyncio API: await each yielded coroutine, send its result in."""
    value: Any = None
    try:
        while True:
            value = await steps.send(value)
    except StopIteration:
        return


# ----------------------------------------------------------------- seeding --


def seed_steps(m: SimpleNamespace) -> Iterator[Any]:
    """Rows every read benchmark expects; written in unlogged batches per partition."""
    yield m.Item.sync_table()
    for start in range(0, SEEDED_ITEMS, 100):
        b = m.Batch(logged=False)
        for key in range(start, start + 100):
            yield m.Item(**item_fields(key)).save(batch=b)
        yield b.execute()
    for start in range(0, SCAN_ROWS, 200):
        b = m.Batch(logged=False)
        for seq in range(start, start + 200):
            yield m.Event(bucket="scan", seq=seq, payload="p" * 32, value=float(seq)).save(batch=b)
        yield b.execute()
    for sensor in range(SENSORS):
        b = m.Batch(logged=False)
        for n in range(POINTS_PER_SENSOR):
            ts = EPOCH + dt.timedelta(seconds=n)
            yield m.Reading(sensor=sensor, ts=ts, value=float(n)).save(batch=b)
        yield b.execute()

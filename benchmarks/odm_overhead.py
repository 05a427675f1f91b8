"""What the ODM costs on top of its driver: coodie ``get()`` / ``save()`` against raw
scylla-driver prepared execution on the same session, against the local node.

Reports, per operation, the median over runs of wall time and client CPU
(process_time) per operation, and the ODM's overhead (coodie minus raw).
A benchmark, not a test: run it with ``make bench``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated

from coodie.drivers import register_driver
from coodie.drivers.base import (
    DEFAULT_OPTIONS,
    AbstractDriver,
    BatchType,
    ExecOptions,
    ResultPage,
    Statement,
)
from coodie.fields import BigInt, PrimaryKey
from coodie.sync import Document, create_keyspace, init_coodie

KEYSPACE = "coodie_bench"


class Item(Document):
    id: Annotated[uuid.UUID, PrimaryKey()]
    name: str = ""
    brand: str = ""
    price: float = 0.0
    stock: Annotated[int, BigInt()] = 0
    active: bool = True
    note: str = ""
    rank: int = 0

    class Settings:
        keyspace = KEYSPACE
        name = "bench_item"


def measure(op: Callable[[int], object], n: int) -> tuple[float, float]:
    """(wall µs/op, CPU µs/op) over n calls."""
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        op(i)
    w1, c1 = time.perf_counter(), time.process_time()
    return (w1 - w0) / n * 1e6, (c1 - c0) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=5000, help="operations per run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    driver = init_coodie(["127.0.0.1"])
    create_keyspace(KEYSPACE)
    Item.sync_table()
    Item.truncate()
    ids = [uuid.uuid4() for _ in range(args.ops)]
    docs = [
        Item(id=i, name=f"n{k}", brand="b", price=1.5, stock=k, note="x" * 20, rank=k)
        for k, i in enumerate(ids)
    ]

    session = driver.session  # type: ignore[attr-defined]
    cols = list(Item.model_fields)
    ins = session.prepare(
        f"INSERT INTO {KEYSPACE}.bench_item ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    )
    sel = session.prepare(f"SELECT * FROM {KEYSPACE}.bench_item WHERE id = ?")

    # "raw" uses the same tuple-row execution profile coodie's backend uses, so the
    # difference is the ODM alone; "raw get, default rows" is the driver as shipped.
    profile = "coodie"
    ops: dict[str, Callable[[int], object]] = {
        "raw save": lambda i: session.execute(
            ins, [getattr(docs[i], c) for c in cols], execution_profile=profile
        ),
        "coodie save": lambda i: docs[i].save(),
        "raw get": lambda i: session.execute(sel, [ids[i]], execution_profile=profile).one(),
        "coodie get": lambda i: Item.get(id=ids[i]),
        "raw get, default rows": lambda i: session.execute(sel, [ids[i]]).one(),
    }
    for op in ops.values():  # warm-up: prepare, JIT-free but cache-warm
        for i in range(min(200, args.ops)):
            op(i)
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in ops}
    for _ in range(args.runs):
        for name, op in ops.items():  # interleaved, so noise hits every variant alike
            results[name].append(measure(op, args.ops))

    print(f"{args.runs} runs x {args.ops} ops, one connection, sequential (median per op)")
    print(f"{'operation':<24}{'wall µs':>10}{'CPU µs':>10}")
    med = {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in results.items()
    }
    for name, (w, c) in med.items():
        print(f"{name:<24}{w:>10.1f}{c:>10.1f}")
    for op in ("save", "get"):
        rw, rc = med[f"raw {op}"]
        cw, cc = med[f"coodie {op}"]
        print(f"ODM overhead {op}: +{cw - rw:.1f} µs wall, +{cc - rc:.1f} µs CPU per op ({cc / rc:.2f}x CPU)")
    driver.close()
    print_odm_alone(docs, ids, args.ops, args.runs)


class NoIO(AbstractDriver):
    """Answers every request at once with no rows: what is left is coodie's own work."""

    def __init__(self, row: dict[str, object]) -> None:
        super().__init__(KEYSPACE)
        self.page = ResultPage([row])

    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        return ResultPage([dict(self.page.rows[0])])

    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        return self.run(statement, options)

    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        return ResultPage()

    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        return ResultPage()

    def close(self) -> None:
        pass

    async def close_async(self) -> None:
        pass


def print_odm_alone(docs: list[Item], ids: list[uuid.UUID], n: int, runs: int) -> None:
    """The ODM's CPU per call with a driver that does no I/O: free of the network and the
    driver's I/O thread, so it is steady from run to run."""
    register_driver("no-io", NoIO(docs[0].model_dump()), default=True)
    ops: dict[str, Callable[[int], object]] = {
        "save": lambda i: docs[i].save(),
        "get": lambda i: Item.get(id=ids[i]),
    }
    cpu = {name: statistics.median(measure(op, n)[1] for _ in range(runs)) for name, op in ops.items()}
    print("coodie alone (driver doing no I/O): " + ", ".join(f"{k} {v:.1f} µs CPU" for k, v in cpu.items()))


if __name__ == "__main__":
    main()

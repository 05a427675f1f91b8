"""Running an asyncio-only driver from blocking code and from any event loop.

Some drivers (acsylla) bind their session to the event loop it was created on:
awaiting it from another loop fails. :class:`LoopThread` gives such a driver one
private loop on one thread for its whole life:

* blocking calls submit a coroutine with :func:`asyncio.run_coroutine_threadsafe`
  and wait for it — from a plain thread, or from inside a running event loop
  (where they block that loop, as any blocking call does);
* ``await`` from the caller's loop wraps the same concurrent future, so the
  caller's loop keeps running while the request is in flight; cancelling the
  awaiting task cancels the request on the driver's loop;
* code already running on the driver's loop awaits the coroutine directly.

:class:`ForeignLoop` offers the same interface over a loop that someone else
runs (a session the caller created and handed to coodie).

There is no thread per call: one thread per driver, started on connect and
joined on close.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from coodie.exceptions import ConfigurationError

T = TypeVar("T")


class LoopRunner:
    """Run coroutines on one event loop, from any thread or loop."""

    loop: asyncio.AbstractEventLoop

    @property
    def thread_id(self) -> int | None:
        return None

    def _on_loop_thread(self) -> bool:
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:
            return False

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self.loop.is_closed() or not self.loop.is_running():
            coro.close()
            raise ConfigurationError("the driver's event loop is not running (the driver was closed)")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and block until it is done."""
        if self._on_loop_thread():
            coro.close()
            raise ConfigurationError(
                "a blocking driver call was made on the driver's own event loop; it would wait for itself "
                "forever. Use the async API (await ...) there."
            )
        future = self._submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    async def acall(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` from any event loop."""
        if self._on_loop_thread():
            return await coro
        return await asyncio.wrap_future(self._submit(coro))

    def stop(self, timeout: float | None = None) -> None:
        """Release what the runner owns (nothing for a foreign loop)."""

    @property
    def running(self) -> bool:
        return self.loop.is_running() and not self.loop.is_closed()


class LoopThread(LoopRunner):
    """A private event loop running on its own daemon thread."""

    def __init__(self, name: str = "coodie-driver-loop") -> None:
        self.name = name
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = threading.Event()
        self._stopped = False

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def thread_id(self) -> int | None:
        return self._thread.ident

    def start(self) -> LoopThread:
        if not self._thread.is_alive():
            self._thread.start()
            self._started.wait()
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                asyncio.set_event_loop(None)
                self.loop.close()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the loop (cancelling what still runs on it) and join the thread."""
        if self._stopped:
            return
        self._stopped = True
        if not self._thread.is_alive():
            if not self.loop.is_closed():
                self.loop.close()
            return
        if threading.get_ident() == self._thread.ident:
            # Called from a callback on the loop itself: stop after this step; the
            # thread then closes the loop and exits on its own.
            self.loop.stop()
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)


class ForeignLoop(LoopRunner):
    """A loop owned by the caller (e.g. the loop their acsylla session lives on)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self.loop.is_closed():
            coro.close()
            raise ConfigurationError("the event loop the session was created on is closed")
        if not self.loop.is_running():
            coro.close()
            raise ConfigurationError(
                "the event loop the session was created on is not running; a blocking call needs that loop "
                "running in another thread (or let coodie create the session: pass hosts= instead of session=)"
            )
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

"""A driver whose requests are written once and run two ways: waited for, or awaited.

Some drivers offer one kind of call to blocking and asyncio callers alike
(acsylla's coroutines on the loop the session lives on, python-rs-driver's
futures that can be waited on or awaited). Such a backend writes a statement's
request and a batch's request once, and says how to run one to its end from
blocking code and from a coroutine; the contract's four request methods
follow from these, here.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Generic, TypeVar

from coodie.drivers.base import DEFAULT_OPTIONS, AbstractDriver, BatchType, ExecOptions, ResultPage, Statement

#: what a backend's request is before it runs (a coroutine, steps over futures)
Request = TypeVar("Request")


class TwoWayDriver(AbstractDriver, Generic[Request]):
    """A backend whose requests are written once (:meth:`_execute`, :meth:`_execute_batch`)
    and run by :meth:`_wait` (blocking) or :meth:`_wait_async` (awaiting)."""

    @abstractmethod
    def _execute(self, statement: Statement, options: ExecOptions) -> Request:
        """The request that runs ``statement``, not started."""

    @abstractmethod
    def _execute_batch(
        self, statements: tuple[Statement, ...], batch_type: BatchType, options: ExecOptions
    ) -> Request:
        """The request that runs ``statements`` as one batch, not started."""

    @abstractmethod
    def _wait(self, request: Request) -> ResultPage:
        """Run ``request`` to its end, blocking the calling thread."""

    @abstractmethod
    async def _wait_async(self, request: Request) -> ResultPage:
        """Run ``request`` to its end without blocking the running event loop."""

    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        return self._wait(self._execute(statement, options))

    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        return await self._wait_async(self._execute(statement, options))

    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        return self._wait(self._execute_batch(tuple(statements), batch_type, options))

    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        return await self._wait_async(self._execute_batch(tuple(statements), batch_type, options))

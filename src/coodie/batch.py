"""Upstream import path ``coodie.batch``: the batch plan lives in :mod:`coodie.operations.batch`, its
blocking and asyncio runners in :mod:`coodie.sync.batch` and :mod:`coodie.aio.batch`."""

from __future__ import annotations

from coodie.aio.batch import AsyncBatchQuery as AsyncBatchQuery
from coodie.operations.batch import BatchBase as BatchBase
from coodie.sync.batch import BatchQuery as BatchQuery

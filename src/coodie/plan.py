"""Upstream import path ``coodie.plan``; plans and their two runners moved to :mod:`coodie.operations.plan`."""

from __future__ import annotations

from coodie.operations.plan import Pause as Pause
from coodie.operations.plan import Plan as Plan
from coodie.operations.plan import Request as Request
from coodie.operations.plan import Run as Run
from coodie.operations.plan import RunBatch as RunBatch
from coodie.operations.plan import done as done
from coodie.operations.plan import execute as execute
from coodie.operations.plan import execute_batch as execute_batch
from coodie.operations.plan import run_async as run_async
from coodie.operations.plan import run_sync as run_sync

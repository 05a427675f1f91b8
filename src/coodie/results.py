"""Upstream import path ``coodie.results``; the result objects moved to :mod:`coodie.operations.results`."""

from __future__ import annotations

from coodie.operations.results import LWTResult as LWTResult
from coodie.operations.results import PagedResult as PagedResult

"""Upstream import path ``coodie.query``; the QuerySet operations moved to :mod:`coodie.operations.query`."""

from __future__ import annotations

from coodie.cql.operators import Filter as Filter
from coodie.cql.operators import parse_filter as parse_filter
from coodie.operations.query import BaseQuerySet as BaseQuerySet
from coodie.operations.query import D as D
from coodie.operations.query import QueryState as QueryState
from coodie.operations.query import check_filtering as check_filtering

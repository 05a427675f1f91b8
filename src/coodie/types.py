"""Upstream import path ``coodie.types``; the Python → CQL type mapping moved to :mod:`coodie.model.types`."""

from __future__ import annotations

from coodie.model.types import COLLECTIONS as COLLECTIONS
from coodie.model.types import NANOS_PER_DAY as NANOS_PER_DAY
from coodie.model.types import CqlDuration as CqlDuration
from coodie.model.types import CqlType as CqlType
from coodie.model.types import cql_type_of as cql_type_of
from coodie.model.types import empty_collection as empty_collection
from coodie.model.types import nanoseconds_to_time as nanoseconds_to_time
from coodie.model.types import python_type_to_cql_type_str as python_type_to_cql_type_str
from coodie.model.types import snake_case as snake_case
from coodie.model.types import time_to_nanoseconds as time_to_nanoseconds
from coodie.model.types import udt_type_name as udt_type_name

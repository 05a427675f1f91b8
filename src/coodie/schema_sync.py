"""Upstream import path ``coodie.schema_sync``; the schema (DDL) plans moved to :mod:`coodie.operations.ddl`,
``plan_execute_raw`` to :mod:`coodie.operations.raw`."""

from __future__ import annotations

from coodie.exceptions import DriverError as DriverError
from coodie.operations.ddl import DDL_TIMEOUT as DDL_TIMEOUT
from coodie.operations.ddl import plan_apply as plan_apply
from coodie.operations.ddl import plan_create_keyspace as plan_create_keyspace
from coodie.operations.ddl import plan_drop_keyspace as plan_drop_keyspace
from coodie.operations.ddl import plan_drop_table as plan_drop_table
from coodie.operations.ddl import plan_sync_table as plan_sync_table
from coodie.operations.ddl import plan_sync_type as plan_sync_type
from coodie.operations.ddl import plan_truncate as plan_truncate
from coodie.operations.raw import plan_execute_raw as plan_execute_raw

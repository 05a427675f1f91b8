"""Upstream import path ``coodie.cql_builder``; the CQL text builders moved to :mod:`coodie.cql.builder`."""

from __future__ import annotations

from coodie.cql.builder import Assignment as Assignment
from coodie.cql.builder import Condition as Condition
from coodie.cql.builder import Params as Params
from coodie.cql.builder import Select as Select
from coodie.cql.builder import build_alter_add as build_alter_add
from coodie.cql.builder import build_alter_options as build_alter_options
from coodie.cql.builder import build_batch as build_batch
from coodie.cql.builder import build_counter_update as build_counter_update
from coodie.cql.builder import build_create_index as build_create_index
from coodie.cql.builder import build_create_keyspace as build_create_keyspace
from coodie.cql.builder import build_create_table as build_create_table
from coodie.cql.builder import build_delete as build_delete
from coodie.cql.builder import build_insert as build_insert
from coodie.cql.builder import build_select as build_select
from coodie.cql.builder import build_table_options as build_table_options
from coodie.cql.builder import build_update as build_update
from coodie.cql.builder import literal as literal
from coodie.cql.builder import qualified as qualified
from coodie.cql.builder import quote as quote
from coodie.cql.builder import render_conditions as render_conditions
from coodie.cql.builder import using_clause as using_clause

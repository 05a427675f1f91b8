"""Upstream import path ``coodie.schema``; a model's table schema moved to :mod:`coodie.model.schema`."""

from __future__ import annotations

from coodie.model.column_definition import ColumnDefinition as ColumnDefinition
from coodie.model.schema import Column as Column
from coodie.model.schema import Fix as Fix
from coodie.model.schema import TableSchema as TableSchema
from coodie.model.schema import build_column as build_column
from coodie.model.schema import build_schema as build_schema
from coodie.model.schema import build_table_schema as build_table_schema
from coodie.model.schema import first_line as first_line
from coodie.model.schema import table_name_of as table_name_of
from coodie.model.types import model_fields_as_columns as model_fields_as_columns
from coodie.model.types import udt_type_name as udt_type_name

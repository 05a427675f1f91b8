"""Upstream's import paths keep working after the move into layer packages.

Each old module (``coodie.fields``, ``coodie.cql_builder``, …) is a thin re-export
of the new home: every name it offered is still there, and it is the same object
as in the new home, so ``isinstance`` checks and monkeypatching see one class.
"""

import importlib
import types

import pytest

#: old path → {new home: names it re-exports from there}
PATHS = {
    "coodie.fields": {
        "coodie.model.fields": [
            "Ascii", "BigInt", "ClusteringKey", "Counter", "CqlTypeOverride", "Discriminator", "Double",
            "Duration", "Frozen", "Indexed", "PrimaryKey", "SmallInt", "Static", "Time", "TimeUUID",
            "TinyInt", "VarInt", "Vector", "VectorIndex",
        ],
    },
    "coodie.types": {
        "coodie.model.types": [
            "COLLECTIONS", "NANOS_PER_DAY", "CqlDuration", "CqlType", "cql_type_of", "empty_collection",
            "nanoseconds_to_time", "python_type_to_cql_type_str", "snake_case", "time_to_nanoseconds",
            "udt_type_name",
        ],
    },
    "coodie.schema": {
        "coodie.model.column_definition": ["ColumnDefinition"],
        "coodie.model.schema": [
            "Column", "Fix", "TableSchema", "build_column", "build_schema", "build_table_schema", "first_line",
            "table_name_of",
        ],
        "coodie.model.types": ["model_fields_as_columns", "udt_type_name"],
    },
    "coodie.usertype": {
        "coodie.model.types": ["udt_dependencies"],
        "coodie.model.usertype": ["extract_udt_classes"],
        "coodie.operations.usertype": ["UserType"],
    },
    "coodie.cql_builder": {
        "coodie.cql.builder": [
            "Assignment", "Condition", "Params", "Select", "build_alter_add", "build_alter_options",
            "build_batch", "build_counter_update", "build_create_index", "build_create_keyspace",
            "build_create_table", "build_delete", "build_insert", "build_select", "build_table_options",
            "build_update", "literal", "qualified", "quote", "render_conditions", "using_clause",
        ],
    },
    "coodie.results": {"coodie.operations.results": ["LWTResult", "PagedResult"]},
    "coodie.plan": {
        "coodie.operations.plan": [
            "Pause", "Plan", "Request", "Run", "RunBatch", "done", "execute", "execute_batch", "run_async",
            "run_sync",
        ],
    },
    "coodie.schema_sync": {
        "coodie.exceptions": ["DriverError"],
        "coodie.operations.ddl": [
            "DDL_TIMEOUT", "plan_apply", "plan_create_keyspace", "plan_drop_keyspace", "plan_drop_table",
            "plan_sync_table", "plan_sync_type", "plan_truncate",
        ],
        "coodie.operations.raw": ["plan_execute_raw"],
    },
    "coodie.document": {
        "coodie.cql.operators": ["parse_assignments", "parse_if_conditions"],
        "coodie.operations.document": ["D", "DocumentBase"],
    },
    "coodie.query": {
        "coodie.cql.operators": ["Filter", "parse_filter"],
        "coodie.operations.query": ["D", "BaseQuerySet", "QueryState", "check_filtering"],
    },
    "coodie.batch": {
        "coodie.aio.batch": ["AsyncBatchQuery"],
        "coodie.operations.batch": ["BatchBase"],
        "coodie.sync.batch": ["BatchQuery"],
    },
}  # fmt: skip


def public(module):
    return {
        n for n, v in vars(module).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }


@pytest.mark.parametrize("old_path", sorted(PATHS))
def test_old_path_offers_the_same_objects_as_the_new_home(old_path):
    old = importlib.import_module(old_path)
    for home_path, names in PATHS[old_path].items():
        home = importlib.import_module(home_path)
        for name in names:
            assert getattr(old, name) is getattr(home, name), f"{old_path}.{name}"


@pytest.mark.parametrize("old_path", sorted(PATHS))
def test_old_path_is_only_a_re_export(old_path):
    old = importlib.import_module(old_path)
    offered = {name for names in PATHS[old_path].values() for name in names}
    assert public(old) - {"annotations"} == offered


def test_the_facades_keep_their_module_paths():
    import coodie.aio.document
    import coodie.aio.query
    import coodie.sync.document
    import coodie.sync.query

    assert coodie.sync.document.Document is coodie.sync.Document
    assert coodie.aio.document.Document is coodie.aio.Document
    assert coodie.sync.query.QuerySet is coodie.sync.QuerySet
    assert coodie.aio.query.QuerySet is coodie.aio.QuerySet


@pytest.mark.parametrize("old_path", sorted(PATHS))
def test_old_path_is_an_attribute_of_the_package(old_path):
    import coodie

    assert getattr(coodie, old_path.removeprefix("coodie.")) is importlib.import_module(old_path)

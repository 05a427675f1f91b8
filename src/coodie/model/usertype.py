"""User-defined types: a Pydantic model that maps to a CQL UDT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from coodie.exceptions import InvalidQueryError, SchemaError
from coodie.model.schema import model_fields_as_columns
from coodie.model.types import cql_type_of, udt_type_name

if TYPE_CHECKING:
    from coodie.operations.plan import Plan


class UserType(BaseModel):
    """Base of UDT models. ``Settings.__type_name__`` and ``Settings.keyspace`` are optional."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    class Settings:
        pass

    _udt_fields: ClassVar[list[tuple[str, str]] | None] = None

    @model_validator(mode="before")
    @classmethod
    def _from_driver_value(cls, value: Any) -> Any:
        # Some drivers give UDT values as named tuples or plain objects.
        if isinstance(value, tuple) and hasattr(value, "_asdict"):
            return value._asdict()
        return value

    @classmethod
    def type_name(cls) -> str:
        return udt_type_name(cls)

    @classmethod
    def sync_type(cls, keyspace: str | None = None, connection: str | None = None) -> list[str]:
        """CREATE TYPE for this UDT and its dependencies (dependencies first); returns the CQL run."""
        from coodie.operations.plan import run_sync

        return run_sync(cls._plan_sync_type(keyspace, connection))

    @classmethod
    async def sync_type_async(cls, keyspace: str | None = None, connection: str | None = None) -> list[str]:
        from coodie.operations.plan import run_async

        return await run_async(cls._plan_sync_type(keyspace, connection))

    @classmethod
    def _plan_sync_type(cls, keyspace: str | None, connection: str | None) -> Plan[list[str]]:
        from coodie.drivers import get_driver
        from coodie.operations.ddl import plan_sync_type

        driver = get_driver(connection or getattr(cls.Settings, "connection", None))
        ks = keyspace or getattr(cls.Settings, "keyspace", None) or driver.default_keyspace
        if not ks:
            raise InvalidQueryError(
                f"No keyspace configured for {cls.__name__}: pass keyspace= or set Settings.keyspace"
            )
        return plan_sync_type(driver, ks, cls)

    @classmethod
    def udt_fields(cls) -> list[tuple[str, str]]:
        """(name, CQL type) of every field, in declaration order."""
        return [
            (name, str(cql_type_of(ann, where=f"{cls.__name__}.{name}")))
            for name, ann in model_fields_as_columns(cls)
        ]


def udt_dependencies(udt: type[BaseModel], _stack: tuple[type[BaseModel], ...] = ()) -> list[type[BaseModel]]:
    """``udt`` and every UDT it uses, dependencies first. Cycles are an error."""
    if udt in _stack:
        path = " -> ".join(t.__name__ for t in (*_stack, udt))
        raise SchemaError(f"Circular UDT dependency: {path}")
    ordered: list[type[BaseModel]] = []
    for name, ann in model_fields_as_columns(udt):
        for t in cql_type_of(ann, where=f"{udt.__name__}.{name}").walk():
            if t.udt is not None:
                for dep in udt_dependencies(t.udt, (*_stack, udt)):
                    if dep not in ordered:
                        ordered.append(dep)
    ordered.append(udt)
    return ordered


def extract_udt_classes(doc_cls: type[BaseModel]) -> list[type[BaseModel]]:
    from coodie.model.schema import build_table_schema

    return build_table_schema(doc_cls).udts()

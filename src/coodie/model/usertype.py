"""User-defined types: a Pydantic model that maps to a CQL UDT.

The model side only — its CQL name, its fields and how driver values read back.
Creating the type on the server is an operation: ``coodie.usertype.UserType``
(:mod:`coodie.operations.usertype`) adds it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from coodie.model.schema import build_table_schema
from coodie.model.types import cql_type_of, model_fields_as_columns, udt_type_name


class UserTypeBase(BaseModel):
    """What a UDT model is. ``Settings.__type_name__`` and ``Settings.keyspace`` are optional."""

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
    def udt_fields(cls) -> list[tuple[str, str]]:
        """(name, CQL type) of every field, in declaration order."""
        return [
            (name, str(cql_type_of(ann, where=f"{cls.__name__}.{name}")))
            for name, ann in model_fields_as_columns(cls)
        ]


def extract_udt_classes(doc_cls: type[BaseModel]) -> list[type[BaseModel]]:
    """Every UDT class a document's table uses, dependencies first."""
    return build_table_schema(doc_cls).udts()

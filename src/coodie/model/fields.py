"""Field markers, used inside ``typing.Annotated`` to say how a field maps to CQL.

class Event(Document):
    day: Annotated[date, PrimaryKey()]
    at: Annotated[datetime, ClusteringKey(order="DESC")]
    hits: Annotated[int, BigInt()] = 0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coodie.exceptions import SchemaError


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    """A partition key column; several with distinct indexes form a composite partition key."""

    partition_key_index: int = 0


@dataclass(frozen=True, slots=True)
class ClusteringKey:
    """A clustering column, ordered by ``clustering_key_index``."""

    order: Literal["ASC", "DESC"] | str = "ASC"
    clustering_key_index: int = 0

    def __post_init__(self) -> None:
        if str(self.order).upper() not in ("ASC", "DESC"):
            raise SchemaError(f"ClusteringKey(order={self.order!r}): order must be 'ASC' or 'DESC'")


@dataclass(frozen=True, slots=True)
class Indexed:
    """A secondary index on the column; default name ``{table}_{column}_idx``."""

    index_name: str | None = None


@dataclass(frozen=True, slots=True)
class Static:
    """A STATIC column (one value per partition)."""


@dataclass(frozen=True, slots=True)
class Counter:
    """A ``counter`` column (only in counter tables)."""


@dataclass(frozen=True, slots=True)
class Discriminator:
    """The column that stores the concrete class of a polymorphic row."""


@dataclass(frozen=True, slots=True)
class Frozen:
    """Store the collection (or UDT) frozen."""


@dataclass(frozen=True, slots=True)
class CqlTypeOverride:
    """Replaces the CQL type inferred from the Python type."""

    cql_type: str


@dataclass(frozen=True, slots=True)
class BigInt(CqlTypeOverride):
    cql_type: str = "bigint"


@dataclass(frozen=True, slots=True)
class SmallInt(CqlTypeOverride):
    cql_type: str = "smallint"


@dataclass(frozen=True, slots=True)
class TinyInt(CqlTypeOverride):
    cql_type: str = "tinyint"


@dataclass(frozen=True, slots=True)
class VarInt(CqlTypeOverride):
    cql_type: str = "varint"


@dataclass(frozen=True, slots=True)
class Double(CqlTypeOverride):
    cql_type: str = "double"


@dataclass(frozen=True, slots=True)
class Ascii(CqlTypeOverride):
    cql_type: str = "ascii"


@dataclass(frozen=True, slots=True)
class TimeUUID(CqlTypeOverride):
    cql_type: str = "timeuuid"


@dataclass(frozen=True, slots=True)
class Time(CqlTypeOverride):
    """``time``: on a ``datetime.time`` field, or an ``int`` of nanoseconds since midnight."""

    cql_type: str = "time"


@dataclass(frozen=True, slots=True)
class Duration(CqlTypeOverride):
    cql_type: str = "duration"


@dataclass(frozen=True, slots=True)
class Vector:
    """``vector<float, N>`` on a ``list[float]`` field."""

    dimensions: int

    def __post_init__(self) -> None:
        if isinstance(self.dimensions, bool) or not isinstance(self.dimensions, int) or self.dimensions <= 0:
            raise SchemaError(f"Vector(dimensions={self.dimensions!r}): dimensions must be a positive int")


_SIMILARITY = ("COSINE", "DOT_PRODUCT", "EUCLIDEAN")


@dataclass(frozen=True, slots=True)
class VectorIndex:
    """An SAI vector index on a vector column."""

    similarity_function: str = "COSINE"

    def __post_init__(self) -> None:
        if self.similarity_function.upper() not in _SIMILARITY:
            raise ValueError(
                f"VectorIndex(similarity_function={self.similarity_function!r}): use one of {', '.join(_SIMILARITY)}"
            )


__all__ = [
    "Ascii",
    "BigInt",
    "ClusteringKey",
    "Counter",
    "CqlTypeOverride",
    "Discriminator",
    "Double",
    "Duration",
    "Frozen",
    "Indexed",
    "PrimaryKey",
    "SmallInt",
    "Static",
    "Time",
    "TimeUUID",
    "TinyInt",
    "VarInt",
    "Vector",
    "VectorIndex",
]

"""The DDL view of one column: a plain record, the only thing the CQL builder needs of a schema."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ColumnDefinition:
    """One column of a table (upstream-compatible shape)."""

    name: str
    cql_type: str
    primary_key: bool = False
    partition_key_index: int = 0
    clustering_key: bool = False
    clustering_key_index: int = 0
    clustering_order: str = "ASC"
    index: bool = False
    index_name: str | None = None
    required: bool = True
    static: bool = False
    vector_index: bool = False
    vector_index_name: str | None = None
    vector_similarity_function: str | None = None
    vector_index_options: dict[str, str] | None = None

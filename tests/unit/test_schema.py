"""From a model class to its table: keys, indexes, options, counter tables."""

import datetime as dt
import uuid
from typing import Annotated, ClassVar

import pytest

from coodie.exceptions import InvalidQueryError, SchemaError
from coodie.fields import (
    BigInt,
    ClusteringKey,
    Counter,
    Discriminator,
    Indexed,
    PrimaryKey,
    Static,
    Vector,
    VectorIndex,
)
from coodie.schema import ColumnDefinition, build_schema, build_table_schema
from coodie.sync import CounterDocument, Document
from coodie.usertype import UserType, extract_udt_classes


class BlogPost(Document):
    author: Annotated[str, PrimaryKey(partition_key_index=1)]
    year: Annotated[int, PrimaryKey(partition_key_index=0)]
    posted: Annotated[dt.datetime, ClusteringKey(order="desc", clustering_key_index=1)]
    slug: Annotated[str, ClusteringKey(clustering_key_index=0)]
    title: str
    views: Annotated[int, BigInt()] = 0
    summary: str | None = None
    category: Annotated[str, Indexed()] = ""
    lang: Annotated[str, Indexed(index_name="by_lang")] = "en"
    blog_title: Annotated[str, Static()] = ""
    _private: int = 0
    registry: ClassVar[int] = 0

    class Settings:
        keyspace = "blog"
        __default_ttl__ = 86400
        __options__ = {"gc_grace_seconds": 3600, "compaction": {"class": "LeveledCompactionStrategy"}}


def test_columns_in_declaration_order_skipping_private_and_classvars():
    names = [c.name for c in build_schema(BlogPost)]
    assert names == [
        "author",
        "year",
        "posted",
        "slug",
        "title",
        "views",
        "summary",
        "category",
        "lang",
        "blog_title",
    ]


def test_key_columns():
    schema = build_table_schema(BlogPost)
    assert [c.name for c in schema.partition_keys] == ["year", "author"]
    assert [c.name for c in schema.clustering_keys] == ["slug", "posted"]
    assert [c.name for c in schema.primary_key] == ["year", "author", "slug", "posted"]
    by = schema.by_name
    assert by["posted"].definition.clustering_order == "DESC"
    assert by["slug"].definition.clustering_order == "ASC"
    assert by["year"].is_key and by["posted"].is_key and not by["title"].is_key


def test_column_definitions():
    by = {c.name: c for c in build_schema(BlogPost)}
    assert by["author"] == ColumnDefinition("author", "text", primary_key=True, partition_key_index=1)
    assert by["views"].cql_type == "bigint"
    assert by["summary"].required is False and by["title"].required is True
    assert by["category"].index is True and by["category"].index_name == "blog_post_category_idx"
    assert by["lang"].index_name == "by_lang"
    assert by["blog_title"].static is True
    assert by["title"].index is False and by["title"].static is False


def test_table_name_keyspace_and_options():
    schema = build_table_schema(BlogPost)
    assert schema.table == "blog_post"
    assert BlogPost.table_name() == "blog_post"
    assert schema.explicit_keyspace == "blog"
    assert schema.options == {
        "gc_grace_seconds": 3600,
        "compaction": {"class": "LeveledCompactionStrategy"},
        "default_time_to_live": 86400,
    }
    assert schema.counter_table is False


def test_table_name_rules():
    class HTTPRequest(Document):
        id: Annotated[int, PrimaryKey()]

    class Renamed(Document):
        id: Annotated[int, PrimaryKey()]

        class Settings:
            name = "explicit_table"

    class EmptyName(Document):
        id: Annotated[int, PrimaryKey()]

        class Settings:
            name = ""

    assert HTTPRequest.table_name() == "http_request"
    assert Renamed.table_name() == "explicit_table"
    assert EmptyName.table_name() == "empty_name"
    assert build_table_schema(HTTPRequest).explicit_keyspace is None


def test_udt_columns_and_extraction():
    class Geo(UserType):
        lat: float

    class Place(UserType):
        geo: Geo
        alt: Geo | None = None

    class Trip(Document):
        id: Annotated[uuid.UUID, PrimaryKey()]
        start: Place
        stops: list[Place] = []
        extra: dict[str, Geo] = {}

    by = {c.name: c.cql_type for c in build_schema(Trip)}
    assert by == {
        "id": "uuid",
        "start": "frozen<place>",
        "stops": "list<frozen<place>>",
        "extra": "map<text, frozen<geo>>",
    }
    assert extract_udt_classes(Trip) == [Geo, Place]


class Node(UserType):
    value: int
    children: list["Node"] = []


def test_circular_udts_are_refused():
    class Tree(Document):
        id: Annotated[int, PrimaryKey()]
        root: Node

    with pytest.raises(InvalidQueryError, match="Circular"):
        extract_udt_classes(Tree)


def test_counter_table():
    class Stats(CounterDocument):
        id: Annotated[int, PrimaryKey()]
        day: Annotated[dt.date, ClusteringKey()]
        hits: Annotated[int, Counter()] = 0
        misses: Annotated[int, Counter()] = 0

    schema = build_table_schema(Stats)
    assert schema.counter_table is True
    assert [c.name for c in schema.columns if c.counter] == ["hits", "misses"]
    assert schema.by_name["hits"].definition.cql_type == "counter"


def test_counter_and_regular_columns_do_not_mix():
    class Mixed(CounterDocument):
        id: Annotated[int, PrimaryKey()]
        hits: Annotated[int, Counter()] = 0
        name: str = ""

    with pytest.raises(
        InvalidQueryError, match="Counter tables can only have counter and primary key columns"
    ):
        build_table_schema(Mixed)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"a": int}, "PrimaryKey"),
        ({"a": Annotated[int, PrimaryKey(), ClusteringKey()]}, "both"),
        (
            {"a": Annotated[int, PrimaryKey()], "b": Annotated[int, PrimaryKey()]},
            "partition_key_index",
        ),
        (
            {
                "a": Annotated[int, PrimaryKey()],
                "b": Annotated[int, ClusteringKey()],
                "c": Annotated[int, ClusteringKey()],
            },
            "clustering_key_index",
        ),
        ({"a": Annotated[int, PrimaryKey(), Static()]}, "Static"),
        ({"a": Annotated[int, PrimaryKey()], "v": Annotated[list[float], VectorIndex()]}, "Vector"),
        (
            {
                "a": Annotated[int, PrimaryKey()],
                "v": Annotated[list[float], Vector(3), VectorIndex(), Indexed()],
            },
            "Indexed",
        ),
        ({"a": Annotated[int, PrimaryKey()], "b": list}, "b"),
        ({"a": Annotated[int, PrimaryKey()], "b": int | str}, "Union"),
    ],
    ids=[
        "no_pk",
        "pk_and_ck",
        "pk_index_clash",
        "ck_index_clash",
        "static_key",
        "vindex_no_vector",
        "vindex_and_indexed",
        "bare_list",
        "union",
    ],
)
def test_bad_models_are_schema_errors(fields, message):
    model = type("Bad", (Document,), {"__annotations__": fields, "__module__": __name__})
    with pytest.raises(SchemaError, match=message):
        build_table_schema(model)


def test_clustering_key_order_is_validated():
    with pytest.raises(SchemaError):
        ClusteringKey(order="SIDEWAYS")


def test_vector_column_and_index():
    class Item(Document):
        id: Annotated[int, PrimaryKey()]
        emb: Annotated[list[float], Vector(4), VectorIndex("dot_product")]

    col = build_table_schema(Item).by_name["emb"].definition
    assert col.cql_type == "vector<float, 4>"
    assert col.vector_index is True
    assert col.vector_index_name == "item_emb_idx"
    assert col.vector_similarity_function == "DOT_PRODUCT"


def test_discriminator_flag():
    class Animal(Document):
        id: Annotated[int, PrimaryKey()]
        kind: Annotated[str, Discriminator()] = ""

    schema = build_table_schema(Animal)
    assert schema.by_name["kind"].discriminator is True
    assert schema.by_name["id"].discriminator is False


def test_column_validation_names_the_column():
    schema = build_table_schema(BlogPost)
    assert schema.by_name["views"].validate("12") == 12
    with pytest.raises(SchemaError, match="views") as info:
        schema.by_name["views"].validate("many")
    assert info.value.__cause__ is not None
    with pytest.raises(SchemaError, match="year"):
        schema.by_name["year"].validate(None)  # keys cannot be null
    assert schema.by_name["summary"].validate(None) is None
    with pytest.raises(SchemaError, match="nope"):
        schema.column("nope")


def test_schema_is_cached_per_class():
    assert BlogPost._schema() is BlogPost._schema()


def test_read_fix_of_optional_time_nanoseconds_field():
    import datetime as dt
    from typing import Annotated

    from coodie.fields import Time
    from coodie.schema import build_column

    col = build_column("t", Annotated[int, Time()] | None, "tbl")
    assert col.read_fix is not None
    assert col.read_fix(dt.time(0, 0, 1, 5)) == 1_000_005_000
    assert col.read_fix(7) == 7


def test_read_fix_turns_nested_nanosecond_times_into_time_objects():
    import datetime as dt

    from coodie.schema import build_column

    col = build_column("c", dict[str, list[tuple[int, dt.time]]], "tbl")
    assert col.read_fix is not None
    assert col.read_fix({"a": [(1, 5_000)]}) == {"a": [(1, dt.time(0, 0, 0, 5))]}
    assert col.read_fix(None) == {}


def test_markers_inside_optional_count_like_markers_outside():
    from typing import Optional

    class Row(Document):
        id: Annotated[int, PrimaryKey()]
        inside: Optional[Annotated[str, Indexed()]] = None  # noqa: UP045 (the spelling under test)
        outside: Annotated[Optional[str], Indexed()] = None  # noqa: UP045

    schema = build_table_schema(Row, table="row")
    assert schema.column("inside").definition.index
    assert schema.column("outside").definition.index


def test_none_is_refused_for_a_column_that_is_not_optional():
    class Row(Document):
        id: Annotated[int, PrimaryKey()]
        count: int = 0
        note: str | None = None
        tags: list[str] = []

    schema = build_table_schema(Row, table="row")
    with pytest.raises(SchemaError, match="'count' is not Optional"):
        schema.column("count").validate(None)
    assert schema.column("note").validate(None) is None
    assert schema.column("tags").validate(None) is None  # a null collection reads back empty

"""Create, read, update and delete through documents (both flavours)."""

import uuid
from typing import Annotated

import pytest

from coodie.exceptions import DocumentNotFound, InvalidQueryError
from coodie.fields import ClusteringKey, PrimaryKey, Static
from coodie.results import LWTResult


def user_model(api):
    class User(api.Document):
        id: Annotated[uuid.UUID, PrimaryKey()]
        name: str
        age: int = 0
        email: str | None = None
        tags: set[str] = set()
        items: list[str] = []
        meta: dict[str, str] = {}

        class Settings:
            name = api.name("users")

    api.run(User.sync_table())
    return User


def test_save_then_get_find_find_one(api):
    User = user_model(api)
    uid = uuid.uuid4()
    user = User(
        id=uid, name="Ada", age=36, email="ada@example.org", tags={"math"}, items=["a"], meta={"k": "v"}
    )
    assert api.run(user.save()) is None

    got = api.run(User.get(id=uid))
    assert isinstance(got, User)
    assert got == user
    assert api.run(User.find_one(id=uid)) == user
    found = api.run(User.find(id=uid).all())
    assert found == [user]
    assert api.run(User.find_one(id=uuid.uuid4())) is None


def test_save_is_an_upsert_of_all_fields(api):
    User = user_model(api)
    uid = uuid.uuid4()
    api.run(User(id=uid, name="first", age=1, email="x@y").save())
    api.run(User(id=uid, name="second").save())  # every field written: email back to null
    got = api.run(User.get(id=uid))
    assert (got.name, got.age, got.email) == ("second", 0, None)


def test_get_missing_raises_document_not_found(api):
    User = user_model(api)
    missing = uuid.uuid4()
    with pytest.raises(DocumentNotFound) as info:
        api.run(User.get(id=missing))
    assert "User" in str(info.value)


def test_document_create_saves_and_returns_instance(api):
    User = user_model(api)
    uid = uuid.uuid4()
    created = api.run(User.create(id=uid, name="Grace", age=85))
    assert isinstance(created, User)
    assert (created.id, created.name, created.age, created.tags) == (uid, "Grace", 85, set())
    assert api.run(User.get(id=uid)) == created


def test_delete_removes_the_row(api):
    User = user_model(api)
    uid = uuid.uuid4()
    user = api.run(User.create(id=uid, name="gone"))
    assert api.run(user.delete()) is None
    assert api.run(User.find_one(id=uid)) is None


def test_delete_if_exists_and_if_conditions(api):
    User = user_model(api)
    uid = uuid.uuid4()
    user = api.run(User.create(id=uid, name="lwt", age=5))

    wrong = api.run(user.delete(if_conditions={"age": 6}))
    assert isinstance(wrong, LWTResult)
    assert wrong.applied is False
    assert wrong.existing is not None and wrong.existing.get("age") == 5
    assert api.run(User.find_one(id=uid)) is not None

    right = api.run(user.delete(if_conditions={"age": 5}))
    assert right.applied is True
    assert api.run(User.find_one(id=uid)) is None

    again = api.run(user.delete(if_exists=True))
    assert isinstance(again, LWTResult) and again.applied is False


def test_insert_if_not_exists_never_overwrites(api):
    User = user_model(api)
    uid = uuid.uuid4()
    first = api.run(User(id=uid, name="original", age=1).insert())
    assert isinstance(first, LWTResult)
    assert first.applied is True

    second = api.run(User(id=uid, name="intruder", age=2).insert())
    assert isinstance(second, LWTResult)
    assert second.applied is False
    assert second.existing is not None
    assert second.existing["name"] == "original"
    assert second.existing["age"] == 1

    got = api.run(User.get(id=uid))
    assert (got.name, got.age) == ("original", 1)


def test_update_is_partial_and_patches_the_instance(api):
    User = user_model(api)
    uid = uuid.uuid4()
    user = api.run(User.create(id=uid, name="before", age=10, email="keep@me"))
    # another writer changes age; our partial update must not clobber it
    api.run(User.find(id=uid).update(age=11))

    assert api.run(user.update(name="after")) is None
    assert user.name == "after"
    got = api.run(User.get(id=uid))
    assert (got.name, got.age, got.email) == ("after", 11, "keep@me")


def test_update_without_fields_sends_nothing(api):
    User = user_model(api)
    user = api.run(User.create(id=uuid.uuid4(), name="n"))
    with api.requests() as sent:
        assert api.run(user.update()) is None
    assert sent == []


def test_update_collection_operators(api):
    User = user_model(api)
    uid = uuid.uuid4()
    user = api.run(User.create(id=uid, name="c", tags={"a", "b"}, items=["x", "a", "x"], meta={"k1": "v1"}))

    api.run(user.update(tags__add={"c"}))
    api.run(user.update(tags__remove={"a"}))
    api.run(user.update(items__append=["end"]))
    api.run(user.update(items__prepend=["start"]))
    api.run(user.update(items__remove=["x"]))  # every occurrence
    api.run(user.update(meta__update={"k2": "v2"}))
    api.run(user.update(meta__put=("k3", "v3")))
    got = api.run(User.get(id=uid))
    assert got.tags == {"b", "c"}
    assert got.items == ["start", "a", "end"]
    assert got.meta == {"k1": "v1", "k2": "v2", "k3": "v3"}

    api.run(user.update(items__setindex=(1, "A")))
    api.run(user.update(meta__remove={"k1"}))
    got = api.run(User.get(id=uid))
    assert got.items == ["start", "A", "end"]
    assert got.meta == {"k2": "v2", "k3": "v3"}


def test_queryset_update_with_collection_operators(api):
    User = user_model(api)
    uid = uuid.uuid4()
    api.run(User.create(id=uid, name="q", tags={"a"}, items=["b"], meta={}))
    assert (
        api.run(User.find(id=uid).update(tags__add={"z"}, items__prepend=["a"], meta__update={"m": "n"}))
        is None
    )
    got = api.run(User.get(id=uid))
    assert (got.tags, got.items, got.meta) == ({"a", "z"}, ["a", "b"], {"m": "n"})


def test_update_bad_collection_operator_is_refused_before_io(api):
    User = user_model(api)
    user = api.run(User.create(id=uuid.uuid4(), name="n"))
    with api.requests() as sent:
        with pytest.raises(InvalidQueryError, match="prepend"):
            api.run(user.update(tags__prepend={"x"}))  # prepend is for lists
        with pytest.raises(InvalidQueryError, match="frobnicate"):
            api.run(user.update(tags__frobnicate={"x"}))
        with pytest.raises(InvalidQueryError, match="primary key"):
            api.run(user.update(id=uuid.uuid4()))
    assert sent == []


def test_update_if_conditions_and_if_exists(api):
    User = user_model(api)
    uid = uuid.uuid4()
    user = api.run(User.create(id=uid, name="v1", age=1))

    fail = api.run(user.update(name="v2", if_conditions={"name": "nope"}))
    assert isinstance(fail, LWTResult)
    assert fail.applied is False
    assert fail.existing is not None and fail.existing["name"] == "v1"
    assert api.run(User.get(id=uid)).name == "v1"

    ok = api.run(user.update(name="v2", if_conditions={"name": "v1", "age__lt": 5}))
    assert ok.applied is True
    assert api.run(User.get(id=uid)).name == "v2"

    ok2 = api.run(user.update(age=2, if_exists=True))
    assert ok2.applied is True
    assert api.run(User.get(id=uid)).age == 2

    ghost = User(id=uuid.uuid4(), name="ghost")
    none = api.run(ghost.update(age=3, if_exists=True))
    assert none.applied is False
    assert api.run(User.find_one(id=ghost.id)) is None  # IF EXISTS did not create it


def test_delete_columns_and_collection_elements(api):
    User = user_model(api)
    uid = uuid.uuid4()
    user = api.run(User.create(id=uid, name="dc", email="e@x", meta={"a": "1", "b": "2"}))
    api.run(user.delete_columns("email"))
    api.run(user.delete_columns(collection_elements=[("meta", "a")]))
    got = api.run(User.get(id=uid))
    assert got.email is None
    assert got.meta == {"b": "2"}
    assert got.name == "dc"


def test_composite_key_crud(api):
    class Event(api.Document):
        tenant: Annotated[str, PrimaryKey(partition_key_index=0)]
        day: Annotated[int, PrimaryKey(partition_key_index=1)]
        seq: Annotated[int, ClusteringKey(order="DESC")]
        what: str = ""

        class Settings:
            name = api.name("events")

    api.run(Event.sync_table())
    for i in range(5):
        api.run(Event(tenant="t", day=1, seq=i, what=f"e{i}").save())
    api.run(Event(tenant="t", day=2, seq=0, what="other day").save())

    rows = api.run(Event.find(tenant="t", day=1).all())
    assert [r.seq for r in rows] == [4, 3, 2, 1, 0]  # declared DESC order
    one = api.run(Event.get(tenant="t", day=1, seq=3))
    assert one.what == "e3"
    api.run(one.delete())
    assert [r.seq for r in api.run(Event.find(tenant="t", day=1).all())] == [4, 2, 1, 0]
    assert api.run(Event.find(tenant="t", day=2).count()) == 1


def test_static_column_is_shared_by_the_partition(api):
    class Post(api.Document):
        blog: Annotated[int, PrimaryKey()]
        n: Annotated[int, ClusteringKey()]
        blog_title: Annotated[str, Static()] = ""
        text: str = ""

        class Settings:
            name = api.name("posts")

    statements = api.run(Post.sync_table())
    assert '"blog_title" text STATIC' in statements[0]
    api.run(Post(blog=1, n=1, blog_title="first title", text="a").save())
    api.run(Post(blog=1, n=2, blog_title="second title", text="b").save())
    api.run(Post(blog=2, n=1, blog_title="other blog").save())
    rows = api.run(Post.find(blog=1).all())
    assert [(r.n, r.blog_title, r.text) for r in rows] == [(1, "second title", "a"), (2, "second title", "b")]
    assert api.run(Post.get(blog=2, n=1)).blog_title == "other blog"

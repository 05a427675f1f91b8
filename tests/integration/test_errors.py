"""Bad input is refused before any I/O; server errors arrive as coodie exceptions."""

import uuid
from typing import Annotated

import pytest
from pydantic import ValidationError

from coodie.exceptions import (
    CoodieError,
    DocumentNotFound,
    DriverError,
    FilteringRequiredError,
    InvalidQueryError,
    InvalidRequest,
    MultipleDocumentsFound,
)
from coodie.fields import ClusteringKey, Indexed, PrimaryKey


def product_model(api, keyspace=None):
    ks = keyspace

    class Product(api.Document):
        id: Annotated[uuid.UUID, PrimaryKey()]
        sku: Annotated[int, ClusteringKey()] = 0
        name: str = ""
        brand: Annotated[str, Indexed()] = ""
        price: float = 0.0
        stock: int | None = None

        class Settings:
            name = api.name("products")
            keyspace = ks

    return Product


def test_wrong_python_type_is_a_validation_error_before_io(api):
    Product = product_model(api)
    api.run(Product.sync_table())
    with api.requests() as sent:
        with pytest.raises(ValidationError) as info:
            Product(id=uuid.uuid4(), price="not a number")
        assert "price" in str(info.value)
        with pytest.raises(ValidationError) as info:
            api.run(Product.create(id="not-a-uuid"))
        assert "id" in str(info.value)
        with pytest.raises(ValidationError) as info:
            Product(id=uuid.uuid4(), stock=[1])
        assert "stock" in str(info.value)
    assert sent == []


def test_wrong_type_in_update_and_filters_is_refused_before_io(api):
    Product = product_model(api)
    api.run(Product.sync_table())
    doc = api.run(Product.create(id=uuid.uuid4(), name="p"))
    with api.requests() as sent:
        with pytest.raises(InvalidQueryError) as info:
            api.run(doc.update(price="cheap"))
        assert "price" in str(info.value)
        assert isinstance(info.value.__cause__, ValidationError)
        with pytest.raises(InvalidQueryError) as info:
            Product.find(id="nope")
        assert "id" in str(info.value)
        with pytest.raises(InvalidQueryError) as info:
            api.run(Product.find(id=doc.id).update(stock="many"))
        assert "stock" in str(info.value)
    assert sent == []
    assert api.run(Product.get(id=doc.id)).price == 0.0


def test_unknown_filter_field_or_operator(api):
    Product = product_model(api)
    with api.requests() as sent:
        with pytest.raises(InvalidQueryError, match="colour"):
            Product.find(colour="red")
        with pytest.raises(InvalidQueryError, match="colour"):
            Product.find().filter(colour__in=["red"])
        with pytest.raises(InvalidQueryError, match="startswith"):
            Product.find(name__startswith="a")
        with pytest.raises(InvalidQueryError, match="nope"):
            Product.find().order_by("nope")
        with pytest.raises(InvalidQueryError, match="ghost"):
            Product.find().only("ghost")
        with pytest.raises(InvalidQueryError, match="ghost"):
            Product.find().values_list("name", "ghost")
        with pytest.raises(InvalidQueryError, match="ghost"):
            api.run(Product(id=uuid.uuid4()).update(ghost=1))
        with pytest.raises(InvalidQueryError, match="ghost"):
            api.run(Product(id=uuid.uuid4()).update(name="x", if_conditions={"ghost": 1}))
    assert sent == []


def test_filter_needing_allow_filtering(api):
    Product = product_model(api)
    api.run(Product.sync_table())
    pid = uuid.uuid4()
    api.run(Product(id=pid, sku=1, name="a", price=2.0).save())
    with api.requests() as sent:
        with pytest.raises(FilteringRequiredError) as info:
            api.run(Product.find(price__gt=1.0).all())
        assert "price" in str(info.value)
    assert sent == [], "a non-key, non-indexed filter is refused before any I/O"
    # the server's own refusal arrives as the same exception
    with pytest.raises(FilteringRequiredError) as info:
        api.run(Product.find(sku__gt=0).all())  # clustering column without the partition key
    assert info.value.__cause__ is not None
    assert "ALLOW FILTERING" in str(info.value)
    # with allow_filtering() both work
    assert [p.id for p in api.run(Product.find(price__gt=1.0).allow_filtering().all())] == [pid]
    assert [p.id for p in api.run(Product.find(sku__gt=0).allow_filtering().all())] == [pid]


def test_get_missing_and_find_one_duplicates(api):
    Product = product_model(api)
    api.run(Product.sync_table())
    pid = uuid.uuid4()
    with pytest.raises(DocumentNotFound):
        api.run(Product.get(id=pid))
    assert api.run(Product.find_one(id=pid)) is None
    assert api.run(Product.find(id=pid).first()) is None
    api.run(Product(id=pid, sku=1, brand="acme").save())
    api.run(Product(id=pid, sku=2, brand="acme").save())
    api.run(Product(id=uuid.uuid4(), sku=1, brand="acme").save())
    with pytest.raises(MultipleDocumentsFound):
        api.run(Product.find_one(id=pid))
    with pytest.raises(MultipleDocumentsFound):
        api.run(Product.get(id=pid))
    with pytest.raises(MultipleDocumentsFound):
        api.run(Product.find_one(brand="acme"))
    assert api.run(Product.get(id=pid, sku=2)).sku == 2


def test_server_error_is_a_driver_error_with_the_original_cause(api):
    Product = product_model(api, keyspace="no_such_keyspace_for_coodie")
    with pytest.raises(DriverError) as info:
        api.run(Product.find(id=uuid.uuid4()).all())
    exc = info.value
    assert isinstance(exc, CoodieError)
    assert isinstance(exc, InvalidRequest)
    cause = exc.__cause__
    assert cause is not None and not isinstance(cause, CoodieError)
    assert not type(cause).__module__.startswith("coodie")
    assert exc.original is cause
    assert "no_such_keyspace_for_coodie" in str(exc)

    with pytest.raises(DriverError) as info:
        api.run(Product(id=uuid.uuid4()).save())
    assert info.value.__cause__ is not None

    with pytest.raises(InvalidRequest) as info:
        api.execute_raw("SELEKT * FROM nowhere")
    assert info.value.__cause__ is not None
    with pytest.raises(InvalidRequest):
        api.execute_raw(f'SELECT "nope" FROM "{api.keyspace}"."{api.name("missing_table")}"')


def test_negative_ttl_is_refused(api):
    Product = product_model(api)
    api.run(Product.sync_table())
    doc = Product(id=uuid.uuid4())
    with api.requests() as sent:
        for bad in (-1, -3600, 1.5, "10"):
            with pytest.raises(InvalidQueryError, match="ttl"):
                api.run(doc.save(ttl=bad))
        with pytest.raises(InvalidQueryError, match="ttl"):
            api.run(doc.insert(ttl=-1))
        with pytest.raises(InvalidQueryError, match="ttl"):
            api.run(doc.update(name="x", ttl=-5))
        with pytest.raises(InvalidQueryError, match="ttl"):
            Product.find(id=doc.id).ttl(-1)
    assert sent == []


def test_bad_chain_arguments(api):
    Product = product_model(api)
    with pytest.raises(InvalidQueryError):
        Product.find().limit(0)
    with pytest.raises(InvalidQueryError):
        Product.find().limit(-5)
    with pytest.raises(InvalidQueryError):
        Product.find().fetch_size(0)
    with pytest.raises(InvalidQueryError):
        Product.find().per_partition_limit(0)
    with pytest.raises(InvalidQueryError):
        Product.find().page("not bytes")
    with pytest.raises(InvalidQueryError):
        Product.find(id__token__gt="x")
    with pytest.raises(InvalidQueryError):
        Product.find(name__token__gt=0)  # TOKEN() is for partition keys
    with pytest.raises(InvalidQueryError):
        Product.find().order_by("name")  # not a clustering column


def test_no_keyspace_anywhere(api):
    class Lost(api.Document):
        id: Annotated[int, PrimaryKey()]

        class Settings:
            name = api.name("lost")

    saved = api.driver.default_keyspace
    api.driver.default_keyspace = None
    try:
        with pytest.raises(InvalidQueryError, match="keyspace"):
            api.run(Lost.sync_table())
        with pytest.raises(InvalidQueryError, match="keyspace"):
            api.run(Lost.find(id=1).all())
    finally:
        api.driver.default_keyspace = saved

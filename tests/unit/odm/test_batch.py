"""coodie.batch: statements collected in a block and sent as one native batch."""

import asyncio

import pytest

from coodie import aio, sync
from coodie.batch import AsyncBatchQuery, BatchQuery
from coodie.drivers.base import BatchType

from .fakes import models


def test_batch_sends_one_native_batch(fake):
    Item = models(sync.Document)
    with BatchQuery(logged=False) as b:
        Item(shop=1, sku="a").save(batch=b)
        Item(shop=1, sku="b").delete(batch=b)
        assert fake.log == []
    assert len(fake.log) == 1
    kind, cqls, (batch_type, _params), _ = fake.log[0]
    assert kind == "batch" and batch_type is BatchType.UNLOGGED
    assert cqls[0].startswith('INSERT INTO "ks"."items"') and cqls[1].startswith('DELETE FROM "ks"."items"')


def test_batch_block_that_raises_sends_nothing(fake):
    Item = models(sync.Document)
    with pytest.raises(KeyError), BatchQuery() as b:
        Item(shop=1, sku="a").save(batch=b)
        raise KeyError("x")
    assert fake.log == []
    with BatchQuery():
        pass
    assert fake.log == []


def test_async_batch(fake):
    Item = models(aio.Document)

    async def main():
        async with AsyncBatchQuery(batch_type="counter") as b:
            assert b.batch_type is BatchType.COUNTER
        async with AsyncBatchQuery() as b:
            await Item(shop=1, sku="a").save(batch=b)
        with pytest.raises(ValueError):
            async with AsyncBatchQuery() as b:
                await Item(shop=1, sku="b").save(batch=b)
                raise ValueError

    asyncio.run(main())
    assert [entry[0] for entry in fake.log] == ["batch"]
    assert fake.log[0][2][0] is BatchType.LOGGED

"""TTL (per write, per update, table default) and write timestamps."""

import time
from typing import Annotated

from coodie.fields import PrimaryKey


def note_model(api, **settings):
    class Note(api.Document):
        id: Annotated[int, PrimaryKey()]
        title: str = ""
        body: str | None = None

        class Settings:
            name = api.name(settings.pop("suffix", "notes"))

    for key, value in settings.items():
        setattr(Note.Settings, key, value)
    api.run(Note.sync_table())
    return Note


def cell_ttl(api, doc_cls, key, column):
    rows = api.execute_raw(
        f'SELECT TTL("{column}") AS t FROM "{api.keyspace}"."{doc_cls.table_name()}" WHERE "id" = ?', [key]
    )
    return rows[0]["t"] if rows else None


def writetime(api, doc_cls, key, column):
    rows = api.execute_raw(
        f'SELECT WRITETIME("{column}") AS w FROM "{api.keyspace}"."{doc_cls.table_name()}" WHERE "id" = ?',
        [key],
    )
    return rows[0]["w"] if rows else None


def test_ttl_expiry(api):
    """One wait covers: save(ttl=), table default TTL, update(ttl=), QuerySet.ttl().update/create."""
    Note = note_model(api)
    Expiring = note_model(api, suffix="default_ttl", __default_ttl__=2)
    assert Expiring._schema().options == {"default_time_to_live": 2}

    api.run(Note(id=1, title="short-lived").save(ttl=2))
    api.run(Note(id=2, title="stays").save())
    api.run(Note(id=3, title="stays", body="expires").save())
    api.run(api.run(Note.get(id=3)).update(body="temp", ttl=2))
    api.run(Note(id=4, title="stays").save())
    api.run(Note.find(id=4).ttl(2).update(body="temp too"))
    api.run(Note.find().ttl(2).create(id=5, title="created short-lived"))
    api.run(Expiring(id=1, title="table default").save())
    api.run(Expiring(id=2, title="explicit longer").save(ttl=600))

    # visible now, and the server has the TTLs
    assert api.run(Note.get(id=1)).title == "short-lived"
    assert 0 < cell_ttl(api, Note, 1, "title") <= 2
    assert cell_ttl(api, Note, 2, "title") is None
    assert 0 < cell_ttl(api, Note, 3, "body") <= 2 and cell_ttl(api, Note, 3, "title") is None
    assert 0 < cell_ttl(api, Note, 4, "body") <= 2
    assert 0 < cell_ttl(api, Note, 5, "title") <= 2
    assert 0 < cell_ttl(api, Expiring, 1, "title") <= 2
    assert 500 < cell_ttl(api, Expiring, 2, "title") <= 600

    api.sleep(3.2)

    problems = []
    if api.run(Note.find_one(id=1)) is not None:
        problems.append("save(ttl=2): row still there")
    if api.run(Note.find_one(id=5)) is not None:
        problems.append("QuerySet.ttl(2).create: row still there")
    kept = api.run(Note.get(id=2))
    if kept.title != "stays":
        problems.append("a write without TTL expired")
    partial = api.run(Note.find_one(id=3))
    if partial is None or partial.title != "stays" or partial.body is not None:
        problems.append(f"update(ttl=2) must expire only the updated cell: {partial!r}")
    partial = api.run(Note.find_one(id=4))
    if partial is None or partial.title != "stays" or partial.body is not None:
        problems.append(f"QuerySet.ttl(2).update must expire only the updated cell: {partial!r}")
    if api.run(Expiring.find_one(id=1)) is not None:
        problems.append("__default_ttl__=2: row still there")
    if api.run(Expiring.find_one(id=2)) is None:
        problems.append("save(ttl=600) on a default-TTL table expired early")
    assert problems == []


def test_write_timestamp_decides_which_write_wins(api):
    Note = note_model(api)
    now = int(time.time() * 1_000_000)
    api.run(Note(id=1, title="at T").save(timestamp=now))
    assert writetime(api, Note, 1, "title") == now

    api.run(Note(id=1, title="older").save(timestamp=now - 1_000))
    assert api.run(Note.get(id=1)).title == "at T", "an older write must lose"
    api.run(Note(id=1, title="newer").save(timestamp=now + 1_000))
    assert api.run(Note.get(id=1)).title == "newer"
    assert writetime(api, Note, 1, "title") == now + 1_000

    doc = api.run(Note.get(id=1))
    api.run(doc.update(body="stamped", timestamp=now + 2_000))
    assert writetime(api, Note, 1, "body") == now + 2_000
    assert writetime(api, Note, 1, "title") == now + 1_000

    api.run(Note.find(id=1).timestamp(now + 3_000).update(title="qs stamped"))
    assert writetime(api, Note, 1, "title") == now + 3_000

    api.run(doc.delete(timestamp=now - 5_000))  # older than the data: no effect
    assert api.run(Note.find_one(id=1)) is not None
    api.run(doc.delete(timestamp=now + 10_000))
    assert api.run(Note.find_one(id=1)) is None
    # a write older than the tombstone stays deleted
    api.run(Note(id=1, title="zombie").save(timestamp=now + 9_000))
    assert api.run(Note.find_one(id=1)) is None


def test_default_write_timestamp_is_now(api):
    Note = note_model(api)
    before = int(time.time() * 1_000_000)
    api.run(Note(id=1, title="t").save())
    after = int(time.time() * 1_000_000)
    stamp = writetime(api, Note, 1, "title")
    assert before - 5_000_000 <= stamp <= after + 5_000_000  # microseconds, near now


def test_ttl_and_timestamp_together(api):
    Note = note_model(api)
    now = int(time.time() * 1_000_000)
    api.run(Note(id=1, title="both").save(ttl=300, timestamp=now))
    assert writetime(api, Note, 1, "title") == now
    assert 250 < cell_ttl(api, Note, 1, "title") <= 300

"""Lightweight transactions: applied and not applied, with the existing row returned."""

from typing import Annotated

from coodie.fields import ClusteringKey, PrimaryKey
from coodie.results import LWTResult


def account_model(api):
    class Account(api.Document):
        id: Annotated[int, PrimaryKey()]
        owner: str
        balance: int = 0
        note: str | None = None

        class Settings:
            name = api.name("accounts")

    api.run(Account.sync_table())
    return Account


def test_insert_applied_then_not_applied_with_existing_row(api):
    Account = account_model(api)
    first = api.run(Account(id=1, owner="ann", balance=10).insert())
    assert isinstance(first, LWTResult)
    assert first.applied is True and bool(first) is True

    second = api.run(Account(id=1, owner="bob", balance=99, note="x").insert())
    assert second.applied is False and bool(second) is False
    assert second.existing is not None
    assert {k: second.existing[k] for k in ("id", "owner", "balance", "note")} == {
        "id": 1,
        "owner": "ann",
        "balance": 10,
        "note": None,
    }
    assert "[applied]" not in second.existing
    assert api.run(Account.get(id=1)).owner == "ann"


def test_update_conditions_with_operators(api):
    Account = account_model(api)
    acct = api.run(Account.create(id=1, owner="ann", balance=100))

    cases = [
        ({"balance__gt": 100}, False),
        ({"balance__gte": 100}, True),
        ({"balance__lt": 50}, False),
        ({"balance__lte": 100, "owner": "ann"}, True),
        ({"owner__ne": "ann"}, False),
        ({"owner__in": ["bob", "ann"]}, True),
        ({"note": None}, True),
    ]
    for conditions, applied in cases:
        result = api.run(acct.update(balance=100, if_conditions=conditions))
        assert isinstance(result, LWTResult)
        assert result.applied is applied, conditions
        if not applied:
            assert result.existing is not None
            for key in conditions:
                column = key.split("__")[0]
                assert column in result.existing, (conditions, result.existing)
    failed = api.run(acct.update(owner="zed", if_conditions={"balance": 1}))
    assert failed.existing == {"balance": 100}
    assert acct.owner == "ann", "a failed LWT must not patch the instance"
    assert api.run(Account.get(id=1)).owner == "ann"


def test_update_if_exists_wins_over_conditions(api):
    Account = account_model(api)
    acct = api.run(Account.create(id=1, owner="ann"))
    result = api.run(acct.update(balance=5, if_exists=True, if_conditions={"owner": "nobody"}))
    assert result.applied is True
    assert api.run(Account.get(id=1)).balance == 5


def test_delete_conditions(api):
    Account = account_model(api)
    acct = api.run(Account.create(id=1, owner="ann", balance=3))
    kept = api.run(acct.delete(if_conditions={"balance__gt": 3}))
    assert kept.applied is False and kept.existing == {"balance": 3}
    gone = api.run(acct.delete(if_exists=True))
    assert gone.applied is True
    assert api.run(Account.find_one(id=1)) is None
    again = api.run(acct.delete(if_exists=True))
    assert again.applied is False


def test_queryset_lwt_operations(api):
    Account = account_model(api)
    created = api.run(Account.find().if_not_exists().create(id=7, owner="qs", balance=1))
    assert isinstance(created, LWTResult) and created.applied is True
    dup = api.run(Account.find().if_not_exists().create(id=7, owner="other", balance=2))
    assert dup.applied is False and dup.existing["owner"] == "qs"

    no = api.run(Account.find(id=7).update(balance=50, if_conditions={"balance": 2}))
    assert isinstance(no, LWTResult) and no.applied is False
    yes = api.run(Account.find(id=7).update(balance=50, if_conditions={"balance": 1}))
    assert yes.applied is True
    assert api.run(Account.get(id=7)).balance == 50

    refused = api.run(Account.find(id=7).delete(if_conditions={"owner": "other"}))
    assert refused.applied is False and refused.existing == {"owner": "qs"}
    deleted = api.run(Account.find(id=7).if_exists().delete())
    assert deleted.applied is True
    assert api.run(Account.find(id=7).if_exists().delete()).applied is False


def test_lwt_on_a_clustered_row(api):
    class Seat(api.Document):
        show: Annotated[int, PrimaryKey()]
        seat: Annotated[str, ClusteringKey()]
        holder: str | None = None

        class Settings:
            name = api.name("seats")

    api.run(Seat.sync_table())
    for s in ("A1", "A2"):
        api.run(Seat(show=1, seat=s).save())
    mine = api.run(Seat.get(show=1, seat="A1"))
    took = api.run(mine.update(holder="me", if_conditions={"holder": None}))
    assert took.applied is True
    theirs = api.run(Seat.get(show=1, seat="A1"))
    lost = api.run(theirs.update(holder="them", if_conditions={"holder": None}))
    assert lost.applied is False and lost.existing == {"holder": "me"}
    assert api.run(Seat.get(show=1, seat="A2")).holder is None

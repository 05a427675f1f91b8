"""Shared error translation: kinds by protocol code, chaining, and the translating block."""

import pytest

from coodie import exceptions as exc_mod
from coodie.drivers._shared.errors import (
    chained,
    filtering_kind,
    server_error_kind,
    translating,
    with_request,
)
from coodie.drivers.base import Consistency, ExecOptions


def test_server_error_kinds():
    assert server_error_kind(0x1000) is exc_mod.Unavailable
    assert server_error_kind(0x2400) is exc_mod.AlreadyExists
    assert server_error_kind(0x1500) is exc_mod.ServerError
    assert server_error_kind(None) is exc_mod.ServerError


def test_filtering_kind():
    assert filtering_kind(exc_mod.InvalidRequest, "use ALLOW FILTERING") is exc_mod.FilteringRequiredError
    assert filtering_kind(exc_mod.InvalidRequest, "syntax") is exc_mod.InvalidRequest
    assert filtering_kind(exc_mod.ServerError, "ALLOW FILTERING") is exc_mod.ServerError


def test_chained_carries_the_original():
    original = RuntimeError("boom")
    translated = chained(exc_mod.Unavailable, "Unavailable: boom", original, 0x1000)
    assert type(translated) is exc_mod.Unavailable
    assert translated.original is original and translated.__cause__ is original and translated.code == 0x1000


def _to_timeout(error):
    return chained(exc_mod.RequestTimeout, f"timed out: {error}", error)


def test_translating_translates_and_names_the_request():
    options = ExecOptions(consistency=Consistency.QUORUM, timeout=2.0)
    with pytest.raises(exc_mod.RequestTimeout) as info, translating(_to_timeout, request=options):
        raise OSError("slow")
    assert str(info.value) == "timed out: slow [request: consistency=QUORUM, timeout=2.0s]"
    assert isinstance(info.value.__cause__, OSError)


def test_translating_lets_coodie_errors_pass_and_releases_on_any_error():
    released = []
    own = exc_mod.ConfigurationError("mine")
    with (
        pytest.raises(exc_mod.ConfigurationError) as info,
        translating(_to_timeout, release=lambda: released.append(1)),
    ):
        raise own
    assert info.value is own
    with pytest.raises(exc_mod.RequestTimeout), translating(_to_timeout, release=lambda: released.append(2)):
        raise OSError("slow")
    assert released == [1, 2]
    with translating(_to_timeout, release=lambda: released.append(3)):
        pass
    assert released == [1, 2]


def test_with_request_leaves_other_errors_alone():
    error = exc_mod.InvalidRequest("bad")
    assert with_request(error, ExecOptions(consistency=Consistency.ONE)).args == ("bad",)
    timeout = exc_mod.RequestTimeout("slow")
    assert with_request(timeout, ExecOptions()).args == ("slow",)

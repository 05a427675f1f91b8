"""Fixtures of the ODM unit tests: the fake driver registered as the default, and the API flavour."""

import pytest

from .fakes import Api, FakeDriver, installed


@pytest.fixture
def fake():
    with installed(FakeDriver()) as driver:
        yield driver


@pytest.fixture(params=["sync", "aio"])
def api(request, fake):
    """The same test body through ``coodie.sync`` and ``coodie.aio`` (they differ only in the runner)."""
    return Api(request.param)

"""coodie.drivers: the registry of named drivers."""

import pytest

import coodie.drivers as drivers
from coodie.exceptions import ConfigurationError

from ..odm.fakes import FakeDriver, installed


@pytest.fixture
def fake():
    with installed(FakeDriver()) as driver:
        yield driver


def test_registry(fake):
    assert drivers.get_driver() is fake
    other = FakeDriver()
    drivers.register_driver("other", other)
    assert drivers.get_driver() is fake, "registering without default=True keeps the default"
    drivers.register_driver("other", other, default=True)
    assert drivers.get_driver() is other
    assert drivers.get_driver("default") is fake
    with pytest.raises(ConfigurationError):
        drivers.get_driver("missing")
    drivers._registry.clear()
    with pytest.raises(ConfigurationError, match="init_coodie"):
        drivers.get_driver()


def test_unknown_driver_type():
    with pytest.raises(ConfigurationError, match="nope"):
        drivers.init_coodie(driver_type="nope")

"""lacking(): a backend's capabilities from what it lacks and why."""

import pytest

from coodie.drivers._shared.capabilities import lacking
from coodie.drivers.base import Capabilities


def test_each_named_capability_is_off_with_its_reason_in_order():
    caps = lacking(lz4="no compression", decimal="digits sent as text")
    assert caps.lz4 is False and caps.decimal is False
    assert caps.gaps == (("lz4", "no compression"), ("decimal", "digits sent as text"))
    assert caps.reason("decimal") == "digits sent as text"
    others = {name for name in Capabilities.__dataclass_fields__ if name not in ("lz4", "decimal", "gaps")}
    assert all(getattr(caps, name) is True for name in others)


def test_nothing_lacking_is_the_default():
    assert lacking() == Capabilities()


def test_a_misspelt_capability_fails_at_once():
    with pytest.raises(TypeError):
        lacking(lz5="typo")

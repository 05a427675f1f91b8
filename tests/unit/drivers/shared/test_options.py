"""Connection options every backend reads in the same sense."""

import pytest

from coodie.drivers._shared.options import (
    DEFAULT_HOSTS,
    PREPARED_CACHE_SIZE,
    host_ports,
    no_options,
    prepared_cache_size,
    refuse_lazy,
    refuse_unknown,
    require_username,
)
from coodie.exceptions import ConfigurationError


def test_host_ports():
    assert host_ports(None) == [(DEFAULT_HOSTS[0], None)]
    assert host_ports([]) == [(DEFAULT_HOSTS[0], None)]
    assert host_ports(["a", "b:9043", "[::1]:9044", "::1"]) == [
        ("a", None),
        ("b", 9043),
        ("::1", 9044),
        ("::1", None),
    ]


def test_prepared_cache_size_is_taken_out():
    options = {"prepared_cache_size": "8", "port": 1}
    assert prepared_cache_size(options) == 8 and options == {"port": 1}
    assert prepared_cache_size({}) == PREPARED_CACHE_SIZE


def test_checks():
    require_username({"username": "u", "password": "p"})
    with pytest.raises(ConfigurationError, match="needs username"):
        require_username({"password": "p"})
    refuse_unknown({"port": 1}, frozenset({"port"}), "x")
    with pytest.raises(
        ConfigurationError, match=r"driver_type='x' does not know the option\(s\) \['bogus'\].*hint"
    ):
        refuse_unknown({"port": 1, "bogus": 2}, frozenset({"port"}), "x", " (hint)")
    refuse_lazy(False, "x")
    with pytest.raises(ConfigurationError, match="lazy=True"):
        refuse_lazy(True, "x")


def test_no_options_with_a_session():
    no_options({"lazy": True, "port": None})
    with pytest.raises(ConfigurationError, match=r"\['port'\] have no effect with session="):
        no_options({"port": 9042})

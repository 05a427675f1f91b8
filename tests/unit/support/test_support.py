import pytest

from coodie.exceptions import ConfigurationError
from coodie.support.cql_names import quote
from coodie.support.hosts import split_host_port
from coodie.support.lru import LRU


def test_lru_bound_and_order():
    cache = LRU[str, int](2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.keys() == ["a", "c"]
    assert len(cache) == 2
    assert cache.pop("a") == 1 and cache.get("a") is None
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ConfigurationError, match="0"):
        LRU(0)


def test_lru_discard_where_forgets_only_the_matching_values():
    cache = LRU[str, int](5)
    for i, key in enumerate("abcd"):
        cache.put(key, i)
    cache.discard_where(lambda v: v % 2 == 1)
    assert cache.keys() == ["a", "c"]


def test_quote_keeps_case_and_doubles_quotes():
    assert quote("Mixed") == '"Mixed"'
    assert quote('a"b') == '"a""b"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("node1", ("node1", None)),
        ("127.0.0.2:9043", ("127.0.0.2", 9043)),
        ("[::1]:9042", ("::1", 9042)),
        ("::1", ("::1", None)),
        ("[::1]", ("::1", None)),
    ],
)
def test_split_host_port(text, expected):
    assert split_host_port(text) == expected

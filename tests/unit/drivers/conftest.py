"""Skip the tests of a backend whose driver package is not installed here."""

import importlib.util


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


collect_ignore = []
if not _installed("acsylla"):
    collect_ignore.append("test_acsylla.py")
if not _installed("scylla.session_builder"):
    collect_ignore.append("test_python_rs.py")
if not _installed("cassandra"):
    collect_ignore.append("test_cassandra_adapter.py")

"""Connecting: init_coodie in both flavours, the registry, the raw driver helpers."""

import os
from typing import Annotated

import pytest

from coodie import drivers as coodie_drivers
from coodie.drivers import get_driver, register_driver
from coodie.exceptions import ConfigurationError
from coodie.fields import PrimaryKey


def _hosts():
    raw = os.environ.get("COODIE_TEST_HOSTS", "127.0.0.1")
    return [h.strip() for h in raw.split(",") if h.strip()]


def _port_option():
    port = os.environ.get("COODIE_TEST_PORT")
    return {"port": int(port)} if port else {}


def test_init_coodie_registers_a_new_default_driver(api):
    harness = get_driver()
    assert harness is api.driver
    extra = api.run(
        api.module.init_coodie(
            hosts=_hosts(),
            keyspace=api.keyspace,
            driver_type=api.driver_type,
            name="it_extra",
            **_port_option(),
        )
    )
    try:
        assert extra is not harness
        assert get_driver() is extra, "the latest init_coodie becomes the default"
        assert get_driver("it_extra") is extra
        assert extra.default_keyspace == api.keyspace

        class Probe(api.Document):
            id: Annotated[int, PrimaryKey()]
            v: str = ""

            class Settings:
                name = api.name("probe")
                connection = "it_extra"

        api.run(Probe.sync_table())
        api.run(Probe(id=1, v="via extra").save())
        rows = api.execute_raw(f'SELECT "v" FROM "{api.keyspace}"."{Probe.table_name()}" WHERE "id" = 1')
        assert rows == [{"v": "via extra"}]
    finally:
        if api.is_async:
            api.run(extra.close_async())
        else:
            extra.close()
        coodie_drivers._registry.pop("it_extra", None)
        register_driver("default", harness, default=True)
    assert get_driver() is harness


def test_unknown_driver_type_and_name(api):
    with pytest.raises(ConfigurationError, match="warp-drive"):
        api.run(api.module.init_coodie(hosts=_hosts(), driver_type="warp-drive"))
    with pytest.raises(ConfigurationError, match="nobody"):
        get_driver("nobody")


def test_raw_driver_helpers(api):
    driver = get_driver()
    rows = driver.execute("SELECT release_version FROM system.local", [])
    assert len(rows) == 1 and isinstance(rows[0]["release_version"], str)
    assert driver.execute_one("SELECT release_version FROM system.local") == rows[0]["release_version"]
    assert (
        driver.execute_one("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = 'x_y'")
        is None
    )
    version = api.execute_raw("SELECT release_version FROM system.local")[0]["release_version"]
    assert version == rows[0]["release_version"]
    assert api.execute_raw(
        "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?", [api.keyspace]
    ) == [{"keyspace_name": api.keyspace}]
    assert (
        api.execute_raw("SELECT * FROM system_schema.keyspaces WHERE keyspace_name = ?", ["absent_ks"]) == []
    )


def test_flavours_are_what_they_claim(api):
    """The sync flavour runs with no event loop; the aio flavour's calls are awaitables."""
    import asyncio
    import inspect

    class Flavoured(api.Document):
        id: Annotated[int, PrimaryKey()]

        class Settings:
            name = api.name("flavoured")

    call = Flavoured.sync_table()
    if api.is_async:
        assert inspect.isawaitable(call)
        api.run(call)
        with pytest.raises(TypeError):
            api.run(None)
    else:
        assert isinstance(call, list)
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop()
    assert api.table_exists(Flavoured.table_name())

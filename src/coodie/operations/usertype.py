"""``UserType``: a UDT model that can create its type on the server.

``sync_type()`` and ``sync_type_async()`` sit on the class itself (upstream's
API), so a UDT serves blocking and asyncio code alike; both run one plan.
"""

from __future__ import annotations

from coodie.drivers import get_driver
from coodie.exceptions import InvalidQueryError
from coodie.model.usertype import UserTypeBase
from coodie.operations.ddl import plan_sync_type
from coodie.operations.plan import Plan, run_async, run_sync


class UserType(UserTypeBase):
    """Base of UDT models. ``Settings.__type_name__`` and ``Settings.keyspace`` are optional."""

    @classmethod
    def sync_type(cls, keyspace: str | None = None, connection: str | None = None) -> list[str]:
        """CREATE TYPE for this UDT and its dependencies (dependencies first); returns the CQL run."""
        return run_sync(cls._plan_sync_type(keyspace, connection))

    @classmethod
    async def sync_type_async(cls, keyspace: str | None = None, connection: str | None = None) -> list[str]:
        return await run_async(cls._plan_sync_type(keyspace, connection))

    @classmethod
    def _plan_sync_type(cls, keyspace: str | None, connection: str | None) -> Plan[list[str]]:
        driver = get_driver(connection or getattr(cls.Settings, "connection", None))
        ks = keyspace or getattr(cls.Settings, "keyspace", None) or driver.default_keyspace
        if not ks:
            raise InvalidQueryError(
                f"No keyspace configured for {cls.__name__}: pass keyspace= or set Settings.keyspace"
            )
        return plan_sync_type(driver, ks, cls)

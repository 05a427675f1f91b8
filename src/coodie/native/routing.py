"""Token-aware routing: which nodes own the partition a prepared statement reads or writes.

The pieces, each usable on its own (the unit tests drive them with fake rings):

* :func:`routing_token` - the partition key values of a bound statement (at the
  prepared statement's ``pk_indexes``) turned into a routing key (one
  component as it is, several as Cassandra's CompositeType) and its
  Murmur3Partitioner token, both computed in C;
* :class:`TokenRing` - the tokens of every node (from ``system.local`` and
  ``system.peers(_v2)``), sorted, with the replicas of a token for
  SimpleStrategy and NetworkTopologyStrategy (racks are not considered);
* :class:`Router` - the ring plus the replication of each keyspace (from
  ``system_schema.keyspaces``); it loads them through any query function and
  answers "which nodes, in order, for this statement and these values".

When a statement has no partition key markers, a value cannot be encoded, or
the ring is unknown, the answer is ``None`` and the session goes round-robin.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coodie._native import murmur3_token
from coodie._native import routing_key as _routing_key
from coodie.native.runner import Plan, awaited_only, blocking_only, one, run_async, run_blocking

Address = tuple[str, int]

LOCAL_QUERY = "SELECT data_center, rack, tokens FROM system.local WHERE key = 'local'"
PEERS_V2_QUERY = "SELECT peer, native_address, native_port, data_center, rack, tokens FROM system.peers_v2"
PEERS_QUERY = "SELECT peer, rpc_address, data_center, rack, tokens FROM system.peers"
KEYSPACES_QUERY = "SELECT keyspace_name, replication FROM system_schema.keyspaces"


def routing_key(parts: Sequence[bytes]) -> bytes:
    """The routing key of serialized partition key components (in key order)."""
    key: bytes = _routing_key(parts)
    return key


def token_of(key: bytes) -> int:
    """Murmur3Partitioner token of a routing key."""
    token: int = murmur3_token(key)
    return token


def routing_token(prepared: Any, params: Sequence[Any]) -> int | None:
    """The token of the partition a bound prepared statement targets, or None."""
    indexes = prepared.pk_indexes
    if not indexes:
        return None
    try:
        values = prepared.bind(params)
        return token_of(routing_key([values[i] for i in indexes]))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # the execute itself reports the bad value


_QUALIFIED = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+("(?:[^"]|"")+"|\w+)\s*\.', re.IGNORECASE)


def statement_keyspace(cql: str, default: str | None) -> str | None:
    """The keyspace a statement names (``FROM ks.t``, ``INTO "Ks".t``...), else ``default``."""
    m = _QUALIFIED.search(cql)
    if m is None:
        return default
    name = m.group(1)
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


@dataclass
class Host:
    """One node as the ring sees it."""

    address: Address
    datacenter: str | None = None
    rack: str | None = None
    tokens: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Replication:
    """A keyspace's replication settings."""

    strategy: str  # "simple", "nts", "local" or "other"
    factor: int = 1  # SimpleStrategy
    per_dc: Mapping[str, int] = field(default_factory=dict)  # NetworkTopologyStrategy

    @classmethod
    def parse(cls, options: Mapping[str, str]) -> Replication:
        name = options.get("class", "").rsplit(".", 1)[-1]
        if name == "SimpleStrategy":
            return cls("simple", factor=_rf(options.get("replication_factor")))
        if name == "NetworkTopologyStrategy":
            per_dc = {dc: _rf(v) for dc, v in options.items() if dc not in ("class", "replication_factor")}
            return cls("nts", per_dc={dc: rf for dc, rf in per_dc.items() if rf > 0})
        if name in ("LocalStrategy", "EverywhereStrategy"):
            return cls("local")
        return cls("other")


def _rf(value: str | None) -> int:
    """A replication factor; "3/1" (transient replicas) counts the full ones."""
    if not value:
        return 1
    head = str(value).split("/", 1)[0]
    return int(head) if head.isdigit() else 1


class TokenRing:
    """Tokens sorted around the ring, each with the host that owns it."""

    def __init__(self, hosts: Iterable[Host]) -> None:
        self.hosts = list(hosts)
        pairs = sorted(((t, h) for h in self.hosts for t in h.tokens), key=lambda pair: pair[0])
        self.tokens = [t for t, _ in pairs]
        self.owners = [h for _, h in pairs]

    def __bool__(self) -> bool:
        return bool(self.tokens)

    def _start(self, token: int) -> int:
        """Index of the first ring token >= token (wrapping): its owner is the primary replica."""
        i = bisect.bisect_left(self.tokens, token)
        return 0 if i == len(self.tokens) else i

    def primary(self, token: int) -> Host:
        return self.owners[self._start(token)]

    def _walk(self, token: int) -> Iterable[Host]:
        n = len(self.tokens)
        start = self._start(token)
        for k in range(n):
            yield self.owners[(start + k) % n]

    def replicas(self, token: int, replication: Replication | None = None) -> list[Host]:
        """The hosts holding a token, primary first, in ring order."""
        if not self.tokens:
            return []
        if replication is None or replication.strategy == "other":
            return [self.primary(token)]
        if replication.strategy == "local":
            return list(self.hosts)
        chosen: list[Host] = []
        seen: set[Address] = set()
        if replication.strategy == "simple":
            want = min(replication.factor, len({h.address for h in self.owners}))
            for host in self._walk(token):
                if host.address not in seen:
                    seen.add(host.address)
                    chosen.append(host)
                    if len(chosen) >= want:
                        break
            return chosen
        # NetworkTopologyStrategy: per data center, the next distinct hosts of that DC
        dc_hosts: dict[str | None, int] = {}
        for h in {h.address: h for h in self.owners}.values():
            dc_hosts[h.datacenter] = dc_hosts.get(h.datacenter, 0) + 1
        need = {dc: min(rf, dc_hosts.get(dc, 0)) for dc, rf in replication.per_dc.items()}
        need = {dc: rf for dc, rf in need.items() if rf > 0}
        for host in self._walk(token):
            if not need:
                break
            dc = host.datacenter
            if dc in need and host.address not in seen:
                seen.add(host.address)
                chosen.append(host)
                need[dc] -= 1
                if need[dc] == 0:
                    del need[dc]
        return chosen


def _tokens(raw: Any) -> list[int]:
    out = []
    for t in raw or ():
        try:
            out.append(int(t))
        except (TypeError, ValueError):
            continue
    return out


def _peer_address(row: Mapping[str, Any], port_default: int) -> Address | None:
    addr = row.get("native_address") or row.get("rpc_address") or row.get("peer")
    if addr is not None and getattr(addr, "is_unspecified", False):
        addr = row.get("peer")
    if addr is None:
        return None
    return (str(addr), int(row.get("native_port") or port_default))


def hosts_from_rows(
    local_address: Address, local: Sequence[Mapping[str, Any]], peers: Sequence[Mapping[str, Any]]
) -> list[Host]:
    """Ring hosts from ``system.local`` (the node at ``local_address``) and the peers tables."""
    hosts: list[Host] = []
    for row in local[:1]:
        hosts.append(Host(local_address, row.get("data_center"), row.get("rack"), _tokens(row.get("tokens"))))
    for row in peers:
        address = _peer_address(row, local_address[1])
        if address is not None and address != local_address:
            hosts.append(Host(address, row.get("data_center"), row.get("rack"), _tokens(row.get("tokens"))))
    return hosts


Query = Callable[[str], Sequence[Mapping[str, Any]]]
AsyncQuery = Callable[[str], Awaitable[Sequence[Mapping[str, Any]]]]
#: CQL text -> the plan that runs it and returns its rows
Ask = Callable[[str], Plan[Sequence[Mapping[str, Any]]]]
#: errors that leave routing off instead of failing the session
QUERY_ERRORS: tuple[type[BaseException], ...] = (Exception,)


class Router:
    """The token ring and keyspace replication of one session."""

    def __init__(self) -> None:
        self.ring = TokenRing(())
        self.keyspaces: dict[str, Replication] = {}
        self._cache: dict[tuple[str | None, int], list[Address]] = {}
        self._keyspace_of: dict[str, str] = {}

    # loading --------------------------------------------------------------
    def set_ring(self, hosts: Iterable[Host]) -> None:
        self.ring = TokenRing(hosts)
        self._cache.clear()

    def set_keyspaces(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.keyspaces = {
            str(r["keyspace_name"]): Replication.parse(r.get("replication") or {})
            for r in rows
            if r.get("keyspace_name")
        }
        self._cache.clear()

    def loading(self, ask: Ask, local_address: Address) -> Plan[None]:
        """Load the ring and the keyspaces through ``ask`` (errors leave routing off)."""
        try:
            local = yield from ask(LOCAL_QUERY)
            try:
                peers = yield from ask(PEERS_V2_QUERY)
            except QUERY_ERRORS:
                peers = yield from ask(PEERS_QUERY)
            self.set_ring(hosts_from_rows(local_address, local, peers))
            self.set_keyspaces((yield from ask(KEYSPACES_QUERY)))
        except QUERY_ERRORS:
            return

    def load(self, query: Query, local_address: Address) -> None:
        """Load the ring and the keyspaces with a blocking query function."""
        run_blocking(self.loading(lambda cql: one(blocking_only(query, cql)), local_address))

    async def load_async(self, query: AsyncQuery, local_address: Address) -> None:
        await run_async(self.loading(lambda cql: one(awaited_only(query, cql)), local_address))

    def _keyspace_changed(self, info: Any) -> bool:
        """A SCHEMA_CHANGE result ``(change, target, ...)`` about a keyspace, with a ring to route on."""
        return bool(self.ring) and isinstance(info, tuple) and len(info) > 1 and info[1] == "KEYSPACE"

    def reloading(self, info: Any, ask: Ask) -> Plan[None]:
        """Reload the keyspaces' replication after a keyspace was created, altered or dropped."""
        if self._keyspace_changed(info):
            try:
                self.set_keyspaces((yield from ask(KEYSPACES_QUERY)))
            except QUERY_ERRORS:
                return

    def schema_changed(self, info: Any, query: Query) -> None:
        run_blocking(self.reloading(info, lambda cql: one(blocking_only(query, cql))))

    async def schema_changed_async(self, info: Any, query: AsyncQuery) -> None:
        await run_async(self.reloading(info, lambda cql: one(awaited_only(query, cql))))

    # answering ------------------------------------------------------------
    def replicas_for_token(self, token: int, keyspace: str | None) -> list[Address]:
        key = (keyspace, token)
        cached = self._cache.get(key)
        if cached is None:
            replication = self.keyspaces.get(keyspace) if keyspace else None
            cached = [h.address for h in self.ring.replicas(token, replication)]
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def replicas(self, prepared: Any, params: Sequence[Any], keyspace: str | None) -> list[Address] | None:
        """The nodes owning the statement's partition, primary first; None: go round-robin.

        ``keyspace`` is the session's; a keyspace named in the statement wins.
        """
        if not self.ring or prepared is None or not params:
            return None
        token = routing_token(prepared, params)
        if token is None:
            return None
        query = prepared.query
        ks = self._keyspace_of.get(query)
        if ks is None:
            ks = statement_keyspace(query, None) or ""
            if len(self._keyspace_of) > 4096:
                self._keyspace_of.clear()
            self._keyspace_of[query] = ks
        return self.replicas_for_token(token, ks or keyspace) or None

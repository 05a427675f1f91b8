"""Transitional: the names ``coodie.drivers.native`` still imports from here.

The shared backend helpers live in :mod:`coodie.drivers._shared`, one module a
kind; delete this file once the native backend imports them from there.
"""

from __future__ import annotations

from coodie.drivers._shared.errors import chained, filtering_kind, server_error_kind, translating
from coodie.drivers._shared.options import PREPARED_CACHE_SIZE, refuse_unknown, require_username
from coodie.drivers._shared.tls import is_pem, require_cert_for_key, tls_requested, verify_requested

__all__ = [
    "PREPARED_CACHE_SIZE",
    "chained",
    "filtering_kind",
    "is_pem",
    "refuse_unknown",
    "require_cert_for_key",
    "require_username",
    "server_error_kind",
    "tls_requested",
    "translating",
    "verify_requested",
]

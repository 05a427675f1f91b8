"""The TLS options, read the same way by every backend that takes them.

``ssl_enabled``, ``ssl_trusted_cert`` (the CA), ``ssl_cert`` and ``ssl_private_key``
(a client certificate), ``ssl_private_key_password`` and ``ssl_verify_flags``.
Certificates and keys are given as PEM text or as the name of a PEM file.
"""

from __future__ import annotations

from typing import Any

from coodie import exceptions as exc_mod

#: the TLS options that, given without ``ssl_enabled``, turn TLS on
TLS_KEYS = ("ssl_trusted_cert", "ssl_cert", "ssl_private_key", "ssl_private_key_password", "ssl_verify_flags")
#: every TLS option a backend takes by these names (``ssl_context``: a ready context of the driver's kind)
TLS_OPTIONS = frozenset({"ssl_enabled", "ssl_context", *TLS_KEYS})


def tls_requested(options: dict[str, Any]) -> bool:
    """``ssl_enabled=True``, or ``ssl_enabled`` left out and some other TLS option given."""
    enabled = options.get("ssl_enabled")
    if enabled is None:
        return any(options.get(k) is not None for k in TLS_KEYS)
    return bool(enabled)


def verify_requested(flags: Any) -> bool:
    """Whether ``ssl_verify_flags`` asks to verify the server (``0`` or ``"none"`` turn it off)."""
    return not (flags is not None and (flags == 0 or str(getattr(flags, "name", flags)).lower() == "none"))


def is_pem(value: Any) -> bool:
    """PEM text (rather than the name of a file)."""
    return "-----BEGIN" in str(value)


def pem_text(value: Any, option: str) -> Any:
    """PEM text as given, or read from the file ``value`` names (``option`` names it in errors).

    Values that are neither text nor bytes pass as they are, for the driver to judge.
    """
    if isinstance(value, bytes):
        return value.decode()
    if not isinstance(value, str) or is_pem(value):
        return value
    try:
        with open(value, encoding="utf-8") as fh:
            return fh.read()
    except OSError as error:
        raise exc_mod.ConfigurationError(
            f"{option}={value!r} is neither PEM text nor a readable file: {error}"
        ) from None


def require_cert_for_key(cert: Any, key: Any) -> None:
    if key is not None and cert is None:
        raise exc_mod.ConfigurationError("ssl_private_key= needs ssl_cert= as well")

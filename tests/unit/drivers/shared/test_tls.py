"""The TLS options, read the same way by every backend."""

import pytest

from coodie.drivers._shared.tls import is_pem, pem_text, require_cert_for_key, tls_requested, verify_requested
from coodie.exceptions import ConfigurationError

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_tls_requested():
    assert not tls_requested({})
    assert tls_requested({"ssl_trusted_cert": "ca.pem"})
    assert not tls_requested({"ssl_enabled": False, "ssl_trusted_cert": "ca.pem"})
    assert tls_requested({"ssl_enabled": True})


@pytest.mark.parametrize(
    ("flags", "verify"), [(None, True), (1, True), (0, False), ("none", False), ("NONE", False)]
)
def test_verify_requested(flags, verify):
    assert verify_requested(flags) is verify


def test_pem_text(tmp_path):
    assert is_pem(PEM) and not is_pem("ca.pem")
    assert pem_text(PEM, "ssl_cert") == PEM
    assert pem_text(PEM.encode(), "ssl_cert") == PEM
    path = tmp_path / "ca.pem"
    path.write_text(PEM)
    assert pem_text(str(path), "ssl_trusted_cert") == PEM
    assert pem_text(None, "ssl_cert") is None
    with pytest.raises(
        ConfigurationError, match=r"ssl_trusted_cert=.* is neither PEM text nor a readable file"
    ):
        pem_text(str(tmp_path / "missing.pem"), "ssl_trusted_cert")


def test_a_key_needs_a_cert():
    require_cert_for_key("c.pem", "k.pem")
    require_cert_for_key(None, None)
    with pytest.raises(ConfigurationError, match="needs ssl_cert"):
        require_cert_for_key(None, "k.pem")

"""AuthorizationRequest keeps its values as Python strings made once: a read returns the
same object (no copy per read), nothing can replace them, and absent ones are None."""

import pytest

import authgate


def client(**options: object) -> authgate.Client:
    return authgate.Client("generic", base_url="https://auth.example", client_id="pos-42", auth_method="none",
                           redirect_uri="https://pos.example/callback", **options)


def test_values_are_read_without_a_copy() -> None:
    req = client().authorization_url(scopes="openid")
    for name in ("url", "state", "nonce", "pkce_verifier"):
        value = getattr(req, name)
        assert isinstance(value, str) and getattr(req, name) is value, name
        with pytest.raises(AttributeError):
            setattr(req, name, "replaced")
    assert req.parse_callback(f"https://pos.example/callback?code=c&state={req.state}") == "c"
    assert "pkce_verifier='[redacted]'" in repr(req) and req.pkce_verifier not in repr(req)


def test_absent_values_are_none() -> None:
    req = client(pkce=False).authorization_url()
    assert req.nonce is None and req.pkce_verifier is None
    assert "nonce=None, pkce_verifier=None" in repr(req)

"""One name per concept (the names the Rust core uses), the old Python names kept as
deprecated aliases that warn, and the store base type."""

from __future__ import annotations

import pathlib
import warnings

import pytest

import authgate
from conftest import Emulator


def test_the_pkce_verifier_keeps_the_rust_name(emulator: Emulator, gearcode: authgate.Client) -> None:
    req = gearcode.authorization_url(pkce_verifier="v" * 43)
    assert req.pkce_verifier == "v" * 43
    assert "pkce_verifier='[redacted]'" in repr(req) and "v" * 43 not in repr(req)
    code = req.parse_callback(emulator.authorize(req.url))
    tokens = gearcode.exchange_code(code, pkce_verifier=req.pkce_verifier)
    assert tokens.access_token


def test_code_verifier_is_a_deprecated_alias(emulator: Emulator, gearcode: authgate.Client) -> None:
    with pytest.warns(DeprecationWarning, match="pkce_verifier"):
        req = gearcode.authorization_url(code_verifier="w" * 43)
    assert req.pkce_verifier == "w" * 43
    with pytest.warns(DeprecationWarning, match="AuthorizationRequest.pkce_verifier"):
        assert req.code_verifier == "w" * 43
    code = req.parse_callback(emulator.authorize(req.url))
    with pytest.warns(DeprecationWarning, match="pkce_verifier"):
        tokens = gearcode.exchange_code(code, code_verifier="w" * 43)
    assert tokens.access_token
    with pytest.raises(TypeError, match="pkce_verifier or code_verifier, not both"):
        gearcode.authorization_url(pkce_verifier="w" * 43, code_verifier="w" * 43)
    with pytest.raises(TypeError, match="pkce_verifier or code_verifier, not both"):
        gearcode.exchange_code("code", pkce_verifier="w" * 43, code_verifier="w" * 43)


def test_cancel_token_is_cancelled() -> None:
    cancel = authgate.CancelToken()
    assert cancel.is_cancelled() is False
    cancel.cancel()
    assert cancel.is_cancelled() is True
    assert repr(cancel) == "CancelToken(cancelled=True)"
    with pytest.warns(DeprecationWarning, match="is_cancelled"):
        assert cancel.cancelled is True


def test_token_set_from_json_is_the_one_reader() -> None:
    tokens = authgate.TokenSet.from_json('{"access_token":"at","token_type":"bearer","expires_in":60}')
    assert authgate.TokenSet.from_json(tokens.to_json()).access_token == "at"
    assert not hasattr(authgate.TokenSet, "parse")


def test_id_token_kinds_are_the_rust_variant_names() -> None:
    # IdTokenError::{Malformed, Algorithm, UnknownKey, Signature, Issuer, Audience, Expired,
    # NotYetValid, Nonce} in snake_case, each with its own error code.
    kinds = ["malformed", "algorithm", "unknown_key", "signature", "issuer", "audience", "expired",
             "not_yet_valid", "nonce"]
    codes = {authgate.IdTokenError("x", kind=k).code for k in kinds}
    assert len(codes) == len(kinds)
    assert all(authgate.ErrorCode(c).name.startswith("ID_TOKEN_") for c in codes)
    for kind, code in zip(kinds, sorted(codes)):
        assert authgate.ErrorCode(code).name == "ID_TOKEN_" + kind.upper()


def test_extra_parameters_are_params_everywhere() -> None:
    import inspect

    client = authgate.Client("generic", base_url="https://auth.example", client_id="pos-42", auth_method="none")
    for name in ("authorization_url", "exchange_code", "refresh", "password", "client_credentials"):
        assert "params" in inspect.signature(getattr(client, name)).parameters, name


def test_the_stores_share_a_base_type(tmp_path: pathlib.Path) -> None:
    memory = authgate.MemoryStore()
    file = authgate.FileStore(tmp_path / "tokens.json")
    assert isinstance(memory, authgate.TokenStore) and isinstance(file, authgate.TokenStore)
    tokens = authgate.TokenSet.from_json('{"access_token":"at","token_type":"Bearer"}')
    for store in (memory, file):
        assert store.load() is None
        store.save(tokens)
        loaded = store.load()
        assert loaded is not None and loaded.access_token == "at"
        store.clear()
        assert store.load() is None
    with pytest.raises(NotImplementedError):  # the base of stores written in Python
        authgate.TokenStore().load()


def test_the_base_type_is_the_base_of_python_stores() -> None:
    # Issue 16.1: a subclass, or any object with load() and save(), is a store.
    class Custom(authgate.TokenStore):
        pass

    with pytest.raises(NotImplementedError, match="load\\(\\), save\\(json\\) and clear\\(\\)"):
        Custom().save(authgate.TokenSet.from_json('{"access_token":"at"}'))

    class DuckStore:
        def load(self) -> None:
            return None

        def save(self, tokens: authgate.TokenSet) -> None:
            pass

        def clear(self) -> None:
            pass

    client = authgate.Client("generic", base_url="https://auth.example", client_id="pos-42", auth_method="none")
    assert isinstance(authgate.TokenManager(client, store=DuckStore()).store, DuckStore)
    with pytest.raises(TypeError, match="store must be an authgate.TokenStore or an object with load\\(\\) and save\\(json\\), not dict"):
        authgate.TokenManager(client, store={})


def test_no_deprecation_warning_from_the_new_names(emulator: Emulator, gearcode: authgate.Client) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        req = gearcode.authorization_url()
        assert req.pkce_verifier
        gearcode.exchange_code(req.parse_callback(emulator.authorize(req.url)), pkce_verifier=req.pkce_verifier)
        assert authgate.CancelToken().is_cancelled() is False

"""Every preset's flow against the emulator."""

from __future__ import annotations

import datetime
import json
import urllib.parse

import pytest

import authgate
from conftest import REDIRECT_URI, Emulator, make_client


def code_flow(emulator: Emulator, client: authgate.Client) -> authgate.TokenSet:
    req = client.authorization_url()
    callback = emulator.authorize(req.url)
    assert callback.startswith(REDIRECT_URI + "?")
    code = req.parse_callback(callback)
    return client.exchange_code(code, pkce_verifier=req.pkce_verifier)


def test_taxcom_code_flow(emulator: Emulator) -> None:
    client = make_client(emulator, "taxcom", redirect_param="redirect_url")
    req = client.authorization_url()
    assert "redirect_url=" in req.url and "scope=api" in req.url
    tokens = code_flow(emulator, client)
    assert tokens.token_type == "Bearer"
    assert tokens.expires_in == 3_600_000
    assert tokens.refresh_token is None
    assert tokens.scope == "api"
    assert tokens.expires_at is not None
    assert tokens.expires_at.tzinfo is datetime.timezone.utc
    assert tokens.expires_at > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=40)
    assert not tokens.is_expired()
    resp = emulator.request("GET", "/api/me", headers={"Authorization": tokens.authorization_header})
    assert resp.status == 200


def test_kontur_code_flow_with_state_and_nonce(emulator: Emulator) -> None:
    client = make_client(emulator, "kontur")
    req = client.authorization_url()
    assert req.nonce is not None and req.pkce_verifier is not None
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(req.url).query))
    assert query["scope"] == "openid extern.api"
    assert query["nonce"] == req.nonce and query["state"] == req.state
    code = authgate.parse_callback(emulator.authorize(req.url), req.state)
    tokens = client.exchange_code(code, pkce_verifier=req.pkce_verifier)
    assert tokens.id_token is not None and tokens.id_token.count(".") == 2
    assert tokens.expires_in == 3600
    assert set(tokens.raw) >= {"access_token", "id_token", "token_type", "expires_in"}


def test_gearcode_code_flow_refresh_rotation_and_client_credentials(emulator: Emulator) -> None:
    client = make_client(emulator, "gearcode")
    tokens = code_flow(emulator, client)
    assert tokens.token_type == "Bearer"  # sent as lower-case "bearer"
    assert tokens.expires_in == 899
    assert tokens.refresh_token
    fresh = client.refresh(tokens)
    assert fresh.refresh_token and fresh.refresh_token != tokens.refresh_token
    assert fresh.access_token != tokens.access_token
    # The old refresh token is dead after rotation.
    with pytest.raises(authgate.InvalidGrant):
        client.refresh(tokens.refresh_token)  # type: ignore[arg-type]
    again = client.refresh(fresh.refresh_token)
    assert again.access_token
    cc = client.client_credentials()
    assert cc.access_token and cc.refresh_token is None
    assert emulator.request("GET", "/api/me", headers={"Authorization": cc.authorization_header}).status == 200


@pytest.mark.parametrize(
    "client_id,secret,username,password",
    [
        ("client", "secret", "admin", "admin"),
        ("pos-terminal", "p@ss+word%", "кассир", "p&s=w+o%rd 1 ё"),
    ],
)
def test_cuba_password_and_refresh(
    emulator: Emulator, client_id: str, secret: str, username: str, password: str
) -> None:
    client = make_client(emulator, "cuba", client_id=client_id, client_secret=secret)
    assert client.authorization_endpoint is None
    tokens = client.password(username, password)
    assert tokens.scope == "rest-api" and tokens.expires_in == 43198
    assert tokens.refresh_token
    fresh = client.refresh(tokens)
    assert fresh.access_token and fresh.refresh_token
    assert emulator.request("GET", "/api/me", headers={"Authorization": fresh.authorization_header}).status == 200


def test_client_from_json_is_the_same_configuration(emulator: Emulator) -> None:
    client = authgate.Client.from_json(
        json.dumps(
            {"provider": "cuba", "base_url": emulator.base_url, "client_id": "client", "client_secret": "secret",
             "timeout_ms": 5000}
        )
    )
    assert client.token_endpoint == emulator.base_url + "/app/rest/v2/oauth/token"
    assert client.password("admin", "admin").access_token


def test_token_set_round_trips_through_json(cuba: authgate.Client) -> None:
    tokens = cuba.password("admin", "admin")
    back = authgate.TokenSet.from_json(tokens.to_json())
    assert back.access_token == tokens.access_token
    assert back.refresh_token == tokens.refresh_token
    assert back.expires_at == tokens.expires_at
    assert back.token_type == tokens.token_type and back.scope == tokens.scope
    # raw is what to_json stored: the answer, its token_type normalised, plus expires_at.
    stored = {k: v for k, v in back.raw.items() if k not in ("expires_at", "token_type")}
    assert stored == {k: v for k, v in tokens.raw.items() if k != "token_type"}
    assert back.raw["expires_at"] == int(tokens.expires_at.timestamp())  # type: ignore[union-attr]
    assert cuba.refresh(back).access_token


def test_token_set_from_json_keeps_expiry_and_refresh_token() -> None:
    saved = '{"access_token": "a", "refresh_token": "r", "expires_in": 60, "expires_at": 1000000000}'
    t = authgate.TokenSet.from_json(saved)
    assert t.expires_at == datetime.datetime(2001, 9, 9, 1, 46, 40, tzinfo=datetime.timezone.utc)
    assert t.is_expired() and t.refresh_token == "r"
    # A plain server answer counts from now.
    fresh = authgate.TokenSet.from_json('{"access_token": "a", "expires_in": 60}')
    assert not fresh.is_expired() and fresh.is_expired(61)


def test_wrong_content_type_is_accepted_with_a_warning(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault("/app/rest/v2/oauth/token", "wrong_content_type")
    tokens = cuba.password("admin", "admin")
    assert any("text/plain" in w for w in tokens.warnings), tokens.warnings


def test_short_lifetime_is_expired_with_leeway(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.control("expires_in", {"dialect": "cuba", "seconds": 5})
    tokens = cuba.password("admin", "admin")
    assert tokens.expires_in == 5
    assert not tokens.is_expired()
    assert tokens.is_expired(10)
    assert tokens.is_expired(leeway=datetime.timedelta(seconds=10))

"""private_key_jwt, client_secret_jwt and pushed authorization requests (RFC 7523, RFC
9126) against the emulator's Kontur dialect, which verifies each assertion with the
client's registered key or secret."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.parse
from typing import Any, Dict

import pytest

import authgate
from conftest import REDIRECT_URI, ROOT, Emulator

K_TOKEN = "/connect/token"
K_PAR = "/connect/par"
RSA_KEY = ROOT / "tests/emulator/keys/client-rsa.pem"
EC_KEY = ROOT / "tests/emulator/keys/client-ec.pem"
RSA_JWK = ROOT / "tests/emulator/keys/client-rsa.jwk.json"
EC_JWKS = ROOT / "tests/emulator/keys/client-ec.jwks.json"
SCOPES = "openid extern.api offline_access"


def keyed(emulator: Emulator, **kwargs: Any) -> authgate.Client:
    options: Dict[str, Any] = dict(
        base_url=emulator.base_url, client_id="kontur-service", redirect_uri=REDIRECT_URI,
        scopes=SCOPES, timeout=10, proxy="none",
    )
    options.update(kwargs)
    return authgate.Client("kontur", **options)


def sign_in(emulator: Emulator, client: authgate.Client, **url_options: Any) -> authgate.TokenSet:
    req = client.authorization_url(**url_options)
    return client.exchange_code(req.parse_callback(emulator.authorize(req.url)), pkce_verifier=req.pkce_verifier)


def last_assertion(emulator: Emulator) -> "tuple[Dict[str, Any], Dict[str, Any]]":
    recorded = emulator.last_request(K_TOKEN)
    assert recorded is not None
    form = dict(recorded.form())
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert "client_secret" not in form

    def part(i: int) -> Dict[str, Any]:
        segment = form["client_assertion"].split(".")[i]
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

    return part(0), part(1)


@pytest.mark.parametrize(
    "key, alg, expected",
    [(RSA_KEY, None, "RS256"), (RSA_KEY, "PS256", "PS256"), (EC_KEY, None, "ES256")],
)
def test_private_key_jwt(emulator: Emulator, key: Any, alg: Any, expected: str) -> None:
    client = keyed(emulator, client_key=str(key), client_key_id="till-7", client_assertion_alg=alg)
    assert client.auth_method == "private_key_jwt"
    tokens = sign_in(emulator, client)
    header, claims = last_assertion(emulator)
    assert (header["alg"], header["kid"]) == (expected, "till-7")
    assert claims["iss"] == claims["sub"] == "kontur-service"
    assert claims["aud"] == emulator.base_url + K_TOKEN
    assert claims["exp"] - claims["iat"] == 60
    assert tokens.refresh_token is not None
    client.refresh(tokens.refresh_token)
    assert last_assertion(emulator)[1]["jti"] != claims["jti"]
    assert "PRIVATE KEY" not in repr(client)


def test_the_key_as_pem_text_and_client_secret_jwt(emulator: Emulator) -> None:
    sign_in(emulator, keyed(emulator, client_key=EC_KEY.read_text()))
    assert last_assertion(emulator)[0]["alg"] == "ES256"
    client = keyed(
        emulator, client_secret="kontur-api-key", auth_method="client_secret_jwt",
        issuer=emulator.base_url, client_assertion_audience="issuer",
    )
    sign_in(emulator, client)
    header, claims = last_assertion(emulator)
    assert header["alg"] == "HS256" and claims["aud"] == emulator.base_url


def test_a_wrong_audience_is_invalid_client(emulator: Emulator) -> None:
    client = keyed(
        emulator, client_key=str(RSA_KEY),
        token_endpoint=f"http://localhost:{emulator.port}{K_TOKEN}",
    )
    before = emulator.counts().get(K_TOKEN, 0)
    with pytest.raises(authgate.InvalidClient) as caught:
        sign_in(emulator, client)
    assert "aud" in str(caught.value)
    assert "eyJ" not in str(caught.value) and "eyJ" not in repr(caught.value)
    assert emulator.counts()[K_TOKEN] == before + 1


def test_an_expired_assertion_is_invalid_client(emulator: Emulator) -> None:
    client = keyed(emulator, client_key=str(EC_KEY))
    emulator.control("clock", {"advance": 120})
    with pytest.raises(authgate.InvalidClient, match="expired"):
        sign_in(emulator, client)


def test_a_bad_key_is_a_config_error_without_the_key(emulator: Emulator) -> None:
    garbage = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n"
    with pytest.raises(authgate.ConfigError) as caught:
        keyed(emulator, client_key=garbage)
    assert "client_key" in str(caught.value) and "c2VjcmV0" not in str(caught.value)
    with pytest.raises(authgate.ConfigError, match="EC key"):
        keyed(emulator, client_key=str(EC_KEY), client_assertion_alg="RS256")


def test_the_key_as_a_jwk_or_a_jwk_set(emulator: Emulator) -> None:
    # A JWK Set by path: its one private key signs, under the JWK's kid.
    tokens = sign_in(emulator, keyed(emulator, client_key=EC_JWKS))
    assert tokens.refresh_token is not None
    assert last_assertion(emulator)[0] == {"alg": "ES256", "typ": "JWT", "kid": "kontur-ec-jwk"}
    # The JWK's JSON text, as a console hands it out.
    jwk = json.loads(RSA_JWK.read_text())
    sign_in(emulator, keyed(emulator, client_key=json.dumps(jwk)))
    assert last_assertion(emulator)[0]["kid"] == "kontur-rsa-jwk"
    # Its alg must agree with the configured one; the message names both, not the key.
    with pytest.raises(authgate.ConfigError) as caught:
        keyed(emulator, client_key=json.dumps(jwk), client_assertion_alg="PS256")
    assert "PS256" in str(caught.value) and "RS256" in str(caught.value)
    assert jwk["d"][:16] not in str(caught.value) + repr(caught.value)
    public = {k: jwk[k] for k in ("kty", "kid", "n", "e")}
    with pytest.raises(authgate.ConfigError, match="public half"):
        keyed(emulator, client_key=json.dumps(public))


def test_pushed_authorization_requests(emulator: Emulator) -> None:
    with pytest.raises(authgate.ConfigError, match="pushed_authorization_request_endpoint"):
        keyed(emulator, client_secret="kontur-api-key").authorization_url(push=True)
    client = keyed(
        emulator, client_secret="kontur-api-key",
        pushed_authorization_request_endpoint=emulator.base_url + K_PAR,
    )
    assert "request_uri" not in client.authorization_url().url
    req = client.authorization_url(push=True)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(req.url).query))
    assert sorted(query) == ["client_id", "request_uri"]
    pushed = emulator.last_request(K_PAR)
    assert pushed is not None and dict(pushed.form())["state"] == req.state
    sign_in_url = emulator.authorize(req.url)
    client.exchange_code(req.parse_callback(sign_in_url), pkce_verifier=req.pkce_verifier)
    # Used once: the second visit is refused.
    parts = urllib.parse.urlsplit(req.url)
    assert emulator.request("GET", f"{parts.path}?{parts.query}").status == 400


def test_a_provider_that_requires_pushing(emulator: Emulator) -> None:
    # In a process of its own: the discovery document it reads (which requires pushing)
    # stays in that process's cache, out of the other tests' way.
    emulator.control("par", {"required": True})
    code = f"""
import http.client, urllib.parse, authgate
client = authgate.Client.discover(
    {emulator.base_url!r}, "kontur", client_id="kontur-service", client_key={str(RSA_KEY)!r},
    redirect_uri={REDIRECT_URI!r}, scopes={SCOPES!r}, timeout=10,
)
req = client.authorization_url()
assert "request_uri=" in req.url and "state=" not in req.url, req.url
parts = urllib.parse.urlsplit(req.url)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
conn.request("GET", parts.path + "?" + parts.query)
location = conn.getresponse().getheader("Location")
tokens = client.exchange_code(req.parse_callback(location), pkce_verifier=req.pkce_verifier)
assert tokens.id_token is not None
print("signed in")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "signed in" in done.stdout, done.stderr
    pushed = emulator.last_request(K_PAR)
    assert pushed is not None and "client_assertion" in dict(pushed.form())

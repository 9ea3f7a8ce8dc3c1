"""DPoP (RFC 9449) from Python against the emulator: DPoP-bound tokens, the headers for an
API request, the requests and httpx adapters (with the resource server's nonce), and the
typed failures."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict

import pytest

import authgate
from conftest import REDIRECT_URI, Emulator, make_client

CUBA_TOKEN = "/app/rest/v2/oauth/token"


def claims(jwt: str, part: int = 1) -> Dict[str, Any]:
    p = jwt.split(".")[part]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))  # type: ignore[no-any-return]


def test_tokens_are_bound_and_the_api_takes_the_headers(emulator: Emulator) -> None:
    emulator.control("dpop", {"required": True, "nonce": True})
    client = make_client(emulator, "cuba", dpop=True)
    assert client.uses_dpop
    tokens = client.password("admin", "admin")
    assert tokens.token_type == "DPoP"
    assert tokens.authorization_header.startswith("DPoP ")
    assert emulator.counts()[CUBA_TOKEN] == 2  # the nonce dance: one refusal, one retry
    sent = emulator.last_request(CUBA_TOKEN)
    assert sent is not None
    proof = dict(sent.headers)["dpop"]
    assert claims(proof, 0)["typ"] == "dpop+jwt"
    assert claims(proof)["htu"] == emulator.base_url + CUBA_TOKEN and "nonce" in claims(proof)

    url = emulator.base_url + "/api/me"
    headers = client.dpop_headers("GET", url, tokens)
    assert headers["Authorization"] == tokens.authorization_header
    assert claims(headers["DPoP"])["htm"] == "GET"
    assert emulator.request("GET", "/api/me", headers=headers).status == 200
    # Replayed: refused.
    assert emulator.request("GET", "/api/me", headers=headers).status == 401
    # Nothing of the proof or the key in repr.
    assert headers["DPoP"][:20] not in repr(client)


def test_requests_adapter_signs_each_request_and_follows_the_nonce(emulator: Emulator) -> None:
    requests = pytest.importorskip("requests")
    from authgate.requests import BearerAuth

    client = make_client(emulator, "cuba", dpop=True)
    tokens = client.password("admin", "admin")
    auth = BearerAuth(client, tokens)
    url = emulator.base_url + "/api/me"
    r = requests.get(url, auth=auth, timeout=10)
    assert r.status_code == 200, r.text
    assert r.request.headers["Authorization"] == tokens.authorization_header
    first = r.request.headers["DPoP"]
    assert claims(first)["htu"] == url and "ath" in claims(first)
    # A new proof for every request (a replayed one would be refused).
    r = requests.get(url + "?x=1", auth=auth, timeout=10)
    assert r.status_code == 200 and r.request.headers["DPoP"] != first
    assert claims(r.request.headers["DPoP"])["htu"] == url  # without the query

    # The resource server now wants a nonce: 401 with DPoP-Nonce, then one retry.
    emulator.control("dpop", {"nonce": True})
    r = requests.get(url, auth=auth, timeout=10)
    assert r.status_code == 200, r.text
    assert [h.status_code for h in r.history] == [401]
    assert "nonce" in claims(r.request.headers["DPoP"])
    assert auth.manager.refresh_count == 0  # the token was good: no refresh


def test_httpx_adapter_follows_the_nonce(emulator: Emulator) -> None:
    httpx = pytest.importorskip("httpx")
    from authgate.httpx import BearerAuth

    client = make_client(emulator, "cuba", dpop=True)
    auth = BearerAuth(client, client.password("admin", "admin"))
    emulator.control("dpop", {"nonce": True})
    r = httpx.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200, r.text
    assert r.request.headers["Authorization"].startswith("DPoP ")
    assert "nonce" in claims(r.request.headers["DPoP"])


def test_failures_are_typed(emulator: Emulator) -> None:
    client = make_client(emulator, "cuba", dpop=True)
    emulator.control("dpop", {"keep_asking": True})
    with pytest.raises(authgate.OAuthError) as e:
        client.password("admin", "admin")
    assert e.value.error == "use_dpop_nonce"
    assert emulator.counts()[CUBA_TOKEN] == 2  # one retry only

    plain = make_client(emulator, "cuba")
    with pytest.raises(authgate.ConfigError):
        plain.dpop_headers("GET", emulator.base_url + "/api/me", "token")
    with pytest.raises(authgate.ConfigError):
        make_client(emulator, "cuba", dpop_key_file="/nonexistent/dpop.pem")


def mtls_client(emulator: Emulator, cert: str = "client") -> "tuple[authgate.Client, str, str]":
    started = emulator.control("mtls")
    url, tls_dir = started["url"], started["dir"]
    client = authgate.Client(
        client_id="mtls-client",
        token_endpoint=url + "/mtls/token",
        auth_method="tls_client_auth",
        tls_client_cert_file=f"{tls_dir}/{cert}.pem",
        tls_client_key_file=f"{tls_dir}/{cert}.key",
        ca_file=f"{tls_dir}/ca.pem",
        proxy="none",
    )
    return client, url, f"{tls_dir}/ca.pem"


def test_mutual_tls_tokens_and_the_adapters_certificate(emulator: Emulator) -> None:
    requests = pytest.importorskip("requests")
    httpx = pytest.importorskip("httpx")
    from authgate.httpx import BearerAuth as HttpxAuth
    from authgate.requests import BearerAuth

    client, url, ca = mtls_client(emulator)
    assert client.auth_method == "tls_client_auth"
    assert client.client_cert is not None and client.client_cert[0].endswith("client.pem")
    tokens = client.client_credentials()
    auth = BearerAuth(client, tokens)
    assert auth.cert == client.client_cert
    # The certificate-bound token: good with the same certificate …
    r = auth.session().get(url + "/api/me", verify=ca, timeout=10)
    assert r.status_code == 200, r.text
    # … refused without it.
    bearer = {"Authorization": tokens.authorization_header}
    assert requests.get(url + "/api/me", headers=bearer, verify=ca, timeout=10).status_code == 401
    r = httpx.get(url + "/api/me", auth=HttpxAuth(client, tokens), verify=auth.ssl_context(ca), timeout=10)
    assert r.status_code == 200, r.text


def test_mutual_tls_failures_are_typed(emulator: Emulator) -> None:
    client, _, _ = mtls_client(emulator, "other-client")
    with pytest.raises(authgate.OAuthError) as e:
        client.client_credentials()
    assert e.value.error == "invalid_client"
    with pytest.raises(authgate.ConfigError):
        authgate.Client(client_id="c", token_endpoint=emulator.base_url + "/t", auth_method="tls_client_auth")


def test_userinfo_with_a_dpop_bound_token_follows_the_nonce(emulator: Emulator) -> None:
    client = authgate.Client.discover(
        emulator.base_url, "kontur", client_id="kontur-service", client_secret="kontur-api-key",
        redirect_uri=REDIRECT_URI, timeout=10, dpop=True,
    )
    req = client.authorization_url()
    tokens = client.exchange_code(req.parse_callback(emulator.authorize(req.url)), pkce_verifier=req.pkce_verifier)
    assert tokens.token_type == "DPoP"
    # UserInfo now wants a nonce: refused once, sent again with it, answered.
    emulator.control("dpop", {"nonce": True})
    assert client.userinfo(tokens)["sub"] == "user-1"
    assert emulator.counts()["/connect/userinfo"] == 2
    sent = emulator.last_request("/connect/userinfo")
    assert sent is not None
    headers = dict(sent.headers)
    assert headers["authorization"] == tokens.authorization_header
    assert claims(headers["dpop"])["htu"] == emulator.base_url + "/connect/userinfo"
    assert "ath" in claims(headers["dpop"]) and "nonce" in claims(headers["dpop"])

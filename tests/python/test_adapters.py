"""The requests and httpx adapters against the emulator's protected resource."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import List

import pytest

import authgate
from conftest import Emulator

requests = pytest.importorskip("requests")
httpx = pytest.importorskip("httpx")


def stale(tokens: authgate.TokenSet) -> authgate.TokenSet:
    """The same refresh token with an access token the resource server refuses."""
    data = json.loads(tokens.to_json())
    data["access_token"] = "not-a-valid-token"
    return authgate.TokenSet.from_json(json.dumps(data))


def test_adapters_are_imported_lazily() -> None:
    code = "import sys, authgate; assert 'requests' not in sys.modules and 'httpx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_requests_bearer(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    auth = BearerAuth(cuba, cuba.password("admin", "admin"))
    r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200 and r.json()["dialect"] == "cuba"
    assert authgate.requests.BearerAuth is BearerAuth


def test_requests_refreshes_an_expiring_token(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    emulator.control("expires_in", {"dialect": "cuba", "seconds": 5})
    first = cuba.password("admin", "admin")
    seen: List[authgate.TokenSet] = []
    auth = BearerAuth(cuba, first, leeway=30, on_refresh=seen.append)
    with requests.Session() as s:
        assert s.get(emulator.base_url + "/api/me", auth=auth, timeout=10).status_code == 200
    assert len(seen) == 1 and auth.tokens is seen[0]
    assert seen[0].access_token != first.access_token


def test_requests_401_retry_and_history(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    auth = BearerAuth(cuba, stale(cuba.password("admin", "admin")))
    r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [401]
    # The renewed set is kept: the next request needs no retry.
    again = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert again.status_code == 200 and again.history == []


def test_requests_gives_up_after_one_retry(emulator: Emulator, gearcode: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    bogus = authgate.TokenSet.from_json('{"access_token": "bogus", "token_type": "bearer"}')
    auth = BearerAuth(gearcode, bogus)  # no refresh token, no fetch: nothing to retry with
    r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 401 and r.history == []


def test_requests_fetch_client_credentials(emulator: Emulator, gearcode: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    auth = BearerAuth(gearcode, fetch=gearcode.client_credentials)
    r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200 and r.json()["dialect"] == "gearcode"


def test_httpx_sync(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.httpx import BearerAuth

    auth = BearerAuth(cuba, stale(cuba.password("admin", "admin")))
    with httpx.Client(auth=auth, timeout=10) as http:
        r = http.get(emulator.base_url + "/api/me")
        assert r.status_code == 200 and r.json()["dialect"] == "cuba"
        assert [h.status_code for h in r.history] == [401]
        assert http.get(emulator.base_url + "/api/me").status_code == 200


def test_httpx_async(emulator: Emulator, gearcode: authgate.Client) -> None:
    from authgate.httpx import BearerAuth

    auth = BearerAuth(gearcode, fetch=gearcode.client_credentials)

    async def main() -> List[int]:
        async with httpx.AsyncClient(auth=auth, timeout=10) as http:
            rs = await asyncio.gather(*(http.get(emulator.base_url + "/api/me") for _ in range(5)))
            return [r.status_code for r in rs]

    assert asyncio.run(main()) == [200] * 5
    # Five concurrent requests shared one fetch.
    assert emulator.counts().get("/oauth/token") == 1


def test_adapter_argument_errors(gearcode: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    with pytest.raises(TypeError, match="client must be an authgate.Client"):
        BearerAuth("client")  # type: ignore[arg-type]
    with pytest.raises(authgate.ConfigError, match="fetch"):
        BearerAuth(gearcode)
    with pytest.raises(ValueError, match="leeway"):
        BearerAuth(gearcode, fetch=gearcode.client_credentials, leeway=-1)

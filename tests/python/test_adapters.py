"""The requests and httpx adapters against the emulator's protected resource: the token
comes from a TokenManager (given, or built for ``BearerAuth(client, tokens)``)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest

import authgate
from conftest import Emulator

requests = pytest.importorskip("requests")
httpx = pytest.importorskip("httpx")

GC_TOKEN = "/oauth/token"
CUBA_TOKEN = "/app/rest/v2/oauth/token"


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

    tokens = cuba.password("admin", "admin")
    auth = BearerAuth(cuba, tokens)
    r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200 and r.json()["dialect"] == "cuba"
    assert r.request.headers["Authorization"] == tokens.authorization_header
    # The short form is a TokenManager of the client, in memory.
    assert auth.manager.client is cuba and isinstance(auth.manager.store, authgate.MemoryStore)
    assert auth.manager.refresh_count == 0
    assert authgate.requests.BearerAuth is BearerAuth


def test_requests_refreshes_an_expiring_token(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    # A token living less than twice the leeway is refreshed at half its lifetime.
    emulator.control("expires_in", {"dialect": "cuba", "seconds": 1})
    first = cuba.password("admin", "admin")
    emulator.control("expires_in", {"dialect": "cuba", "seconds": 3600})
    auth = BearerAuth(cuba, first, leeway=30)
    time.sleep(0.6)
    with requests.Session() as s:
        r = s.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200 and r.history == []
    assert emulator.counts().get(CUBA_TOKEN) == 2 and auth.manager.refresh_count == 1
    assert r.request.headers["Authorization"] != first.authorization_header


def test_requests_leeway_with_a_manager(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    emulator.control("expires_in", {"dialect": "cuba", "seconds": 20})
    manager = authgate.TokenManager(cuba, leeway=1)
    manager.set_tokens(cuba.password("admin", "admin"))
    emulator.control("expires_in", {"dialect": "cuba", "seconds": 3600})
    url = emulator.base_url + "/api/me"
    assert requests.get(url, auth=BearerAuth(manager), timeout=10).status_code == 200
    assert manager.refresh_count == 0
    # A token valid for 20 s is not valid for 30: refreshed first.
    assert requests.get(url, auth=BearerAuth(manager, leeway=30), timeout=10).status_code == 200
    assert manager.refresh_count == 1 and emulator.counts().get(CUBA_TOKEN) == 2


def test_requests_401_retry_and_history(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    auth = BearerAuth(cuba, stale(cuba.password("admin", "admin")))
    r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [401]
    # The refreshed set is kept: the next request needs no retry.
    again = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert again.status_code == 200 and again.history == []
    assert auth.manager.refresh_count == 1


def test_requests_concurrent_401s_share_one_refresh(emulator: Emulator, gearcode: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    manager = authgate.TokenManager(gearcode, allow_client_credentials=True)
    manager.set_tokens(stale(gearcode.client_credentials()))
    auth = BearerAuth(manager)

    def get(_: int) -> List[int]:
        r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
        return [h.status_code for h in r.history] + [r.status_code]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(get, range(8)))
    assert all(a[-1] == 200 and a[:-1] in ([], [401]) for a in answers), answers
    assert manager.refresh_count == 1 and emulator.counts().get(GC_TOKEN) == 2


def test_requests_sign_in_required(emulator: Emulator, gearcode: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    # No refresh token and no grant to get a new one: after the 401 only the user can help.
    bogus = authgate.TokenSet.from_json('{"access_token": "bogus", "token_type": "bearer"}')
    auth = BearerAuth(gearcode, bogus)
    with pytest.raises(authgate.SignInRequired):
        requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert emulator.counts().get(GC_TOKEN) is None
    # Nothing at all to start with: the first request says so.
    with pytest.raises(authgate.SignInRequired):
        requests.get(emulator.base_url + "/api/me", auth=BearerAuth(authgate.TokenManager(gearcode)), timeout=10)


def test_requests_client_credentials(emulator: Emulator, gearcode: authgate.Client) -> None:
    from authgate.requests import BearerAuth

    auth = BearerAuth(authgate.TokenManager(gearcode, allow_client_credentials=True))
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
    assert auth.manager.refresh_count == 1


def test_adapters_share_a_manager(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.httpx import BearerAuth as HttpxAuth
    from authgate.requests import BearerAuth

    manager = authgate.TokenManager(cuba, password_credentials=lambda: ("admin", "admin"))
    auth = BearerAuth(manager)
    r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200 and r.history == []
    # The resource server stops accepting the token: one 401, invalidate, refresh, retry.
    manager.set_tokens(stale(manager.token_set()))
    r = requests.get(emulator.base_url + "/api/me", auth=auth, timeout=10)
    assert r.status_code == 200 and [h.status_code for h in r.history] == [401]
    assert manager.refresh_count == 2
    with httpx.Client(auth=HttpxAuth(manager), timeout=10) as http:
        assert http.get(emulator.base_url + "/api/me").status_code == 200
    assert manager.refresh_count == 2


def test_httpx_async(emulator: Emulator, gearcode: authgate.Client) -> None:
    from authgate.httpx import BearerAuth

    manager = authgate.TokenManager(gearcode, allow_client_credentials=True)
    auth = BearerAuth(manager)

    async def main() -> List[int]:
        async with httpx.AsyncClient(auth=auth, timeout=10) as http:
            rs = await asyncio.gather(*(http.get(emulator.base_url + "/api/me") for _ in range(8)))
            return [r.status_code for r in rs]

    assert asyncio.run(main()) == [200] * 8
    # Eight concurrent requests shared one token request.
    assert emulator.counts().get(GC_TOKEN) == 1 == manager.refresh_count


def test_httpx_async_401_retry(emulator: Emulator, cuba: authgate.Client) -> None:
    from authgate.httpx import BearerAuth

    auth = BearerAuth(cuba, stale(cuba.password("admin", "admin")))

    async def main() -> List[List[int]]:
        async with httpx.AsyncClient(auth=auth, timeout=10) as http:
            rs = await asyncio.gather(*(http.get(emulator.base_url + "/api/me") for _ in range(4)))
            return [[h.status_code for h in r.history] + [r.status_code] for r in rs]

    assert all(a[-1] == 200 for a in asyncio.run(main()))
    assert auth.manager.refresh_count == 1


def test_adapter_argument_errors(gearcode: authgate.Client) -> None:
    from authgate.httpx import BearerAuth as HttpxAuth
    from authgate.requests import BearerAuth

    manager = authgate.TokenManager(gearcode, allow_client_credentials=True)
    for auth in (BearerAuth, HttpxAuth):
        with pytest.raises(TypeError, match="manager must be an authgate.TokenManager or an authgate.Client, not str"):
            auth("client")  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="tokens must be an authgate.TokenSet"):
            auth(gearcode)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="with a TokenManager, give no tokens"):
            auth(manager, gearcode.client_credentials())  # type: ignore[call-overload]
        with pytest.raises(ValueError, match="leeway"):
            auth(manager, leeway=-1)
        with pytest.raises(TypeError, match="leeway"):
            auth(manager, leeway="30")  # type: ignore[call-overload]
        with pytest.raises(TypeError):
            auth(manager, fetch=gearcode.client_credentials)  # type: ignore[call-overload]

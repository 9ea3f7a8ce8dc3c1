"""Fixtures: the provider emulator (one process per test session) and helpers."""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import pathlib
import subprocess
import urllib.parse
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import authgate

ROOT = pathlib.Path(__file__).resolve().parents[2]
REDIRECT_URI = "http://127.0.0.1/callback"


@dataclasses.dataclass
class RecordedRequest:
    """A request as the emulator recorded it: header names lower-case, headers sorted
    (their order is the HTTP library's business), the body as sent."""

    method: str
    path: str
    query: str
    headers: List[Tuple[str, str]]
    body: str

    def form(self) -> List[Tuple[str, str]]:
        """The decoded form body, in order."""
        return urllib.parse.parse_qsl(self.body, keep_blank_values=True)


def form_post(
    emulator: "Emulator", path: str, authorization: Optional[str], form: List[Tuple[str, str]]
) -> RecordedRequest:
    """The whole request authgate makes for a form POST (core/tests/wire.rs' ``form_post``):
    every header it sends, and the body encoded from ``form`` in this order."""
    body = urllib.parse.urlencode(form)
    headers = [
        ("accept", "application/json"),
        ("content-length", str(len(body))),
        ("content-type", "application/x-www-form-urlencoded"),
        ("host", f"{emulator.host}:{emulator.port}"),
        ("user-agent", f"authgate/{authgate.__version__}"),
    ]
    if authorization is not None:
        headers.append(("authorization", authorization))
    return RecordedRequest("POST", path, "", sorted(headers), body)


class Emulator:
    """The running authgate-emulator: its base URL and its control API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        parsed = urllib.parse.urlsplit(base_url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80

    def request(
        self, method: str, path: str, body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None
    ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp

    def control(self, command: str, payload: Any = None) -> Any:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        if payload is None and command in ("counts",):
            conn.request("GET", f"/_emulator/{command}")
        else:
            body = json.dumps(payload if payload is not None else {}).encode()
            conn.request("POST", f"/_emulator/{command}", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        assert resp.status == 200, (command, resp.status, data)
        return json.loads(data)

    def fault(self, path: str, kind: str, count: int = 1, **fields: Any) -> None:
        self.control("fault", {"path": path, "kind": kind, "count": count, **fields})

    def counts(self) -> Dict[str, int]:
        result: Dict[str, int] = self.control("counts")
        return result

    def last_request(self, path: str) -> Optional["RecordedRequest"]:
        """The last request the emulator received on ``path`` (without the query), as it
        recorded it, or None if there was none."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        conn.request("GET", "/_emulator/last_request?" + urllib.parse.urlencode({"path": path}))
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if resp.status == 404:
            return None
        assert resp.status == 200, (path, resp.status, data)
        raw = json.loads(data)
        return RecordedRequest(
            method=raw["method"],
            path=raw["path"],
            query=raw["query"],
            headers=sorted((name, value) for name, value in raw["headers"]),
            body=raw["body"],
        )

    def authorize(self, url: str) -> str:
        """Plays the browser: GETs the authorization URL, returns the redirect location."""
        parsed = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        conn.request("GET", f"{parsed.path}?{parsed.query}")
        resp = conn.getresponse()
        resp.read()
        conn.close()
        assert resp.status == 302, (resp.status, url)
        location = resp.getheader("Location")
        assert location is not None
        return location


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    binary = os.environ.get("AUTHGATE_EMULATOR") or str(ROOT / "target" / "debug" / "authgate-emulator")
    if not os.path.exists(binary):
        pytest.fail(f"the emulator is not built: {binary} (cargo build -p authgate-emulator)")
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        prefix = "authgate-emulator listening on "
        if not line.startswith(prefix):
            pytest.fail(f"unexpected first line from the emulator: {line!r}")
        yield Emulator(line[len(prefix):])
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    # Faults and lifetimes must not leak from one test into the next.
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").control("reset")


def make_client(emulator: Emulator, dialect: str, **overrides: Any) -> authgate.Client:
    settings: Dict[str, Dict[str, Any]] = {
        "taxcom": dict(client_id="taxcom-app", client_secret="taxcom-secret", redirect_uri=REDIRECT_URI),
        "kontur": dict(client_id="kontur-service", client_secret="kontur-api-key", redirect_uri=REDIRECT_URI),
        "gearcode": dict(client_id="gearcode-client", client_secret="gearcode-secret", redirect_uri=REDIRECT_URI),
        "cuba": dict(client_id="client", client_secret="secret"),
    }
    kwargs: Dict[str, Any] = dict(settings[dialect], base_url=emulator.base_url, timeout=10)
    kwargs.update(overrides)
    return authgate.Client(dialect, **kwargs)


@pytest.fixture
def gearcode(emulator: Emulator) -> authgate.Client:
    return make_client(emulator, "gearcode")


@pytest.fixture
def cuba(emulator: Emulator) -> authgate.Client:
    return make_client(emulator, "cuba")

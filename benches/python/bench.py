"""Calls per second of authgate next to requests-oauthlib and authlib, against the same
provider emulator in the same run.

Run on demand (not part of the tests), in a venv where authgate is installed:

    pip install requests-oauthlib authlib
    cargo build -p authgate-emulator          # or set AUTHGATE_EMULATOR
    python benches/python/bench.py [--seconds 2] [--threads 4]

Measured:
- refresh: one refresh grant (CUBA dialect: HTTP Basic client authentication, form body,
  JSON answer) over a kept-alive connection, each call with the refresh token the previous
  answer carried;
- refresh ×N threads: the same from N threads sharing one client (authgate releases the
  GIL; the others each get their own session, as they are not thread-safe);
- authorization URL: state + PKCE S256 verifier and challenge + the URL, no network;
- TokenManager.access_token() with the token cached (authgate only; no network): the
  call a program makes before every API request.

Then the ratios to floors of the same run: a refresh against the minimal token server
(``authgate-emulator --wire``) next to a raw socket that writes a prebuilt request and reads
the answer; the cached access token next to a pure-Python dict-and-time check; the
authorization URL (state + PKCE S256, the Rust bench's client) next to the Rust figure when
``AUTHGATE_BENCH_RUST_URL_NS`` gives it (``scripts/bench.sh`` does): what a program does per
sign-in, building the request and reading ``url``, ``state`` and ``pkce_verifier``, timed as
inline statements (as the Rust bench's closure is inlined), with the garbage collector on.
Each ratio is the median of 7 rounds, but the authorization URL's: the fastest of short
rounds, as the Rust row it is compared with.
"""

from __future__ import annotations

import argparse
import gc
import os
import pathlib
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import timeit
from typing import Callable, Dict, List, Optional, Tuple

import authgate

ROOT = pathlib.Path(__file__).resolve().parents[2]
CUBA_TOKEN = "/app/rest/v2/oauth/token"
REDIRECT_URI = "http://127.0.0.1/callback"


def start_emulator(*flags: str) -> Tuple[subprocess.Popen, str]:
    binary = os.environ.get("AUTHGATE_EMULATOR") or str(ROOT / "target" / "debug" / "authgate-emulator")
    proc = subprocess.Popen([binary, *flags], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    return proc, line.rsplit(" ", 1)[-1]


def rate(fn: Callable[[], object], seconds: float) -> float:
    for _ in range(20):  # warm-up: connections, caches
        fn()
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(10):
            fn()
        n += 10
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def threaded_rate(make: Callable[[], Callable[[], object]], threads: int, seconds: float) -> float:
    fns = [make() for _ in range(threads)]
    for fn in fns:
        for _ in range(5):
            fn()
    counts = [0] * threads
    stop = threading.Event()
    barrier = threading.Barrier(threads + 1)

    def worker(i: int) -> None:
        fn = fns[i]
        barrier.wait()
        while not stop.is_set():
            fn()
            counts[i] += 1

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in ts:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


# --- authgate -----------------------------------------------------------------------

def authgate_refresher(base: str, client: Optional[authgate.Client] = None) -> Callable[[], object]:
    c = client or authgate.Client("cuba", base_url=base, client_id="client", client_secret="secret")
    state = {"rt": c.password("admin", "admin").refresh_token}

    def call() -> object:
        t = c.refresh(state["rt"])
        state["rt"] = t.refresh_token
        return t

    return call


def authgate_url(base: str) -> Callable[[], object]:
    c = authgate.Client("gearcode", base_url=base, client_id="gearcode-client", client_secret="gearcode-secret",
                        redirect_uri=REDIRECT_URI)
    return lambda: c.authorization_url().url


# --- requests-oauthlib --------------------------------------------------------------

def oauthlib_refresher(base: str) -> Callable[[], object]:
    from requests.auth import HTTPBasicAuth
    from requests_oauthlib import OAuth2Session
    from oauthlib.oauth2 import LegacyApplicationClient

    url = base + CUBA_TOKEN
    s = OAuth2Session(client=LegacyApplicationClient(client_id="client"))
    auth = HTTPBasicAuth("client", "secret")
    tok = s.fetch_token(url, username="admin", password="admin", auth=auth, include_client_id=False)
    state = {"rt": tok["refresh_token"]}

    def call() -> object:
        t = s.refresh_token(url, refresh_token=state["rt"], auth=auth)
        state["rt"] = t["refresh_token"]
        return t

    return call


def oauthlib_url(base: str) -> Callable[[], object]:
    from requests_oauthlib import OAuth2Session

    s = OAuth2Session("gearcode-client", redirect_uri=REDIRECT_URI, pkce="S256")
    url = base + "/oauth/authorize"
    return lambda: s.authorization_url(url)[0]


# --- authlib ------------------------------------------------------------------------

def authlib_refresher(base: str) -> Callable[[], object]:
    from authlib.integrations.requests_client import OAuth2Session

    url = base + CUBA_TOKEN
    s = OAuth2Session("client", "secret", token_endpoint_auth_method="client_secret_basic")
    tok = s.fetch_token(url, grant_type="password", username="admin", password="admin")
    state = {"rt": tok["refresh_token"]}

    def call() -> object:
        t = s.refresh_token(url, refresh_token=state["rt"])
        state["rt"] = t["refresh_token"]
        return t

    return call


def authlib_url(base: str) -> Callable[[], object]:
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session

    s = OAuth2Session("gearcode-client", "gearcode-secret", redirect_uri=REDIRECT_URI, code_challenge_method="S256")
    url = base + "/oauth/authorize"
    return lambda: s.create_authorization_url(url, code_verifier=generate_token(48))[0]


def manager_ns_per_call(base: str, seconds: float) -> float:
    """Nanoseconds per cached ``TokenManager.access_token()`` on the main thread."""
    c = authgate.Client("cuba", base_url=base, client_id="client", client_secret="secret")
    manager = authgate.TokenManager(c)
    manager.set_tokens(c.password("admin", "admin"))
    call = manager.access_token
    for _ in range(1000):
        call()
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(1000):
            call()
        n += 1000
        now = time.perf_counter()
        if now >= deadline:
            assert manager.refresh_count == 0
            return (now - start) / n * 1e9


def median_ns(fn: Callable[[], object], n: int) -> float:
    """The median over 7 rounds of ``n`` calls, in nanoseconds per call."""
    rounds = []
    for _ in range(7):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter_ns() - start) / n)
    return statistics.median(rounds)


def fastest_stmt_ns(stmt: str, namespace: Dict[str, object], rounds: int, n: int) -> float:
    """The fastest of ``rounds`` short rounds of ``n`` executions of a statement (the least
    disturbed round), in nanoseconds: how the Rust bench times the authorization URL row
    this one is compared with; the garbage collector stays on."""
    timer = timeit.Timer(stmt, setup="gc.enable()", globals={"gc": gc, **namespace})
    return min(timer.timeit(n) for _ in range(rounds)) / n * 1e9


def wire_ratios(n: int) -> List[Tuple[str, float, float]]:
    """Rows (name, ns per call, ratio to its floor) against the minimal token server."""
    proc, base = start_emulator("--wire")
    try:
        port = int(base.rsplit(":", 1)[1])
        rt = "rt-0123456789abcdef0123456789abcdef"
        body = f"grant_type=refresh_token&refresh_token={rt}"
        request = (
            f"POST /token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic Y2xpZW50OnNlY3JldA==\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def raw() -> object:
            sock.sendall(request)
            data = b""
            while True:
                data += sock.recv(4096)
                end = data.find(b"\r\n\r\n")
                if end >= 0:
                    length = int(data[data.lower().find(b"content-length:") + 15:].split(b"\r\n", 1)[0])
                    if len(data) >= end + 4 + length:
                        return data

        client = authgate.Client("generic", token_endpoint=base + "/token", client_id="client",
                                 client_secret="secret", proxy=False)
        refresh = lambda: client.refresh(rt)  # noqa: E731
        for _ in range(200):
            raw()
            refresh()
        raw_ns = median_ns(raw, n)
        refresh_ns = median_ns(refresh, n)

        manager = authgate.TokenManager(client)
        manager.set_tokens(client.refresh(rt))
        cache = {"token": "wire-access-token-0123456789abcdef", "until": time.monotonic() + 3600}

        def floor() -> object:
            return cache["token"] if time.monotonic() + 60 < cache["until"] else None

        floor_ns = median_ns(floor, n * 50)
        cached_ns = median_ns(manager.access_token, n * 50)
        sock.close()
    finally:
        proc.kill()
        proc.wait()
    # The same client as the Rust bench's authorization URL row.
    auth = authgate.Client("generic", base_url="https://auth.example", client_id="pos-42", auth_method="none",
                           redirect_uri="https://pos.example/callback")
    url_ns = fastest_stmt_ns("r = auth.authorization_url(); r.url; r.state; r.pkce_verifier", {"auth": auth},
                             max(n // 5, 1), 50)
    rust_url_ns = float(os.environ.get("AUTHGATE_BENCH_RUST_URL_NS") or "nan")
    return [
        ("refresh: raw socket (floor)", raw_ns, 1.0),
        ("refresh: authgate Client.refresh", refresh_ns, refresh_ns / raw_ns),
        ("cached: dict + time.monotonic (floor)", floor_ns, 1.0),
        ("cached: TokenManager.access_token", cached_ns, cached_ns / floor_ns),
        ("authorization URL: authgate (vs Rust)", url_ns, url_ns / rust_url_ns),
    ]


def version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version as v

    try:
        return v(dist)
    except PackageNotFoundError:
        return "not installed"


def main() -> int:
    # The emulator listens on plain-HTTP loopback; oauthlib refuses http:// without this.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement (default 2)")
    ap.add_argument("--threads", type=int, default=4, help="threads for the threaded refresh (default 4)")
    ap.add_argument("--wire-only", action="store_true", help="only the ratios to the floors")
    ap.add_argument("--calls", type=int, default=2000, help="calls per round of the ratio rows (default 2000)")
    args = ap.parse_args()

    print("ratios to floors of this run (median of 7 rounds):")
    for name, ns, ratio in wire_ratios(args.calls):
        shown = f"{ns / 1e3:9.2f} µs" if ns >= 1e4 else f"{ns:9.1f} ns"
        print(f"  {name:<40} {shown}  " + (f"{ratio:6.2f}×" if ratio == ratio else "     -"))
    if args.wire_only:
        return 0

    proc, base = start_emulator()
    try:
        libs: Dict[str, Tuple[str, Callable[[str], Callable[[], object]], Callable[[str], Callable[[], object]]]] = {
            "authgate": (authgate.__version__, authgate_refresher, authgate_url),
            "requests-oauthlib": (version("requests-oauthlib"), oauthlib_refresher, oauthlib_url),
            "authlib": (version("authlib"), authlib_refresher, authlib_url),
        }
        rows: List[Tuple[str, str, str, str, str]] = []
        for name, (ver, refresher, url) in libs.items():
            if ver == "not installed":
                rows.append((name, ver, "-", "-", "-"))
                continue
            r1 = rate(refresher(base), args.seconds)
            if name == "authgate":
                shared = authgate.Client("cuba", base_url=base, client_id="client", client_secret="secret")
                rt = threaded_rate(lambda: authgate_refresher(base, shared), args.threads, args.seconds)
            else:
                rt = threaded_rate(lambda: refresher(base), args.threads, args.seconds)
            ru = rate(url(base), args.seconds)
            rows.append((name, ver, f"{r1:,.0f}", f"{rt:,.0f}", f"{ru:,.0f}"))
        cached_ns = manager_ns_per_call(base, args.seconds)
    finally:
        proc.kill()
        proc.wait()

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"emulator {os.environ.get('AUTHGATE_EMULATOR') or 'target/debug/authgate-emulator'}; "
          f"{args.seconds:g} s per cell")
    header = ("library", "version", "refresh/s", f"refresh/s ×{args.threads} threads", "authorization URL/s")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |")
    print(f"\nauthgate TokenManager.access_token(), cached: {cached_ns:,.0f} ns/call")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Calls from several threads at once: the GIL is released during network I/O."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest

import authgate
from conftest import Emulator

CUBA_TOKEN = "/app/rest/v2/oauth/token"
DELAY_MS = 300
THREADS = 8


def test_requests_in_threads_overlap(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault(CUBA_TOKEN, "delay", ms=DELAY_MS, count=THREADS)
    barrier = threading.Barrier(THREADS)

    def one(_: int) -> authgate.TokenSet:
        barrier.wait()
        return cuba.password("admin", "admin")

    start = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(one, range(THREADS)))
    elapsed = time.monotonic() - start
    assert len({t.access_token for t in results}) == THREADS
    # Serialised, this would take THREADS × 300 ms = 2.4 s.
    assert elapsed < 4 * DELAY_MS / 1000, elapsed


def test_python_threads_run_while_a_call_waits(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault(CUBA_TOKEN, "delay", ms=DELAY_MS)
    ticks: List[float] = []
    done = threading.Event()

    def ticker() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        cuba.password("admin", "admin")
    finally:
        done.set()
        t.join()
    # A held GIL would starve the ticker for the whole 300 ms.
    assert len(ticks) >= 10, len(ticks)


def test_many_mixed_calls_from_threads(emulator: Emulator, cuba: authgate.Client, gearcode: authgate.Client) -> None:
    def work(i: int) -> str:
        if i % 3 == 0:
            return cuba.refresh(cuba.password("admin", "admin")).access_token
        if i % 3 == 1:
            return gearcode.client_credentials().access_token
        return gearcode.authorization_url().url

    with ThreadPoolExecutor(8) as pool:
        out = list(pool.map(work, range(48)))
    tokens = [t for i, t in enumerate(out) if i % 3 != 2]
    urls = [u for i, u in enumerate(out) if i % 3 == 2]
    # 32 distinct access tokens, each one the emulator issued and still accepts: no call got
    # another's answer or a stale one.
    assert len(set(tokens)) == 32, tokens
    for token in tokens:
        resp = emulator.request("GET", "/api/me", headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 200, token
    # 16 GearCode authorization URLs, each with its own state.
    states = set()
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == emulator.base_url + "/oauth/authorize", url
        query = dict(urllib.parse.parse_qsl(parts.query))
        assert query["client_id"] == "gearcode-client" and query["code_challenge_method"] == "S256", url
        states.add(query["state"])
    assert len(states) == 16
    # Every call made its own requests and no more: a password grant and a refresh per CUBA
    # call, one client credentials grant per GearCode one.
    counts = emulator.counts()
    assert counts.get(CUBA_TOKEN) == 32 and counts.get("/oauth/token") == 16, counts


def test_ctrl_c_interrupts_a_waiting_call(emulator: Emulator) -> None:
    # In a child process: pytest itself stops on KeyboardInterrupt.
    code = f"""
import os, signal, threading, time, authgate
client = authgate.Client("cuba", base_url={emulator.base_url!r}, client_id="client", client_secret="secret")
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
start = time.monotonic()
try:
    client.password("admin", "admin")
except KeyboardInterrupt:
    print("interrupted after", round(time.monotonic() - start, 2))
"""
    emulator.fault(CUBA_TOKEN, "delay", ms=5000)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("interrupted after"), done.stdout
    assert float(done.stdout.split()[-1]) < 2.0, done.stdout


def test_python_threads_run_during_manager_refresh_and_loopback_wait(
    emulator: Emulator, gearcode: authgate.Client
) -> None:
    emulator.fault("/oauth/token", "delay", ms=DELAY_MS)
    manager = authgate.TokenManager(gearcode, allow_client_credentials=True)
    ticks: List[float] = []
    done = threading.Event()

    def ticker() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        manager.access_token()
        refresh_ticks = len(ticks)
        with pytest.raises(authgate.TimeoutError):
            gearcode.sign_in_loopback(open_browser=lambda url: None, timeout=0.3)
    finally:
        done.set()
        t.join()
    assert refresh_ticks >= 10, refresh_ticks
    assert len(ticks) - refresh_ticks >= 10, len(ticks)


def test_ctrl_c_interrupts_a_manager_refresh(emulator: Emulator) -> None:
    code = f"""
import os, signal, threading, time, authgate
client = authgate.Client("gearcode", base_url={emulator.base_url!r}, client_id="gearcode-client",
                         client_secret="gearcode-secret")
manager = authgate.TokenManager(client, allow_client_credentials=True)
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
start = time.monotonic()
try:
    manager.access_token()
except KeyboardInterrupt:
    print("interrupted after", round(time.monotonic() - start, 2))
"""
    emulator.fault("/oauth/token", "delay", ms=5000)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("interrupted after"), done.stdout
    assert float(done.stdout.split()[-1]) < 2.0, done.stdout

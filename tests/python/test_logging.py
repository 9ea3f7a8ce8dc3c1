"""The core's log records reach Python's ``logging`` as the logger ``authgate``."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from typing import Any, Callable, List

import pytest

import authgate
from conftest import Emulator, make_client

GC_TOKEN = "/oauth/token"
CUBA_TOKEN = "/app/rest/v2/oauth/token"


def signed_in(emulator: Emulator, client: authgate.Client) -> authgate.TokenSet:
    req = client.authorization_url()
    code = req.parse_callback(emulator.authorize(req.url))
    return client.exchange_code(code, pkce_verifier=req.pkce_verifier)


def in_thread(f: Callable[[], Any]) -> Any:
    """Runs f on a worker thread (not the main thread) and returns its result."""
    out: List[Any] = []
    errors: List[BaseException] = []

    def run() -> None:
        try:
            out.append(f())
        except BaseException as e:  # pragma: no cover - re-raised below
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    assert not t.is_alive(), "the call did not finish"
    if errors:
        raise errors[0]
    return out[0]


def lenient_refresh(emulator: Emulator, client: authgate.Client, tokens: authgate.TokenSet) -> authgate.TokenSet:
    emulator.fault(GC_TOKEN, "wrong_content_type")
    return client.refresh(tokens)


def authgate_records(caplog: pytest.LogCaptureFixture, level: int) -> List[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "authgate" and r.levelno == level]


@pytest.mark.parametrize("where", ["main", "worker"])
def test_lenient_answer_logs_a_warning(
    where: str, emulator: Emulator, gearcode: authgate.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="authgate")
    tokens = signed_in(emulator, gearcode)
    caplog.clear()
    if where == "main":
        assert threading.current_thread() is threading.main_thread()
        fresh = lenient_refresh(emulator, gearcode, tokens)
    else:
        fresh = in_thread(lambda: lenient_refresh(emulator, gearcode, tokens))
    assert fresh.warnings == ["the token answer is JSON but came with text/plain"]
    warnings = authgate_records(caplog, logging.WARNING)
    assert [r.getMessage() for r in warnings] == ["lenient token response: " + fresh.warnings[0]]
    # One DEBUG record per token request.
    debug = [r.getMessage() for r in authgate_records(caplog, logging.DEBUG)]
    assert debug == [f"POST {emulator.base_url}/oauth/token grant_type=refresh_token"]


def test_lenient_token_set_from_json_logs_on_the_calling_thread(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="authgate")
    t = authgate.TokenSet.from_json('{"access_token": "a", "token_type": "bearer", "expires_in": "60"}')
    assert t.warnings == ["expires_in is a string, not a number"]
    records = authgate_records(caplog, logging.WARNING)
    assert [r.getMessage() for r in records] == ["lenient token response: expires_in is a string, not a number"]
    assert records[0].thread == threading.get_ident()


def test_no_record_holds_a_secret(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    # Everything, from every logger: also proves that only "authgate" records come from the
    # extension (not the HTTP or TLS crates underneath).
    caplog.set_level(logging.DEBUG)
    secrets: List[str] = ["gearcode-secret", "p@ss+word%", "p&s=w+o%rd 1 ё"]
    gearcode = make_client(emulator, "gearcode")
    tokens = signed_in(emulator, gearcode)
    secrets += [tokens.access_token, tokens.refresh_token or "?"]
    fresh = lenient_refresh(emulator, gearcode, tokens)
    secrets += [fresh.access_token, fresh.refresh_token or "?"]
    # A refused (already rotated) refresh token, in an error record if any.
    with pytest.raises(authgate.InvalidGrant):
        gearcode.refresh(tokens)
    cuba = make_client(emulator, "cuba", client_id="pos-terminal", client_secret="p@ss+word%")
    emulator.fault(CUBA_TOKEN, "wrong_content_type")
    pw = in_thread(lambda: cuba.password("кассир", "p&s=w+o%rd 1 ё"))
    secrets += [pw.access_token, pw.refresh_token or "?"]
    emulator.fault(GC_TOKEN, "status", status=503, retry_after=0)
    manager = authgate.TokenManager(gearcode, allow_client_credentials=True, max_attempts=2)
    secrets.append(manager.access_token())

    records = caplog.records
    assert {r.name for r in records} >= {"authgate"}
    assert {r.levelno for r in records if r.name == "authgate"} == {logging.DEBUG, logging.INFO, logging.WARNING}
    assert all(r.name == "authgate" or not r.name.startswith(("ureq", "rustls")) for r in records)
    for r in records:
        text = r.getMessage() + repr(r.args) + repr(r.__dict__)
        for s in secrets:
            assert s not in text, (s, r.getMessage())


@pytest.mark.parametrize("how", ["level", "disabled", "propagate"])
def test_quiet_logger_breaks_nothing(
    how: str, emulator: Emulator, gearcode: authgate.Client, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("authgate")
    caplog.set_level(logging.DEBUG)
    if how == "level":
        caplog.set_level(logging.ERROR, logger="authgate")
    elif how == "disabled":
        logger.disabled = True
    else:
        logger.propagate = False
    try:
        tokens = signed_in(emulator, gearcode)
        assert lenient_refresh(emulator, gearcode, tokens).warnings
        tokens = signed_in(emulator, gearcode)
        assert in_thread(lambda: lenient_refresh(emulator, gearcode, tokens)).warnings
    finally:
        logger.disabled = False
        logger.propagate = True
    assert [r for r in caplog.records if r.name == "authgate"] == []
    # The level is read when each call begins: turning the logger back on applies from the
    # next call.
    caplog.set_level(logging.WARNING, logger="authgate")
    tokens = signed_in(emulator, gearcode)
    lenient_refresh(emulator, gearcode, tokens)
    assert len(authgate_records(caplog, logging.WARNING)) == 1


def test_a_failing_handler_breaks_nothing(
    emulator: Emulator, gearcode: authgate.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def explode(record: logging.LogRecord) -> bool:
        raise RuntimeError("filter failed")

    logger = logging.getLogger("authgate")
    logger.setLevel(logging.WARNING)
    logger.addFilter(explode)
    try:
        tokens = signed_in(emulator, gearcode)
        assert lenient_refresh(emulator, gearcode, tokens).warnings
        tokens = signed_in(emulator, gearcode)
        assert in_thread(lambda: lenient_refresh(emulator, gearcode, tokens)).warnings
        assert authgate.TokenSet.from_json('{"access_token": "a", "token_type": "bearer", "expires_in": "60"}').warnings
    finally:
        logger.removeFilter(explode)
        logger.setLevel(logging.NOTSET)
    # Reported like an exception in a __del__, never raised into the call.
    assert len(unraisable) == 3
    assert all(isinstance(u.exc_value, RuntimeError) for u in unraisable)


@pytest.mark.parametrize("where", ["main", "worker"])
def test_manager_retry_logs_info(
    where: str, emulator: Emulator, gearcode: authgate.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="authgate")
    emulator.fault(GC_TOKEN, "status", status=503, retry_after=0)
    manager = authgate.TokenManager(gearcode, allow_client_credentials=True, max_attempts=2)
    token = manager.access_token() if where == "main" else in_thread(manager.access_token)
    assert token and manager.refresh_count == 2
    info = [r.getMessage() for r in authgate_records(caplog, logging.INFO)]
    assert len(info) == 1 and info[0].startswith("token request failed ("), info
    assert "retrying in" in info[0]


# A thread that loads a FileStore holds the manager's lock while it parses the stored set;
# a lenient set logs a warning there, which needs the GIL. Another thread asking for the
# cached token meanwhile must not wait for that lock with the GIL held.
LOAD_RACE = r"""
import json, logging, os, sys, tempfile, threading, time
import authgate

logging.basicConfig(level=logging.WARNING, handlers=[logging.NullHandler()])
client = authgate.Client(token_endpoint="http://127.0.0.1:9/token", client_id="c", client_secret="s", allow_insecure_http=True)
stored = json.dumps({"access_token": "a", "expires_in": "3600", "expires_at": int(time.time()) + 3600})
folder = tempfile.mkdtemp()
for i in range(30):
    path = os.path.join(folder, f"store{i}.json")
    with open(path, "w") as f:
        f.write(stored)
    manager = authgate.TokenManager(client, store=authgate.FileStore(path))
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            manager._peek()

    spinners = [threading.Thread(target=spin) for _ in range(2)]
    for s in spinners:
        s.start()
    assert manager.access_token() == "a"
    stop.set()
    for s in spinners:
        s.join()
print("ok")
"""


def test_no_deadlock_between_a_logging_store_load_and_the_cached_token() -> None:
    done = subprocess.run([sys.executable, "-c", LOAD_RACE], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_filtered_record_costs_no_trip_to_python(
    emulator: Emulator, cuba: authgate.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The level is read once, on the calling thread, when a call begins; a DEBUG record the
    # level filters out must then not attach to Python (from a helper thread without
    # Python thread state, that costs tens of microseconds per request).
    asked: List[int] = []
    original = logging.Logger.isEnabledFor

    def spy(self: logging.Logger, level: int) -> bool:
        if self.name == "authgate":
            asked.append(level)
        return original(self, level)

    logger = logging.getLogger("authgate")
    logger.setLevel(logging.WARNING)
    monkeypatch.setattr(logging.Logger, "isEnabledFor", spy)
    try:
        tokens = cuba.password("admin", "admin")  # main thread: the request runs on a helper
        in_thread(lambda: cuba.refresh(tokens))  # a worker thread: the request runs inline
    finally:
        logger.setLevel(logging.NOTSET)
    # Per call: DEBUG? INFO? WARNING? (yes), and nothing asked for the DEBUG record itself.
    assert asked == [logging.DEBUG, logging.INFO, logging.WARNING] * 2

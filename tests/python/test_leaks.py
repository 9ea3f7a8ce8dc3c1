"""The leak matrix through Python: the emulator repeats the request's secrets back in every
place and every encoding; none may appear in an exception's str, repr or attributes, a
token set's warnings, or any log record, with every logger at its most verbose level."""

from __future__ import annotations

import base64
import logging
import re
import urllib.parse
from typing import Any, List, Tuple

import pytest

import authgate
from conftest import Emulator, make_client

CUBA_TOKEN = "/app/rest/v2/oauth/token"
PLACES = [
    "www_authenticate",
    "content_type",
    "content_type_error",
    "location",
    "json_key",
    "json_broken",
    "error_description",
    "html",
]
ENCODINGS = ["plain", "form", "percent", "base64", "html", "json"]

# (client id, client secret, user, password): a 3-digit PIN with a raw Basic secret, and
# a password with & = + % space and Cyrillic.
CASES = {
    "pin": ("pos-terminal", "p@ss+word%", "cashier-7", "739"),
    "cyrillic": ("client", "secret", "кассир", "p&s=w+o%rd 1 ё"),
}


def encodings(s: str) -> List[str]:
    """`s` in each encoding the emulator echoes it in."""
    html = "".join(
        {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}.get(c, c if c.isascii() else f"&#x{ord(c):x};")
        for c in s
    )
    utf16 = s.encode("utf-16-be")
    units = [int.from_bytes(utf16[i : i + 2], "big") for i in range(0, len(utf16), 2)]
    json_escaped = "".join(
        '\\"' if u == 0x22 else "\\\\" if u == 0x5C else chr(u) if 0x20 <= u <= 0x7E else f"\\u{u:04x}" for u in units
    )
    return [
        s,
        urllib.parse.quote_plus(s, safe="*-._"),
        urllib.parse.quote(s, safe="-._~"),
        base64.b64encode(s.encode()).decode(),
        html,
        json_escaped,
    ]


TRACE_LABELS = ("client_secret_basic", "client_secret_post", "client_secret_jwt", "client_secret=[masked]")


def needles(case: str) -> List[str]:
    client_id, secret, _, password = CASES[case]
    return [n for s in (secret, password, f"{client_id}:{secret}") for n in encodings(s)]


def shown_by(outcome: Any) -> str:
    """Everything Python code can see of an answer."""
    if isinstance(outcome, authgate.TokenSet):
        return "\n".join(outcome.warnings)
    assert isinstance(outcome, authgate.Error), outcome
    return "\n".join([str(outcome), repr(outcome), repr(vars(outcome)), repr(outcome.args)])


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_echoed_secret_reaches_python(
    case: str, place: str, encoding: str, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(1)  # every logger, below DEBUG
    client_id, secret, user, password = CASES[case]
    client = make_client(emulator, "cuba", client_id=client_id, client_secret=secret)
    emulator.fault(CUBA_TOKEN, "echo", place=place, encoding=encoding)
    outcome: Any
    try:
        outcome = client.password(user, password)
    except authgate.Error as e:
        outcome = e
    assert isinstance(outcome, authgate.TokenSet) == (place == "content_type"), outcome
    seen: List[Tuple[str, str]] = [("answer", shown_by(outcome))]
    seen += [(r.name, r.getMessage() + repr(r.args)) for r in caplog.records]
    assert {name for name, _ in seen[1:]} <= {"authgate", "authgate.wire"}
    for where, text in seen:
        # The wire trace's own labels are not secrets, even when the client's secret is the
        # word "secret" (CUBA's): only values are masked.
        for label in TRACE_LABELS:
            text = text.replace(label, "[label]")
        for n in needles(case):
            assert n not in text, (where, n, text)


def test_most_verbose_level_shows_no_request(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    # The HTTP library's own trace output dumps the raw request (Basic header, form body);
    # none of it may reach Python, whatever the level.
    caplog.set_level(1)
    logging.getLogger("ureq").setLevel(1)
    logging.getLogger("ureq_proto").setLevel(1)
    client = make_client(emulator, "cuba", client_id="pos-terminal", client_secret="p@ss+word%")
    client.password("cashier-7", "739")
    records = [(r.name, r.getMessage()) for r in caplog.records]
    assert ("authgate", f"POST {emulator.base_url}{CUBA_TOKEN} grant_type=password") in records
    # authgate.wire, the wire trace, names the Authorization header with its value masked.
    assert {name for name, _ in records} == {"authgate", "authgate.wire"}
    for _, message in records:
        unmasked = re.sub(r"Authorization: Basic \[masked, \d+ chars\]", "", message)
        assert "Authorization" not in unmasked and "4261 7369" not in message
        for n in needles("pin"):
            assert n not in message

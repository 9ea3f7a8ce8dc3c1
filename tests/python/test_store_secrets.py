"""A store written in Python whose methods fail quoting what they were given (or what they
hold): the manager's StoreError (str, repr) and the log records say what happened, without
the tokens."""

from __future__ import annotations

import json
import logging
from typing import Optional

import pytest

import authgate
from conftest import Emulator
from test_manager import signed_in


class QuotingStore(authgate.TokenStore):
    def __init__(self) -> None:
        super().__init__()
        self.json: Optional[str] = None
        self.fail_save = False
        self.fail_load = False

    def load(self) -> Optional[str]:
        if self.json is not None and self.fail_load:
            raise ValueError(f"cannot parse the row {self.json}: check the database")
        return self.json

    def save(self, json: str) -> None:
        if self.fail_save:
            raise OSError(f"cannot write {json}: disk full")
        self.json = json

    def clear(self) -> None:
        self.json = None


def assert_clean(shown: str, tokens: authgate.TokenSet) -> None:
    assert tokens.access_token not in shown
    assert tokens.refresh_token and tokens.refresh_token not in shown


def test_a_store_quoting_the_tokens_leaks_none(
    emulator: Emulator, gearcode: authgate.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="authgate")
    tokens = signed_in(emulator, gearcode)
    store = QuotingStore()
    manager = authgate.TokenManager(gearcode, store=store)

    store.fail_save = True
    with pytest.raises(authgate.StoreError) as raised:
        manager.set_tokens(tokens)
    shown = f"{raised.value} {raised.value!r} {raised.value.args!r}"
    assert "cannot write" in shown and "disk full" in shown, shown
    assert_clean(shown, tokens)

    # A refresh whose new set cannot be saved: kept and used, the error and log say so.
    manager.invalidate()
    try:
        manager.access_token()
    except authgate.StoreError as e:
        assert_clean(f"{e} {e!r}", tokens)
        fresh = manager.token_set()
        assert_clean(f"{e} {e!r}", fresh)

    store.fail_save = False
    manager.access_token()
    assert store.json is not None
    store.fail_load = True
    with pytest.raises(authgate.StoreError) as raised:
        authgate.TokenManager(gearcode, store=store).access_token()
    shown = f"{raised.value} {raised.value!r}"
    assert "cannot parse the row" in shown and "check the database" in shown, shown
    stored = authgate.TokenSet.from_json(store.json)
    assert_clean(shown, stored)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert_clean(logged, tokens)
    assert_clean(logged, stored)


def test_repr_shows_no_token_echoed_into_token_type_or_scope() -> None:
    t = authgate.TokenSet.from_json(
        '{"access_token":"at-0123456789","refresh_token":"rt-9876543210",'
        '"token_type":"at-0123456789","scope":"api rt-9876543210"}'
    )
    shown = repr(t)
    assert "at-0123456789" not in shown and "rt-9876543210" not in shown, shown
    assert "token_type='[13 chars]'" in shown, shown
    t = authgate.TokenSet.from_json('{"access_token":"at-0123456789","token_type":"bearer","scope":"api"}')
    assert "token_type='Bearer'" in repr(t) and "scope='api'" in repr(t), repr(t)


def test_raw_is_the_whole_answer_as_a_dict() -> None:
    answer = {
        "access_token": "at-0123456789",
        "token_type": "Bearer",
        "expires_in": 60,
        "ratio": 0.5,
        "big": 18446744073709551615,
        "neg": -3,
        "ok": True,
        "none": None,
        "nested": {"list": [1, "two", {"three": False}]},
        "text": "ё \u0000 \"q\"",
    }
    t = authgate.TokenSet.from_dict(answer)
    assert t.raw == json.loads(json.dumps(answer))
    assert t.raw is not t.raw  # a new dict each time

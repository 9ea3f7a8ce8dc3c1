"""A token store of your own: the tokens in an SQLite database, and a hook that hears of
every new set (GearCode rotates refresh tokens on each refresh).

    python examples/python/sqlite_store.py http://127.0.0.1:PORT [DATABASE]

A store is any object with ``load()`` and ``save(json)`` (subclassing
``authgate.TokenStore`` documents it); ``clear()`` serves sign-out. ``save`` commits
before it returns: the manager hands a new token out only after that, and if ``save``
raises it keeps the new set in memory and saves it again on the next call, so that a
rotated refresh token is never lost. Several processes share the database safely:
``lock(timeout)`` returns a context manager (an SQLite write transaction on a lock
database) that the manager holds from re-reading the store to saving a refreshed set.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import tempfile
from typing import Iterator, Optional

import authgate

from token_manager import REDIRECT_URI, call_api, sign_in


class SqliteStore(authgate.TokenStore):
    """One token set per ``key`` in the table ``tokens`` of an SQLite database."""

    def __init__(self, path: str, key: str = "default") -> None:
        self.path = path
        self.key = key
        with contextlib.closing(self._connect(self.path)) as db:
            db.execute("CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, json TEXT NOT NULL)")

    @staticmethod
    def _connect(path: str, timeout: float = 30) -> sqlite3.Connection:
        # Autocommit: each statement is committed (durable) when execute() returns.
        return sqlite3.connect(path, timeout=timeout, isolation_level=None)

    def load(self) -> Optional[str]:
        with contextlib.closing(self._connect(self.path)) as db:
            row = db.execute("SELECT json FROM tokens WHERE key = ?", (self.key,)).fetchone()
        return None if row is None else str(row[0])

    def save(self, json: str) -> None:
        with contextlib.closing(self._connect(self.path)) as db:
            db.execute("INSERT OR REPLACE INTO tokens (key, json) VALUES (?, ?)", (self.key, json))

    def clear(self) -> None:
        with contextlib.closing(self._connect(self.path)) as db:
            db.execute("DELETE FROM tokens WHERE key = ?", (self.key,))

    @contextlib.contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        # A write transaction on a lock database beside the store: other processes'
        # managers wait for it (at most their timeout), while saves commit at once.
        db = self._connect(self.path + "-lock", timeout)
        try:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise TimeoutError(f"the token database is locked: {e}") from None
            yield
        finally:
            db.close()  # ends the transaction: the lock is free


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    base_url = argv[1]
    database = argv[2] if len(argv) == 3 else os.path.join(tempfile.mkdtemp(), "tokens.sqlite")
    client = authgate.Client(
        "gearcode", base_url=base_url, client_id="gearcode-client", client_secret="gearcode-secret",
        redirect_uri=REDIRECT_URI,
    )
    rotations: list[authgate.TokenSet] = []
    manager = authgate.TokenManager(
        client, store=SqliteStore(database), on_tokens_changed=rotations.append,
    )
    if manager.store.load() is None:
        manager.set_tokens(sign_in(client))
    for _ in range(2):
        manager.invalidate()  # as after a 401: the next call refreshes (and rotates)
        call_api(base_url, manager)
    stored = SqliteStore(database).load()
    assert stored is not None
    newest = authgate.TokenSet.from_json(stored)
    print(f"rotations seen by the hook: {len(rotations)}")
    print(f"the database holds the newest refresh token: {newest.refresh_token == rotations[-1].refresh_token}")
    print(f"stored: {newest!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

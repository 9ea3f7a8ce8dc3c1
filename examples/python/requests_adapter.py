"""Calling a protected API with requests, the token kept by a TokenManager.

    python examples/python/requests_adapter.py http://127.0.0.1:PORT

``BearerAuth(manager)`` sends ``Authorization: Bearer …`` with the manager's access
token, which the manager refreshes when it is about to expire; after a 401 the adapter
invalidates it and sends the request once more with a refreshed one. The manager saves
every new token set to its ``FileStore`` before handing it out, so a rotated refresh
token is never lost. (``BearerAuth(client, tokens)`` is the short form, with the tokens
kept in memory only.)
"""

from __future__ import annotations

import os
import sys
import tempfile

import requests

import authgate
from authgate.requests import BearerAuth


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    base_url = argv[1]
    client = authgate.Client("cuba", base_url=base_url, client_id="client", client_secret="secret")
    with tempfile.TemporaryDirectory() as folder:  # a real program keeps a fixed, private path
        store = authgate.FileStore(os.path.join(folder, "tokens.json"))
        manager = authgate.TokenManager(client, store=store)
        manager.set_tokens(client.password("admin", "admin"))
        with requests.Session() as session:
            session.auth = BearerAuth(manager)
            resp = session.get(f"{base_url}/api/me", timeout=10)
            resp.raise_for_status()
            me: dict[str, object] = resp.json()
    print("signed in as", me.get("sub"), "on", me.get("dialect"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Calling a protected API with requests, the token renewed as needed.

    python examples/python/requests_adapter.py http://127.0.0.1:PORT

``BearerAuth`` sends ``Authorization: Bearer …``, refreshes the token set when it is
about to expire or after a 401, and calls ``on_refresh`` with each new set, the place to
store it (GearCode rotates refresh tokens).
"""

from __future__ import annotations

import sys

import requests

import authgate
from authgate.requests import BearerAuth


def save(tokens: authgate.TokenSet) -> None:
    # A real program writes tokens.to_json() to protected storage here.
    print("new token set:", tokens)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    base_url = argv[1]
    client = authgate.Client("cuba", base_url=base_url, client_id="client", client_secret="secret")
    auth = BearerAuth(client, client.password("admin", "admin"), leeway=60, on_refresh=save)
    with requests.Session() as session:
        session.auth = auth
        resp = session.get(f"{base_url}/api/me", timeout=10)
        resp.raise_for_status()
        me: dict[str, object] = resp.json()
    print("signed in as", me.get("sub"), "on", me.get("dialect"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

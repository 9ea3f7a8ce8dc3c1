"""The two common flows, run against the provider emulator (or a real server).

    cargo build -p authgate-emulator && target/debug/authgate-emulator &
    python examples/python/quickstart.py http://127.0.0.1:PORT

1. GearCode, the authorization code flow with PKCE: build the URL, let the "browser"
   (here: an HTTP GET that does not follow the redirect) come back with a code, exchange
   it, and refresh (GearCode rotates refresh tokens: keep the new set).
2. CUBA, the password grant, with a Cyrillic login and a password full of `&=+%`.
"""

from __future__ import annotations

import http.client
import sys
import urllib.parse

import authgate

REDIRECT_URI = "http://127.0.0.1/callback"


def play_browser(url: str) -> str:
    """GETs the authorization URL like a browser whose user approves, and returns the
    redirect location instead of following it (nothing listens on the redirect URI)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        resp = conn.getresponse()
        resp.read()
        location = resp.getheader("Location")
    finally:
        conn.close()
    if location is None:
        raise SystemExit(f"the authorization server answered {resp.status} without a redirect")
    return location


def code_flow(base_url: str) -> authgate.TokenSet:
    client = authgate.Client(
        "gearcode",
        base_url=base_url,
        client_id="gearcode-client",
        client_secret="gearcode-secret",
        redirect_uri=REDIRECT_URI,
    )
    request = client.authorization_url()
    print("1. open in a browser:", request.url)
    callback = play_browser(request.url)
    code = request.parse_callback(callback)  # checks `state`
    tokens = client.exchange_code(code, pkce_verifier=request.pkce_verifier)
    print("2. tokens:", tokens)
    tokens = client.refresh(tokens)  # store this set now: the old refresh token is dead
    print("3. refreshed, expires at", tokens.expires_at)
    return tokens


def password_flow(base_url: str) -> authgate.TokenSet:
    client = authgate.Client(
        "cuba",
        base_url=base_url,
        client_id="client",
        client_secret="secret",
        timeout=10,
    )
    try:
        tokens = client.password("кассир", "p&s=w+o%rd 1 ё")
    except authgate.InvalidGrant as e:
        raise SystemExit(f"wrong login or password: {e}") from e
    except authgate.Error as e:
        if e.is_transient:
            raise SystemExit(f"the server is unavailable, try later: {e}") from e
        raise
    print("4. CUBA:", tokens.authorization_header[:12] + "…", "scope", tokens.scope)
    return tokens


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    code_flow(argv[1])
    password_flow(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

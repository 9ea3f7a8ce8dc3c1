"""A long-running program's tokens: TokenManager with a FileStore (GearCode).

    python examples/python/token_manager.py http://127.0.0.1:PORT [STORE]

The first run signs in (the authorization code flow, the "browser" played by an HTTP GET)
and hands the tokens to the manager, which saves them to the store file (mode 0600).
Later runs, and other processes sharing the file, start from the file. From then on,
``manager.access_token()`` is all the program calls, from any thread: the cached token
while it is valid, else a refreshed one (GearCode rotates refresh tokens; the manager
stores the new one before handing out the token). ``SignInRequired`` means the user must
sign in again.
"""

from __future__ import annotations

import http.client
import os
import sys
import tempfile
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import authgate

REDIRECT_URI = "http://127.0.0.1/callback"


def play_browser(url: str) -> str:
    """GETs the authorization URL like a browser whose user approves, and returns the
    redirect location instead of following it."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        location = conn.getresponse().getheader("Location")
    finally:
        conn.close()
    if location is None:
        raise SystemExit("the authorization server did not redirect")
    return location


def sign_in(client: authgate.Client) -> authgate.TokenSet:
    request = client.authorization_url()
    code = request.parse_callback(play_browser(request.url))
    return client.exchange_code(code, pkce_verifier=request.pkce_verifier)


def call_api(base_url: str, manager: authgate.TokenManager) -> int:
    req = urllib.request.Request(f"{base_url}/api/me", headers={"Authorization": "Bearer " + manager.access_token()})
    with urllib.request.urlopen(req, timeout=10) as resp:
        status: int = resp.status
        return status


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    if len(argv) == 3:
        return run(argv[1], argv[2])
    with tempfile.TemporaryDirectory() as folder:
        return run(argv[1], os.path.join(folder, "tokens.json"))


def run(base_url: str, path: str) -> int:
    client = authgate.Client(
        "gearcode",
        base_url=base_url,
        client_id="gearcode-client",
        client_secret="gearcode-secret",
        redirect_uri=REDIRECT_URI,
    )
    store = authgate.FileStore(path)
    manager = authgate.TokenManager(client, store=store, leeway=60)
    if store.load() is None:
        print("no tokens in", path, "- signing in")
        manager.set_tokens(sign_in(client))
    try:
        # Eight threads, one token: no refresh is needed, so no request is made.
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: call_api(base_url, manager), range(8)))
        print("API answers:", statuses, "- token requests so far:", manager.refresh_count)
        # A resource server answered 401 (say): refresh at the next call.
        manager.invalidate()
        print("after invalidate:", call_api(base_url, manager), "- token requests:", manager.refresh_count)
        print("stored:", store.load())
    except authgate.SignInRequired as e:
        raise SystemExit(f"sign in again: {e}") from e
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Signing in on a till without a browser: the device flow (RFC 8628), Kontur dialect.

    python examples/python/device_flow.py http://127.0.0.1:PORT

The client is configured by OpenID Connect discovery. The till shows a code and a QR
code; the user opens the address on a phone and approves; the till waits (Ctrl-C or
``CancelToken.cancel()`` stops it) and gets the tokens, whose id_token it validates.

Against the emulator nobody is there to approve, so this example approves through the
emulator's control API after a second. A real program leaves that to the user.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request

import authgate


def approve_in_the_emulator(base_url: str, user_code: str) -> None:
    body = json.dumps({"user_code": user_code, "approve": True}).encode()
    req = urllib.request.Request(
        f"{base_url}/_emulator/device/approve", data=body, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(req, timeout=10).close()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    base_url = argv[1]
    client = authgate.Client.discover(
        base_url, "kontur", client_id="kontur-service", client_secret="kontur-api-key", timeout=10
    )
    auth = client.device_authorization()
    print(f"On your phone, open {auth.verification_uri} and enter {auth.user_code}")
    print(auth.qr_text())
    print(f"(the codes expire in {auth.expires_in} s)")

    threading.Timer(1.0, approve_in_the_emulator, (base_url, auth.user_code)).start()
    cancel = authgate.CancelToken()  # cancel.cancel() from a "Cancel" button stops the wait
    try:
        tokens = client.wait_for_device_token(auth, cancel=cancel)
    except authgate.OAuthError as e:
        raise SystemExit(f"not signed in: {e.error}") from e
    except authgate.Cancelled:
        raise SystemExit("cancelled") from None
    print("tokens:", tokens)
    if tokens.id_token is not None:
        claims = client.validate_id_token(tokens.id_token)
        print("signed in as", claims["sub"], claims.get("name"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

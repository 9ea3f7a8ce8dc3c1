"""Concurrent API calls with httpx.AsyncClient and a client-credentials token.

    python examples/python/httpx_async.py http://127.0.0.1:PORT

``BearerAuth`` takes its token from a ``TokenManager`` that may run the client
credentials grant: the token is fetched once (in a worker thread, so the event loop never
blocks) and shared by every request.
"""

from __future__ import annotations

import asyncio
import sys

import httpx

import authgate
from authgate.httpx import BearerAuth


async def run(base_url: str) -> list[int]:
    client = authgate.Client(
        "gearcode", base_url=base_url, client_id="gearcode-client", client_secret="gearcode-secret"
    )
    auth = BearerAuth(authgate.TokenManager(client, allow_client_credentials=True))
    async with httpx.AsyncClient(auth=auth, timeout=10) as http:
        answers = await asyncio.gather(*(http.get(f"{base_url}/api/me") for _ in range(4)))
    return [a.status_code for a in answers]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    print(asyncio.run(run(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

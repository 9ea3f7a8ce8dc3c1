"""Bearer authentication for `httpx <https://www.python-httpx.org>`_, sync and async.

``httpx`` is imported only when this module is::

    import authgate, httpx
    from authgate.httpx import BearerAuth

    client = authgate.Client("gearcode", base_url="https://gc.example",
                             client_id="id", client_secret="secret")
    auth = BearerAuth(authgate.TokenManager(client, allow_client_credentials=True))
    httpx.get("https://api.gc.example/me", auth=auth)
"""

from __future__ import annotations

from typing import AsyncGenerator, Generator, Optional

import httpx as _httpx

from ._bearer import Bearer

__all__ = ["BearerAuth"]


class BearerAuth(Bearer, _httpx.Auth):
    """An ``httpx.Auth`` that sends ``Authorization: Bearer <access token>`` (for a
    client with ``dpop=True``: ``Authorization: DPoP <access token>`` and a new ``DPoP``
    proof for each request, sent once more when the server answers 401 with a new
    ``DPoP-Nonce``). For a mutual TLS client (``tls_client_cert_file``) the requests must
    present the same certificate: ``httpx.Client(auth=auth, verify=auth.ssl_context())``.

    ``manager`` keeps the token: the adapter asks it for the access token before each
    request (it is refreshed first when it expires within the manager's leeway, or
    within ``leeway`` when given) and, after a ``401`` answer, invalidates it and sends
    the request once more with a refreshed one. Where the manager cannot get one (no
    refresh token, or the server refused it) the request raises
    :class:`authgate.SignInRequired`.

    ``BearerAuth(client, tokens)`` is short for a ``TokenManager(client)`` (in memory,
    with ``leeway`` as its leeway) given ``tokens``. To save rotated refresh tokens
    give a manager with ``store=authgate.FileStore(...)``; to get tokens without a
    sign-in, one with ``allow_client_credentials=True`` or ``password_credentials``.
    With ``httpx.AsyncClient`` a refresh runs in a worker thread, never blocking the
    event loop. Safe to share between threads.
    """

    requires_request_body = True

    def sync_auth_flow(
        self, request: _httpx.Request
    ) -> Generator[_httpx.Request, _httpx.Response, None]:
        """Sets the bearer token (renewed first if expiring); after a 401, renews once
        and sends the request again."""
        header = self.header()
        self._set(request, header)
        response = yield request
        if response.status_code == 401:
            if self.new_nonce(str(request.url), response.headers.get("DPoP-Nonce")):
                new: Optional[str] = header
            else:
                new = self.header_after_401(header)
            if new is not None:
                self._set(request, new)
                yield request

    async def async_auth_flow(
        self, request: _httpx.Request
    ) -> AsyncGenerator[_httpx.Request, _httpx.Response]:
        """As :meth:`sync_auth_flow`; token renewals run in a worker thread."""
        import anyio.to_thread

        header = self.fresh_header()
        if header is None:
            header = await anyio.to_thread.run_sync(self.header)
        self._set(request, header)
        response = yield request
        if response.status_code == 401:
            if self.new_nonce(str(request.url), response.headers.get("DPoP-Nonce")):
                new: Optional[str] = header
            else:
                new = await anyio.to_thread.run_sync(self.header_after_401, header)
            if new is not None:
                self._set(request, new)
                yield request

    def _set(self, request: _httpx.Request, header: str) -> None:
        request.headers["Authorization"] = header
        proof = self.proof(request.method, str(request.url), header)
        if proof is not None:
            request.headers["DPoP"] = proof

"""Bearer authentication for `httpx <https://www.python-httpx.org>`_, sync and async.

``httpx`` is imported only when this module is::

    import authgate, httpx
    from authgate.httpx import BearerAuth

    client = authgate.Client("gearcode", base_url="https://gc.example",
                             client_id="id", client_secret="secret")
    auth = BearerAuth(client, fetch=client.client_credentials)
    httpx.get("https://api.gc.example/me", auth=auth)
"""

from __future__ import annotations

from typing import AsyncGenerator, Generator, Optional, Union

import httpx as _httpx

from ._bearer import Fetch, Leeway, OnRefresh, make_keeper
from ._native import Client, TokenManager, TokenSet

__all__ = ["BearerAuth"]


class BearerAuth(_httpx.Auth):
    """An ``httpx.Auth`` that sends ``Authorization: Bearer <access token>``.

    The token set is renewed before a request when it expires within ``leeway`` (30 s),
    and once after a ``401`` answer (the request is then sent again): with its refresh
    token when it has one, else with ``fetch`` (e.g. ``client.client_credentials``).
    ``on_refresh`` is called with each new token set, to store rotated refresh tokens.

    Given a :class:`authgate.TokenManager` instead of a client, the manager keeps the
    token (``leeway``, if given, asks for a token valid that long); after a 401 it is
    invalidated and the request sent again with a refreshed one.
    With ``httpx.AsyncClient`` a renewal runs in a worker thread, never blocking the
    event loop. Safe to share between threads.
    """

    requires_request_body = True

    def __init__(
        self,
        client: Union[Client, TokenManager],
        tokens: Optional[TokenSet] = None,
        *,
        fetch: Optional[Fetch] = None,
        leeway: Optional[Leeway] = None,
        on_refresh: Optional[OnRefresh] = None,
    ) -> None:
        self._keeper = make_keeper(client, tokens, fetch, leeway, on_refresh)

    @property
    def tokens(self) -> Optional[TokenSet]:
        """The current token set (None with a TokenManager, which holds it)."""
        return self._keeper.tokens

    def sync_auth_flow(
        self, request: _httpx.Request
    ) -> Generator[_httpx.Request, _httpx.Response, None]:
        """Sets the bearer token (renewed first if expiring); after a 401, renews once
        and sends the request again."""
        header = self._keeper.header()
        request.headers["Authorization"] = header
        response = yield request
        if response.status_code == 401:
            new = self._keeper.header_after_401(header)
            if new is not None:
                request.headers["Authorization"] = new
                yield request

    async def async_auth_flow(
        self, request: _httpx.Request
    ) -> AsyncGenerator[_httpx.Request, _httpx.Response]:
        """As :meth:`sync_auth_flow`; token renewals run in a worker thread."""
        import anyio.to_thread

        header = self._keeper.fresh_header()
        if header is None:
            header = await anyio.to_thread.run_sync(self._keeper.header)
        request.headers["Authorization"] = header
        response = yield request
        if response.status_code == 401:
            new = await anyio.to_thread.run_sync(self._keeper.header_after_401, header)
            if new is not None:
                request.headers["Authorization"] = new
                yield request

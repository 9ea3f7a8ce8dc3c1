"""Bearer authentication for `requests <https://requests.readthedocs.io>`_.

``requests`` is imported only when this module is::

    import authgate, requests
    from authgate.requests import BearerAuth

    client = authgate.Client("cuba", base_url="http://127.0.0.1:8080",
                             client_id="client", client_secret="secret")
    auth = BearerAuth(client, client.password("admin", "admin"))
    requests.get("http://127.0.0.1:8080/app/rest/v2/entities/sec$User", auth=auth)
"""

from __future__ import annotations

from typing import Any, Optional, Union

import requests as _requests
from requests.auth import AuthBase

from ._bearer import Fetch, Leeway, OnRefresh, make_keeper
from ._native import Client, TokenManager, TokenSet

__all__ = ["BearerAuth"]


class BearerAuth(AuthBase):
    """A ``requests`` auth that sends ``Authorization: Bearer <access token>``.

    The token set is renewed before a request when it expires within ``leeway`` (30 s),
    and once after a ``401`` answer (the request is then sent again): with its refresh
    token when it has one, else with ``fetch`` (e.g. ``client.client_credentials``).
    ``on_refresh`` is called with each new token set, to store rotated refresh tokens.

    Given a :class:`authgate.TokenManager` instead of a client, the manager keeps the
    token (``leeway``, if given, asks for a token valid that long); after a 401 it is
    invalidated and the request sent again with a refreshed one.
    Safe to share between threads.
    """

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

    def __call__(self, r: _requests.PreparedRequest) -> _requests.PreparedRequest:
        header = self._keeper.header()
        r.headers["Authorization"] = header

        def retry_on_401(resp: _requests.Response, **kwargs: Any) -> _requests.Response:
            return self._retry_on_401(resp, header, retry_on_401, **kwargs)

        r.register_hook("response", retry_on_401)  # type: ignore[no-untyped-call]
        return r

    def _retry_on_401(
        self, resp: _requests.Response, used: str, hook: Any, **kwargs: Any
    ) -> _requests.Response:
        if resp.status_code != 401:
            return resp
        prep = resp.request.copy()
        prep.deregister_hook("response", hook)  # type: ignore[no-untyped-call]
        # A streamed body cannot be sent twice.
        if prep.body is not None and not isinstance(prep.body, (bytes, str)):
            return resp
        new = self._keeper.header_after_401(used)
        if new is None:
            return resp
        resp.content  # read the body so that the connection can be reused
        resp.close()
        prep.headers["Authorization"] = new
        # As requests' own HTTPDigestAuth does: carry cookies the 401 answer set.
        jar = getattr(prep, "_cookies", None)
        if jar is not None:
            _requests.cookies.extract_cookies_to_jar(jar, resp.request, resp.raw)  # type: ignore[no-untyped-call]
            prep.prepare_cookies(jar)
        retried: _requests.Response = resp.connection.send(prep, **kwargs)
        retried.history.append(resp)
        retried.request = prep
        return retried

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

import datetime
from typing import Any, Optional, Union

import requests as _requests
from requests.auth import AuthBase

from ._bearer import Fetch, OnRefresh, TokenKeeper
from ._native import Client, TokenSet

__all__ = ["BearerAuth"]


class BearerAuth(AuthBase):
    """A ``requests`` auth that sends ``Authorization: Bearer <access token>``.

    The token set is renewed before a request when it expires within ``leeway``, and
    once after a ``401`` answer (the request is then sent again): with its refresh
    token when it has one, else with ``fetch`` (e.g. ``client.client_credentials``).
    ``on_refresh`` is called with each new token set, to store rotated refresh tokens.
    Safe to share between threads.
    """

    def __init__(
        self,
        client: Client,
        tokens: Optional[TokenSet] = None,
        *,
        fetch: Optional[Fetch] = None,
        leeway: Union[int, float, datetime.timedelta] = 30,
        on_refresh: Optional[OnRefresh] = None,
    ) -> None:
        self._keeper = TokenKeeper(client, tokens, fetch=fetch, leeway=leeway, on_refresh=on_refresh)

    @property
    def tokens(self) -> Optional[TokenSet]:
        """The current token set."""
        return self._keeper.tokens

    def __call__(self, r: _requests.PreparedRequest) -> _requests.PreparedRequest:
        tokens = self._keeper.current()
        r.headers["Authorization"] = tokens.authorization_header

        def retry_on_401(resp: _requests.Response, **kwargs: Any) -> _requests.Response:
            return self._retry_on_401(resp, tokens, retry_on_401, **kwargs)

        r.register_hook("response", retry_on_401)  # type: ignore[no-untyped-call]
        return r

    def _retry_on_401(
        self, resp: _requests.Response, used: TokenSet, hook: Any, **kwargs: Any
    ) -> _requests.Response:
        if resp.status_code != 401:
            return resp
        prep = resp.request.copy()
        prep.deregister_hook("response", hook)  # type: ignore[no-untyped-call]
        # A streamed body cannot be sent twice.
        if prep.body is not None and not isinstance(prep.body, (bytes, str)):
            return resp
        new = self._keeper.renew_after_401(used)
        if new is None:
            return resp
        resp.content  # read the body so that the connection can be reused
        resp.close()
        prep.headers["Authorization"] = new.authorization_header
        # As requests' own HTTPDigestAuth does: carry cookies the 401 answer set.
        jar = getattr(prep, "_cookies", None)
        if jar is not None:
            _requests.cookies.extract_cookies_to_jar(jar, resp.request, resp.raw)  # type: ignore[no-untyped-call]
            prep.prepare_cookies(jar)
        retried: _requests.Response = resp.connection.send(prep, **kwargs)
        retried.history.append(resp)
        retried.request = prep
        return retried

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

from typing import Any, Optional

import requests as _requests
from requests.auth import AuthBase

from ._bearer import Bearer

__all__ = ["BearerAuth"]


class BearerAuth(Bearer, AuthBase):
    """A ``requests`` auth that sends ``Authorization: Bearer <access token>`` (for a
    client with ``dpop=True``: ``Authorization: DPoP <access token>`` and a new ``DPoP``
    proof for each request, sent once more when the server answers 401 with a new
    ``DPoP-Nonce``). For a mutual TLS client (``tls_client_cert_file``) the requests must
    present the same certificate: use :meth:`session`, or pass ``cert=auth.cert``.

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
    Safe to share between threads.
    """

    def __call__(self, r: _requests.PreparedRequest) -> _requests.PreparedRequest:
        header = self.header()
        self._set(r, header)

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
        if self.new_nonce(str(prep.url), resp.headers.get("DPoP-Nonce")):
            new: Optional[str] = used  # the resource server's DPoP nonce: same token
        else:
            new = self.header_after_401(used)
        if new is None:
            return resp
        resp.content  # read the body so that the connection can be reused
        resp.close()
        self._set(prep, new)
        # As requests' own HTTPDigestAuth does: carry cookies the 401 answer set.
        jar = getattr(prep, "_cookies", None)
        if jar is not None:
            _requests.cookies.extract_cookies_to_jar(jar, resp.request, resp.raw)  # type: ignore[no-untyped-call]
            prep.prepare_cookies(jar)
        retried: _requests.Response = resp.connection.send(prep, **kwargs)
        retried.history.append(resp)
        retried.request = prep
        return retried

    def session(self) -> _requests.Session:
        """A ``requests.Session`` with this auth and, for a mutual TLS client, its
        certificate (``cert=``), which a certificate-bound token needs on every request
        (an auth cannot set it on a request itself)."""
        session = _requests.Session()
        session.auth = self
        if self.cert is not None:
            session.cert = self.cert
        return session

    def _set(self, r: _requests.PreparedRequest, header: str) -> None:
        r.headers["Authorization"] = header
        proof = self.proof(str(r.method), str(r.url), header)
        if proof is not None:
            r.headers["DPoP"] = proof

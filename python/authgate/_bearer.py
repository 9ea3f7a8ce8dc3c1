"""What the HTTP library adapters (:mod:`authgate.requests`, :mod:`authgate.httpx`) share:
the ``Authorization`` header from a :class:`authgate.TokenManager`, which does all the
keeping (one refresh at a time, stores before handing out, retries, SignInRequired), and
for a client with ``dpop=True`` the ``DPoP`` proof of each request (RFC 9449) with the
resource server's nonce."""

from __future__ import annotations

import datetime
import ssl
from typing import Optional, Tuple, Union, overload

from ._native import Client, TokenManager, TokenSet

Leeway = Union[int, float, datetime.timedelta]


class Bearer:
    """The base of both adapters: the header they send, from ``manager`` (or, as sugar,
    from a new in-memory manager of the client ``manager`` that starts with ``tokens``)."""

    manager: TokenManager
    """The manager that keeps the token (the one built for ``(client, tokens)``)."""

    @overload
    def __init__(self, manager: TokenManager, /, *, leeway: Optional[Leeway] = None) -> None: ...
    @overload
    def __init__(self, client: Client, tokens: TokenSet, /, *, leeway: Optional[Leeway] = None) -> None: ...
    def __init__(
        self,
        manager: Union[TokenManager, Client],
        tokens: Optional[TokenSet] = None,
        /,
        *,
        leeway: Optional[Leeway] = None,
    ) -> None:
        if leeway is not None:
            if isinstance(leeway, bool) or not isinstance(leeway, (int, float, datetime.timedelta)):
                raise TypeError("leeway must be a number of seconds or a datetime.timedelta")
            seconds = leeway.total_seconds() if isinstance(leeway, datetime.timedelta) else leeway
            if not 0 <= seconds < float("inf"):
                raise ValueError("leeway must be a finite number of seconds, zero or more")
        if isinstance(manager, TokenManager):
            if tokens is not None:
                raise TypeError("with a TokenManager, give no tokens: use manager.set_tokens(tokens)")
        elif isinstance(manager, Client):
            if not isinstance(tokens, TokenSet):
                raise TypeError(
                    f"with a Client, tokens must be an authgate.TokenSet, not {type(tokens).__name__}; "
                    "to sign in without one, give a TokenManager(client, allow_client_credentials=True)"
                )
            manager = TokenManager(manager, leeway=leeway)  # in memory
            manager.set_tokens(tokens)
            leeway = None  # the manager's own now
        else:
            raise TypeError(
                f"manager must be an authgate.TokenManager or an authgate.Client, not {type(manager).__name__}"
            )
        self.manager = manager
        self._leeway = leeway
        self._client = manager.client
        self._scheme = "DPoP " if self._client.uses_dpop else "Bearer "
        self.cert: Optional[Tuple[str, str]] = self._client.client_cert
        """The client certificate and key files of a mutual TLS client (RFC 8705), or
        None: certificate-bound tokens are good only over connections that present them."""

    def ssl_context(self, cafile: Optional[str] = None) -> ssl.SSLContext:
        """A TLS context that trusts ``cafile`` (default: the system's CAs) and presents
        the client certificate when the client has one (mutual TLS)."""
        context = ssl.create_default_context(cafile=cafile)
        if self.cert is not None:
            context.load_cert_chain(*self.cert)
        return context

    def fresh_header(self) -> Optional[str]:
        """The header if the cached token needs no renewal (never blocks); else None."""
        token = self.manager._peek(self._leeway)
        return None if token is None else self._scheme + token

    def header(self) -> str:
        """The header, renewing the token first if it expires within the leeway."""
        if self._leeway is None:
            return self._scheme + self.manager.access_token()
        return self._scheme + self.manager.access_token_valid_for(self._leeway)

    def proof(self, method: str, url: str, header: str) -> Optional[str]:
        """The ``DPoP`` header for this request with the token of ``header`` (a new
        proof each time), or None for a client without DPoP."""
        if not self._client.uses_dpop:
            return None
        token = header.removeprefix(self._scheme)
        return self._client.dpop_headers(method, url, token)["DPoP"]

    def new_nonce(self, url: str, nonce: Optional[str]) -> bool:
        """Whether a 401 came with a ``DPoP-Nonce`` not seen before (remembered now):
        the request is then sent once more with the same token and a new proof."""
        if not nonce or not self._client.uses_dpop:
            return False
        return self._client.remember_dpop_nonce(url, nonce)

    def header_after_401(self, rejected: str) -> Optional[str]:
        """A new header after a resource server refused ``rejected``, or None if the
        renewal gave the same token. Raises :class:`authgate.SignInRequired` when there
        is nothing to renew with."""
        # Concurrent requests refused with the same token make one refresh: the manager
        # invalidates that token only while it is still the current one, and the first
        # caller's refresh is the one the others wait for and get.
        self.manager.invalidate_token(rejected.removeprefix(self._scheme))
        new = self.header()
        return None if new == rejected else new

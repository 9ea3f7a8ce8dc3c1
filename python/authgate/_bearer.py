"""The token keeping shared by the HTTP library adapters (:mod:`authgate.requests`,
:mod:`authgate.httpx`): one current token set, renewed under a lock when it is about to
expire or when a resource server answered 401 — kept by the adapter itself
(:class:`TokenKeeper`) or by a :class:`authgate.TokenManager` (:class:`ManagerKeeper`)."""

from __future__ import annotations

import datetime
import threading
from typing import Callable, Optional, Union

from ._errors import ConfigError, InvalidGrant
from ._native import Client, TokenManager, TokenSet

Fetch = Callable[[], TokenSet]
"""Gets a new token set without a refresh token, e.g. ``client.client_credentials``."""
OnRefresh = Callable[[TokenSet], None]
"""Called with every new token set, e.g. to store a rotated refresh token."""


Leeway = Union[int, float, datetime.timedelta]


class Keeper:
    """What an adapter needs: the ``Authorization`` header to send, and a new one after
    a 401."""

    @property
    def tokens(self) -> Optional[TokenSet]:
        """The current token set, where the keeper holds one."""
        raise NotImplementedError

    def fresh_header(self) -> Optional[str]:
        """The header if no renewal is needed, without blocking; else None."""
        raise NotImplementedError

    def header(self) -> str:
        """The header, renewing the token first if it expires within the leeway."""
        raise NotImplementedError

    def header_after_401(self, rejected: str) -> Optional[str]:
        """A new header after a resource server refused ``rejected``; None if there is
        no way to get one."""
        raise NotImplementedError


def make_keeper(
    client: Union[Client, TokenManager],
    tokens: Optional[TokenSet],
    fetch: Optional["Fetch"],
    leeway: Optional[Leeway],
    on_refresh: Optional["OnRefresh"],
) -> Keeper:
    """The keeper for an adapter's arguments."""
    if isinstance(client, TokenManager):
        if tokens is not None or fetch is not None or on_refresh is not None:
            raise TypeError(
                "with a TokenManager, give no tokens, fetch or on_refresh: the manager "
                "gets, renews and stores the tokens"
            )
        return ManagerKeeper(client, leeway=leeway)
    return TokenKeeper(client, tokens, fetch=fetch, leeway=30 if leeway is None else leeway, on_refresh=on_refresh)


class ManagerKeeper(Keeper):
    """Gets the token from a :class:`authgate.TokenManager`: its cached token while it
    stays valid (for ``leeway`` when given, else the manager's own leeway), and after a
    401 a refreshed one (:meth:`TokenManager.invalidate` first, unless another request
    already renewed it)."""

    def __init__(self, manager: TokenManager, *, leeway: Optional[Leeway] = None) -> None:
        if leeway is not None:
            if isinstance(leeway, bool) or not isinstance(leeway, (int, float, datetime.timedelta)):
                raise TypeError("leeway must be a number of seconds or a datetime.timedelta")
            seconds = leeway.total_seconds() if isinstance(leeway, datetime.timedelta) else leeway
            if not seconds >= 0:
                raise ValueError("leeway must be zero or more seconds")
        self._manager = manager
        self._leeway = leeway

    @property
    def manager(self) -> TokenManager:
        """The manager."""
        return self._manager

    @property
    def tokens(self) -> Optional[TokenSet]:
        """Always None: the manager holds the token set (:meth:`TokenManager.token_set`)."""
        return None

    def fresh_header(self) -> Optional[str]:
        token = self._manager._peek(self._leeway)
        return None if token is None else "Bearer " + token

    def header(self) -> str:
        if self._leeway is None:
            return "Bearer " + self._manager.access_token()
        return "Bearer " + self._manager.access_token_valid_for(self._leeway)

    def header_after_401(self, rejected: str) -> Optional[str]:
        current = self.fresh_header()
        if current is not None and current != rejected:
            return current  # another request renewed it meanwhile
        self._manager.invalidate()
        new = self.header()
        return None if new == rejected else new


class TokenKeeper(Keeper):
    """Holds the current token set of an adapter and renews it: with the refresh token
    when there is one, else (or when the refresh token was refused) with ``fetch``.
    Thread-safe: concurrent requests wait for one renewal rather than each making one."""

    def __init__(
        self,
        client: Client,
        tokens: Optional[TokenSet] = None,
        *,
        fetch: Optional[Fetch] = None,
        leeway: Union[int, float, datetime.timedelta] = 30,
        on_refresh: Optional[OnRefresh] = None,
    ) -> None:
        if not isinstance(client, Client):
            raise TypeError(
                f"client must be an authgate.Client or an authgate.TokenManager, not {type(client).__name__}"
            )
        if tokens is not None and not isinstance(tokens, TokenSet):
            raise TypeError(f"tokens must be an authgate.TokenSet, not {type(tokens).__name__}")
        if fetch is not None and not callable(fetch):
            raise TypeError("fetch must be a callable returning a TokenSet")
        if on_refresh is not None and not callable(on_refresh):
            raise TypeError("on_refresh must be a callable taking a TokenSet")
        if tokens is None and fetch is None:
            raise ConfigError("give a token set, or fetch= to get one (e.g. client.client_credentials)")
        if isinstance(leeway, datetime.timedelta):
            leeway = leeway.total_seconds()
        if isinstance(leeway, bool) or not isinstance(leeway, (int, float)):
            raise TypeError("leeway must be a number of seconds or a datetime.timedelta")
        if not leeway >= 0:
            raise ValueError("leeway must be zero or more seconds")
        self._client = client
        self._tokens = tokens
        self._fetch = fetch
        self._leeway = float(leeway)
        self._on_refresh = on_refresh
        self._lock = threading.Lock()

    @property
    def tokens(self) -> Optional[TokenSet]:
        """The current token set (None before the first fetch)."""
        return self._tokens

    def fresh(self) -> Optional[TokenSet]:
        """The current token set if it needs no renewal, without taking the lock."""
        t = self._tokens
        if t is not None and not t.is_expired(self._leeway):
            return t
        return None

    def fresh_header(self) -> Optional[str]:
        t = self.fresh()
        return None if t is None else t.authorization_header

    def header(self) -> str:
        return self.current().authorization_header

    def header_after_401(self, rejected: str) -> Optional[str]:
        with self._lock:
            t = self._tokens
            if t is not None and t.authorization_header != rejected:
                return t.authorization_header
            if (t is None or t.refresh_token is None) and self._fetch is None:
                return None
            return self._renew(t).authorization_header

    def current(self) -> TokenSet:
        """The current token set, renewed first if it expires within the leeway."""
        t = self.fresh()
        if t is not None:
            return t
        with self._lock:
            t = self._tokens
            if t is None or t.is_expired(self._leeway):
                t = self._renew(t)
            return t

    def _renew(self, old: Optional[TokenSet]) -> TokenSet:
        new: Optional[TokenSet] = None
        if old is not None and old.refresh_token is not None:
            try:
                new = self._client.refresh(old)
            except InvalidGrant:
                if self._fetch is None:
                    raise
        if new is None:
            if self._fetch is None:
                # Nothing to renew with: the resource server will say what it thinks.
                assert old is not None
                return old
            new = self._fetch()
            if not isinstance(new, TokenSet):
                raise TypeError("fetch must return an authgate.TokenSet")
        self._tokens = new
        if self._on_refresh is not None:
            self._on_refresh(new)
        return new

"""authgate: an embeddable OAuth 2.0 client that speaks the dialects of real providers.

The protocol work is done by the Rust core (the private extension ``authgate._native``);
this package gives it Python names, types and exceptions::

    import authgate

    client = authgate.Client(
        "gearcode",
        base_url="https://auth.gearcode.example",
        client_id="pos-42",
        client_secret="s3cret",
        redirect_uri="https://pos.example/callback",
    )
    request = client.authorization_url()
    # ... send the user to request.url; the browser comes back to the redirect URI ...
    code = request.parse_callback(callback_url)
    tokens = client.exchange_code(code, pkce_verifier=request.pkce_verifier)
    tokens = client.refresh(tokens)  # GearCode rotates refresh tokens: store the result

For a long-running program, :class:`TokenManager` keeps the token fresh (one refresh at
a time, however many threads ask) and saves every new set to a :class:`FileStore`::

    manager = authgate.TokenManager(client, store=authgate.FileStore("tokens.json"))
    manager.set_tokens(tokens)          # after the sign-in
    header = "Bearer " + manager.access_token()

OpenID Connect: :meth:`Client.discover`, :meth:`Client.validate_id_token`,
:meth:`Client.userinfo`, :meth:`Client.revoke`, :meth:`Client.introspect`; sign-in without
a redirect server: :meth:`Client.sign_in_loopback` (desktop) and
:meth:`Client.device_authorization` (tills without a browser).

Every network call releases the GIL, so threads make calls concurrently. Errors are
subclasses of :class:`Error`; see :mod:`authgate._errors` for the whole tree. Adapters for
HTTP libraries live in :mod:`authgate.requests` and :mod:`authgate.httpx` and import
their library only when used.

The core logs through :mod:`logging`, logger ``authgate``: ``WARNING`` when a provider's
answer needed leniency (as in :attr:`TokenSet.warnings`), ``INFO`` when a
:class:`TokenManager` retries, ``DEBUG`` for each token request. Records never hold a
token, secret or password; ``logging.getLogger("authgate")`` configures them. Its level
is read when each call begins, so a level set meanwhile applies from the next call, and a
record the level filters out costs nothing. No other library's records (the HTTP and TLS
libraries underneath) are passed on.
"""

from __future__ import annotations

from typing import Any

from ._errors import (
    BodyTooLarge,
    Cancelled,
    ConfigError,
    Error,
    ErrorCode,
    IdTokenError,
    InvalidArgument,
    InvalidClient,
    InvalidGrant,
    IssuerMismatch,
    OAuthError,
    SignInRequired,
    StateMismatch,
    StoreError,
    TimeoutError,
    TransportError,
    UnexpectedResponse,
)
from ._native import (
    AuthorizationRequest,
    CancelToken,
    Client,
    DeviceAuthorization,
    FileStore,
    Introspection,
    MemoryStore,
    RedisStore,
    TokenManager,
    TokenSet,
    TokenStore,
    __version__,
    core_version,
    parse_callback,
)

__all__ = [
    "__version__",
    "core_version",
    "Client",
    "AuthorizationRequest",
    "TokenSet",
    "TokenManager",
    "TokenStore",
    "MemoryStore",
    "FileStore",
    "RedisStore",
    "CancelToken",
    "DeviceAuthorization",
    "Introspection",
    "parse_callback",
    "ErrorCode",
    "Error",
    "ConfigError",
    "InvalidArgument",
    "OAuthError",
    "InvalidGrant",
    "InvalidClient",
    "StateMismatch",
    "IssuerMismatch",
    "UnexpectedResponse",
    "TransportError",
    "TimeoutError",
    "BodyTooLarge",
    "SignInRequired",
    "StoreError",
    "Cancelled",
    "IdTokenError",
]


def __getattr__(name: str) -> Any:
    # The adapters import requests / httpx, which are optional: load them on first use.
    if name in ("requests", "httpx"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

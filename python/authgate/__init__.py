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
    tokens = client.exchange_code(code, code_verifier=request.code_verifier)
    tokens = client.refresh(tokens)  # GearCode rotates refresh tokens: store the result

Every network call releases the GIL, so threads make calls concurrently. Errors are
subclasses of :class:`Error`; see :mod:`authgate._errors` for the whole tree. Adapters for
HTTP libraries live in :mod:`authgate.requests` and :mod:`authgate.httpx` and import
their library only when used.
"""

from __future__ import annotations

from typing import Any

from ._errors import (
    BodyTooLarge,
    ConfigError,
    Error,
    ErrorCode,
    InvalidArgument,
    InvalidClient,
    InvalidGrant,
    OAuthError,
    StateMismatch,
    TimeoutError,
    TransportError,
    UnexpectedResponse,
)
from ._native import (
    AuthorizationRequest,
    Client,
    TokenSet,
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
    "parse_callback",
    "ErrorCode",
    "Error",
    "ConfigError",
    "InvalidArgument",
    "OAuthError",
    "InvalidGrant",
    "InvalidClient",
    "StateMismatch",
    "UnexpectedResponse",
    "TransportError",
    "TimeoutError",
    "BodyTooLarge",
]


def __getattr__(name: str) -> Any:
    # The adapters import requests / httpx, which are optional: load them on first use.
    if name in ("requests", "httpx"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

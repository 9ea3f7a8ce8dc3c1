"""The exceptions of authgate, one per cause a caller can act on.

They are defined in Python (not in the extension) because several also subclass the
built-in exception that fits, so that ordinary ``except`` clauses work:
``ConfigError`` is a ``ValueError``, ``TransportError`` an ``OSError``, ``TimeoutError``
the built-in ``TimeoutError``. No message or attribute ever holds a secret, a token, a
password or a code.
"""

from __future__ import annotations

import builtins
import enum
from typing import Any, Dict, Optional

__all__ = [
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


class ErrorCode(enum.IntEnum):
    """The stable numeric error codes, the same numbers as the Rust core's ``ErrorCode``
    and the C ABI's ``authgate_result``. Grouped by cause; never reused."""

    INVALID_ARGUMENT = 100
    CONFIG = 101
    TRANSPORT = 200
    DNS = 201
    CONNECT = 202
    TLS = 203
    TIMEOUT = 204
    BODY_TOO_LARGE = 205
    PROXY = 206
    IO = 207
    OAUTH = 300
    INVALID_GRANT = 301
    INVALID_CLIENT = 302
    INVALID_REQUEST = 303
    UNAUTHORIZED_CLIENT = 304
    UNSUPPORTED_GRANT_TYPE = 305
    INVALID_SCOPE = 306
    ACCESS_DENIED = 307
    STATE_MISMATCH = 320
    ISSUER_MISMATCH = 321
    SIGN_IN_REQUIRED = 330
    STORE = 340
    CANCELLED = 350
    UNEXPECTED_RESPONSE = 400
    ID_TOKEN_MALFORMED = 500
    ID_TOKEN_ALGORITHM = 501
    ID_TOKEN_UNKNOWN_KEY = 502
    ID_TOKEN_SIGNATURE = 503
    ID_TOKEN_ISSUER = 504
    ID_TOKEN_AUDIENCE = 505
    ID_TOKEN_EXPIRED = 506
    ID_TOKEN_NOT_YET_VALID = 507
    ID_TOKEN_NONCE = 508


def _code(value: int) -> int:
    try:
        return ErrorCode(value)
    except ValueError:  # a code newer than this file: keep the number
        return value


class Error(Exception):
    """The base of every authgate exception.

    Attributes:
        code: the core's stable number (an :class:`ErrorCode` where known).
        is_terminal: retrying cannot help; the user must sign in again or the
            configuration must be fixed.
        is_transient: the same call may succeed later (network, timeout, 5xx, 429).
        url: for a :class:`TransportError` or an :class:`UnexpectedResponse`, the
            address of the request (scheme, host, port and path; never the query or a
            ``user:password@`` part), else None.
        endpoint: which of the provider's endpoints that request went to: ``"token"``,
            ``"discovery"``, ``"jwks"``, ``"userinfo"``, ``"revocation"``,
            ``"introspection"``, ``"device_authorization"`` or
            ``"pushed_authorization"``; else None.
    """

    _default_code: int = 0

    code: int
    is_terminal: bool
    is_transient: bool
    url: Optional[str]
    endpoint: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[int] = None,
        is_terminal: bool = False,
        is_transient: bool = False,
        url: Optional[str] = None,
        endpoint: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.code = _code(self._default_code if code is None else code)
        self.is_terminal = is_terminal
        self.is_transient = is_transient
        self.url = url
        self.endpoint = endpoint

    @property
    def message(self) -> str:
        """The message, without secrets."""
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: "type[Error]", message: str, state: Dict[str, Any]) -> Error:
    err = cls.__new__(cls, message)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ConfigError(Error, ValueError):
    """The client configuration is incomplete or inconsistent (also a ``ValueError``)."""

    _default_code = ErrorCode.CONFIG

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("is_terminal", True)
        super().__init__(message, **kwargs)


class InvalidArgument(Error, ValueError):
    """An argument's value is invalid for the protocol: an empty code, a malformed PKCE
    verifier, a repeated callback parameter (also a ``ValueError``)."""

    _default_code = ErrorCode.INVALID_ARGUMENT


class OAuthError(Error):
    """The authorization server answered with an OAuth error (RFC 6749 §5.2), or the
    redirect carried one (§4.1.2.1, then ``status`` is None).

    Attributes:
        error: the ``error`` code, e.g. ``"invalid_scope"``.
        description: ``error_description`` (scrubbed of secrets), or None.
        uri: ``error_uri``, or None.
        status: the HTTP status, or None for an error in the redirect.
        retry_after: ``Retry-After`` in seconds, or None.
        www_authenticate: the ``WWW-Authenticate`` header of a 401 answer, or None.
    """

    _default_code = ErrorCode.OAUTH

    def __init__(
        self,
        message: str,
        *,
        error: str = "",
        description: Optional[str] = None,
        uri: Optional[str] = None,
        status: Optional[int] = None,
        retry_after: Optional[int] = None,
        www_authenticate: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.error = error
        self.description = description
        self.uri = uri
        self.status = status
        self.retry_after = retry_after
        self.www_authenticate = www_authenticate


class InvalidGrant(OAuthError):
    """``invalid_grant``: the code, refresh token or user credentials are no longer
    valid. Terminal: the user must sign in again."""

    _default_code = ErrorCode.INVALID_GRANT


class InvalidClient(OAuthError):
    """``invalid_client``: the client id or secret is wrong, or the server does not
    accept the client authentication style. Terminal: fix the registration."""

    _default_code = ErrorCode.INVALID_CLIENT


class StateMismatch(Error):
    """The ``state`` in the redirect is missing or differs from the one sent: a
    possible CSRF. Start the sign-in again."""

    _default_code = ErrorCode.STATE_MISMATCH


class IssuerMismatch(Error):
    """The ``iss`` in the redirect names another issuer than the one the sign-in was
    sent to, or is missing although the provider promises it (RFC 9207): possibly a
    mix-up attack. The code was not used; start the sign-in again.

    Attributes:
        expected: the issuer the sign-in was sent to.
        received: the ``iss`` the redirect carried, or None.
    """

    _default_code = ErrorCode.ISSUER_MISMATCH

    def __init__(
        self, message: str, *, expected: str = "", received: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.expected = expected
        self.received = received


class UnexpectedResponse(Error):
    """The server answered with something that is not a usable OAuth answer: an HTML
    page from a proxy, invalid JSON, an unexpected status, a redirect.

    Attributes:
        status: the HTTP status.
        content_type: the ``Content-Type`` header, or None.
        reason: what was wrong with it.
        excerpt: a short excerpt of the body, tags stripped and JSON values removed.
        retry_after: ``Retry-After`` in seconds, or None.
    """

    _default_code = ErrorCode.UNEXPECTED_RESPONSE

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        content_type: Optional[str] = None,
        reason: str = "",
        excerpt: str = "",
        retry_after: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status = status
        self.content_type = content_type
        self.reason = reason
        self.excerpt = excerpt
        self.retry_after = retry_after


class TransportError(Error, OSError):
    """The request did not get through: DNS, connect, TLS, proxy or I/O (also an
    ``OSError``).

    Attributes:
        kind: the stage that failed: ``dns``, ``connect``, ``tls``, ``proxy``, ``io``,
            ``timeout`` or ``body_too_large``.
    """

    _default_code = ErrorCode.TRANSPORT

    def __init__(self, message: str, *, kind: str = "io", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind


class TimeoutError(TransportError, builtins.TimeoutError):
    """The connect timeout or the overall timeout elapsed (also the built-in
    ``TimeoutError``)."""

    _default_code = ErrorCode.TIMEOUT

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("kind", "timeout")
        super().__init__(message, **kwargs)


class BodyTooLarge(TransportError):
    """The response body exceeded ``max_response_bytes``.

    Attributes:
        limit: the cap in bytes.
    """

    _default_code = ErrorCode.BODY_TOO_LARGE

    def __init__(self, message: str, *, limit: int = 0, **kwargs: Any) -> None:
        kwargs.setdefault("kind", "body_too_large")
        super().__init__(message, **kwargs)
        self.limit = limit


class SignInRequired(Error):
    """The token manager has no usable tokens left: none yet, or the refresh token (or
    the password) was refused. Terminal: only the user can help, by signing in again."""

    _default_code = ErrorCode.SIGN_IN_REQUIRED

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("is_terminal", True)
        super().__init__(message, **kwargs)


class StoreError(Error, OSError):
    """The token store could not be read or written (also an ``OSError``): a folder that
    does not exist, no permission, a file that does not hold a token set."""

    _default_code = ErrorCode.STORE


class Cancelled(Error):
    """The operation was cancelled through its :class:`authgate.CancelToken` (or by
    Ctrl-C, which cancels it)."""

    _default_code = ErrorCode.CANCELLED


class IdTokenError(Error):
    """An id_token failed validation (OpenID Connect Core §3.1.3.7). Do not trust the
    sign-in.

    Attributes:
        kind: the check that failed: ``malformed``, ``algorithm``, ``unknown_key``,
            ``signature``, ``issuer``, ``audience``, ``expired``, ``not_yet_valid`` or
            ``nonce``; :attr:`code` is the matching ``ErrorCode.ID_TOKEN_*``.
    """

    _default_code = ErrorCode.ID_TOKEN_MALFORMED

    def __init__(self, message: str, *, kind: str = "malformed", **kwargs: Any) -> None:
        if "code" not in kwargs:
            kwargs["code"] = _ID_TOKEN_CODES.get(kind, ErrorCode.ID_TOKEN_MALFORMED)
        super().__init__(message, **kwargs)
        self.kind = kind


_ID_TOKEN_CODES: Dict[str, int] = {
    "malformed": ErrorCode.ID_TOKEN_MALFORMED,
    "algorithm": ErrorCode.ID_TOKEN_ALGORITHM,
    "unknown_key": ErrorCode.ID_TOKEN_UNKNOWN_KEY,
    "signature": ErrorCode.ID_TOKEN_SIGNATURE,
    "issuer": ErrorCode.ID_TOKEN_ISSUER,
    "audience": ErrorCode.ID_TOKEN_AUDIENCE,
    "expired": ErrorCode.ID_TOKEN_EXPIRED,
    "not_yet_valid": ErrorCode.ID_TOKEN_NOT_YET_VALID,
    "nonce": ErrorCode.ID_TOKEN_NONCE,
}


_CLASSES: Dict[str, type] = {
    name: globals()[name]
    for name in (
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
    )
}


def _from_native(class_name: str, message: str, fields: Dict[str, Any]) -> Error:
    """Called by the extension to build the exception for a core error."""
    cls = _CLASSES.get(class_name, Error)
    err: Error = cls(message, **fields)
    return err

# Shown as authgate.InvalidGrant etc. in tracebacks; pickling finds them there too.
for _cls in _CLASSES.values():
    _cls.__module__ = "authgate"
ErrorCode.__module__ = "authgate"
del _cls

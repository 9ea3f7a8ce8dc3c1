"""Type stubs of the private extension module ``authgate._native``.

Import these names from ``authgate``, not from here.
"""

import datetime
import os
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Union, final

__version__: str
"""The version of the authgate package, from Cargo."""
core_version: str
"""The version of the Rust core the extension was built with."""

__all__ = ["AuthorizationRequest", "Client", "TokenSet", "__version__", "core_version", "parse_callback"]

_Scopes = Union[str, Iterable[str]]
_Params = Mapping[str, str]
_Seconds = Union[int, float, datetime.timedelta]
_Provider = Literal["generic", "taxcom", "kontur", "gearcode", "cuba"]
_AuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]

@final
class Client:
    """An OAuth 2.0 client for one authorization server, from a provider preset or
    explicit endpoints. Immutable and safe to share between threads; network calls
    release the GIL. A configuration mistake raises :class:`authgate.ConfigError`."""

    def __new__(
        cls,
        provider: Optional[Union[_Provider, str]] = None,
        *,
        base_url: Optional[str] = None,
        authorization_endpoint: Optional[str] = None,
        token_endpoint: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        scopes: Optional[_Scopes] = None,
        auth_method: Optional[Union[_AuthMethod, str]] = None,
        basic_encoding: Optional[Literal["form", "raw"]] = None,
        token_params: Optional[_Params] = None,
        authorization_params: Optional[_Params] = None,
        redirect_param: Optional[str] = None,
        pkce: Optional[bool] = None,
        allow_insecure_http: Optional[bool] = None,
        timeout: Optional[_Seconds] = None,
        connect_timeout: Optional[_Seconds] = None,
        max_response_bytes: Optional[int] = None,
        proxy: Optional[Union[str, Literal[False]]] = None,
        ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        trust_roots: Optional[Literal["bundled", "system"]] = None,
        user_agent: Optional[str] = None,
    ) -> Client:
        """Builds a client.

        Args:
            provider: the preset: ``"generic"`` (default), ``"taxcom"``, ``"kontur"``,
                ``"gearcode"`` or ``"cuba"``.
            base_url: the server's base URL; the preset's paths are appended to it.
            authorization_endpoint: the authorization endpoint, if not base_url + path.
            token_endpoint: the token endpoint, if not base_url + path (Taxcom's lives
                on another host).
            client_id: the client id. Required.
            client_secret: the client secret; None for a public client.
            redirect_uri: the redirect URI registered for this client.
            scopes: the default scopes (a space-separated str or an iterable of str).
            auth_method: ``"client_secret_basic"``, ``"client_secret_post"`` or ``"none"``.
                Defaults to the preset's.
            basic_encoding: ``"form"`` (RFC 6749 §2.3.1) or ``"raw"`` (Spring, CUBA).
            token_params: extra form parameters for every token request.
            authorization_params: extra parameters for every authorization URL.
            redirect_param: the name of the redirect parameter in the authorization URL.
            pkce: whether authorization URLs carry a PKCE challenge. Defaults to True.
            allow_insecure_http: allow ``http://`` on hosts other than loopback.
            timeout: the time allowed for a whole request (seconds or timedelta; 30 s).
            connect_timeout: the time allowed to connect (10 s).
            max_response_bytes: the largest response body accepted (256 KiB).
            proxy: a proxy URL, ``"env"`` (the default: from the environment), or
                ``"none"`` / False for none.
            ca_file: trust only the certificates in this PEM file.
            trust_roots: ``"bundled"`` (Mozilla's roots, the default) or ``"system"``.
            user_agent: the User-Agent header.
        """
    @staticmethod
    def from_json(json: str) -> Client:
        """Builds a client from a JSON configuration object, the same one the C ABI
        reads (keys ``provider``, ``base_url``, ``client_id``, ``timeout_ms``, …)."""
    @property
    def provider(self) -> str:
        """The preset's short name."""
    @property
    def client_id(self) -> str:
        """The client id."""
    @property
    def token_endpoint(self) -> str:
        """The token endpoint URL."""
    @property
    def authorization_endpoint(self) -> Optional[str]:
        """The authorization endpoint URL, or None (CUBA has none)."""
    @property
    def auth_method(self) -> str:
        """``client_secret_basic``, ``client_secret_post`` or ``none``."""
    @property
    def scopes(self) -> List[str]:
        """The default scopes."""
    @property
    def redirect_uri(self) -> Optional[str]:
        """The configured redirect URI, or None."""
    def authorization_url(
        self,
        *,
        scopes: Optional[_Scopes] = None,
        state: Optional[str] = None,
        nonce: Optional[str] = None,
        code_verifier: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        params: Optional[_Params] = None,
    ) -> AuthorizationRequest:
        """Builds an authorization URL with a fresh ``state``, a PKCE verifier (unless
        the client disabled PKCE) and, with the ``openid`` scope, a ``nonce``. Any of
        them can be given instead. No network call."""
    def exchange_code(
        self,
        code: str,
        *,
        code_verifier: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        scopes: Optional[_Scopes] = None,
        params: Optional[_Params] = None,
    ) -> TokenSet:
        """Exchanges an authorization code for tokens (RFC 6749 §4.1.3)."""
    def refresh(
        self,
        refresh_token: Union[str, TokenSet],
        *,
        scopes: Optional[_Scopes] = None,
        params: Optional[_Params] = None,
    ) -> TokenSet:
        """Refreshes tokens (RFC 6749 §6). With rotating refresh tokens (GearCode) the
        old one is dead afterwards: store the result at once."""
    def password(
        self,
        username: str,
        password: str,
        *,
        scopes: Optional[_Scopes] = None,
        params: Optional[_Params] = None,
    ) -> TokenSet:
        """The resource owner password grant (RFC 6749 §4.3), as CUBA uses it."""
    def client_credentials(
        self,
        *,
        scopes: Optional[_Scopes] = None,
        params: Optional[_Params] = None,
    ) -> TokenSet:
        """The client credentials grant (RFC 6749 §4.4)."""

@final
class AuthorizationRequest:
    """What :meth:`Client.authorization_url` returns. ``repr`` hides the verifier."""

    @property
    def url(self) -> str:
        """The URL to send the user to."""
    @property
    def state(self) -> str:
        """The ``state`` sent."""
    @property
    def nonce(self) -> Optional[str]:
        """The OpenID Connect ``nonce`` sent, or None."""
    @property
    def code_verifier(self) -> Optional[str]:
        """The PKCE verifier to pass to :meth:`Client.exchange_code`, or None."""
    @property
    def redirect_uri(self) -> Optional[str]:
        """The redirect URI sent, or None."""
    def parse_callback(self, callback: str) -> str:
        """Reads the redirect back with this request's ``state``; returns the code."""

@final
class TokenSet:
    """The tokens an authorization server issued. ``repr`` never shows a token."""

    @staticmethod
    def from_json(json: str) -> TokenSet:
        """Reads back :meth:`to_json`'s output, or parses a token answer as a server
        sends it (then received now)."""
    def to_json(self) -> str:
        """The token set as JSON for storage (it holds the tokens: keep it safe)."""
    @property
    def access_token(self) -> str:
        """The access token."""
    @property
    def token_type(self) -> str:
        """The token type; any case of ``bearer`` becomes ``Bearer``."""
    @property
    def expires_in(self) -> Optional[int]:
        """The lifetime in seconds as the server sent it, or None."""
    @property
    def expires_at(self) -> Optional[datetime.datetime]:
        """When the access token expires (an aware UTC datetime), or None if unknown."""
    @property
    def refresh_token(self) -> Optional[str]:
        """The refresh token, or None."""
    @property
    def scope(self) -> Optional[str]:
        """The granted scope (space separated), or None."""
    @property
    def id_token(self) -> Optional[str]:
        """The OpenID Connect id_token, or None."""
    @property
    def raw(self) -> Dict[str, Any]:
        """The whole answer as a new dict (it holds the tokens)."""
    @property
    def warnings(self) -> List[str]:
        """What the provider got wrong, as parsed leniently."""
    @property
    def authorization_header(self) -> str:
        """``Bearer <access token>``."""
    def is_expired(self, leeway: Optional[_Seconds] = None) -> bool:
        """Whether the access token expires within ``leeway`` from now; a token
        without a known expiry never does."""

def parse_callback(callback: str, expected_state: str) -> str:
    """Reads the redirect back and returns the one-time code. Raises
    :class:`authgate.StateMismatch` or :class:`authgate.OAuthError`."""

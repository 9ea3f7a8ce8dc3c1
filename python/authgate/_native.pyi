"""Type stubs of the private extension module ``authgate._native``.

Import these names from ``authgate``, not from here.
"""

import datetime
import inspect
import os
from typing import Any, Callable, ClassVar, Coroutine, Dict, Iterable, List, Literal, Mapping, Optional, Tuple, Union, final

from typing_extensions import disjoint_base

__version__: str
"""The version of the authgate package, from Cargo."""
core_version: str
"""The version of the Rust core the extension was built with."""

__all__ = [
    "AuthorizationRequest",
    "CancelToken",
    "Client",
    "DeviceAuthorization",
    "FileStore",
    "Introspection",
    "MemoryStore",
    "RedisStore",
    "TokenManager",
    "TokenSet",
    "TokenStore",
    "_error_codes",
    "__version__",
    "cli_main",
    "core_version",
    "parse_callback",
]

_Scopes = Union[str, Iterable[str]]
_Params = Mapping[str, str]
_Seconds = Union[int, float, datetime.timedelta]
_Provider = Literal["generic", "taxcom", "kontur", "gearcode", "cuba"]
_AuthMethod = Literal["client_secret_basic", "client_secret_post", "none", "private_key_jwt", "client_secret_jwt", "tls_client_auth", "self_signed_tls_client_auth"]

@final
class Client:
    """An OAuth 2.0 client for one authorization server, from a provider preset or
    explicit endpoints. Immutable and safe to share between threads; network calls
    release the GIL. A configuration mistake raises :class:`authgate.ConfigError`."""

    __signature__: ClassVar[inspect.Signature]
    """The parameters below, generated from the core's table of options."""
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
        accept_unknown_token_type: Optional[bool] = None,
        dpop: Optional[bool] = None,
        dpop_key_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        timeout: Optional[_Seconds] = None,
        connect_timeout: Optional[_Seconds] = None,
        max_response_bytes: Optional[int] = None,
        proxy: Optional[Union[str, Literal[False]]] = None,
        ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        trust_roots: Optional[Literal["bundled", "system"]] = None,
        tls_client_cert_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        tls_client_key_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        user_agent: Optional[str] = None,
        issuer: Optional[str] = None,
        jwks_uri: Optional[str] = None,
        userinfo_endpoint: Optional[str] = None,
        revocation_endpoint: Optional[str] = None,
        introspection_endpoint: Optional[str] = None,
        device_authorization_endpoint: Optional[str] = None,
        id_token_leeway: Optional[_Seconds] = None,
        client_key: Optional[Union[str, "os.PathLike[str]"]] = None,
        client_key_id: Optional[str] = None,
        client_assertion_alg: Optional[Literal["RS256", "PS256", "ES256", "HS256"]] = None,
        client_assertion_audience: Optional[Literal["token_endpoint", "issuer"]] = None,
        pushed_authorization_request_endpoint: Optional[str] = None,
        pushed_authorization_requests: Optional[bool] = None,
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
            auth_method: ``"client_secret_basic"``, ``"client_secret_post"``, ``"none"``,
                ``"private_key_jwt"``, ``"client_secret_jwt"``, ``"tls_client_auth"`` or
                ``"self_signed_tls_client_auth"`` (mutual TLS).
                Defaults to the preset's.
            basic_encoding: ``"form"`` (RFC 6749 §2.3.1) or ``"raw"`` (Spring, CUBA).
            token_params: extra form parameters for every token request.
            authorization_params: extra parameters for every authorization URL.
            redirect_param: the name of the redirect parameter in the authorization URL.
            pkce: whether authorization URLs carry a PKCE challenge. Defaults to True.
            allow_insecure_http: allow ``http://`` on hosts other than loopback.
            accept_unknown_token_type: accept token answers whose ``token_type`` is not
                ``Bearer`` (refused by default, RFC 6749 §7.1).
            dpop: sender-constrained tokens with DPoP (RFC 9449): a proof signed with
                the client's ES256 key on every token request.
            dpop_key_file: the DPoP key, a P-256 private key in a PKCS#8 PEM file (a
                key is generated when the client is built if None); turns dpop on.
            timeout: the time allowed for a whole request (seconds or timedelta; 30 s).
            connect_timeout: the time allowed to connect (10 s).
            max_response_bytes: the largest response body accepted (256 KiB).
            proxy: a proxy URL, ``"env"`` (the default: from the environment), or
                ``"none"`` / False for none.
            ca_file: trust only the certificates in this PEM file.
            trust_roots: ``"bundled"`` (Mozilla's roots, the default) or ``"system"``.
            tls_client_cert_file: mutual TLS (RFC 8705): the client certificate (PEM) presented
                in every TLS handshake, with tls_client_key_file.
            tls_client_key_file: the client certificate's private key (PEM, not encrypted).
            user_agent: the User-Agent header.
            issuer: the OpenID Connect issuer (id_tokens' ``iss``); :meth:`discover`
                sets it and the five endpoints below.
            jwks_uri: the provider's public keys, to validate id_tokens.
            userinfo_endpoint: for :meth:`userinfo`.
            revocation_endpoint: for :meth:`revoke`.
            introspection_endpoint: for :meth:`introspect`.
            device_authorization_endpoint: for :meth:`device_authorization`.
            id_token_leeway: the clock skew allowed on id_token times (seconds or
                timedelta).
            client_key: the private key that signs ``private_key_jwt`` assertions: PEM
                text (PKCS#8 RSA or EC P-256, or PKCS#1 RSA), a private JWK or JWK Set
                (JSON text; its ``kid`` and ``alg`` are used), or the path of a PEM or
                JWK file, read once; setting it makes ``private_key_jwt`` the method.
            client_key_id: the ``kid`` of client assertions.
            client_assertion_alg: ``"RS256"``, ``"PS256"``, ``"ES256"`` or ``"HS256"``
                (default: from the key; HS256 for ``client_secret_jwt``).
            client_assertion_audience: ``"token_endpoint"`` (default) or ``"issuer"``:
                the ``aud`` of client assertions.
            pushed_authorization_request_endpoint: the PAR endpoint (RFC 9126).
            pushed_authorization_requests: push authorization requests first (RFC
                9126): :meth:`authorization_url` is then a network call returning the
                short ``request_uri`` URL. On when discovery requires it.
        """
    @staticmethod
    def discover(
        issuer: str,
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
        accept_unknown_token_type: Optional[bool] = None,
        dpop: Optional[bool] = None,
        dpop_key_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        timeout: Optional[_Seconds] = None,
        connect_timeout: Optional[_Seconds] = None,
        max_response_bytes: Optional[int] = None,
        proxy: Optional[Union[str, Literal[False]]] = None,
        ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        trust_roots: Optional[Literal["bundled", "system"]] = None,
        tls_client_cert_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        tls_client_key_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        user_agent: Optional[str] = None,
        jwks_uri: Optional[str] = None,
        userinfo_endpoint: Optional[str] = None,
        revocation_endpoint: Optional[str] = None,
        introspection_endpoint: Optional[str] = None,
        device_authorization_endpoint: Optional[str] = None,
        id_token_leeway: Optional[_Seconds] = None,
        client_key: Optional[Union[str, "os.PathLike[str]"]] = None,
        client_key_id: Optional[str] = None,
        client_assertion_alg: Optional[Literal["RS256", "PS256", "ES256", "HS256"]] = None,
        client_assertion_audience: Optional[Literal["token_endpoint", "issuer"]] = None,
        pushed_authorization_request_endpoint: Optional[str] = None,
        pushed_authorization_requests: Optional[bool] = None,
    ) -> Client:
        """Builds a client from the provider's OpenID Connect discovery document
        (``<issuer>/.well-known/openid-configuration``, cached for an hour in the
        process): every endpoint not given explicitly, the issuer, and the client
        authentication method when the preset's is not supported. Takes the same keyword
        arguments as :class:`Client`; the document's ``issuer`` must be ``issuer``.
        A network call (the GIL is released)."""
    @staticmethod
    def from_json(json: str) -> Client:
        """Builds a client from a JSON configuration object, the same one the C ABI
        reads: the keys of docs/configuration.md (``provider``, ``base_url``,
        ``client_id``, ``timeout_ms``, …), the keyword arguments of :class:`Client` with
        durations in milliseconds."""
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
        """``client_secret_basic``, ``client_secret_post``, ``none``,
        ``private_key_jwt`` or ``client_secret_jwt``."""
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
        pkce_verifier: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        params: Optional[_Params] = None,
        code_verifier: Optional[str] = None,
        push: bool = False,
    ) -> AuthorizationRequest:
        """Builds an authorization URL with a fresh ``state``, a PKCE verifier (unless
        the client disabled PKCE) and, with the ``openid`` scope, a ``nonce``. Any of
        them can be given instead. No network call, unless the request is pushed (RFC
        9126): ``push=True``, or the client's ``pushed_authorization_requests`` (on when
        discovery requires it); then the parameters are POSTed (the GIL released) and
        the URL carries only ``client_id`` and ``request_uri``. ``code_verifier`` is the
        deprecated name of ``pkce_verifier`` (it warns)."""
    def exchange_code(
        self,
        code: str,
        *,
        pkce_verifier: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        scopes: Optional[_Scopes] = None,
        params: Optional[_Params] = None,
        code_verifier: Optional[str] = None,
    ) -> TokenSet:
        """Exchanges an authorization code for tokens (RFC 6749 §4.1.3) with the
        request's ``pkce_verifier`` (``code_verifier`` is its deprecated name; it warns)."""
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
    def validate_id_token(self, id_token: Union[str, TokenSet], *, nonce: Optional[str] = None) -> Dict[str, Any]:
        """Validates an OpenID Connect id_token (signature against the provider's JWKS;
        ``iss``, ``aud`` / ``azp``, ``exp`` / ``iat`` / ``nbf``, and ``nonce`` when given)
        and returns its claims. Raises :class:`authgate.IdTokenError` with ``kind`` set
        to the failed check. Needs the issuer and the JWKS URI (:meth:`discover`)."""
    @property
    def client_cert(self) -> Optional[Tuple[str, str]]:
        """The client certificate and key files (mutual TLS), or None: the ``cert=`` of
        the HTTP client that calls your APIs with a certificate-bound token."""
    @property
    def uses_dpop(self) -> bool:
        """Whether the client proves possession of a DPoP key (``dpop=True``)."""
    def dpop_headers(
        self, method: str, url: str, access_token: Union[str, TokenSet]
    ) -> Dict[str, str]:
        """``{"Authorization": "DPoP <token>", "DPoP": <proof>}`` for one API request
        with a DPoP-bound token (RFC 9449 §7); a proof is good for one request."""
    def remember_dpop_nonce(self, url: str, nonce: str) -> bool:
        """Remembers a server's ``DPoP-Nonce``; True when new (worth one retry)."""
    def userinfo(self, access_token: Union[str, TokenSet]) -> Dict[str, Any]:
        """The signed-in user's claims from the UserInfo endpoint (OIDC Core §5.3)."""
    def revoke(
        self, token: str, *, token_type_hint: Optional[Literal["access_token", "refresh_token"]] = None
    ) -> None:
        """Revokes a token (RFC 7009); an unknown or already revoked token is no error."""
    def introspect(self, token: str) -> Introspection:
        """Asks whether a token is active (RFC 7662)."""
    def device_authorization(self, *, scopes: Optional[_Scopes] = None) -> DeviceAuthorization:
        """Starts a device sign-in (RFC 8628 §3.1): the codes to show the user."""
    def poll_device_token(self, auth: DeviceAuthorization) -> Optional[TokenSet]:
        """Polls once: the token set once approved, None while pending. On ``slow_down``
        also None, and ``auth.interval`` grows by 5 s: wait that long before the next
        poll. A denial raises :class:`authgate.OAuthError` (``access_denied``)."""
    def wait_for_device_token(self, auth: DeviceAuthorization, *, cancel: Optional[CancelToken] = None) -> TokenSet:
        """Polls until the user signs in (honouring ``interval`` and ``slow_down``).
        Raises :class:`authgate.OAuthError` on denial or expiry and
        :class:`authgate.Cancelled` when ``cancel`` is cancelled (Ctrl-C cancels it)."""
    def wait_for_device_token_async(
        self, auth: DeviceAuthorization, *, cancel: Optional[CancelToken] = None
    ) -> Coroutine[Any, Any, TokenSet]:
        """:meth:`wait_for_device_token` on a worker thread; cancelling the awaiting task
        cancels the wait."""
    def sign_in_loopback_async(self, **kwargs: Any) -> Coroutine[Any, Any, TokenSet]:
        """:meth:`sign_in_loopback` (same keyword arguments) on a worker thread;
        cancelling the awaiting task cancels the sign-in."""
    def sign_in_loopback(
        self,
        *,
        timeout: Optional[_Seconds] = 300,
        cancel: Optional[CancelToken] = None,
        open_browser: Optional[Callable[[str], object]] = None,
        browser_command: Optional[str] = None,
        scopes: Optional[_Scopes] = None,
        port: int = 0,
        path: str = "/callback",
    ) -> TokenSet:
        """Signs the user in through the browser (RFC 8252): listens on 127.0.0.1
        (``port``, 0 for a free one) for the redirect ``http://127.0.0.1:<port><path>``,
        opens the authorization URL (``open_browser(url)``, ``browser_command`` or the
        system browser; ``open_browser`` must return promptly), waits for the redirect,
        exchanges the code and validates the id_token when the issuer is known. Raises
        :class:`authgate.TimeoutError` after ``timeout`` and :class:`authgate.Cancelled`
        when ``cancel`` is cancelled (Ctrl-C cancels it)."""

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
    def pkce_verifier(self) -> Optional[str]:
        """The PKCE verifier to pass to :meth:`Client.exchange_code`, or None."""
    @property
    def code_verifier(self) -> Optional[str]:
        """Deprecated (it warns): use :attr:`pkce_verifier`."""
    @property
    def redirect_uri(self) -> Optional[str]:
        """The redirect URI sent, or None."""
    @property
    def issuer(self) -> Optional[str]:
        """The issuer the redirect's ``iss`` must name (RFC 9207), or None if unknown."""
    @property
    def issuer_required(self) -> bool:
        """Whether the redirect must carry ``iss`` (the provider's metadata promises it)."""
    def parse_callback(self, callback: str) -> str:
        """Reads the redirect back with this request's ``state`` and issuer; returns the
        code. Raises :class:`authgate.IssuerMismatch` on a wrong or (when promised)
        missing ``iss``."""

@final
class TokenSet:
    """The tokens an authorization server issued. ``repr`` never shows a token."""

    @staticmethod
    def from_json(json: str) -> TokenSet:
        """Reads back :meth:`to_json`'s output (the absolute expiry and the refresh token
        kept), or parses a token answer as a server sends it (then received now)."""
    @staticmethod
    def from_dict(data: Dict[str, Any]) -> TokenSet:
        """Reads back :meth:`to_dict`'s output (or a token answer as a dict)."""
    def to_dict(self) -> Dict[str, Any]:
        """The token set as a new dict (what :meth:`to_json` writes); it holds the tokens."""
    def __reduce__(self) -> Tuple[Any, Tuple[str]]: ...
    def to_json(self) -> str:
        """The token set as JSON for storage: the server's answer with the current
        tokens and ``expires_at`` in Unix seconds (it holds the tokens: keep it safe)."""
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
        """When the access token expires (an aware UTC datetime, to the second), or None
        if unknown."""
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

def parse_callback(
    callback: str, expected_state: str, *, issuer: Optional[str] = None, issuer_required: bool = False
) -> str:
    """Reads the redirect back and returns the one-time code. Raises
    :class:`authgate.StateMismatch` or :class:`authgate.OAuthError`; with ``issuer``,
    :class:`authgate.IssuerMismatch` when ``iss`` names another issuer (or is missing
    and ``issuer_required``), RFC 9207."""

@disjoint_base
class TokenStore:
    """The base type of token stores: this package's :class:`MemoryStore`,
    :class:`FileStore` and :class:`RedisStore`, and the base for stores written in Python. A store of your own
    implements ``load()`` (the JSON text ``save`` last stored, or None), ``save(json)``
    (return only once durable: a failed save raises, and the manager keeps the new set
    in memory and saves it again on later calls) and ``clear()``; optionally, for a
    store shared by processes, ``lock(timeout)`` returning a context manager, or
    ``acquire(timeout)`` / ``release()``. Any object with ``load`` and ``save`` is
    accepted as well. An exception in them becomes :class:`authgate.StoreError`."""

    def __new__(cls, *args: Any, **kwargs: Any) -> TokenStore: ...
    def load(self) -> Any:
        """The stored token set, or None. This package's stores return a
        :class:`TokenSet`; a store of your own returns the ``str`` given to ``save``
        (a ``dict`` or a :class:`TokenSet` also do)."""
    def save(self, tokens: Any) -> None:
        """Replaces the stored token set: this package's stores take a
        :class:`TokenSet`; the manager passes a store of your own the JSON ``str``."""
    def clear(self) -> None:
        """Removes the stored token set (a :class:`FileStore`'s file; no error if there is none)."""

@final
class MemoryStore(TokenStore):
    """Keeps the token set in memory (the default store of :class:`TokenManager`)."""

    def __new__(cls) -> MemoryStore: ...

@final
class FileStore(TokenStore):
    """Keeps the token set in one JSON file shared safely by several processes: atomic
    writes, mode 0600, and a lock file ``<path>.lock`` held while a manager refreshes."""

    def __new__(cls, path: Union[str, "os.PathLike[str]"], *, key: Optional[bytes] = None) -> FileStore:
        """With ``key`` (32 bytes) the file is encrypted (ChaCha20-Poly1305); a file
        encrypted with another key raises :class:`authgate.StoreError`."""
    @property
    def path(self) -> Union[str, "os.PathLike[str]"]:
        """The path given."""
    @property
    def encrypted(self) -> bool:
        """Whether the file is encrypted (a ``key`` was given)."""

@final
class RedisStore(TokenStore):
    """Keeps the token set in Redis (or Valkey), shared by every process on every machine
    that uses ``client``'s registration (one key per client): a manager refreshes under a
    lock in Redis that it keeps alive, that frees itself ``lock_expiry`` seconds after a
    holder died, and a holder whose lock expired cannot overwrite a newer set (fencing:
    its save raises :class:`authgate.StoreError`). ``key`` (32 bytes, as for
    :class:`FileStore`) seals the stored set. A ``rediss://`` URL connects over TLS,
    trusting the client's roots or the PEM ``ca_file`` (the Redis server's CA). An unreachable Redis raises
    :class:`authgate.StoreError` with ``is_transient`` true. A build of the module without the cargo feature
    ``redis`` raises :class:`authgate.ConfigError` (the wheel has it)."""

    def __new__(
        cls,
        url: str,
        client: Client,
        *,
        key: Optional[bytes] = None,
        lock_expiry: Optional[_Seconds] = None,
        timeout: Optional[_Seconds] = None,
        ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
    ) -> RedisStore: ...
    @property
    def key(self) -> str:
        """The Redis key of the token set."""
    @property
    def encrypted(self) -> bool:
        """Whether the stored set is sealed (a ``key`` was given)."""

@final
class TokenManager:
    """Keeps an access token fresh for the whole process: one refresh at a time,
    however many threads ask; every new set saved to ``store`` before anyone gets it.
    Without a refresh token it runs the client credentials grant
    (``allow_client_credentials``) or the password grant (``password_credentials()``
    returns ``(username, password)``, or None when it has none); else it raises
    :class:`authgate.SignInRequired`. A refused refresh token is dropped and not sent
    again. A failed save raises :class:`authgate.StoreError` but keeps the new tokens in
    use; later calls save them again. A store holding another client's tokens raises
    :class:`authgate.StoreError`.

    A token valid for less than ``leeway`` (60 s when None) is refreshed first.
    Transient failures are retried up to ``max_attempts`` times (3 when None), with a
    pause that doubles from 0.2 s up to ``max_backoff`` (10 s when None; a server's
    ``Retry-After`` is honoured up to it). None leaves an option at the library's
    default. Raises :class:`authgate.ConfigError` for ``max_attempts=0`` or a zero
    ``wait_timeout``."""

    def __new__(
        cls,
        client: Client,
        *,
        store: Optional[Any] = None,
        leeway: Optional[_Seconds] = None,
        allow_client_credentials: Optional[bool] = None,
        password_credentials: Optional[Callable[[], Optional[Tuple[str, str]]]] = None,
        max_attempts: Optional[int] = None,
        wait_timeout: Optional[_Seconds] = None,
        max_backoff: Optional[_Seconds] = None,
        on_tokens_changed: Optional[Callable[[TokenSet], object]] = None,
    ) -> TokenManager: ...
    @property
    def client(self) -> Client:
        """The client the manager gets tokens from."""
    @property
    def store(self) -> Any:
        """The store the manager saves token sets to."""
    @property
    def leeway(self) -> datetime.timedelta:
        """A token valid for less than this is refreshed first."""
    @property
    def refresh_count(self) -> int:
        """How many token requests this manager has made."""
    def access_token(self) -> str:
        """A valid access token: the cached one while it stays valid for longer than the
        leeway, else a refreshed one."""
    def access_token_valid_for(self, min: _Seconds) -> str:
        """An access token that stays valid at least ``min``."""
    def token_set(self) -> TokenSet:
        """The whole current token set, valid for longer than the leeway."""
    def access_token_async(self) -> Coroutine[Any, Any, str]:
        """:meth:`access_token` for ``asyncio``: a refresh runs on a worker thread."""
    def access_token_valid_for_async(self, min: _Seconds) -> Coroutine[Any, Any, str]:
        """:meth:`access_token_valid_for` off the event loop."""
    def token_set_async(self) -> Coroutine[Any, Any, TokenSet]:
        """:meth:`token_set` off the event loop."""
    def set_tokens(self, tokens: TokenSet) -> None:
        """Hands the manager the tokens of a sign-in; saved to the store at once."""
    def invalidate(self) -> None:
        """After a 401 from a resource server: the next call refreshes."""
    def invalidate_token(self, rejected: str) -> bool:
        """After a 401 for the access token ``rejected``: invalidates it only if it is
        still the current token, so that many requests refused with the same token cause
        one refresh (the next :meth:`access_token` call; the others get its result).
        Returns whether it invalidated. Never blocks."""
    def clear(self) -> None:
        """Forgets the tokens, here and in the store (sign-out)."""
    def _peek(self, min: Optional[_Seconds] = None) -> Optional[str]: ...

@final
class CancelToken:
    """Stops a long operation from another thread; Ctrl-C cancels it too."""

    def __new__(cls) -> CancelToken: ...
    def cancel(self) -> None:
        """Asks the operation to stop; it raises :class:`authgate.Cancelled`."""
    def is_cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
    @property
    def cancelled(self) -> bool:
        """Deprecated (it warns): use :meth:`is_cancelled`."""

@final
class Introspection:
    """What the introspection endpoint says of a token (RFC 7662). True if active."""

    @property
    def active(self) -> bool:
        """Whether the token is currently active."""
    @property
    def scope(self) -> Optional[str]:
        """The token's scope, or None."""
    @property
    def client_id(self) -> Optional[str]:
        """The client the token was issued to, or None."""
    @property
    def subject(self) -> Optional[str]:
        """``sub``, or None."""
    @property
    def expires_at(self) -> Optional[datetime.datetime]:
        """``exp`` as an aware UTC datetime, or None."""
    @property
    def raw(self) -> Dict[str, Any]:
        """The whole answer as a new dict."""
    def __bool__(self) -> bool: ...

@final
class DeviceAuthorization:
    """The codes of a device sign-in (RFC 8628). ``repr`` never shows the device code.

    It survives a restart: keep :meth:`to_json` while the user approves, and resume with
    :meth:`from_json` and a new client. That JSON holds the device code, a secret: store
    it like a refresh token.
    """

    @property
    def user_code(self) -> str:
        """The code the user types."""
    @property
    def verification_uri(self) -> str:
        """Where the user types it."""
    @property
    def verification_uri_complete(self) -> Optional[str]:
        """The same with the code filled in (the QR code's target), or None."""
    @property
    def expires_in(self) -> int:
        """How long the codes stayed valid when the server issued them, in seconds."""
    @property
    def expires_at(self) -> datetime.datetime:
        """When the codes expire (an aware UTC datetime)."""
    @property
    def interval(self) -> int:
        """The pause between polls in seconds; grows by 5 after each ``slow_down``, at most 60."""
    @property
    def scopes(self) -> List[str]:
        """The scopes asked for (the client's defaults when none were given)."""
    def is_expired(self) -> bool:
        """Whether the codes have expired."""
    def qr_svg(self) -> str:
        """The QR code as an SVG document."""
    def qr_text(self) -> str:
        """The QR code as text for a terminal."""
    def to_json(self) -> str:
        """The authorization as JSON, to resume after a restart. Holds the device code (a secret)."""
    @staticmethod
    def from_json(json: str) -> "DeviceAuthorization":
        """Reads back :meth:`to_json`'s text; raises :class:`InvalidArgument` (a ``ValueError``) when it is not such JSON."""

def _error_codes() -> List[Tuple[int, str]]:
    """The core's error code table: ``(number, name)`` in numeric order."""

def cli_main(argv: List[str]) -> int:
    """Runs the ``authgate`` command-line tool (``argv[0]`` is the program name) and returns
    its exit code; ``python -m authgate`` calls it."""
    ...

//! The one error type, its stable numeric codes, and the terminal / transient split.

use std::fmt;
use std::time::Duration;

/// Everything that can go wrong, each variant a cause a caller can act on.
///
/// No variant's `Display` or `Debug` output contains a secret, token, password or code.
/// Server-supplied text (a header, a redirect target, an `error_description`, a body
/// excerpt) is scrubbed of every secret the request carried, in every encoding a server
/// may echo it in (plain, form- and percent-encoded, base64, HTML- and JSON-escaped), and
/// is cut to 160 characters. Text holding a secret shorter than four characters (a PIN),
/// which cannot be replaced without mangling the text, is withheld whole and replaced by
/// `[server text withheld: it may repeat a secret of the request]`. Bodies appear only as
/// a short excerpt with JSON values removed.
///
/// ```
/// use authgate::{Client, Error, ErrorCode, Provider};
/// let err = Client::builder(Provider::Generic).build().unwrap_err();
/// assert!(matches!(err, Error::Config(_)));
/// assert_eq!(err.code(), ErrorCode::Config);
/// assert!(err.is_terminal());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is incomplete or inconsistent. Fix the code or the settings.
    Config(String),
    /// An argument passed to a call is invalid (empty, malformed, out of range).
    InvalidArgument(String),
    /// The authorization server answered with an OAuth error (RFC 6749 §5.2), or the
    /// redirect carried one (§4.1.2.1).
    OAuth(Box<OAuthError>),
    /// The `state` in the redirect is missing or differs from the one sent: a possible CSRF.
    StateMismatch,
    /// The `iss` in the redirect (RFC 9207) names another issuer than the one the
    /// sign-in was sent to, or is missing although the provider promises it: possibly a
    /// mix-up attack. Do not use the code; start the sign-in again.
    IssuerMismatch {
        /// The issuer the sign-in was sent to.
        expected: String,
        /// The `iss` the redirect carried (not UTF-8 bytes replaced), or `None`.
        received: Option<String>,
    },
    /// The server answered with something that is not a usable OAuth answer: an HTML proxy
    /// page, invalid JSON, an unexpected status or content type, a redirect.
    UnexpectedResponse(Box<UnexpectedResponse>),
    /// The request did not get through: DNS, connect, TLS, proxy or I/O.
    Transport {
        /// Which stage failed.
        kind: TransportKind,
        /// What happened and what to do, without secrets.
        message: String,
        /// The address the request went to: scheme, host, port and path, never the query
        /// or a `user:password@` part. `None` when no request was under way.
        url: Option<String>,
        /// Which of the provider's endpoints that address is.
        endpoint: Option<Endpoint>,
    },
    /// The connect timeout or the overall timeout elapsed.
    Timeout(String),
    /// The response body exceeded the configured cap ([`crate::ClientBuilder::max_response_bytes`]).
    BodyTooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// No usable tokens are left: the refresh token was refused (`invalid_grant`) or there
    /// is none, and the grant cannot be run again without the user. Sign in again.
    SignInRequired(String),
    /// The token store could not be read or written. [`StoreError::is_outage`] says whether
    /// the store was out of reach (a Redis server down, a file locked by someone else: try
    /// again later; [`Error::is_transient`] is true) or its data or settings are wrong (a
    /// corrupt file, a wrong key, a refused write).
    Store(StoreError),
    /// An id_token failed validation; the kind says which check.
    IdToken {
        /// Which check failed.
        kind: IdTokenError,
        /// What was wrong, without the token.
        message: String,
    },
    /// The operation was cancelled by the caller.
    Cancelled,
}

/// The id_token check that failed (OpenID Connect Core §3.1.3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdTokenError {
    /// Not a well-formed JWS with the claims required.
    Malformed,
    /// `alg` is `none`, an HMAC algorithm, or does not fit the key.
    Algorithm,
    /// No key in the provider's JWKS has the token's `kid`, even after fetching it again.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// `iss` is not the provider's issuer.
    Issuer,
    /// `aud` does not contain the client id, or `azp` is wrong.
    Audience,
    /// `exp` has passed (beyond the leeway).
    Expired,
    /// `iat` or `nbf` lies in the future (beyond the leeway).
    NotYetValid,
    /// `nonce` is missing or not the one sent.
    Nonce,
}

/// The fields of an OAuth error answer (RFC 6749 §5.2), plus what HTTP said around it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The `error` code, e.g. `invalid_grant`.
    pub error: String,
    /// `error_description`, scrubbed of secrets and cut short, if the server sent one.
    pub description: Option<String>,
    /// `error_uri`, scrubbed of secrets and cut short, if the server sent one.
    pub uri: Option<String>,
    /// The HTTP status; `None` when the error came in the redirect rather than a response.
    pub status: Option<u16>,
    /// The `WWW-Authenticate` header of a 401 answer, scrubbed of secrets and cut short.
    pub www_authenticate: Option<String>,
    /// `Retry-After`, in seconds, when the server sent one.
    pub retry_after: Option<u64>,
}

/// A server answer that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnexpectedResponse {
    /// The HTTP status.
    pub status: u16,
    /// The media type of the `Content-Type` header (without parameters), scrubbed of
    /// secrets, if there was one.
    pub content_type: Option<String>,
    /// What was wrong with it, e.g. "not JSON" or "redirect not followed".
    pub reason: String,
    /// A short, redacted excerpt of the body (HTML tags stripped, JSON values removed).
    pub excerpt: String,
    /// `Retry-After`, in seconds, when the server sent one.
    pub retry_after: Option<u64>,
    /// The address the answer came from: scheme, host, port and path, never the query or
    /// a `user:password@` part.
    pub url: Option<String>,
    /// Which of the provider's endpoints answered.
    pub endpoint: Option<Endpoint>,
}

impl UnexpectedResponse {
    /// An answer with this status that was wrong for this reason; no content type, excerpt,
    /// `Retry-After` or address yet (set the fields).
    pub(crate) fn new(status: u16, reason: impl Into<String>) -> UnexpectedResponse {
        UnexpectedResponse {
            status,
            content_type: None,
            reason: reason.into(),
            excerpt: String::new(),
            retry_after: None,
            url: None,
            endpoint: None,
        }
    }
}

/// Which of the provider's endpoints a request went to, named in transport and
/// unexpected-answer errors so that a wrong address is found at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// The token endpoint (RFC 6749 §3.2).
    Token,
    /// The discovery document (`/.well-known/openid-configuration`).
    Discovery,
    /// The provider's signing keys (`jwks_uri`).
    Jwks,
    /// The UserInfo endpoint (OpenID Connect Core §5.3).
    UserInfo,
    /// The revocation endpoint (RFC 7009).
    Revocation,
    /// The introspection endpoint (RFC 7662).
    Introspection,
    /// The device authorization endpoint (RFC 8628 §3.1).
    DeviceAuthorization,
    /// The pushed authorization request endpoint (RFC 9126).
    PushedAuthorization,
}

impl Endpoint {
    /// A short name: `token`, `discovery`, `jwks`, `userinfo`, `revocation`,
    /// `introspection`, `device_authorization` or `pushed_authorization` (the C and Python
    /// `endpoint` values).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::Discovery => "discovery",
            Endpoint::Jwks => "jwks",
            Endpoint::UserInfo => "userinfo",
            Endpoint::Revocation => "revocation",
            Endpoint::Introspection => "introspection",
            Endpoint::DeviceAuthorization => "device_authorization",
            Endpoint::PushedAuthorization => "pushed_authorization",
        }
    }

    /// The endpoint in words, as messages name it.
    fn words(self) -> &'static str {
        match self {
            Endpoint::Token => "the token endpoint",
            Endpoint::Discovery => "the discovery document",
            Endpoint::Jwks => "the signing keys (jwks_uri)",
            Endpoint::UserInfo => "the UserInfo endpoint",
            Endpoint::Revocation => "the revocation endpoint",
            Endpoint::Introspection => "the introspection endpoint",
            Endpoint::DeviceAuthorization => "the device authorization endpoint",
            Endpoint::PushedAuthorization => "the pushed authorization request endpoint",
        }
    }
}

/// The stage at which a transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The host name did not resolve.
    Dns,
    /// The TCP connection could not be opened (refused, unreachable).
    Connect,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The proxy could not be used.
    Proxy,
    /// Reading or writing failed mid-way (connection reset, truncated answer).
    Io,
}

impl IdTokenError {
    /// A short name: `malformed`, `algorithm`, `unknown_key`, `signature`, `issuer`,
    /// `audience`, `expired`, `not_yet_valid` or `nonce`.
    pub fn name(self) -> &'static str {
        match self {
            IdTokenError::Malformed => "malformed",
            IdTokenError::Algorithm => "algorithm",
            IdTokenError::UnknownKey => "unknown_key",
            IdTokenError::Signature => "signature",
            IdTokenError::Issuer => "issuer",
            IdTokenError::Audience => "audience",
            IdTokenError::Expired => "expired",
            IdTokenError::NotYetValid => "not_yet_valid",
            IdTokenError::Nonce => "nonce",
        }
    }
}

/// Stable numeric error codes, shared by the C ABI (`authgate_result`) and the Python
/// package. Numbers are grouped by cause and never reused.
///
/// Reserved for the C ABI, never to be used here: 110–113 (null pointer, invalid UTF-8,
/// wrong handle, interior NUL), 600–609 (operation states: pending, result taken,
/// slow down), 900–901 (panic, internal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum ErrorCode {
    /// An argument is invalid.
    InvalidArgument = 100,
    /// The configuration is invalid.
    Config = 101,
    /// Transport failure of an unspecified stage.
    Transport = 200,
    /// DNS failure.
    Dns = 201,
    /// Connection failure.
    Connect = 202,
    /// TLS failure.
    Tls = 203,
    /// Timeout.
    Timeout = 204,
    /// Body over the cap.
    BodyTooLarge = 205,
    /// Proxy failure.
    Proxy = 206,
    /// I/O failure mid-request.
    Io = 207,
    /// An OAuth error other than the ones below.
    OAuth = 300,
    /// `invalid_grant`: the code, refresh token or credentials are no longer valid.
    InvalidGrant = 301,
    /// `invalid_client`: the client registration or its credentials are wrong.
    InvalidClient = 302,
    /// `invalid_request`.
    InvalidRequest = 303,
    /// `unauthorized_client`.
    UnauthorizedClient = 304,
    /// `unsupported_grant_type`.
    UnsupportedGrantType = 305,
    /// `invalid_scope`.
    InvalidScope = 306,
    /// `access_denied`: the user declined.
    AccessDenied = 307,
    /// The `state` check failed.
    StateMismatch = 320,
    /// The `iss` check of RFC 9207 failed: a possible mix-up attack.
    IssuerMismatch = 321,
    /// An answer that is not a usable OAuth answer.
    UnexpectedResponse = 400,
    /// The token manager needs the user to sign in again.
    SignInRequired = 330,
    /// The token store failed.
    Store = 340,
    /// The caller cancelled the operation.
    Cancelled = 350,
    /// id_token: malformed.
    IdTokenMalformed = 500,
    /// id_token: algorithm refused.
    IdTokenAlgorithm = 501,
    /// id_token: unknown signing key.
    IdTokenUnknownKey = 502,
    /// id_token: bad signature.
    IdTokenSignature = 503,
    /// id_token: wrong issuer.
    IdTokenIssuer = 504,
    /// id_token: wrong audience or azp.
    IdTokenAudience = 505,
    /// id_token: expired.
    IdTokenExpired = 506,
    /// id_token: issued in the future.
    IdTokenNotYetValid = 507,
    /// id_token: nonce mismatch.
    IdTokenNonce = 508,
}

impl ErrorCode {
    /// Every code, in numeric order: the table the C and Python layers mirror.
    pub const ALL: [ErrorCode; 33] = [
        ErrorCode::InvalidArgument,
        ErrorCode::Config,
        ErrorCode::Transport,
        ErrorCode::Dns,
        ErrorCode::Connect,
        ErrorCode::Tls,
        ErrorCode::Timeout,
        ErrorCode::BodyTooLarge,
        ErrorCode::Proxy,
        ErrorCode::Io,
        ErrorCode::OAuth,
        ErrorCode::InvalidGrant,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidRequest,
        ErrorCode::UnauthorizedClient,
        ErrorCode::UnsupportedGrantType,
        ErrorCode::InvalidScope,
        ErrorCode::AccessDenied,
        ErrorCode::StateMismatch,
        ErrorCode::IssuerMismatch,
        ErrorCode::SignInRequired,
        ErrorCode::Store,
        ErrorCode::Cancelled,
        ErrorCode::UnexpectedResponse,
        ErrorCode::IdTokenMalformed,
        ErrorCode::IdTokenAlgorithm,
        ErrorCode::IdTokenUnknownKey,
        ErrorCode::IdTokenSignature,
        ErrorCode::IdTokenIssuer,
        ErrorCode::IdTokenAudience,
        ErrorCode::IdTokenExpired,
        ErrorCode::IdTokenNotYetValid,
        ErrorCode::IdTokenNonce,
    ];

    /// The code with that number.
    pub fn from_u32(n: u32) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_u32() == n)
    }

    /// The code's number, as the C ABI returns it.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// A short static name, e.g. `"invalid_grant"`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Config => "config",
            ErrorCode::Transport => "transport",
            ErrorCode::Dns => "dns",
            ErrorCode::Connect => "connect",
            ErrorCode::Tls => "tls",
            ErrorCode::Timeout => "timeout",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::Proxy => "proxy",
            ErrorCode::Io => "io",
            ErrorCode::OAuth => "oauth",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::StateMismatch => "state_mismatch",
            ErrorCode::IssuerMismatch => "issuer_mismatch",
            ErrorCode::UnexpectedResponse => "unexpected_response",
            ErrorCode::SignInRequired => "sign_in_required",
            ErrorCode::Store => "store",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::IdTokenMalformed => "id_token_malformed",
            ErrorCode::IdTokenAlgorithm => "id_token_algorithm",
            ErrorCode::IdTokenUnknownKey => "id_token_unknown_key",
            ErrorCode::IdTokenSignature => "id_token_signature",
            ErrorCode::IdTokenIssuer => "id_token_issuer",
            ErrorCode::IdTokenAudience => "id_token_audience",
            ErrorCode::IdTokenExpired => "id_token_expired",
            ErrorCode::IdTokenNotYetValid => "id_token_not_yet_valid",
            ErrorCode::IdTokenNonce => "id_token_nonce",
        }
    }
}

impl Error {
    /// A transport failure of this stage, not yet tied to an address ([`Error::at`] does).
    pub(crate) fn transport(kind: TransportKind, message: impl Into<String>) -> Error {
        Error::Transport {
            kind,
            message: message.into(),
            url: None,
            endpoint: None,
        }
    }

    /// Names the endpoint and the address in a transport or unexpected-answer error that
    /// does not name one yet; other errors are returned as they are. `url` is shown
    /// without its query and userinfo.
    pub(crate) fn at(mut self, endpoint: Endpoint, url: &str) -> Error {
        let slots = match &mut self {
            Error::Transport {
                url: u,
                endpoint: e,
                ..
            } => Some((u, e)),
            Error::UnexpectedResponse(r) => Some((&mut r.url, &mut r.endpoint)),
            _ => None,
        };
        if let Some((u, e)) = slots {
            if u.is_none() {
                *u = Some(crate::redact::endpoint_url(url));
                *e = Some(endpoint);
            }
        }
        self
    }

    /// The address of the request behind a transport or unexpected-answer error (scheme,
    /// host, port and path; never the query or a `user:password@` part).
    pub fn url(&self) -> Option<&str> {
        match self {
            Error::Transport { url, .. } => url.as_deref(),
            Error::UnexpectedResponse(r) => r.url.as_deref(),
            _ => None,
        }
    }

    /// Which of the provider's endpoints the request behind a transport or
    /// unexpected-answer error went to.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Error::Transport { endpoint, .. } => *endpoint,
            Error::UnexpectedResponse(r) => r.endpoint,
            _ => None,
        }
    }

    /// The stable numeric code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Config(_) => ErrorCode::Config,
            Error::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Error::OAuth(e) => match e.error.as_str() {
                "invalid_grant" => ErrorCode::InvalidGrant,
                "invalid_client" | "unauthorized" => ErrorCode::InvalidClient,
                "invalid_request" => ErrorCode::InvalidRequest,
                "unauthorized_client" => ErrorCode::UnauthorizedClient,
                "unsupported_grant_type" => ErrorCode::UnsupportedGrantType,
                "invalid_scope" => ErrorCode::InvalidScope,
                "access_denied" => ErrorCode::AccessDenied,
                _ => ErrorCode::OAuth,
            },
            Error::StateMismatch => ErrorCode::StateMismatch,
            Error::IssuerMismatch { .. } => ErrorCode::IssuerMismatch,
            Error::UnexpectedResponse(_) => ErrorCode::UnexpectedResponse,
            Error::Transport { kind, .. } => match kind {
                TransportKind::Dns => ErrorCode::Dns,
                TransportKind::Connect => ErrorCode::Connect,
                TransportKind::Tls => ErrorCode::Tls,
                TransportKind::Proxy => ErrorCode::Proxy,
                TransportKind::Io => ErrorCode::Io,
            },
            Error::Timeout(_) => ErrorCode::Timeout,
            Error::BodyTooLarge { .. } => ErrorCode::BodyTooLarge,
            Error::SignInRequired(_) => ErrorCode::SignInRequired,
            Error::Store(_) => ErrorCode::Store,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::IdToken { kind, .. } => match kind {
                IdTokenError::Malformed => ErrorCode::IdTokenMalformed,
                IdTokenError::Algorithm => ErrorCode::IdTokenAlgorithm,
                IdTokenError::UnknownKey => ErrorCode::IdTokenUnknownKey,
                IdTokenError::Signature => ErrorCode::IdTokenSignature,
                IdTokenError::Issuer => ErrorCode::IdTokenIssuer,
                IdTokenError::Audience => ErrorCode::IdTokenAudience,
                IdTokenError::Expired => ErrorCode::IdTokenExpired,
                IdTokenError::NotYetValid => ErrorCode::IdTokenNotYetValid,
                IdTokenError::Nonce => ErrorCode::IdTokenNonce,
            },
        }
    }

    /// True when retrying cannot help: the user must sign in again (`invalid_grant`,
    /// `access_denied`) or the registration or configuration must be fixed
    /// (`invalid_client`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`,
    /// a configuration error).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.code(),
            ErrorCode::InvalidGrant
                | ErrorCode::InvalidClient
                | ErrorCode::UnauthorizedClient
                | ErrorCode::UnsupportedGrantType
                | ErrorCode::InvalidScope
                | ErrorCode::AccessDenied
                | ErrorCode::Config
                | ErrorCode::SignInRequired
        )
    }

    /// True when the same call may succeed later: network failures, timeouts, 5xx, 429 and
    /// 408 answers, and the OAuth errors `server_error` and `temporarily_unavailable`.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { kind, .. } => *kind != TransportKind::Tls,
            Error::Timeout(_) => true,
            Error::Store(s) => s.outage,
            Error::UnexpectedResponse(r) => r.status >= 500 || r.status == 429 || r.status == 408,
            Error::OAuth(e) => {
                matches!(
                    e.error.as_str(),
                    "server_error" | "temporarily_unavailable" | "slow_down"
                ) || e.status.is_some_and(|s| s >= 500 || s == 429)
            }
            _ => false,
        }
    }

    /// How long the server asked the caller to wait (`Retry-After` in seconds), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::OAuth(e) => e.retry_after,
            Error::UnexpectedResponse(r) => r.retry_after,
            _ => None,
        }
        .map(Duration::from_secs)
    }

    /// The OAuth error fields, when the server sent them.
    pub fn oauth(&self) -> Option<&OAuthError> {
        match self {
            Error::OAuth(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the answer that caused this error, if there was an answer.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::OAuth(e) => e.status,
            Error::UnexpectedResponse(r) => Some(r.status),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(m) => write!(f, "configuration error: {m}"),
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::OAuth(e) => {
                match e.status {
                    Some(s) => write!(f, "authorization server error (HTTP {s}): {}", e.error)?,
                    None => write!(f, "authorization denied by the server: {}", e.error)?,
                }
                if let Some(d) = &e.description {
                    write!(f, ": {d}")?;
                }
                if let Some(w) = &e.www_authenticate {
                    write!(f, " (WWW-Authenticate: {w})")?;
                }
                Ok(())
            }
            Error::StateMismatch => f.write_str(
                "the state in the redirect is missing or does not match the one sent (possible CSRF)",
            ),
            Error::IssuerMismatch { expected, received } => {
                match received {
                    Some(iss) => write!(
                        f,
                        "the redirect's iss {:?} is not the issuer {expected:?} this sign-in was sent to",
                        shorten(iss)
                    )?,
                    None => write!(
                        f,
                        "the redirect carries no iss although the issuer {expected:?} promises one"
                    )?,
                }
                f.write_str(
                    " (RFC 9207): possibly a mix-up attack; the code was not used, sign in again",
                )
            }
            Error::UnexpectedResponse(r) => {
                write!(f, "unexpected answer (HTTP {}", r.status)?;
                if let Some(ct) = &r.content_type {
                    write!(f, ", {ct}")?;
                }
                f.write_str(")")?;
                write_at(f, "from", r.endpoint, r.url.as_deref())?;
                write!(f, ": {}", r.reason)?;
                if !r.excerpt.is_empty() {
                    write!(f, ": \"{}\"", r.excerpt)?;
                }
                Ok(())
            }
            Error::Transport {
                kind,
                message,
                url,
                endpoint,
            } => {
                let stage = match kind {
                    TransportKind::Dns => "DNS lookup failed",
                    TransportKind::Connect => "connection failed",
                    TransportKind::Tls => "TLS failed",
                    TransportKind::Proxy => "proxy failed",
                    TransportKind::Io => "I/O failed",
                };
                f.write_str(stage)?;
                write_at(f, "for", *endpoint, url.as_deref())?;
                write!(f, ": {message}")
            }
            Error::Timeout(m) => write!(f, "timed out: {m}"),
            Error::BodyTooLarge { limit } => {
                write!(f, "response body larger than the {limit}-byte cap")
            }
            Error::SignInRequired(m) => write!(f, "sign-in required: {m}"),
            Error::Store(m) => write!(f, "token store error: {m}"),
            Error::IdToken { message, .. } => write!(f, "id_token rejected: {message}"),
            Error::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for Error {}

/// What an [`Error::Store`] says: a message (naming no token) and whether the store was
/// out of reach (an outage, transient) rather than wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    message: String,
    outage: bool,
}

impl StoreError {
    /// What went wrong, without any token.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the store was out of reach (a server down or unreachable, a lock held
    /// elsewhere): the same call may succeed later.
    pub fn is_outage(&self) -> bool {
        self.outage
    }

    /// The same failure with `more` appended to its message.
    pub(crate) fn context(self, more: &str) -> StoreError {
        StoreError {
            message: format!("{}; {more}", self.message),
            outage: self.outage,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A store error that is not an outage (bad data, a wrong key, a refused write).
impl From<String> for StoreError {
    fn from(message: String) -> Self {
        StoreError {
            message,
            outage: false,
        }
    }
}

impl From<&str> for StoreError {
    fn from(message: &str) -> Self {
        message.to_owned().into()
    }
}

impl Error {
    /// A store failure that is not an outage: unreadable data, a wrong key, a refused write.
    pub fn store(message: impl Into<String>) -> Error {
        Error::Store(StoreError::from(message.into()))
    }

    /// A store that is out of reach (a server down, a file that cannot be opened now): a
    /// transient [`Error::Store`] ([`Error::is_transient`] is true).
    pub fn store_outage(message: impl Into<String>) -> Error {
        Error::Store(StoreError {
            message: message.into(),
            outage: true,
        })
    }
}

/// " from the token endpoint https://host:443/token", when the address is known.
fn write_at(
    f: &mut fmt::Formatter<'_>,
    preposition: &str,
    endpoint: Option<Endpoint>,
    url: Option<&str>,
) -> fmt::Result {
    match (endpoint, url) {
        (Some(e), Some(u)) => write!(f, " {preposition} {} {u}", e.words()),
        (None, Some(u)) => write!(f, " {preposition} {u}"),
        (Some(e), None) => write!(f, " {preposition} {}", e.words()),
        (None, None) => Ok(()),
    }
}

/// At most 100 characters of a value an attacker may have chosen.
fn shorten(s: &str) -> &str {
    s.char_indices().nth(100).map_or(s, |(i, _)| &s[..i])
}

/// Shorthand for `Result<T, authgate::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_unique_and_named() {
        let mut last = 0;
        for c in ErrorCode::ALL {
            assert!(c.as_u32() > last, "{c:?} out of order");
            last = c.as_u32();
            assert_eq!(ErrorCode::from_u32(c.as_u32()), Some(c));
            assert!(!c.name().is_empty());
        }
    }
}

//! A provider emulator for authgate's tests.
//!
//! One real HTTP/1.1 server on loopback speaks the four provider dialects described in
//! `PROVIDERS.md` at once (their paths do not collide):
//!
//! | dialect  | authorize                 | token                       |
//! |----------|---------------------------|-----------------------------|
//! | Taxcom   | `/core/connect/authorize` | `/core/connect/token`       |
//! | Kontur   | `/connect/authorize`      | `/connect/token`            |
//! | GearCode | `/oauth/authorize`        | `/oauth/token`              |
//! | CUBA     | (none)                    | `/app/rest/v2/oauth/token`  |
//!
//! plus a protected resource `GET /api/me`, and a control API under `/_emulator/` for
//! tests that run the binary (C, Python).
//!
//! Kontur is the OpenID Connect provider, and has the rest of an OpenID provider too:
//!
//! - a discovery document and a JWKS holding a fixed RSA key and a generated P-256 key;
//!   id_tokens are signed RS256 by default, ES256 on request
//!   ([`Emulator::set_id_token_alg`]), and the EC key can be rotated
//!   ([`Emulator::rotate_keys`]);
//! - authorization responses carry `iss` (RFC 9207), and the discovery document says so
//!   (`authorization_response_iss_parameter_supported`);
//! - UserInfo, token revocation (RFC 7009) and introspection (RFC 7662);
//! - the refresh grant when `offline_access` was granted;
//! - the device authorization grant (RFC 8628), approved on the `/device` page or with
//!   [`Emulator::approve_device`];
//! - client authentication by JWT assertion (`private_key_jwt` with the registered keys
//!   of [`fixtures::CLIENT_RSA_KEY_PEM`] and [`fixtures::CLIENT_EC_KEY_PEM`],
//!   `client_secret_jwt`), checking signature, `aud`, `exp` and `jti` replay;
//! - pushed authorization requests (RFC 9126, [`fixtures::KONTUR_PAR_PATH`]), required
//!   with [`Emulator::set_require_pushed_authorization_requests`].
//!
//! Every authorize endpoint accepts loopback redirect URIs with any port (RFC 8252 §7.3),
//! and can show a real login form instead of approving at once
//! ([`Emulator::set_interactive`]).
//!
//! The registered clients, users and redirect address are in [`fixtures`]. Tests can make
//! the server misbehave on purpose with [`Emulator::inject`] (see [`FaultKind`]),
//! including id_tokens that a careful client must reject.
//!
//! ```no_run
//! use authgate_emulator::{Emulator, Fault, FaultKind};
//! let emu = Emulator::start().expect("bind");
//! emu.inject(Fault::new("/oauth/token", FaultKind::Status { status: 503, retry_after: Some(2) }));
//! emu.inject(Fault::new("/connect/token", FaultKind::IdTokenAlgNone));
//! println!("{}", emu.base_url());
//! ```
#![deny(missing_docs)]

mod browser;
mod control;
mod crypto;
mod dpop;
mod mtls;
pub use dpop::DpopPolicy;
mod echo;
pub use echo::{EchoEncoding, EchoPlace};
pub mod fixtures;
pub use browser::{browse, browse_to_the_app};
mod http;
mod providers;
pub mod proxy;
pub mod redis_server;
mod server;
mod state;
pub mod tls;
pub mod wire;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use state::Shared;

/// See [`Emulator::start_mtls`].
fn start_mtls(shared: &Shared) -> io::Result<String> {
    let mut state = shared.lock();
    if let Some(url) = &state.mtls_base {
        return Ok(url.clone());
    }
    // The emulator's own address: where the listener passes requests on.
    let addr = shared
        .base_url
        .trim_start_matches("http://")
        .parse()
        .map_err(io::Error::other)?;
    let url = mtls::start(addr)?;
    state.mtls_base = Some(url.clone());
    Ok(url)
}

/// A running emulator. The server lives on background threads (one accepting, one per
/// connection); dropping the `Emulator` stops it.
///
/// All methods take `&self` and are safe to call from several threads.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept_thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// How the emulator treats DPoP proofs (RFC 9449); [`reset`](Self::reset) goes back to
    /// the default (checked when sent, not required, no nonce).
    pub fn set_dpop(&self, policy: DpopPolicy) {
        self.shared.lock().dpop.policy = policy;
    }

    /// Starts (once; later calls return the same URL) the mutual TLS listener: HTTPS with
    /// `tls/server.pem` (trust `tls/ca.pem`), asking for a client certificate signed by
    /// `tls/client-ca.pem`, in front of this emulator. Returns its base URL,
    /// `https://127.0.0.1:PORT`; the mTLS provider's discovery document
    /// ([`fixtures::MTLS_DISCOVERY_PATH`]) then names it in `mtls_endpoint_aliases`.
    pub fn start_mtls(&self) -> io::Result<String> {
        start_mtls(&self.shared)
    }

    /// Starts an emulator on an ephemeral loopback port (`127.0.0.1:0`).
    pub fn start() -> io::Result<Emulator> {
        Emulator::start_on("127.0.0.1:0")
    }

    /// Starts an emulator on the given address, e.g. `"127.0.0.1:8080"`.
    ///
    /// If the address is unspecified (`0.0.0.0` / `::`), [`Emulator::base_url`] still
    /// names the loopback address, since that is what local tests connect to.
    pub fn start_on(addr: &str) -> io::Result<Emulator> {
        let listener = TcpListener::bind(addr)?;
        let mut local = listener.local_addr()?;
        // Clients cannot connect to an unspecified address; point them (and the
        // OpenID issuer) at loopback of the same family instead.
        if local.ip().is_unspecified() {
            local.set_ip(match local {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        let base_url = format!("http://{local}");
        let shared = Arc::new(Shared::new(base_url)?);
        let accept_thread = server::spawn(listener, Arc::clone(&shared))?;
        Ok(Emulator {
            shared,
            addr: local,
            accept_thread: Some(accept_thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The socket address the server answers on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `base_url()` followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.shared.base_url, path)
    }

    /// Queues a fault. Faults are consumed in the order they were injected: each request
    /// takes the first queued fault whose path matches it (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().inject(fault);
    }

    /// How many requests were received on `path` (without the query string), including
    /// faulted and rejected ones. Control requests (`/_emulator/…`) are not counted.
    pub fn count(&self, path: &str) -> u64 {
        self.shared.lock().counts.get(path).copied().unwrap_or(0)
    }

    /// All request counts, path → count.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.shared.lock().counts.clone()
    }

    /// Makes every refresh token issued so far invalid (tokens issued later still work).
    pub fn revoke_refresh_tokens(&self) {
        self.shared.lock().revoke_refresh_tokens();
    }

    /// Sets the lifetime, in seconds, of access tokens issued from now on by `dialect`.
    /// It is both the `expires_in` of the token answer and the real expiry checked by
    /// `GET /api/me`.
    pub fn set_expires_in(&self, dialect: Dialect, seconds: u64) {
        self.shared.lock().set_expires_in(dialect, seconds);
    }

    /// Clears counts, recorded requests and queued faults, and restores the default
    /// settings: token lifetimes, the clock offset, the id_token algorithm (RS256) and kids, the device flow timing,
    /// and auto-approval (not interactive). Issued codes, tokens, device codes and the
    /// signing keys (rotated or not) are kept.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Chooses how Kontur signs the id_tokens it issues from now on: RS256 (the default,
    /// kid [`fixtures::KONTUR_RSA_KEY_ID`]) or ES256 (the current EC key).
    pub fn set_id_token_alg(&self, alg: IdTokenAlg) {
        self.shared.signer.set_alg(alg);
    }

    /// With `true`, Kontur publishes its JWKS without `kid`s, led by its RSA key a second
    /// time for RS512, and signs id_tokens without a `kid` header: a client must try
    /// every key that fits the token's `alg`. `false` (the default) restores the kids.
    pub fn set_kidless_jwks(&self, kidless: bool) {
        self.shared.signer.set_kidless(kidless);
    }

    /// The algorithm Kontur currently signs id_tokens with.
    pub fn id_token_alg(&self) -> IdTokenAlg {
        self.shared.signer.alg()
    }

    /// The `kid` of the key Kontur currently signs id_tokens with.
    pub fn signing_key_id(&self) -> String {
        self.shared.signer.signing_kid()
    }

    /// Rotates Kontur's EC key: a new P-256 key with a new kid (`emulator-2`,
    /// `emulator-3`, …) replaces the old one in the JWKS (the RSA key stays), and
    /// id_tokens are signed ES256 with it from now on. A client that cached the JWKS must
    /// fetch it again when it meets the unknown kid. Returns the new kid.
    ///
    /// Fails only if the system random number generator does.
    pub fn rotate_keys(&self) -> io::Result<String> {
        self.shared.signer.rotate()
    }

    /// Sets the `expires_in` (lifetime, seconds) and `interval` (minimum seconds between
    /// two polls) of device codes issued from now on. The defaults are
    /// [`fixtures::DEVICE_EXPIRES_IN`] and [`fixtures::DEVICE_INTERVAL`]; an interval of
    /// 0 turns `slow_down` off, an `expires_in` of 0 makes codes expire at once.
    pub fn set_device_timing(&self, expires_in: u64, interval: u64) {
        let mut state = self.shared.lock();
        state.device_expires_in = Some(expires_in);
        state.device_interval = Some(interval);
    }

    /// Approves (or, with `approve == false`, denies) the pending device authorization
    /// with this user code, as the user would on the `/device` page. The code is matched
    /// case-insensitively, with or without its dash. Returns `false` if no pending,
    /// unexpired authorization has that code.
    pub fn approve_device(&self, user_code: &str, approve: bool) -> bool {
        self.shared
            .lock()
            .decide_device(user_code, approve, crypto::unix_now())
            .is_ok()
    }

    /// With `true`, a GET on any authorize endpoint answers a login form (`200 text/html`)
    /// instead of approving at once; the user signs in as [`fixtures::TEST_USER_LOGIN`]
    /// and is then redirected with a code as usual. `false` (the default) auto-approves.
    pub fn set_interactive(&self, enabled: bool) {
        self.shared.lock().interactive = enabled;
    }

    /// Makes the server's clock (its `Date` header, sent on every answer) run
    /// `offset_secs` seconds ahead of the real time, or behind it when negative: a client
    /// can then measure the clock skew. 0 (the default) is the real time.
    pub fn set_clock_offset(&self, offset_secs: i64) {
        self.shared
            .clock_offset
            .store(offset_secs, Ordering::Relaxed);
    }

    /// Moves the emulator's clock for expiry forward by `by`: issued authorization codes,
    /// access tokens (as `GET /api/me` checks them) and device codes (their expiry and the
    /// polling interval) age as if that much time had passed, without a test sleeping.
    /// Things issued later start from the real time. The `Date` header
    /// ([`Emulator::set_clock_offset`]) and the Unix times inside tokens (`iat`, `exp`)
    /// are not changed: a client checks those against its own clock.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.lock().advance_clock(by);
    }

    /// A compact JWS over `claims`, signed the way Kontur signs id_tokens now (the key and
    /// algorithm of [`Emulator::set_id_token_alg`], with its kid): for tests that need a
    /// correctly signed token with claims of their choosing. `None` if signing fails.
    pub fn sign_id_token(&self, claims: &serde_json::Value) -> Option<String> {
        self.shared
            .signer
            .sign_id_token(claims, crypto::Forgery::None)
    }

    /// Makes Kontur's authorize endpoint take only pushed authorization requests, and
    /// its discovery document say `require_pushed_authorization_requests` (RFC 9126 §5).
    /// Off by default and after [`Emulator::reset`].
    pub fn set_require_pushed_authorization_requests(&self, required: bool) {
        self.shared.lock().require_par = required;
    }

    /// The last request received on `path` (without the query string), if any.
    pub fn last_request(&self, path: &str) -> Option<RecordedRequest> {
        self.shared.lock().last_requests.get(path).cloned()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // The accept loop blocks in accept(); one connection wakes it so it sees the flag.
        // Connection threads notice the flag on their next read poll and exit by themselves.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.accept_thread.take() {
            let _ = handle.join();
        }
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

/// The four provider dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// Taxcom cash-register API (IdentityServer, `/core/connect/…`).
    Taxcom,
    /// Kontur.Extern (OpenID Connect, `/connect/…`).
    Kontur,
    /// GearCode GC.AUTH (`/oauth/…`).
    GearCode,
    /// CUBA platform REST API (Spring Security OAuth2, `/app/rest/v2/oauth/token`).
    Cuba,
}

impl Dialect {
    /// All dialects, in declaration order.
    pub const ALL: [Dialect; 4] = [
        Dialect::Taxcom,
        Dialect::Kontur,
        Dialect::GearCode,
        Dialect::Cuba,
    ];

    /// The lower-case name used in JSON (`"taxcom"`, `"kontur"`, `"gearcode"`, `"cuba"`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Taxcom => "taxcom",
            Dialect::Kontur => "kontur",
            Dialect::GearCode => "gearcode",
            Dialect::Cuba => "cuba",
        }
    }

    /// The default `expires_in` of this dialect's access tokens, in seconds.
    pub fn default_expires_in(self) -> u64 {
        match self {
            Dialect::Taxcom => fixtures::TAXCOM_EXPIRES_IN,
            Dialect::Kontur => fixtures::KONTUR_EXPIRES_IN,
            Dialect::GearCode => fixtures::GEARCODE_EXPIRES_IN,
            Dialect::Cuba => fixtures::CUBA_EXPIRES_IN,
        }
    }

    /// The token endpoint path of this dialect.
    pub fn token_path(self) -> &'static str {
        match self {
            Dialect::Taxcom => fixtures::TAXCOM_TOKEN_PATH,
            Dialect::Kontur => fixtures::KONTUR_TOKEN_PATH,
            Dialect::GearCode => fixtures::GEARCODE_TOKEN_PATH,
            Dialect::Cuba => fixtures::CUBA_TOKEN_PATH,
        }
    }

    /// The dialect whose token endpoint is `path`, if any.
    pub fn from_token_path(path: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.token_path() == path)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = String;

    /// Parses a dialect name, case-insensitively (`"GearCode"`, `"gearcode"`, …).
    fn from_str(s: &str) -> Result<Dialect, String> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown dialect {s:?} (expected taxcom, kontur, gearcode or cuba)")
            })
    }
}

/// A fault to inject: the next `count` requests on `path` misbehave as `kind` says.
///
/// `path` is an exact request path without the query string (`"/oauth/token"`), or `"*"`
/// for any path except the control API. A fault with `count == 0` never fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The path it applies to, or `"*"`.
    pub path: String,
    /// What goes wrong.
    pub kind: FaultKind,
    /// How many requests it hits (default 1).
    pub count: u32,
}

impl Fault {
    /// A fault hitting the next request on `path` (or any path with `"*"`).
    pub fn new(path: impl Into<String>, kind: FaultKind) -> Fault {
        Fault {
            path: path.into(),
            kind,
            count: 1,
        }
    }

    /// A fault hitting the next request on any (non-control) path.
    pub fn any(kind: FaultKind) -> Fault {
        Fault::new("*", kind)
    }

    /// Makes the fault hit the next `count` matching requests instead of one.
    pub fn times(mut self, count: u32) -> Fault {
        self.count = count;
        self
    }
}

/// The ways the emulator can misbehave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer with this status and a short plain-text body (not JSON), with a
    /// `Retry-After: <seconds>` header if `retry_after` is set.
    Status {
        /// The HTTP status, e.g. 500 or 503.
        status: u16,
        /// The `Retry-After` header value in seconds, if any.
        retry_after: Option<u32>,
    },
    /// Answer with an nginx-style HTML error page (`text/html`), as a proxy would.
    Html {
        /// The HTTP status, e.g. 502.
        status: u16,
    },
    /// `200`, `application/json`, body `{"access_token": "abc",` (truncated JSON).
    InvalidJson,
    /// `200`, `application/json`, a body of exactly `bytes` bytes: one huge JSON string
    /// value (`{"access_token":"AAAA…"}`), streamed rather than held in memory.
    Oversized {
        /// The body length in bytes.
        bytes: usize,
    },
    /// Read the request, then close the socket without answering.
    Drop,
    /// Send headers announcing `Content-Length: 500`, then 20 bytes, then close.
    Truncated,
    /// `302 Found` with this `Location` (relative or absolute).
    Redirect {
        /// The `Location` header value.
        location: String,
    },
    /// `200`, `application/json`, but the body is an OAuth error
    /// (`{"error":"invalid_grant","error_description":…}`).
    OkWithError,
    /// Answer normally (a real token answer on a token endpoint), but with
    /// `Content-Type: text/plain`.
    WrongContentType,
    /// The next *refresh grant* on the path answers as if its refresh token had been
    /// revoked, in the dialect's own words. The token itself stays valid. Requests that
    /// are not refresh grants do not consume this fault.
    RevokedRefreshToken,
    /// The next id_token issued on the path carries a `nonce` other than the one sent
    /// at authorize ([`fixtures::ID_TOKEN_FAULT_NONCE`]), even if none was sent.
    ///
    /// This and the other `IdToken…` faults apply only to requests that issue an
    /// id_token (Kontur's token endpoint, on any grant that returns one); other requests
    /// on the path do not consume them. The rest of the answer is normal.
    IdTokenWrongNonce,
    /// The next id_token's `aud` (and `azp`) name another client
    /// ([`fixtures::ID_TOKEN_FAULT_AUDIENCE`]).
    IdTokenWrongAudience,
    /// The next id_token's `iss` is another issuer ([`fixtures::ID_TOKEN_FAULT_ISSUER`]).
    IdTokenWrongIssuer,
    /// The next id_token expired an hour ago (`iat` two hours ago, `exp` one hour ago).
    IdTokenExpired,
    /// The next id_token is signed as usual, then bytes of its signature are flipped.
    IdTokenBadSignature,
    /// The next id_token has the header `{"alg":"none"}` and an empty signature.
    IdTokenAlgNone,
    /// The next id_token has the header `{"alg":"HS256"}` with the RSA key's kid, and is
    /// "signed" with HMAC-SHA256 keyed with that key's public PEM (`keys/rsa-1.pub.pem`):
    /// the classic key-confusion attack, which a client that trusts the header's `alg`
    /// would accept.
    IdTokenHmacConfusion,
    /// The next id_token is signed ES256 by a throwaway key whose kid
    /// ([`fixtures::ID_TOKEN_FAULT_KEY_ID`]) is not in the JWKS, even after a refetch.
    IdTokenUnknownKid,
    /// The next redirect from the authorize endpoint (a code or an error) carries the
    /// query parameter `name` with `value` in place of what the dialect would send, or
    /// without it when `value` is `None`. `value` goes into the query as it is (already
    /// percent-encoded), so `%FF%FE` sends bytes that are not UTF-8. With `name` `iss`
    /// this plays the mix-up attack of RFC 9207 (a wrong issuer) or a provider that
    /// forgot its promise (no issuer).
    Callback {
        /// The parameter, e.g. `"iss"` or `"code"`.
        name: String,
        /// The raw, percent-encoded value; `None` removes the parameter.
        value: Option<String>,
    },
    /// The next successful JSON answer on the path (a token answer, say) is the normal
    /// one with each top-level field named in `fields` replaced by the raw JSON bytes
    /// given, or removed for `None`. The bytes are spliced in as they are: they may hold
    /// invalid UTF-8, control characters, or a number no parser can hold (`1e400`). The
    /// server's state (a rotated refresh token) changes as usual.
    AnswerFields {
        /// `(field, raw JSON value or None to remove it)`, applied in order.
        fields: Vec<(String, Option<Vec<u8>>)>,
    },
    /// Answer with the request's secrets (client secret, password, code, refresh token,
    /// PKCE verifier, the Basic `id:secret`) repeated back in `place`, in `encoding`: what
    /// a client must never show in an error, a warning or a log record.
    Echo {
        /// Where the secrets go.
        place: EchoPlace,
        /// How they are encoded.
        encoding: EchoEncoding,
    },
}

impl FaultKind {
    /// [`FaultKind::AnswerFields`] changing one field: `raw` is its new raw JSON value,
    /// `None` removes it.
    pub fn answer_field(name: &str, raw: Option<&[u8]>) -> FaultKind {
        FaultKind::AnswerFields {
            fields: vec![(name.to_owned(), raw.map(<[u8]>::to_vec))],
        }
    }

    /// Whether the fault changes an id_token (and so waits for a request issuing one).
    pub(crate) fn is_id_token_fault(&self) -> bool {
        matches!(
            self,
            FaultKind::IdTokenWrongNonce
                | FaultKind::IdTokenWrongAudience
                | FaultKind::IdTokenWrongIssuer
                | FaultKind::IdTokenExpired
                | FaultKind::IdTokenBadSignature
                | FaultKind::IdTokenAlgNone
                | FaultKind::IdTokenHmacConfusion
                | FaultKind::IdTokenUnknownKid
        )
    }
}

/// How Kontur signs id_tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IdTokenAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, the fixed RSA key (kid
    /// [`fixtures::KONTUR_RSA_KEY_ID`]). The default.
    #[default]
    Rs256,
    /// ECDSA P-256 with SHA-256, the current EC key (kid [`fixtures::KONTUR_KEY_ID`]
    /// until the first rotation).
    Es256,
}

impl IdTokenAlg {
    /// The JOSE name, `"RS256"` or `"ES256"`.
    pub fn name(self) -> &'static str {
        match self {
            IdTokenAlg::Rs256 => "RS256",
            IdTokenAlg::Es256 => "ES256",
        }
    }
}

impl fmt::Display for IdTokenAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IdTokenAlg {
    type Err = String;

    /// Parses `"RS256"` or `"ES256"`, case-insensitively.
    fn from_str(s: &str) -> Result<IdTokenAlg, String> {
        [IdTokenAlg::Rs256, IdTokenAlg::Es256]
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown id_token alg {s:?} (expected RS256 or ES256)"))
    }
}

/// A request as the emulator received it, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, e.g. `"POST"`.
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The raw query string without `?` (empty if none).
    pub query: String,
    /// Headers in the order received, names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body, decoded as UTF-8 (invalid sequences replaced).
    pub body: String,
}

impl RecordedRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first parameter with this name in the body, decoded as
    /// `application/x-www-form-urlencoded`.
    pub fn form_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The first parameter with this name in the query string, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }
}

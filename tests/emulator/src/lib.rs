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
//! plus Kontur's OpenID discovery document and JWKS, a protected resource `GET /api/me`,
//! and a control API under `/_emulator/` for tests that run the binary (C, Python).
//!
//! The registered clients, users and redirect address are in [`fixtures`]. Tests can make
//! the server misbehave on purpose with [`Emulator::inject`] (see [`FaultKind`]).
//!
//! ```no_run
//! use authgate_emulator::{Emulator, Fault, FaultKind};
//! let emu = Emulator::start().expect("bind");
//! emu.inject(Fault::new("/oauth/token", FaultKind::Status { status: 503, retry_after: Some(2) }));
//! println!("{}", emu.base_url());
//! ```
#![deny(missing_docs)]

mod control;
mod crypto;
pub mod fixtures;
mod http;
mod providers;
mod server;
mod state;

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

    /// Clears counts, recorded requests and queued faults, and restores the default token
    /// lifetimes. Issued codes and tokens are kept.
    pub fn reset(&self) {
        self.shared.lock().reset();
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

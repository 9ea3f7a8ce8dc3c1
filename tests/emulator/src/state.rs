//! The emulator's memory: counts, faults, codes and tokens, behind one mutex.
//!
//! One lock keeps it simple: every operation is a few map look-ups, and nothing slow
//! (sleeping for a Delay fault, writing to a socket) happens while it is held.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::crypto::{Random, Signer};
use crate::fixtures::CODE_LIFETIME_SECS;
use crate::{Dialect, Fault, FaultKind, RecordedRequest};

/// What every connection thread shares.
pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`; also Kontur's issuer.
    pub base_url: String,
    /// Set when the [`crate::Emulator`] is dropped.
    pub shutdown: AtomicBool,
    pub random: Random,
    pub signer: Signer,
    state: Mutex<State>,
}

impl Shared {
    pub fn new(base_url: String) -> io::Result<Shared> {
        Ok(Shared {
            base_url,
            shutdown: AtomicBool::new(false),
            random: Random::new(),
            signer: Signer::generate()?,
            state: Mutex::new(State::default()),
        })
    }

    /// Locks the state. A thread that panicked while holding the lock cannot have left
    /// it inconsistent in a way that matters to a test server, so poisoning is ignored
    /// rather than spreading the panic to every later request.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A PKCE challenge sent at authorize time.
#[derive(Debug, Clone)]
pub(crate) struct Challenge {
    pub value: String,
    /// `true` for S256, `false` for plain.
    pub s256: bool,
}

/// An issued, not yet redeemed authorization code.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub dialect: Dialect,
    pub client_id: String,
    pub redirect_uri: String,
    /// Granted scopes, space separated (empty if the dialect has none).
    pub scope: String,
    pub nonce: Option<String>,
    pub challenge: Option<Challenge>,
    pub issued: Instant,
    /// Unix time of the (automatic) login, for the id_token's `auth_time`.
    pub auth_time: u64,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    pub dialect: Dialect,
    pub sub: String,
    /// `None` when the lifetime is too large to represent: it never expires.
    pub expires_at: Option<Instant>,
}

/// An issued, still valid refresh token.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub dialect: Dialect,
    pub client_id: String,
    pub sub: String,
}

/// Everything mutable.
#[derive(Default)]
pub(crate) struct State {
    pub counts: BTreeMap<String, u64>,
    pub last_requests: HashMap<String, RecordedRequest>,
    faults: VecDeque<Fault>,
    /// Per-dialect overrides of `expires_in`, indexed by [`Dialect::index`].
    expires_in: [Option<u64>; 4],
    codes: HashMap<String, CodeGrant>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
}

impl State {
    /// Counts and records a (non-control) request.
    pub fn record(&mut self, request: RecordedRequest) {
        *self.counts.entry(request.path.clone()).or_insert(0) += 1;
        self.last_requests.insert(request.path.clone(), request);
    }

    pub fn inject(&mut self, fault: Fault) {
        if fault.count > 0 {
            self.faults.push_back(fault);
        }
    }

    /// Takes one hit of the first queued fault that matches this request.
    /// `is_refresh` says whether the request is a refresh grant, the only kind of
    /// request a [`FaultKind::RevokedRefreshToken`] fault applies to.
    pub fn take_fault(&mut self, path: &str, is_refresh: bool) -> Option<FaultKind> {
        let index = self.faults.iter().position(|f| {
            (f.path == "*" || f.path == path)
                && (is_refresh || f.kind != FaultKind::RevokedRefreshToken)
        })?;
        let fault = self.faults.get_mut(index)?;
        let kind = fault.kind.clone();
        fault.count -= 1;
        if fault.count == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }

    pub fn expires_in(&self, dialect: Dialect) -> u64 {
        self.expires_in[dialect.index()].unwrap_or_else(|| dialect.default_expires_in())
    }

    pub fn set_expires_in(&mut self, dialect: Dialect, seconds: u64) {
        self.expires_in[dialect.index()] = Some(seconds);
    }

    pub fn reset(&mut self) {
        self.counts.clear();
        self.last_requests.clear();
        self.faults.clear();
        self.expires_in = [None; 4];
    }

    pub fn revoke_refresh_tokens(&mut self) {
        self.refresh.clear();
    }

    pub fn insert_code(&mut self, code: String, grant: CodeGrant) {
        // Drop stale codes now and then so a long-running binary does not grow forever.
        let lifetime = Duration::from_secs(CODE_LIFETIME_SECS);
        self.codes.retain(|_, g| g.issued.elapsed() < lifetime);
        self.codes.insert(code, grant);
    }

    /// Removes and returns a code: codes are one-time, so any redemption attempt that
    /// finds it uses it up, whatever the outcome.
    pub fn take_code(&mut self, code: &str) -> Option<CodeGrant> {
        self.codes.remove(code)
    }

    /// Records an access token issued by `dialect`; returns its `expires_in`.
    pub fn issue_access(&mut self, token: &str, dialect: Dialect, sub: &str) -> u64 {
        let seconds = self.expires_in(dialect);
        let expires_at = Instant::now().checked_add(Duration::from_secs(seconds));
        self.access.insert(
            token.to_string(),
            AccessGrant {
                dialect,
                sub: sub.to_string(),
                expires_at,
            },
        );
        seconds
    }

    /// The grant behind an access token, if it was issued and has not expired.
    pub fn check_access(&self, token: &str) -> Option<&AccessGrant> {
        self.access
            .get(token)
            .filter(|g| g.expires_at.is_none_or(|at| Instant::now() < at))
    }

    pub fn issue_refresh(&mut self, token: &str, grant: RefreshGrant) {
        self.refresh.insert(token.to_string(), grant);
    }

    pub fn refresh_grant(&self, token: &str) -> Option<&RefreshGrant> {
        self.refresh.get(token)
    }

    /// Invalidates one refresh token (rotation).
    pub fn remove_refresh(&mut self, token: &str) {
        self.refresh.remove(token);
    }
}

//! The emulator's memory: counts, faults, settings, codes, tokens and device codes,
//! behind one mutex.
//!
//! One lock keeps it simple: every operation is a few map look-ups, and nothing slow
//! (sleeping for a Delay fault, writing to a socket) happens while it is held.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::crypto::{unix_now, Random, Signer};
use crate::fixtures::{CODE_LIFETIME_SECS, DEVICE_EXPIRES_IN, DEVICE_INTERVAL};
use crate::{Dialect, Fault, FaultKind, IdTokenAlg, RecordedRequest};

/// What every connection thread shares.
pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`; also Kontur's issuer.
    pub base_url: String,
    /// Set when the [`crate::Emulator`] is dropped.
    pub shutdown: AtomicBool,
    /// Seconds added to the real time in the `Date` header (a server clock that is off).
    pub clock_offset: AtomicI64,
    pub random: Random,
    pub signer: Signer,
    state: Mutex<State>,
}

impl Shared {
    pub fn new(base_url: String) -> io::Result<Shared> {
        Ok(Shared {
            base_url,
            shutdown: AtomicBool::new(false),
            clock_offset: AtomicI64::new(0),
            random: Random::new(),
            signer: Signer::new()?,
            state: Mutex::new(State::default()),
        })
    }

    /// Locks the state. A thread that panicked while holding the lock cannot have left
    /// it inconsistent in a way that matters to a test server, so poisoning is ignored
    /// rather than spreading the panic to every later request.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Back to the default settings (see [`crate::Emulator::reset`]).
    pub fn reset(&self) {
        self.lock().reset();
        self.clock_offset
            .store(0, std::sync::atomic::Ordering::Relaxed);
        self.signer.set_alg(IdTokenAlg::default());
        self.signer.set_kidless(false);
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
    /// The same expiry as Unix time, for introspection (`None`: never).
    pub expires_unix: Option<u64>,
    /// Unix time of issue.
    pub issued_unix: u64,
    /// Empty where the dialect does not track it (only Kontur introspects).
    pub client_id: String,
    pub scope: String,
    /// The authorization grant it descends from (Kontur only): revoking a refresh token
    /// revokes every token of its family (RFC 7009 §2.1).
    pub family: Option<u64>,
}

/// What else an access token records, besides dialect and subject.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AccessDetails<'a> {
    pub client_id: &'a str,
    pub scope: &'a str,
    pub family: Option<u64>,
}

/// An issued, still valid refresh token.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub dialect: Dialect,
    pub client_id: String,
    pub sub: String,
    /// Granted scopes, space separated (empty if the dialect has none).
    pub scope: String,
    /// Unix time of the original login (the id_token's `auth_time` on refresh).
    pub auth_time: u64,
    /// Unix time of issue.
    pub issued_unix: u64,
    /// See [`AccessGrant::family`].
    pub family: Option<u64>,
}

impl RefreshGrant {
    /// A refresh token of a dialect that tracks neither login time nor grant family.
    pub fn simple(dialect: Dialect, client_id: &str, sub: &str, scope: &str) -> RefreshGrant {
        let now = unix_now();
        RefreshGrant {
            dialect,
            client_id: client_id.to_string(),
            sub: sub.to_string(),
            scope: scope.to_string(),
            auth_time: now,
            issued_unix: now,
            family: None,
        }
    }
}

/// Where a device authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    /// Approved at this Unix time (the id_token's `auth_time`).
    Approved(u64),
    Denied,
}

/// An issued device code (RFC 8628), until redeemed.
#[derive(Debug, Clone)]
pub(crate) struct DeviceGrant {
    /// As shown to the user, `ABCD-EFGH`.
    pub user_code: String,
    pub client_id: String,
    pub scope: String,
    pub expires_at: Instant,
    /// The minimum time between two polls; grows on every `slow_down`.
    pub interval: Duration,
    pub last_poll: Option<Instant>,
    pub status: DeviceStatus,
}

/// The outcome of one poll of a device code.
#[derive(Debug)]
pub(crate) enum DevicePoll {
    /// Unknown, already redeemed, or issued to another client.
    Invalid,
    Expired,
    Denied,
    Pending,
    /// Polled sooner than the interval allows (the interval has grown since).
    SlowDown,
    /// Approved: the code is used up; here is what it granted.
    Approved(DeviceGrant),
}

/// Why a device authorization could not be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceDecisionError {
    Unknown,
    Expired,
    AlreadyDecided,
}

impl DeviceDecisionError {
    pub fn message(self) -> &'static str {
        match self {
            DeviceDecisionError::Unknown => "unknown user code",
            DeviceDecisionError::Expired => "the user code has expired",
            DeviceDecisionError::AlreadyDecided => "the user code was already approved or denied",
        }
    }
}

/// A user code without its dash or case, for lenient matching (RFC 8628 §6.1).
pub(crate) fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
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
    /// The last grant family number handed out.
    families: u64,
    /// Device codes → grants.
    devices: HashMap<String, DeviceGrant>,
    /// Whether authorize GETs show the login form (else they auto-approve).
    pub interactive: bool,
    /// Overrides of [`DEVICE_EXPIRES_IN`] and [`DEVICE_INTERVAL`].
    pub device_expires_in: Option<u64>,
    pub device_interval: Option<u64>,
    /// How far [`State::advance_clock`] moved the server's clock in total: client
    /// assertions are checked against the real time plus this.
    pub advanced: Duration,
    /// The `jti` of every client assertion accepted, with its `exp` (replay detection).
    pub used_jtis: HashMap<String, u64>,
    /// Pushed authorization requests (RFC 9126): `request_uri` → the request.
    pub pushed: HashMap<String, PushedRequest>,
    /// Whether the authorize endpoint takes only pushed requests
    /// (`require_pushed_authorization_requests`).
    pub require_par: bool,
    /// DPoP policy, nonces, seen proofs and bound tokens.
    pub dpop: crate::dpop::DpopState,
    /// The mutual TLS listener's base URL, once started (kept across resets).
    pub mtls_base: Option<String>,
    /// Access tokens bound to a client certificate → its thumbprint (`x5t#S256`).
    pub cert_bound: std::collections::HashMap<String, String>,
}

/// A pushed authorization request, until used once or expired.
#[derive(Debug, Clone)]
pub(crate) struct PushedRequest {
    pub client_id: String,
    /// Its parameters as a query string, as the authorize endpoint reads them.
    pub query: String,
    pub expires_at: Instant,
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
    /// request a [`FaultKind::RevokedRefreshToken`] fault applies to. id_token faults
    /// are never taken here: they wait for [`State::take_id_token_fault`].
    pub fn take_fault(&mut self, path: &str, is_refresh: bool) -> Option<FaultKind> {
        self.take_fault_where(|f| {
            (f.path == "*" || f.path == path)
                && !f.kind.is_id_token_fault()
                && (is_refresh || f.kind != FaultKind::RevokedRefreshToken)
        })
    }

    /// Takes one hit of the first queued id_token fault for `path`, when an id_token is
    /// about to be issued there.
    pub fn take_id_token_fault(&mut self, path: &str) -> Option<FaultKind> {
        self.take_fault_where(|f| (f.path == "*" || f.path == path) && f.kind.is_id_token_fault())
    }

    fn take_fault_where(&mut self, matches: impl Fn(&Fault) -> bool) -> Option<FaultKind> {
        let index = self.faults.iter().position(matches)?;
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
        self.interactive = false;
        self.require_par = false;
        self.advanced = Duration::ZERO;
        self.device_expires_in = None;
        self.device_interval = None;
        self.dpop = Default::default();
    }

    /// Ages every issued code, access token and device code by `by`, as if that much
    /// time had passed on the server (see [`crate::Emulator::advance_clock`]).
    pub fn advance_clock(&mut self, by: Duration) {
        // Moving the stored instants back is the same as moving the clock forward. An
        // instant that cannot go back that far (right after boot) is simply the earliest.
        let back = |at: Instant| at.checked_sub(by).unwrap_or(at);
        self.advanced += by;
        for pushed in self.pushed.values_mut() {
            pushed.expires_at = back(pushed.expires_at);
        }
        for grant in self.codes.values_mut() {
            grant.issued = back(grant.issued);
        }
        for grant in self.access.values_mut() {
            grant.expires_at = grant.expires_at.map(back);
        }
        for grant in self.devices.values_mut() {
            grant.expires_at = back(grant.expires_at);
            grant.last_poll = grant.last_poll.map(back);
        }
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
        self.issue_access_with(token, dialect, sub, AccessDetails::default())
    }

    /// [`State::issue_access`], recording client, scope and grant family too.
    pub fn issue_access_with(
        &mut self,
        token: &str,
        dialect: Dialect,
        sub: &str,
        details: AccessDetails<'_>,
    ) -> u64 {
        let seconds = self.expires_in(dialect);
        let expires_at = Instant::now().checked_add(Duration::from_secs(seconds));
        let issued_unix = unix_now();
        self.access.insert(
            token.to_string(),
            AccessGrant {
                dialect,
                sub: sub.to_string(),
                expires_at,
                expires_unix: expires_at.and_then(|_| issued_unix.checked_add(seconds)),
                issued_unix,
                client_id: details.client_id.to_string(),
                scope: details.scope.to_string(),
                family: details.family,
            },
        );
        seconds
    }

    /// A new grant family number.
    pub fn new_family(&mut self) -> u64 {
        self.families += 1;
        self.families
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

    /// RFC 7009 revocation of a token of `dialect` issued to `client_id`: an access
    /// token dies alone; a refresh token takes its whole family with it. Unknown tokens
    /// (or other clients' tokens) are left alone. Returns whether anything was revoked.
    pub fn revoke_token(&mut self, token: &str, dialect: Dialect, client_id: &str) -> bool {
        let ours = |d: Dialect, c: &str| d == dialect && c == client_id;
        if let Some(grant) = self.access.get(token) {
            if ours(grant.dialect, &grant.client_id) {
                self.access.remove(token);
                return true;
            }
        }
        let family = match self.refresh.get(token) {
            Some(grant) if ours(grant.dialect, &grant.client_id) => grant.family,
            _ => return false,
        };
        self.refresh.remove(token);
        if let Some(family) = family {
            self.access.retain(|_, g| g.family != Some(family));
            self.refresh.retain(|_, g| g.family != Some(family));
        }
        true
    }

    // --- Device codes ------------------------------------------------------------

    /// The lifetime and interval of device codes issued now.
    pub fn device_timing(&self) -> (u64, u64) {
        (
            self.device_expires_in.unwrap_or(DEVICE_EXPIRES_IN),
            self.device_interval.unwrap_or(DEVICE_INTERVAL),
        )
    }

    /// Whether a user code is in use by a device code not yet forgotten.
    pub fn user_code_taken(&self, user_code: &str) -> bool {
        let wanted = normalize_user_code(user_code);
        self.devices
            .values()
            .any(|g| normalize_user_code(&g.user_code) == wanted)
    }

    pub fn insert_device(&mut self, device_code: String, grant: DeviceGrant) {
        // Forget codes long expired (an expired one is still answered `expired_token`
        // for a while, as a client may poll once more) so the map does not grow forever.
        let grace = Duration::from_secs(600);
        let now = Instant::now();
        self.devices
            .retain(|_, g| g.expires_at.checked_add(grace).is_none_or(|t| now < t));
        self.devices.insert(device_code, grant);
    }

    fn device_by_user_code(&mut self, user_code: &str) -> Option<&mut DeviceGrant> {
        let wanted = normalize_user_code(user_code);
        if wanted.is_empty() {
            return None;
        }
        self.devices
            .values_mut()
            .find(|g| normalize_user_code(&g.user_code) == wanted)
    }

    /// The display form of a user code that is pending and unexpired.
    pub fn pending_user_code(&mut self, user_code: &str) -> Result<String, DeviceDecisionError> {
        let grant = self
            .device_by_user_code(user_code)
            .ok_or(DeviceDecisionError::Unknown)?;
        if Instant::now() >= grant.expires_at {
            return Err(DeviceDecisionError::Expired);
        }
        if grant.status != DeviceStatus::Pending {
            return Err(DeviceDecisionError::AlreadyDecided);
        }
        Ok(grant.user_code.clone())
    }

    /// The user approves or denies a pending device authorization (at Unix time `now`).
    pub fn decide_device(
        &mut self,
        user_code: &str,
        approve: bool,
        now: u64,
    ) -> Result<(), DeviceDecisionError> {
        self.pending_user_code(user_code)?;
        let grant = self
            .device_by_user_code(user_code)
            .ok_or(DeviceDecisionError::Unknown)?;
        grant.status = if approve {
            DeviceStatus::Approved(now)
        } else {
            DeviceStatus::Denied
        };
        Ok(())
    }

    /// One poll of a device code by `client_id` (RFC 8628 §3.4, §3.5).
    pub fn poll_device(&mut self, device_code: &str, client_id: &str) -> DevicePoll {
        let now = Instant::now();
        let Some(grant) = self.devices.get_mut(device_code) else {
            return DevicePoll::Invalid;
        };
        if grant.client_id != client_id {
            return DevicePoll::Invalid;
        }
        if now >= grant.expires_at {
            return DevicePoll::Expired;
        }
        let too_soon = grant
            .last_poll
            .is_some_and(|last| now.duration_since(last) < grant.interval);
        grant.last_poll = Some(now);
        let status = grant.status;
        match status {
            DeviceStatus::Denied => DevicePoll::Denied,
            // `slow_down` is a variant of `authorization_pending`: once decided, the
            // answer is the decision, however soon the poll.
            DeviceStatus::Pending if too_soon => {
                // RFC 8628 §3.5 says 5 s more; 1 s keeps tests fast.
                grant.interval += Duration::from_secs(1);
                DevicePoll::SlowDown
            }
            DeviceStatus::Pending => DevicePoll::Pending,
            DeviceStatus::Approved(_) => match self.devices.remove(device_code) {
                Some(grant) => DevicePoll::Approved(grant),
                None => DevicePoll::Invalid,
            },
        }
    }
}

//! The token manager: a valid access token on demand, refreshed once however many threads
//! ask, stored before it is handed out, and never losing a rotated refresh token.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use ring::rand::{SecureRandom, SystemRandom};

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::redact::Scrubber;
use crate::secret::{AccessToken, Password};
use crate::store::{MemoryStore, TokenStore};
use crate::time::instant_after;
use crate::token_set::{Owner, TokenSet};
use crate::validate;

/// Supplies the username and password when the manager has to run the password grant
/// again; `Ok(None)` when it has none (the manager then reports why a sign-in is needed).
pub type CredentialsCallback = dyn Fn() -> Result<Option<(String, Password)>> + Send + Sync;

/// Told of every new token set the manager obtains: see
/// [`TokenManagerBuilder::on_tokens_changed`].
pub type TokensChangedCallback = dyn Fn(&TokenSet) + Send + Sync;

/// Keeps an access token fresh for the whole process.
///
/// - [`access_token`](Self::access_token) returns the cached token while it stays valid for
///   longer than the leeway, and refreshes it otherwise: with the refresh token when there is
///   one, else by running the client credentials grant (if allowed) or the password grant
///   (if a credentials callback was given).
/// - One refresh at a time: threads asking meanwhile wait (bounded) for its result, and a
///   failure is reported to every one of them. A panic in a store or a callback frees the
///   slot: the next call refreshes at once.
/// - Every new token set is saved to the [`TokenStore`] before anyone gets it. With a
///   [`crate::FileStore`], processes sharing the file take its lock to refresh (waiting at
///   most the wait timeout), re-read it first, and use a set another process has just
///   rotated instead of spending a dead refresh token. The password callback runs without
///   that lock.
/// - A failed save is reported ([`Error::Store`]) but loses nothing: the new set stays in
///   use, wins over the older stored one, and is saved again on every later call until a
///   save succeeds (a set another process saves meanwhile wins over it).
/// - The store records whose set it holds (token endpoint and client id): another
///   client's set is refused with [`Error::Store`].
/// - Expiry is tracked on the monotonic clock; a wall clock that jumps changes nothing.
///   Tokens that live less than twice the leeway are refreshed at half their lifetime.
/// - Failures where the request provably never reached the server (connection refused,
///   DNS, connect timeout) are retried with bounded, jittered backoff, and so are 503 / 429
///   answers to the grants that spend nothing (not to a refresh, which a proxy may have
///   passed on). `invalid_grant` becomes [`Error::SignInRequired`], and the refused
///   refresh token is dropped from the set and the store: it is not sent again.
///
/// ```no_run
/// use std::sync::Arc;
/// use authgate::{Client, FileStore, Provider, TokenManager};
/// let client = Client::builder(Provider::GearCode)
///     .base_url("https://auth.gearcode.example")
///     .client_id("pos-42")
///     .client_secret("s3cret")
///     .build()?;
/// let manager = TokenManager::builder(client)
///     .store(Arc::new(FileStore::new("/var/lib/pos/tokens.json")))
///     .build()?;
/// // After the first sign-in: manager.set_tokens(tokens)?;
/// let token = manager.access_token()?;             // hundreds of times a day, any thread
/// let token = manager.access_token_valid_for(std::time::Duration::from_secs(300))?;
/// # Ok::<(), authgate::Error>(())
/// ```
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    /// Whom this manager's token sets belong to: a stored set of another client is refused.
    owner: Owner,
    store: Arc<dyn TokenStore>,
    leeway: Duration,
    client_credentials: bool,
    credentials: Option<Box<CredentialsCallback>>,
    tokens_changed: Option<Box<TokensChangedCallback>>,
    max_attempts: u32,
    max_backoff: Duration,
    wait_timeout: Duration,
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    loaded: bool,
    current: Option<Cached>,
    /// `current` is newer than the store: saving it failed. Until a save succeeds it wins
    /// over the stored set (whose refresh token may be rotated away), unless another
    /// process has saved since; every call tries to save it again.
    unsaved: bool,
    /// The access token of the set the store held when this manager last read or wrote
    /// it: another one there now means that another process saved after us.
    in_store: Option<AccessToken>,
    /// Why the refresh token was refused (`invalid_grant`), until new tokens come: the
    /// reason given by every later [`Error::SignInRequired`] (the token itself was dropped
    /// from the set, so it is not sent again).
    refused: Option<String>,
    /// A new set being saved: if the store panics, the slot's guard makes it `current`
    /// (unsaved) rather than lose its refresh token.
    pending: Option<Cached>,
    refreshing: bool,
    /// Bumped when a refresh finishes; waiters compare it to know their refresh is over.
    generation: u64,
    /// `None` after a refresh that panicked: a waiter then refreshes itself.
    last_outcome: Option<std::result::Result<(), Error>>,
    refreshes: u64,
}

#[derive(Clone)]
struct Cached {
    tokens: TokenSet,
    /// When the access token stops being valid, on the monotonic clock (`None`: unknown).
    valid_until: Option<Instant>,
}

impl Cached {
    fn new(tokens: TokenSet) -> Cached {
        // The absolute expiry is turned into a monotonic deadline once, on receipt or load.
        let valid_until = tokens.expires_at().map(|at| {
            let left = at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            instant_after(left)
        });
        Cached {
            tokens,
            valid_until,
        }
    }

    fn valid_for(&self, min: Duration) -> bool {
        match self.valid_until {
            Some(until) => instant_after(min) < until,
            None => true,
        }
    }

    fn same_access_token(&self, other: Option<&TokenSet>) -> bool {
        other.is_some_and(|o| o.access_token().secret() == self.tokens.access_token().secret())
    }
}

/// How long a token must stay valid for a call.
#[derive(Clone, Copy)]
enum Need {
    /// The leeway, scaled down to half the token's lifetime when the server issues tokens
    /// that live less than twice the leeway: else every call would refresh, and each
    /// fresh token would be refused as too short.
    Leeway,
    /// What the caller asked for: an error if the server's tokens do not live that long.
    AtLeast(Duration),
}

impl Need {
    fn min(self, leeway: Duration, c: &Cached) -> Duration {
        match self {
            Need::AtLeast(min) => min,
            Need::Leeway => match c.tokens.expires_in() {
                Some(lifetime) => leeway.min(Duration::from_secs(lifetime) / 2),
                None => leeway,
            },
        }
    }
}

/// What a refresh starts from, copied from the state when it takes the single-flight slot.
struct Job {
    cached: Option<Cached>,
    unsaved: bool,
    in_store: Option<AccessToken>,
    refused: Option<String>,
    need: Need,
    deadline: Instant,
}

/// The single-flight slot, held by the thread that refreshes. Dropped without
/// [`finish`](Slot::finish) (a panic in a store or a callback), it still frees the slot and
/// wakes the waiters, who then refresh themselves.
struct Slot<'a> {
    manager: &'a TokenManager,
    finished: bool,
}

impl<'a> Slot<'a> {
    /// Frees the slot with this outcome; the caller wakes the waiters after dropping the
    /// returned guard.
    fn finish(mut self, outcome: &Result<()>, requests: u64) -> MutexGuard<'a, State> {
        self.finished = true;
        let mut st = self.manager.state();
        st.refreshing = false;
        st.generation += 1;
        st.refreshes += requests;
        st.last_outcome = Some(outcome.clone());
        st
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut st = self.manager.state();
        if let Some(p) = st.pending.take() {
            st.current = Some(p);
            st.unsaved = true;
        }
        st.refreshing = false;
        st.generation += 1;
        st.last_outcome = None;
        drop(st);
        self.manager.inner.done.notify_all();
    }
}

/// Configures a [`TokenManager`].
pub struct TokenManagerBuilder {
    client: Client,
    store: Arc<dyn TokenStore>,
    leeway: Duration,
    client_credentials: bool,
    credentials: Option<Box<CredentialsCallback>>,
    tokens_changed: Option<Box<TokensChangedCallback>>,
    max_attempts: u32,
    max_backoff: Duration,
    wait_timeout: Option<Duration>,
}

impl TokenManager {
    /// Starts configuring a manager for `client`.
    pub fn builder(client: Client) -> TokenManagerBuilder {
        TokenManagerBuilder {
            client,
            store: Arc::new(MemoryStore::new()),
            leeway: crate::DEFAULT_MANAGER_LEEWAY,
            client_credentials: false,
            credentials: None,
            tokens_changed: None,
            max_attempts: 3,
            max_backoff: Duration::from_secs(10),
            wait_timeout: None,
        }
    }
}

impl TokenManagerBuilder {
    /// Where token sets are kept. Defaults to a [`MemoryStore`].
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = store;
        self
    }

    /// A token valid for less than this is refreshed first. Defaults to 60 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Without a refresh token, run the client credentials grant again. Defaults to false.
    pub fn allow_client_credentials(mut self, allow: bool) -> Self {
        self.client_credentials = allow;
        self
    }

    /// Without a usable refresh token, run the password grant with the credentials this
    /// callback returns (`Ok(None)`: it has none, and a sign-in is needed). Defaults to none.
    pub fn password_credentials(
        mut self,
        callback: impl Fn() -> Result<Option<(String, Password)>> + Send + Sync + 'static,
    ) -> Self {
        self.credentials = Some(Box::new(callback));
        self
    }

    /// Calls `hook` with every new token set the manager obtains from the server (a
    /// refresh, a client credentials or password grant), once, after saving it to the
    /// store: for applications that also keep the tokens elsewhere (a database, the 1C
    /// infobase), so that they always hold the newest (rotated) refresh token.
    ///
    /// - It is called whether or not the save succeeded: the set is in use either way, and
    ///   the call that obtained it also returns the save's [`Error::Store`]. Sets passed to
    ///   [`TokenManager::set_tokens`] (the caller has them) and sets another process saved
    ///   to a shared store are not reported.
    /// - It runs on the thread that refreshed, while the other threads asking wait: keep
    ///   it short, and do not call this manager from it (no refresh, `set_tokens` or
    ///   `clear`). Do not log the set: it holds the tokens.
    /// - A panic in it is caught and logged (without the tokens): the set stays in use and
    ///   the manager keeps working.
    ///
    /// ```
    /// # let client = authgate::Client::builder(authgate::Provider::GearCode)
    /// #     .base_url("https://auth.gearcode.example").client_id("pos-42").client_secret("s").build()?;
    /// let manager = authgate::TokenManager::builder(client)
    ///     .on_tokens_changed(|tokens| {
    ///         // e.g. write tokens.to_json() to the application's database
    ///         let _ = tokens.refresh_token();
    ///     })
    ///     .build()?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn on_tokens_changed(mut self, hook: impl Fn(&TokenSet) + Send + Sync + 'static) -> Self {
        self.tokens_changed = Some(Box::new(hook));
        self
    }

    /// Attempts per token request for transient failures (connection refused, 503, 429),
    /// at least 1 ([`build`](Self::build) refuses 0). Defaults to 3.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The longest pause between attempts (a server's Retry-After is honoured up to this).
    /// Defaults to 10 s.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// How long a call waits for another thread's refresh, or for the store's lock held by
    /// another process, before giving up with [`Error::Timeout`]; greater than zero
    /// ([`build`](Self::build) refuses zero). Defaults to the time the refresh itself may
    /// take at most.
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = Some(timeout);
        self
    }

    /// Builds the manager. Nothing is read or sent until the first call.
    ///
    /// Fails with [`Error::Config`] for settings that cannot work: `max_attempts(0)` or a
    /// zero `wait_timeout`.
    pub fn build(self) -> Result<TokenManager> {
        validate::at_least_one(
            "max_attempts",
            self.max_attempts.into(),
            "one attempt, no retry",
            Error::Config,
        )?;
        if let Some(t) = self.wait_timeout {
            validate::timeout("wait_timeout", t, Error::Config)?;
        }
        let per_attempt = self.client.inner.http_timeout() + self.max_backoff;
        let wait_timeout = self.wait_timeout.unwrap_or_else(|| {
            per_attempt
                .saturating_mul(self.max_attempts)
                .saturating_add(Duration::from_secs(5))
        });
        Ok(TokenManager {
            inner: Arc::new(Inner {
                owner: self.client.owner(),
                client: self.client,
                store: self.store,
                leeway: self.leeway,
                client_credentials: self.client_credentials,
                credentials: self.credentials,
                tokens_changed: self.tokens_changed,
                max_attempts: self.max_attempts,
                max_backoff: self.max_backoff,
                wait_timeout,
                state: Mutex::new(State::default()),
                done: Condvar::new(),
            }),
        })
    }
}

impl TokenManager {
    /// The leeway: a token set valid for longer than this is not refreshed yet
    /// ([`TokenManagerBuilder::leeway`], [`crate::DEFAULT_MANAGER_LEEWAY`] by default).
    ///
    /// ```
    /// # let client = authgate::Client::builder(authgate::Provider::Cuba)
    /// #     .base_url("http://127.0.0.1:9").client_id("c").client_secret("s").build()?;
    /// let manager = authgate::TokenManager::builder(client).build()?;
    /// assert_eq!(manager.leeway(), authgate::DEFAULT_MANAGER_LEEWAY);
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn leeway(&self) -> Duration {
        self.inner.leeway
    }

    /// A valid access token: the cached one while it stays valid for longer than the
    /// leeway, else a refreshed one. When the server issues tokens that live less than
    /// twice the leeway, half their lifetime is the leeway.
    pub fn access_token(&self) -> Result<AccessToken> {
        self.valid(Need::Leeway, |t| t.access_token().clone())
    }

    /// [`access_token`](Self::access_token) handed to `f` instead of copied out: for a
    /// binding that copies the token into its own string type (a C string), so that no
    /// intermediate copy is made and wiped. `f` runs while the manager's state is locked:
    /// it must be quick and must not call the manager.
    ///
    /// ```no_run
    /// # let manager: authgate::TokenManager = unimplemented!();
    /// let header = manager.access_token_map(|t| format!("Bearer {t}"))?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn access_token_map<T>(&self, f: impl Fn(&str) -> T) -> Result<T> {
        self.valid(Need::Leeway, |t| f(t.access_token().secret()))
    }

    /// An access token guaranteed to stay valid at least `min` (refreshing first if
    /// needed), for an operation that must not fail halfway. Asking for longer than the
    /// server's tokens live is [`Error::InvalidArgument`].
    pub fn access_token_valid_for(&self, min: Duration) -> Result<AccessToken> {
        self.valid(Need::AtLeast(min), |t| t.access_token().clone())
    }

    /// The whole current token set, valid for longer than the leeway.
    pub fn token_set(&self) -> Result<TokenSet> {
        self.valid(Need::Leeway, TokenSet::clone)
    }

    /// Hands the manager the tokens of a sign-in; they are saved to the store at once.
    ///
    /// Tokens issued to another client are [`Error::InvalidArgument`], and a store that
    /// holds another client's set is not overwritten ([`Error::Store`]). If the save
    /// fails, the error is returned but the tokens are kept, used and saved on a later call.
    pub fn set_tokens(&self, tokens: TokenSet) -> Result<()> {
        let own = &self.inner.owner;
        if let Some(owner) = tokens.owner().filter(|o| *o != own) {
            return Err(Error::InvalidArgument(format!(
                "these tokens were issued to {owner}, not to this manager's {own}"
            )));
        }
        let tokens = self.stamped(tokens);
        let _lock = self.inner.store.lock_within(self.inner.wait_timeout)?;
        // Unreadable is fine (the new set replaces it); another client's set is not.
        let stored = self.load_raw().ok();
        if let Some(Some(s)) = &stored {
            self.check_owner(s)?;
        }
        let saved = self.save(&tokens);
        let mut st = self.state();
        if let Some(s) = stored {
            st.in_store = s.map(|s| s.access_token().clone());
        }
        st.loaded = true;
        st.refused = None;
        st.current = Some(Cached::new(tokens));
        self.saved(&mut st, saved)
    }

    /// After a 401 from the resource server: the next call refreshes, whatever the
    /// expiry said.
    pub fn invalidate(&self) {
        let mut st = self.state();
        if let Some(c) = &mut st.current {
            c.valid_until = Some(Instant::now());
        }
    }

    /// After a 401 for the token `rejected`: invalidates only if it is still the current
    /// one, so that many requests refused with the same token cause one refresh. Returns
    /// whether it invalidated.
    pub fn invalidate_token(&self, rejected: &str) -> bool {
        let mut st = self.state();
        match &mut st.current {
            Some(c) if c.tokens.access_token().secret() == rejected => {
                c.valid_until = Some(Instant::now());
                true
            }
            _ => false,
        }
    }

    /// The cached access token if it stays valid for at least `min`, without refreshing,
    /// waiting or reading the store: `None` otherwise. For callers that must never block
    /// (a UI thread deciding whether to start a refresh in the background).
    pub fn cached_access_token(&self, min: Duration) -> Option<AccessToken> {
        let st = self.state();
        st.current
            .as_ref()
            .filter(|c| c.valid_for(min))
            .map(|c| c.tokens.access_token().clone())
    }

    /// What [`access_token`](Self::access_token) returns when it needs no I/O: the cached
    /// token while it stays valid for longer than the (scaled) leeway and is saved; `None`
    /// otherwise, and also while another thread holds the manager's state (so it never
    /// waits, not even for a lock: a binding may call it holding its own interpreter lock).
    pub fn access_token_if_cached(&self) -> Option<AccessToken> {
        let st = match self.inner.state.try_lock() {
            Ok(st) => st,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        st.current
            .as_ref()
            .filter(|c| !st.unsaved && c.valid_for(Need::Leeway.min(self.inner.leeway, c)))
            .map(|c| c.tokens.access_token().clone())
    }

    /// Forgets the tokens, here and in the store (sign-out).
    pub fn clear(&self) -> Result<()> {
        let _lock = self.inner.store.lock_within(self.inner.wait_timeout)?;
        self.inner
            .store
            .clear()
            .map_err(|e| self.store_error(e, None))?;
        let mut st = self.state();
        st.current = None;
        st.loaded = true;
        st.unsaved = false;
        st.in_store = None;
        st.refused = None;
        Ok(())
    }

    /// How many token requests this manager has made (for tests and metrics).
    pub fn refresh_count(&self) -> u64 {
        self.state().refreshes
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data behind: keep going.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `pick` applied to a token set valid for what the call needs: on the hot path only
    /// the part the caller needs is copied, under the lock.
    fn valid<T>(&self, need: Need, pick: impl Fn(&TokenSet) -> T) -> Result<T> {
        // Read from the clock only when the call has to wait or refresh: the cached path
        // is a lock, one clock read and a copy.
        let mut deadline = None;
        let wait_timeout = self.inner.wait_timeout;
        let mut deadline = move || *deadline.get_or_insert_with(|| instant_after(wait_timeout));
        let leeway = self.inner.leeway;
        let mut st = self.state();
        if !st.loaded {
            // Read the store without the lock: it is I/O, and reading may log (a lenient
            // stored set), which must not happen while other threads wait on this lock.
            drop(st);
            let stored = self.load_store()?;
            st = self.state();
            if !st.loaded {
                st.in_store = stored.as_ref().map(|s| s.access_token().clone());
                st.current = stored.map(Cached::new);
                st.loaded = true;
            }
        }
        loop {
            if let Some(c) = &st.current {
                if c.valid_for(need.min(leeway, c)) {
                    // An unsaved set: this thread saves it, unless one is at it already.
                    if !st.unsaved || st.refreshing {
                        return Ok(pick(&c.tokens));
                    }
                    break;
                }
            }
            if !st.refreshing {
                break;
            }
            // Another thread is refreshing: wait for its outcome and share it.
            let generation = st.generation;
            while st.refreshing && st.generation == generation {
                let left = deadline().saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::Timeout(
                        "waiting for another thread's token refresh".into(),
                    ));
                }
                st = self
                    .inner
                    .done
                    .wait_timeout(st, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            if let Some(Err(e)) = &st.last_outcome {
                return Err(e.clone());
            }
            // Succeeded (or panicked): look again; refresh ourselves if still not enough.
        }

        st.refreshing = true;
        let job = Job {
            cached: st.current.clone(),
            unsaved: st.unsaved,
            in_store: st.in_store.clone(),
            refused: st.refused.clone(),
            need,
            deadline: deadline(),
        };
        drop(st);
        let slot = Slot {
            manager: self,
            finished: false,
        };
        let mut requests = 0;
        let outcome = self.renew(job, &mut requests);
        let st = slot.finish(&outcome, requests);
        let result = outcome.and_then(|()| match &st.current {
            Some(c) if c.valid_for(need.min(leeway, c)) => Ok(pick(&c.tokens)),
            Some(c) => {
                let lifetime = c
                    .tokens
                    .expires_in()
                    .map_or("an unknown time".to_owned(), |s| format!("{s} s"));
                Err(Error::InvalidArgument(format!(
                    "the server issues tokens valid for {lifetime}, not the {} s asked for",
                    need.min(leeway, c).as_secs()
                )))
            }
            None => Err(Error::SignInRequired("no tokens yet; sign in first".into())),
        });
        drop(st);
        self.inner.done.notify_all();
        result
    }

    /// Brings `current` up to date under the store lock: adopts a set another process
    /// saved, saves an unsaved one, or obtains a new one (saved before anyone sees it).
    /// Counts the token requests made in `requests`.
    fn renew(&self, job: Job, requests: &mut u64) -> Result<()> {
        let inner = &self.inner;
        // A store out of reach (Redis down, a file an antivirus holds): a valid set that
        // only waits to be saved is still handed out; the save is tried again on the next
        // call. Whatever the store does, a new set is never obtained without its lock.
        let serve_unsaved = job.unsaved
            && job
                .cached
                .as_ref()
                .is_some_and(|c| c.valid_for(job.need.min(inner.leeway, c)));
        let lock = match inner.store.lock_within(left(job.deadline)) {
            Ok(lock) => lock,
            Err(e) if serve_unsaved => {
                log::warn!(target: "authgate", "{e}; the unsaved tokens stay in use");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        // Another process may have refreshed while we waited for the lock.
        let stored = match self.load_store() {
            Ok(stored) => stored,
            Err(e) if serve_unsaved => {
                log::warn!(target: "authgate", "{e}; the unsaved tokens stay in use");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let theirs_since = stored.as_ref().map(|s| s.access_token().secret())
            != job.in_store.as_ref().map(|a| a.secret());
        let ours = job.cached.filter(|c| {
            // Ours wins while unsaved (unless they saved since), or while it is the stored
            // one (then it keeps an invalidation).
            (job.unsaved && !theirs_since)
                || stored.is_none()
                || c.same_access_token(stored.as_ref())
        });
        let unsaved = job.unsaved && ours.is_some();
        let base = ours.or_else(|| stored.clone().map(Cached::new));
        let refused = job.refused.filter(|_| !theirs_since);
        {
            let mut st = self.state();
            st.in_store = stored.as_ref().map(|s| s.access_token().clone());
            st.current = base.clone();
            st.unsaved = unsaved;
            st.refused = refused.clone();
        }

        if let Some(b) = base
            .as_ref()
            .filter(|b| b.valid_for(job.need.min(inner.leeway, b)))
        {
            if unsaved {
                // Saved now, or on a later call: either way this set is the one to use.
                let saved = self.save(&self.stamped(b.tokens.clone()));
                let saved = self.saved(&mut self.state(), saved);
                if let Err(e) = saved {
                    log::warn!(target: "authgate", "{e}");
                }
            }
            return Ok(());
        }

        let mut refused = refused;
        if let Some(b) = &base {
            if let Some(rt) = b.tokens.refresh_token() {
                match self.with_retries(requests, true, || inner.client.refresh(rt).send()) {
                    Ok(tokens) => return self.keep(tokens),
                    Err(e) if e.code() == ErrorCode::InvalidGrant => {
                        // Re-read once more: a store without a lock may have been rotated
                        // meanwhile by someone else; their set is the one to use.
                        if let Ok(Some(s)) = self.load_store() {
                            if s.refresh_token().map(|r| r.secret()) != Some(rt.secret())
                                && Cached::new(s.clone()).valid_for(job.need.min(inner.leeway, b))
                            {
                                return self.keep_stored(s);
                            }
                        }
                        refused = Some(format!("the refresh token was refused: {e}"));
                        self.forget_refresh_token(b, refused.clone());
                    }
                    Err(e) => return Err(e),
                }
            }
        }

        if inner.client_credentials {
            let tokens =
                self.with_retries(requests, false, || inner.client.client_credentials().send())?;
            return self.keep(tokens);
        }
        let why = || {
            Error::SignInRequired(match (&refused, &base) {
                (Some(why), _) => why.clone(),
                (None, None) => "no tokens yet; sign in first".to_owned(),
                (None, Some(_)) => {
                    "the access token expired and there is no refresh token".to_owned()
                }
            })
        };
        let Some(callback) = &inner.credentials else {
            return Err(why());
        };
        // The user may take their time (a cashier's prompt): other processes must not wait
        // for the store lock meanwhile.
        drop(lock);
        let Some((user, password)) = callback()? else {
            return Err(why());
        };
        // The time the user took does not count against the wait for the lock.
        let _lock = inner.store.lock_within(inner.wait_timeout)?;
        if let Some(s) = self.load_store()? {
            let fresh = Cached::new(s.clone());
            let seen = self
                .state()
                .in_store
                .as_ref()
                .map(|a| a.secret().to_owned());
            if seen.as_deref() != Some(s.access_token().secret())
                && fresh.valid_for(job.need.min(inner.leeway, &fresh))
            {
                return self.keep_stored(s); // someone signed in meanwhile
            }
        }
        match self.with_retries(requests, false, || {
            inner.client.password(user.as_str(), &password).send()
        }) {
            Ok(tokens) => self.keep(tokens),
            Err(e) if e.code() == ErrorCode::InvalidGrant => Err(Error::SignInRequired(format!(
                "the password grant was refused: {e}"
            ))),
            Err(e) => Err(e),
        }
    }

    /// Saves a new token set before anyone sees it. If the save fails, the set is kept
    /// (its refresh token may be the only live one) and saved on a later call.
    fn keep(&self, tokens: TokenSet) -> Result<()> {
        let tokens = self.stamped(tokens);
        self.state().pending = Some(Cached::new(tokens.clone()));
        let saved = self.save(&tokens);
        let mut st = self.state();
        st.current = st.pending.take();
        st.refused = None;
        let saved = self.saved(&mut st, saved);
        drop(st);
        self.tokens_changed(&tokens);
        saved
    }

    /// Tells the application's hook of a new set (already `current`, so that a panic in
    /// the hook loses nothing).
    fn tokens_changed(&self, tokens: &TokenSet) {
        let Some(hook) = &self.inner.tokens_changed else {
            return;
        };
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(tokens)));
        if called.is_err() {
            log::warn!(
                target: "authgate",
                "the tokens-changed hook panicked; the new tokens stay in use"
            );
        }
    }

    /// Uses a set found in the store (another process's).
    fn keep_stored(&self, tokens: TokenSet) -> Result<()> {
        let mut st = self.state();
        st.in_store = Some(tokens.access_token().clone());
        st.current = Some(Cached::new(tokens));
        st.unsaved = false;
        st.refused = None;
        Ok(())
    }

    /// Records the outcome of saving `current`.
    fn saved(&self, st: &mut State, saved: Result<()>) -> Result<()> {
        match saved {
            Ok(()) => {
                st.unsaved = false;
                st.in_store = st.current.as_ref().map(|c| c.tokens.access_token().clone());
                Ok(())
            }
            Err(Error::Store(why)) => {
                st.unsaved = true;
                Err(Error::Store(why.context(
                    "the new tokens are kept in memory and saved on the next call",
                )))
            }
            Err(e) => {
                st.unsaved = true;
                Err(e)
            }
        }
    }

    /// After `invalid_grant`: the dead refresh token leaves the current set and the store,
    /// so that the next call does not send it again.
    fn forget_refresh_token(&self, base: &Cached, why: Option<String>) {
        let tokens = self.stamped(base.tokens.without_refresh_token());
        let saved = self.save(&tokens);
        let mut st = self.state();
        st.current = Some(Cached {
            tokens,
            valid_until: base.valid_until,
        });
        st.refused = why;
        let saved = self.saved(&mut st, saved);
        drop(st); // logging may need the caller's interpreter lock: not under ours
        if let Err(e) = saved {
            log::warn!(target: "authgate", "{e}");
        }
    }

    /// Saves `tokens` to the store. A store of the integrator's may quote what it was
    /// given in its error ("cannot write {json}"): the error leaves scrubbed of the set's
    /// tokens and the client's secret.
    fn save(&self, tokens: &TokenSet) -> Result<()> {
        self.inner
            .store
            .save(tokens)
            .map_err(|e| self.store_error(e, Some(tokens)))
    }

    /// Reads the store, its error scrubbed like [`save`](Self::save)'s (a store may quote
    /// the text it could not read): of the tokens this manager holds, if any, and of the
    /// value of every token-named field.
    fn load_raw(&self) -> Result<Option<TokenSet>> {
        self.inner.store.load().map_err(|e| {
            // Never wait here: a caller may hold the state (none does today).
            let held = self
                .inner
                .state
                .try_lock()
                .ok()
                .and_then(|st| st.current.as_ref().map(|c| c.tokens.clone()));
            self.store_error(e, held.as_ref())
        })
    }

    /// A store's error without the tokens of `tokens` or the client's secret in it.
    fn store_error(&self, e: Error, tokens: Option<&TokenSet>) -> Error {
        let mut scrubber = Scrubber::default();
        if let Some(secret) = &self.inner.client.inner.client_secret {
            scrubber.add(secret.secret());
        }
        match tokens {
            Some(t) => t.scrubbing(scrubber).store_error(e),
            None => scrubber.store_error(e),
        }
    }

    /// The store's set, refused if it belongs to another client.
    fn load_store(&self) -> Result<Option<TokenSet>> {
        let stored = self.load_raw()?;
        if let Some(s) = &stored {
            self.check_owner(s)?;
        }
        Ok(stored)
    }

    /// Refuses a stored set of another client (sets of older versions have no owner).
    fn check_owner(&self, stored: &TokenSet) -> Result<()> {
        let own = &self.inner.owner;
        match stored.owner() {
            Some(owner) if owner != own => Err(Error::store(format!(
                "the stored token set belongs to {owner}, not to this {own}: give each client \
                 its own store (file), or clear this one and sign in again"
            ))),
            _ => Ok(()),
        }
    }

    /// `tokens`, with this manager's client as their owner if they have none (a set
    /// stored by an older version, or parsed by the caller).
    fn stamped(&self, mut tokens: TokenSet) -> TokenSet {
        if tokens.owner().is_none() {
            tokens.set_owner(self.inner.owner.clone());
        }
        tokens
    }

    /// Runs a token request, retrying the failures where the request provably did not
    /// reach the server: a refused connection, DNS, a connect timeout. A request that
    /// `spends` nothing (client credentials, password) is also retried after a 503 / 429;
    /// a refresh is not, since a proxy may have passed it on and the server rotated the
    /// refresh token.
    fn with_retries(
        &self,
        requests: &mut u64,
        spends: bool,
        mut send: impl FnMut() -> Result<TokenSet>,
    ) -> Result<TokenSet> {
        let mut backoff = Duration::from_millis(200);
        for attempt in 1.. {
            *requests += 1;
            let err = match send() {
                Ok(t) => return Ok(t),
                Err(e) => e,
            };
            let unsent = crate::http::never_sent(&err);
            let refused_for_now = !spends && matches!(err.http_status(), Some(503 | 429));
            if !(unsent || refused_for_now) || attempt >= self.inner.max_attempts {
                return Err(err);
            }
            let pause = match err.retry_after() {
                Some(ra) => ra.min(self.inner.max_backoff),
                None => jitter(backoff.min(self.inner.max_backoff)),
            };
            log::info!(target: "authgate", "token request failed ({}); retrying in {pause:?}", err.code().name());
            std::thread::sleep(pause);
            backoff = backoff.saturating_mul(2);
        }
        unreachable!("the loop returns")
    }
}

/// What is left until `deadline`.
fn left(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// A pause between half and the whole of `d`, so that many clients do not retry in step.
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    let r = SystemRandom::new()
        .fill(&mut b)
        .map(|_| u16::from_le_bytes(b))
        .unwrap_or(0);
    d / 2 + d.mul_f64(f64::from(r) / f64::from(u16::MAX) / 2.0)
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("client", &self.inner.client)
            .field("leeway", &self.inner.leeway)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for TokenManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManagerBuilder")
            .finish_non_exhaustive()
    }
}

//! The token manager: a valid access token on demand, refreshed once however many threads
//! ask, stored before it is handed out, and never losing a rotated refresh token.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use ring::rand::{SecureRandom, SystemRandom};

use crate::cancel::instant_after;
use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::{AccessToken, Password};
use crate::store::{MemoryStore, TokenStore};
use crate::token_set::TokenSet;

/// Supplies the username and password when the manager has to run the password grant
/// again; `Ok(None)` when it has none (the manager then reports why a sign-in is needed).
pub type CredentialsCallback = dyn Fn() -> Result<Option<(String, Password)>> + Send + Sync;

/// Keeps an access token fresh for the whole process.
///
/// - [`access_token`](Self::access_token) returns the cached token while it stays valid for
///   longer than the leeway, and refreshes it otherwise: with the refresh token when there is
///   one, else by running the client credentials grant (if allowed) or the password grant
///   (if a credentials callback was given).
/// - One refresh at a time: threads asking meanwhile wait (bounded) for its result, and a
///   failure is reported to every one of them.
/// - Every new token set is saved to the [`TokenStore`] before anyone gets it. With a
///   [`crate::FileStore`], processes sharing the file take its lock to refresh, re-read it
///   first, and use a set another process has just rotated instead of spending a dead
///   refresh token.
/// - Expiry is tracked on the monotonic clock; a wall clock that jumps changes nothing.
/// - Connection failures before the request was sent, and 503 / 429 answers, are retried
///   with bounded, jittered backoff; `invalid_grant` becomes [`Error::SignInRequired`].
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
    store: Arc<dyn TokenStore>,
    leeway: Duration,
    client_credentials: bool,
    credentials: Option<Box<CredentialsCallback>>,
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
    refreshing: bool,
    /// Bumped when a refresh finishes; waiters compare it to know their refresh is over.
    generation: u64,
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
}

/// Configures a [`TokenManager`].
pub struct TokenManagerBuilder {
    client: Client,
    store: Arc<dyn TokenStore>,
    leeway: Duration,
    client_credentials: bool,
    credentials: Option<Box<CredentialsCallback>>,
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
            leeway: Duration::from_secs(60),
            client_credentials: false,
            credentials: None,
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
    /// another process, before giving up with [`Error::Timeout`]; more than zero
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
        if self.max_attempts == 0 {
            return Err(Error::Config(
                "max_attempts must be at least 1 (one attempt, no retry)".into(),
            ));
        }
        if self.wait_timeout == Some(Duration::ZERO) {
            return Err(Error::Config(
                "wait_timeout must be more than zero (a call could never wait for a refresh)"
                    .into(),
            ));
        }
        let per_attempt = self.client.inner.http_timeout() + self.max_backoff;
        let wait_timeout = self.wait_timeout.unwrap_or_else(|| {
            per_attempt
                .saturating_mul(self.max_attempts)
                .saturating_add(Duration::from_secs(5))
        });
        Ok(TokenManager {
            inner: Arc::new(Inner {
                client: self.client,
                store: self.store,
                leeway: self.leeway,
                client_credentials: self.client_credentials,
                credentials: self.credentials,
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
    /// A valid access token: the cached one while it stays valid for longer than the
    /// leeway, else a refreshed one.
    pub fn access_token(&self) -> Result<AccessToken> {
        self.access_token_valid_for(self.inner.leeway)
    }

    /// An access token guaranteed to stay valid at least `min` (refreshing first if
    /// needed), for an operation that must not fail halfway.
    pub fn access_token_valid_for(&self, min: Duration) -> Result<AccessToken> {
        self.valid(min, |t| t.access_token().clone())
    }

    /// The whole current token set, valid for longer than the leeway.
    pub fn token_set(&self) -> Result<TokenSet> {
        self.valid(self.inner.leeway, TokenSet::clone)
    }

    /// Hands the manager the tokens of a sign-in; they are saved to the store at once.
    pub fn set_tokens(&self, tokens: TokenSet) -> Result<()> {
        let _lock = self.inner.store.lock()?;
        self.inner.store.save(&tokens)?;
        let mut st = self.state();
        st.loaded = true;
        st.current = Some(Cached::new(tokens));
        Ok(())
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

    /// Forgets the tokens, here and in the store (sign-out).
    pub fn clear(&self) -> Result<()> {
        let _lock = self.inner.store.lock()?;
        self.inner.store.clear()?;
        let mut st = self.state();
        st.current = None;
        st.loaded = true;
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

    /// `pick` applied to a token set valid for `min`: on the hot path only the part the
    /// caller needs is copied, under the lock.
    fn valid<T>(&self, min: Duration, pick: impl Fn(&TokenSet) -> T) -> Result<T> {
        let deadline = instant_after(self.inner.wait_timeout);
        let mut st = self.state();
        if !st.loaded {
            // Read the store without the lock: it is I/O, and reading may log (a lenient
            // stored set), which must not happen while other threads wait on this lock.
            drop(st);
            let stored = self.inner.store.load()?.map(Cached::new);
            st = self.state();
            if !st.loaded {
                st.current = stored;
                st.loaded = true;
            }
        }
        loop {
            if let Some(c) = &st.current {
                if c.valid_for(min) {
                    return Ok(pick(&c.tokens));
                }
            }
            if !st.refreshing {
                break;
            }
            // Another thread is refreshing: wait for its outcome and share it.
            let generation = st.generation;
            while st.refreshing && st.generation == generation {
                let left = deadline.saturating_duration_since(Instant::now());
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
            // Succeeded: loop to check that the new token is valid for long enough.
            if st.current.as_ref().is_some_and(|c| c.valid_for(min)) {
                continue;
            }
            // Valid, but not for `min`: refresh again ourselves.
            if !st.refreshing {
                break;
            }
        }

        st.refreshing = true;
        let cached = st.current.clone();
        drop(st);
        let outcome = self.renew(cached, min);
        let mut st = self.state();
        st.refreshing = false;
        st.generation += 1;
        let result = match outcome {
            Ok((tokens, requests)) => {
                st.refreshes += requests;
                let cached = Cached::new(tokens.clone());
                let long_enough = cached.valid_for(min);
                st.current = Some(cached);
                st.last_outcome = Some(Ok(()));
                if long_enough {
                    Ok(pick(&tokens))
                } else {
                    let lifetime = tokens
                        .expires_in()
                        .map_or("an unknown time".to_owned(), |s| format!("{s} s"));
                    Err(Error::InvalidArgument(format!(
                        "the server issues tokens valid for {lifetime}, not the {} s asked for",
                        min.as_secs()
                    )))
                }
            }
            Err((e, requests)) => {
                st.refreshes += requests;
                st.last_outcome = Some(Err(e.clone()));
                Err(e)
            }
        };
        drop(st);
        self.inner.done.notify_all();
        result
    }

    /// Obtains a new token set under the store lock. Returns it (saved) and the number of
    /// token requests made.
    fn renew(
        &self,
        cached: Option<Cached>,
        min: Duration,
    ) -> std::result::Result<(TokenSet, u64), (Error, u64)> {
        let inner = &self.inner;
        let mut requests = 0;
        let _lock = inner.store.lock().map_err(|e| (e, 0))?;
        // Another process may have refreshed while we waited for the lock.
        let stored = inner.store.load().map_err(|e| (e, 0))?;
        if let Some(s) = &stored {
            let fresh = Cached::new(s.clone());
            let newer = cached
                .as_ref()
                .is_none_or(|c| c.tokens.access_token().secret() != s.access_token().secret());
            if newer && fresh.valid_for(min) {
                return Ok((s.clone(), 0));
            }
        }
        let current = stored.or(cached.map(|c| c.tokens));

        let mut refused = None;
        if let Some(rt) = current.as_ref().and_then(|t| t.refresh_token()) {
            match self.with_retries(&mut requests, || inner.client.refresh(rt).send()) {
                Ok(tokens) => return self.keep(tokens, requests),
                Err(e) if e.code() == ErrorCode::InvalidGrant => {
                    // Re-read once more: a store without a lock may have been rotated
                    // meanwhile by someone else; their set is the one to use.
                    if let Ok(Some(s)) = inner.store.load() {
                        if s.refresh_token().map(|r| r.secret()) != Some(rt.secret())
                            && Cached::new(s.clone()).valid_for(min)
                        {
                            return Ok((s, requests));
                        }
                    }
                    refused = Some(e);
                }
                Err(e) => return Err((e, requests)),
            }
        }

        if inner.client_credentials {
            let r = self.with_retries(&mut requests, || inner.client.client_credentials().send());
            return match r {
                Ok(tokens) => self.keep(tokens, requests),
                Err(e) => Err((e, requests)),
            };
        }
        let asked = match &inner.credentials {
            Some(callback) => callback().map_err(|e| (e, requests))?,
            None => None,
        };
        if let Some((user, password)) = asked {
            let r = self.with_retries(&mut requests, || {
                inner.client.password(user.as_str(), &password).send()
            });
            return match r {
                Ok(tokens) => self.keep(tokens, requests),
                Err(e) if e.code() == ErrorCode::InvalidGrant => Err((
                    Error::SignInRequired(format!("the password grant was refused: {e}")),
                    requests,
                )),
                Err(e) => Err((e, requests)),
            };
        }
        let why = match refused {
            Some(e) => format!("the refresh token was refused: {e}"),
            None if current.is_none() => "no tokens yet; sign in first".to_owned(),
            None => "the access token expired and there is no refresh token".to_owned(),
        };
        Err((Error::SignInRequired(why), requests))
    }

    /// Saves a new token set before anyone sees it.
    fn keep(
        &self,
        tokens: TokenSet,
        requests: u64,
    ) -> std::result::Result<(TokenSet, u64), (Error, u64)> {
        match self.inner.store.save(&tokens) {
            Ok(()) => Ok((tokens, requests)),
            // The new refresh token exists only in memory now: keep it there so the session
            // survives while the process lives, and report the store failure.
            Err(e) => {
                let mut st = self.state();
                st.current = Some(Cached::new(tokens));
                Err((e, requests))
            }
        }
    }

    /// Runs a token request, retrying the failures where the request provably did not
    /// take effect: a refused connection, DNS, or a 503 / 429 answer.
    fn with_retries(
        &self,
        requests: &mut u64,
        mut send: impl FnMut() -> Result<TokenSet>,
    ) -> Result<TokenSet> {
        let mut backoff = Duration::from_millis(200);
        for attempt in 1.. {
            *requests += 1;
            let err = match send() {
                Ok(t) => return Ok(t),
                Err(e) => e,
            };
            let retryable = matches!(err.code(), ErrorCode::Connect | ErrorCode::Dns)
                || matches!(err.http_status(), Some(503 | 429));
            if !retryable || attempt >= self.inner.max_attempts {
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

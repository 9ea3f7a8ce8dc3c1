//! [`RedisStore`]: one token set shared by many machines through one Redis (or Valkey).

use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use redis::{Connection, ConnectionLike, RedisResult, Script};
use zeroize::Zeroize;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::TrustRoots;
use crate::seal::{self, StoreKey};
use crate::store::{StoreLock, TokenStore};
use crate::token_set::TokenSet;

/// Takes the lock (`SET NX PX` with the caller's random value) and hands out a fencing
/// number newer than any stored set's. KEYS: lock, fence, tokens; ARGV: value, expiry ms.
/// An attempt whose answer was lost finds its own value and takes the lock again.
const LOCK: &str = r"
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local fence = redis.call('INCR', KEYS[2])
local stored = tonumber(redis.call('HGET', KEYS[3], 'gen')) or 0
if fence <= stored then
  fence = stored + 1
  redis.call('SET', KEYS[2], fence)
end
return fence
";

/// Extends the lock's expiry if the caller still owns it. KEYS: lock; ARGV: value, ms.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Releases the lock if the caller still owns it (never another holder's). KEYS: lock;
/// ARGV: value (and the expiry, unused).
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Writes (or, with an empty set, clears) the token set with its generation, unless the
/// stored generation is newer: then returns it and writes nothing. KEYS: tokens, fence;
/// ARGV: the set's JSON or '', the writer's fencing number or '' (none: a new one).
const WRITE: &str = r"
local gen = tonumber(ARGV[2])
if not gen then gen = redis.call('INCR', KEYS[2]) end
local stored = tonumber(redis.call('HGET', KEYS[1], 'gen')) or 0
if gen < stored then return stored end
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], 'set')
  redis.call('HSET', KEYS[1], 'gen', gen)
else
  redis.call('HSET', KEYS[1], 'set', ARGV[1], 'gen', gen)
end
return 0
";

/// A store in Redis (or Valkey), shared by every process on every machine that uses the
/// same client registration: for a fleet of servers or tills with one client id, where
/// each machine refreshing on its own would spend the others' rotating refresh token.
/// Needs the cargo feature `redis`.
///
/// - **One key per client**: the set lives in the hash `authgate:<token endpoint>#<client
///   id>:tokens` (fields `set`, the JSON of [`TokenSet::to_json`], and `gen`), written in
///   one atomic script. Several clients can share one Redis.
/// - **A distributed lock** (`…:lock`): `SET NX PX` with a random value, released only by
///   its owner (a compare-and-delete script). While it is held, a background thread extends
///   its expiry every third of [`lock_expiry`](Self::lock_expiry); a holder that dies (or
///   freezes) stops extending it, and the others take it once it expires.
///   [`lock_within`](TokenStore::lock_within) waits at most its timeout, then fails with
///   [`Error::Timeout`].
/// - **Fencing**: every lock taken gets a number (`…:fence`) newer than the stored set's
///   generation, and a save made under a lock writes that number with the set. A save
///   whose number is older than the stored generation (its lock expired during a pause,
///   and another holder has saved since) is refused with [`Error::Store`]: an older set
///   never overwrites a newer one. A save outside any lock of this store counts as newest.
/// - **Outages**: every Redis failure is an [`Error::Store`] that names the server (never
///   the URL, which may hold a password); one that leaves Redis out of reach (down,
///   restarting, loading) is an outage ([`StoreError::is_outage`], and
///   [`Error::is_transient`] is true), while bad data or a refused write is not. The
///   connection is made again on the next call. Reads and writes time out after
///   [`timeout`](Self::timeout). The token manager keeps handing out a cached token that
///   is still valid while Redis is down; a new one whose save failed is reported by the
///   call that obtained it, then used while valid and saved once Redis is back.
///
/// [`StoreError::is_outage`]: crate::StoreError::is_outage
/// - **Durability**: a save is as durable as the server makes it. Run Redis with
///   `appendonly yes` and `appendfsync always` (a save is rare: one per token lifetime):
///   a Redis that restarts without its data forgets the set, and the next sign-in is
///   needed once every process has restarted.
/// - Not for Redis Cluster (the scripts use three keys of one client); a single server,
///   or a primary with replicas and Sentinel, is what it expects. `redis://`,
///   `redis+unix://` and, encrypted in transit, `rediss://` URLs (TLS, for managed Redis:
///   ElastiCache, Azure Cache, Redis Cloud). Restrict who can reach the server
///   (`requirepass` or an ACL user, in the URL as `redis://user:password@host:port/db`),
///   and seal the stored set with [`encrypted`](Self::encrypted) so that Redis's dumps and
///   replicas hold no token.
/// - **TLS** (`rediss://`): the server's certificate is checked against the client's
///   [`TrustRoots`] (the bundled roots, or `SSL_CERT_FILE` / `SSL_CERT_DIR`, the system
///   store, or the client's CA file), or against the CA file given with
///   [`ca_file`](Self::ca_file) (a private CA of the Redis server). A certificate that is
///   not trusted, not issued for the URL's host, or expired is an [`Error::Store`] that
///   is not an outage (a configuration to fix, not a wait), naming the server and saying
///   why. A plain-text port on a `rediss://` URL never answers the TLS hello: it times out
///   as an outage would, and the message says to check the port.
///
/// ```no_run
/// use std::sync::Arc;
/// use authgate::{Client, Provider, RedisStore, TokenManager};
/// let client = Client::builder(Provider::GearCode)
///     .base_url("https://auth.gearcode.example")
///     .client_id("pos-42")
///     .client_secret("s3cret")
///     .build()?;
/// let store = RedisStore::new("redis://10.0.0.5:6379/0", &client)?;
/// let manager = TokenManager::builder(client).store(Arc::new(store)).build()?;
/// # Ok::<(), authgate::Error>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
}

struct Shared {
    cfg: Config,
    scripts: Scripts,
    /// One connection, made on first use and again after a failure.
    conn: Mutex<Option<Connection>>,
    /// The locks this store holds now, by thread: a save on a thread that holds one is
    /// fenced with its number.
    held: Mutex<Vec<HeldLock>>,
}

#[derive(Clone)]
struct Config {
    client: redis::Client,
    /// `host:port` or the socket path: for messages (the URL may hold a password).
    server: String,
    /// For a `rediss://` URL: where trusted certificates come from, in words.
    trust: Option<String>,
    tokens_key: String,
    lock_key: String,
    fence_key: String,
    lock_expiry: Duration,
    timeout: Duration,
    /// The key that seals the stored set, if any.
    key: Option<Arc<StoreKey>>,
}

impl Shared {
    fn new(cfg: Config) -> Shared {
        Shared {
            cfg,
            scripts: Scripts {
                lock: Script::new(LOCK),
                renew: Script::new(RENEW),
                unlock: Script::new(UNLOCK),
                write: Script::new(WRITE),
            },
            conn: Mutex::new(None),
            held: Mutex::new(Vec::new()),
        }
    }
}

/// A copy for a store whose settings change: the same settings, its own connection, no
/// lock held.
impl Clone for Shared {
    fn clone(&self) -> Shared {
        Shared::new(self.cfg.clone())
    }
}

struct Scripts {
    lock: Script,
    renew: Script,
    unlock: Script,
    write: Script,
}

struct HeldLock {
    thread: ThreadId,
    value: String,
    fence: i64,
}

impl RedisStore {
    /// How long the lock lives without being extended: 10 s. Its holder extends it every
    /// third of that while it refreshes, so this is how long a dead holder keeps the others
    /// waiting, not a limit on how long a refresh may take.
    pub const DEFAULT_LOCK_EXPIRY: Duration = Duration::from_secs(10);

    /// The connect, read and write timeout of every Redis command: 2 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

    /// How long [`lock`](TokenStore::lock) waits for another holder: 30 s.
    pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(30);

    /// While Redis cannot be reached, how long a lock attempt keeps trying (a restart)
    /// before it fails with [`Error::Store`]: 2 s, or less if its timeout is shorter.
    pub const OUTAGE_WAIT: Duration = Duration::from_secs(2);

    /// A store for `client`'s token set in the Redis at `url` (`redis://[user:password@]
    /// host[:port][/db]` or `redis+unix:///path/to/socket[?db=N]`). Nothing is connected
    /// until the first use.
    ///
    /// `rediss://` connects over TLS and trusts what `client` trusts
    /// ([`ClientBuilder::trust_roots`](crate::ClientBuilder::trust_roots)); see
    /// [`ca_file`](Self::ca_file) for a Redis server with its own CA.
    ///
    /// A URL that cannot be used is [`Error::Config`] (its text is not repeated: it may
    /// hold a password), as are trust roots that cannot be read.
    pub fn new(url: &str, client: &Client) -> Result<RedisStore> {
        let redis = redis::Client::open(url)
            .map_err(|e| Error::Config(format!("the Redis URL cannot be used: {e}")))?;
        let server = redis.get_connection_info().addr().to_string();
        let (redis, trust) = if is_tls(&redis) {
            with_roots(&redis, &client.inner.http.trust_roots, &server)?
        } else {
            (redis, None)
        };
        let ns = format!(
            "authgate:{}#{}",
            client.token_endpoint(),
            client.client_id()
        );
        Ok(RedisStore {
            shared: Arc::new(Shared::new(Config {
                client: redis,
                server,
                trust,
                tokens_key: format!("{ns}:tokens"),
                lock_key: format!("{ns}:lock"),
                fence_key: format!("{ns}:fence"),
                lock_expiry: Self::DEFAULT_LOCK_EXPIRY,
                timeout: Self::DEFAULT_TIMEOUT,
                key: None,
            })),
        })
    }

    /// How long the lock lives unless its holder extends it (at least 100 ms; less is
    /// taken as 100 ms). Defaults to [`DEFAULT_LOCK_EXPIRY`](Self::DEFAULT_LOCK_EXPIRY).
    /// Set it before the store is shared (clones made earlier keep the old value).
    pub fn lock_expiry(mut self, expiry: Duration) -> Self {
        self.settings().lock_expiry = expiry.max(Duration::from_millis(100));
        self
    }

    /// The connect, read and write timeout of each Redis command (at least 10 ms).
    /// Defaults to [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings().timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// Seals the stored set with `key` (32 bytes), exactly as [`FileStore::encrypted`]
    /// seals its file (ChaCha20-Poly1305, a new random nonce per save, the same format): a
    /// copy of Redis's data (a dump, a replica, a backup) reveals no token without the key.
    /// Every process sharing the set needs the same key; a set sealed with another key is
    /// [`Error::Store`] saying the key does not match, and a plain set (stored before
    /// encryption was turned on) is read and sealed on the next save.
    ///
    /// [`FileStore::encrypted`]: crate::FileStore::encrypted
    pub fn encrypted(mut self, key: [u8; 32]) -> Self {
        self.settings().key = Some(StoreKey::new(key));
        self
    }

    /// [`encrypted`](Self::encrypted) with the key as a slice, which must be 32 bytes long
    /// ([`Error::InvalidArgument`] otherwise): for the bindings.
    pub fn encrypted_with(self, key: &[u8]) -> Result<Self> {
        Ok(self.encrypted(StoreKey::from_slice(key)?))
    }

    /// For a `rediss://` URL: trusts only the certificates in the PEM file `path` (the CA
    /// of the Redis server, often a private one) instead of the client's trust roots.
    ///
    /// [`Error::Config`] if the file cannot be read or holds no certificate, or if the URL
    /// is not `rediss://` (a CA file would have no effect).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Result<Self> {
        let cfg = &self.shared.cfg;
        if !is_tls(&cfg.client) {
            return Err(Error::Config(format!(
                "a CA file was given for the Redis server at {}, but its URL is not rediss:// \
                 (no TLS): use rediss:// for TLS, or leave the CA file out",
                cfg.server
            )));
        }
        let (client, trust) =
            with_roots(&cfg.client, &TrustRoots::CaFile(path.into()), &cfg.server)?;
        let cfg = self.settings();
        cfg.client = client;
        cfg.trust = trust;
        Ok(self)
    }

    /// Whether the stored set is sealed (a key was given).
    pub fn is_encrypted(&self) -> bool {
        self.shared.cfg.key.is_some()
    }

    /// The Redis key of the token set (a hash: fields `set` and `gen`).
    pub fn key(&self) -> &str {
        &self.shared.cfg.tokens_key
    }

    /// The settings, copied first if a clone shares them.
    fn settings(&mut self) -> &mut Config {
        &mut Arc::make_mut(&mut self.shared).cfg
    }

    /// The fencing number of the lock this thread holds, if any.
    fn my_fence(&self) -> Option<i64> {
        let me = std::thread::current().id();
        lock(&self.shared.held)
            .iter()
            .rev()
            .find(|h| h.thread == me)
            .map(|h| h.fence)
    }

    /// Writes `json` ('' clears) fenced with this thread's lock, if it holds one.
    fn write(&self, json: &str, what: &str) -> Result<()> {
        let s = &self.shared;
        let fence = self.my_fence().map(|f| f.to_string()).unwrap_or_default();
        let stored: i64 = s.run(what, |c| {
            s.scripts
                .write
                .key(&s.cfg.tokens_key)
                .key(&s.cfg.fence_key)
                .arg(json)
                .arg(&fence)
                .invoke(c)
        })?;
        if stored == 0 {
            return Ok(());
        }
        Err(Error::store(format!(
            "did not {what} in Redis at {}: another process saved a newer token set \
             (generation {stored}, this lock's {fence}) after this process's lock expired \
             (a pause longer than the lock expiry of {} ms); the newer set stays",
            s.cfg.server,
            s.cfg.lock_expiry.as_millis()
        )))
    }

    /// Starts extending the lock `value` until the returned sender is dropped.
    fn keep_alive(&self, value: &str) -> Option<mpsc::Sender<()>> {
        let (tx, rx) = mpsc::channel::<()>();
        let shared = Arc::clone(&self.shared);
        let value = value.to_owned();
        let spawned = std::thread::Builder::new()
            .name("authgate-redis-lock".into())
            .spawn(move || {
                let every = shared.cfg.lock_expiry / 3;
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(every) {
                    let renewed = shared.on_lock("extend the lock", &shared.scripts.renew, &value);
                    match renewed {
                        Ok(1) => {}
                        Ok(_) => {
                            log::warn!(
                                target: "authgate",
                                "the token store's lock in Redis at {} expired while held \
                                 (a pause longer than {} ms?): another process may refresh \
                                 now, and this one's save will be refused if older",
                                shared.cfg.server,
                                shared.cfg.lock_expiry.as_millis()
                            );
                            return;
                        }
                        Err(e) => log::warn!(target: "authgate", "{e}"),
                    }
                }
            });
        match spawned {
            Ok(_) => Some(tx),
            Err(e) => {
                log::warn!(
                    target: "authgate",
                    "cannot start the thread that extends the Redis lock ({e}); the lock \
                     expires after {} ms",
                    self.shared.cfg.lock_expiry.as_millis()
                );
                None
            }
        }
    }
}

impl Shared {
    /// Runs `op` on the connection, connecting first if there is none. After a failure the
    /// connection is dropped (the next call connects again); an I/O failure of a connection
    /// made earlier (a restarted server closed it) is retried once on a new one. Every
    /// script is safe to run twice.
    fn run<T>(&self, what: &str, op: impl Fn(&mut Connection) -> RedisResult<T>) -> Result<T> {
        let mut slot = lock(&self.conn);
        loop {
            let (mut c, fresh) = match slot.take() {
                Some(c) => (c, false),
                None => (self.connect().map_err(|e| self.error(what, &e))?, true),
            };
            match op(&mut c) {
                Ok(v) => {
                    *slot = Some(c);
                    return Ok(v);
                }
                Err(e) => {
                    if !(e.is_io_error() || e.is_unrecoverable_error() || !c.is_open()) {
                        *slot = Some(c); // an answer (a script error): the connection is fine
                    }
                    if fresh || !e.is_io_error() || e.is_timeout() {
                        return Err(self.error(what, &e));
                    }
                }
            }
        }
    }

    /// Runs RENEW or UNLOCK for the lock `value` (ARGV: the value, the expiry in ms).
    fn on_lock(&self, what: &str, script: &Script, value: &str) -> Result<i64> {
        self.run(what, |c| {
            script
                .key(&self.cfg.lock_key)
                .arg(value)
                .arg(millis(self.cfg.lock_expiry))
                .invoke(c)
        })
    }

    fn connect(&self) -> RedisResult<Connection> {
        let c = self
            .cfg
            .client
            .get_connection_with_timeout(self.cfg.timeout)?;
        c.set_read_timeout(Some(self.cfg.timeout))?;
        c.set_write_timeout(Some(self.cfg.timeout))?;
        Ok(c)
    }

    fn error(&self, what: &str, e: &redis::RedisError) -> Error {
        if let Some(tls) = tls_failure(e) {
            return Error::store(format!(
                "cannot {what} in Redis at {}: {} (a configuration to fix: trying again does \
                 not help)",
                self.cfg.server,
                self.tls_words(tls)
            ));
        }
        // Out of reach (down, restarting, loading its data, a failover): an outage, transient.
        let outage = e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || matches!(e.retry_method(), redis::RetryMethod::WaitAndRetry);
        let mut message = format!("cannot {what} in Redis at {}: {e}", self.cfg.server);
        if self.cfg.trust.is_some() && e.is_timeout() {
            // A plain-text port waits for a command and never answers the TLS hello.
            message.push_str(
                " (the URL is rediss://: if this port does not speak TLS, use redis:// or the \
                 server's TLS port)",
            );
        }
        if outage {
            Error::store_outage(format!(
                "{message}; tokens still valid are served from memory meanwhile: try again \
                 once Redis is back"
            ))
        } else {
            Error::store(message)
        }
    }
}

impl TokenStore for RedisStore {
    fn load(&self) -> Result<Option<TokenSet>> {
        let s = &self.shared;
        let json: Option<String> = s.run("read the token set", |c| {
            redis::cmd("HGET")
                .arg(&s.cfg.tokens_key)
                .arg("set")
                .query(c)
        })?;
        let Some(mut json) = json else {
            return Ok(None);
        };
        let place = format!("the Redis key {} at {}", s.cfg.tokens_key, s.cfg.server);
        let tokens = seal::unseal(s.cfg.key.as_deref(), &json, &place, "RedisStore::encrypted");
        json.zeroize();
        tokens.map(Some)
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        let mut text = seal::seal(self.shared.cfg.key.as_deref(), tokens)?;
        let saved = self.write(&text, "save the token set");
        text.zeroize();
        saved
    }

    fn clear(&self) -> Result<()> {
        self.write("", "clear the token set")
    }

    /// Takes the lock, waiting at most [`RedisStore::DEFAULT_LOCK_WAIT`].
    fn lock(&self) -> Result<StoreLock> {
        self.lock_within(Self::DEFAULT_LOCK_WAIT)
    }

    /// Tries to take the lock again and again (pauses from 1 ms doubling to 50 ms) until it
    /// is free or `timeout` has passed ([`Error::Timeout`]). While Redis cannot be reached
    /// it keeps trying for at most [`RedisStore::OUTAGE_WAIT`], then fails with
    /// [`Error::Store`].
    fn lock_within(&self, timeout: Duration) -> Result<StoreLock> {
        const LONGEST_PAUSE: Duration = Duration::from_millis(50);
        let s = &self.shared;
        let value = crate::random::random_token(16)?;
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        let mut failing_since: Option<Instant> = None;
        let mut pause = Duration::from_millis(1);
        loop {
            let taken = s.run("take the lock", |c| {
                s.scripts
                    .lock
                    .key(&s.cfg.lock_key)
                    .key(&s.cfg.fence_key)
                    .key(&s.cfg.tokens_key)
                    .arg(&value)
                    .arg(millis(s.cfg.lock_expiry))
                    .invoke::<i64>(c)
            });
            let left = deadline.map_or(pause, |d| d.saturating_duration_since(Instant::now()));
            match taken {
                Ok(fence) if fence > 0 => return Ok(self.hold(value, fence)),
                Ok(_) => failing_since = None,
                Err(e) => {
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    if left.is_zero() || since.elapsed() >= Self::OUTAGE_WAIT {
                        return Err(e);
                    }
                }
            }
            if left.is_zero() {
                return Err(Error::Timeout(format!(
                    "another process holds the lock {} of the token store in Redis at {}; \
                     gave up after {} ms (try again; a holder that died frees it within {} ms)",
                    s.cfg.lock_key,
                    s.cfg.server,
                    timeout.as_millis(),
                    s.cfg.lock_expiry.as_millis()
                )));
            }
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    }
}

impl RedisStore {
    /// Records a lock just taken and returns its guard, which stops extending it, releases
    /// it (if still its owner) and forgets it.
    fn hold(&self, value: String, fence: i64) -> StoreLock {
        let keep_alive = self.keep_alive(&value);
        lock(&self.shared.held).push(HeldLock {
            thread: std::thread::current().id(),
            value: value.clone(),
            fence,
        });
        let shared = Arc::clone(&self.shared);
        StoreLock::releasing(move || {
            drop(keep_alive);
            let released = shared.on_lock("release the lock", &shared.scripts.unlock, &value);
            if let Err(e) = released {
                // It expires by itself.
                log::warn!(target: "authgate", "{e}");
            }
            lock(&shared.held).retain(|h| h.value != value);
        })
    }
}

impl Shared {
    /// What a TLS failure with the server means, and what to do.
    fn tls_words(&self, e: &rustls::Error) -> String {
        use rustls::CertificateError as C;
        let server = &self.cfg.server;
        let trust = self.cfg.trust.as_deref().unwrap_or("the trust roots");
        let host = server.rsplit_once(':').map_or(server.as_str(), |(h, _)| h);
        match e {
            rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => format!(
                "the server's certificate is not signed by a certificate authority in {trust}: \
                 give the CA file of the Redis server's CA (the store's ca_file option)"
            ),
            rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            ) => format!(
                "the server's certificate is not issued for the name {host}: put a name the \
                 certificate holds in the URL (ask the server's owner which), or have the \
                 certificate reissued for {host}"
            ),
            rustls::Error::InvalidCertificate(
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. },
            ) => "the server's certificate is expired or not valid yet: check this computer's \
                  clock, else the server's owner must renew the certificate"
                .to_owned(),
            rustls::Error::InvalidCertificate(_) => format!(
                "the server's certificate is refused ({}), checked against {trust}",
                crate::tls::words(e)
            ),
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                "the server does not speak TLS there: for a plain-text port use a redis:// \
                 URL, for TLS the server's TLS port (tls-port)"
                    .to_owned()
            }
            _ => format!("the TLS connection failed: {}", crate::tls::words(e)),
        }
    }
}

/// Whether the client connects over TLS (`rediss://`).
fn is_tls(client: &redis::Client) -> bool {
    matches!(
        client.get_connection_info().addr(),
        redis::ConnectionAddr::TcpTls { .. }
    )
}

/// `client` (a `rediss://` one) trusting `roots`, and where they come from in words.
fn with_roots(
    client: &redis::Client,
    roots: &TrustRoots,
    server: &str,
) -> Result<(redis::Client, Option<String>)> {
    let source = crate::tls::describe(roots);
    let certs = match roots {
        TrustRoots::System => {
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let why = found
                    .errors
                    .first()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                return Err(Error::Config(format!(
                    "the system's trust store holds no certificate{why}"
                )));
            }
            Some(found.certs)
        }
        // None: the bundled roots, the redis crate's own copy of them.
        _ => crate::tls::LazyConfig::given_certs(roots)?,
    };
    let tls = redis::TlsCertificates {
        client_tls: None,
        root_cert: certs.map(|c| pem(&c)),
    };
    let client =
        redis::Client::build_with_tls(client.get_connection_info().clone(), tls).map_err(|e| {
            Error::Config(format!(
                "TLS to the Redis server at {server} cannot be set up with {source}: {e}"
            ))
        })?;
    Ok((client, Some(source)))
}

/// Certificates as PEM text, as the redis crate takes them.
fn pem(certs: &[rustls::pki_types::CertificateDer<'_>]) -> Vec<u8> {
    use base64::Engine;
    let mut out = String::new();
    for cert in certs {
        let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out.into_bytes()
}

/// The rustls error inside a Redis error (a refused certificate, a server that does not
/// speak TLS), if it is one: directly, or inside the I/O error of the TLS stream.
fn tls_failure(e: &redis::RedisError) -> Option<&rustls::Error> {
    use std::error::Error as _;
    let inner: &(dyn std::error::Error + 'static) = e.source()?;
    let inner: &(dyn std::error::Error + 'static) =
        match inner.downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>() {
            Some(arc) => arc.as_ref(),
            None => inner,
        };
    if let Some(t) = inner.downcast_ref::<rustls::Error>() {
        return Some(t);
    }
    inner
        .downcast_ref::<std::io::Error>()?
        .get_ref()?
        .downcast_ref::<rustls::Error>()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("server", &self.shared.cfg.server)
            .field("key", &self.shared.cfg.tokens_key)
            .field("lock_expiry", &self.shared.cfg.lock_expiry)
            .field("encrypted", &self.is_encrypted())
            .finish_non_exhaustive()
    }
}

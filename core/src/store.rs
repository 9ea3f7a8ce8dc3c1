//! Where token sets live between calls and across restarts: the [`TokenStore`] interface,
//! an in-memory store, a crash-safe, multi-process file store and (with the cargo feature
//! `redis`) a store shared by many machines through Redis.

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::seal::{self, StoreKey};
use crate::token_set::TokenSet;

#[cfg(feature = "redis")]
pub use crate::redis_store::RedisStore;

/// Storage for one token set. Implementations must be safe to call from several threads.
///
/// # Writing your own store
///
/// A [`TokenManager`](crate::TokenManager) calls the store from the thread of the call
/// that needs it (never while holding its own state lock), so a store may block (a
/// database, a network share); a slow store makes that call, and the threads waiting for
/// its refresh, slow. The contract that keeps a rotated refresh token alive:
///
/// - [`save`](Self::save) returns `Ok` only once the set is durable: the manager hands a
///   new set out only after the save returns. A save that fails returns an error
///   ([`Error::Store`], with a message that names no token): the manager then keeps the
///   new set in memory, uses it, and calls `save` again on every later call until it
///   succeeds. Never keep the old set after a failed save of a new one and report success.
/// - [`load`](Self::load) returns the set of the last successful save (or `None`), never a
///   half-written one; unreadable data is [`Error::Store`].
/// - If several processes share the store, [`lock_within`](Self::lock_within) takes a lock
///   that excludes the others (the manager holds it from re-reading the store to saving a
///   refreshed set) and gives up with [`Error::Timeout`] after its timeout; return the
///   guard from [`StoreLock::releasing`]. A store used by one process needs no lock.
/// - A panic in a store does not lose a new set either (the manager keeps it unsaved),
///   but report failures as errors.
///
/// ```
/// use authgate::{MemoryStore, TokenSet, TokenStore};
/// let store = MemoryStore::new();
/// store.save(&TokenSet::parse(r#"{"access_token":"a","refresh_token":"r"}"#)?)?;
/// assert_eq!(store.load()?.unwrap().refresh_token().unwrap().secret(), "r");
/// # Ok::<(), authgate::Error>(())
/// ```
pub trait TokenStore: Send + Sync {
    /// The stored token set, or `None` if there is none.
    fn load(&self) -> Result<Option<TokenSet>>;
    /// Replaces the stored token set. When this returns, the set must survive a crash.
    fn save(&self, tokens: &TokenSet) -> Result<()>;
    /// Removes the stored token set.
    fn clear(&self) -> Result<()>;
    /// Takes the store's cross-process lock until the returned guard is dropped. The token
    /// manager holds it from re-reading the store to saving a refreshed set, so that two
    /// processes never spend the same (rotating) refresh token. Defaults to no lock, which
    /// is right for a store used by one process only.
    fn lock(&self) -> Result<StoreLock> {
        Ok(StoreLock::unlocked())
    }
    /// Takes the lock like [`lock`](Self::lock), but gives up after `timeout` with a
    /// transient error ([`Error::Timeout`]) instead of waiting for ever. The token manager
    /// calls this one, with what is left of its wait timeout. Defaults to `lock()`, which
    /// is right for a store whose lock never blocks for long.
    fn lock_within(&self, timeout: Duration) -> Result<StoreLock> {
        let _ = timeout;
        self.lock()
    }
}

/// A held store lock; dropping it releases the lock.
///
/// A store of your own makes one with [`StoreLock::unlocked`] (no lock) or
/// [`StoreLock::releasing`] (a closure that releases its lock when the guard is dropped).
pub struct StoreLock(Held);

enum Held {
    Nothing,
    File(File),
    Custom(Option<Box<dyn FnOnce() + Send>>),
}

impl StoreLock {
    /// A guard that holds no lock: for a store used by one process only.
    pub fn unlocked() -> StoreLock {
        StoreLock(Held::Nothing)
    }

    /// A guard that calls `release` once when it is dropped: for a store of your own whose
    /// `lock_within` has just taken its lock (a database row lock, a lock file).
    pub fn releasing(release: impl FnOnce() + Send + 'static) -> StoreLock {
        StoreLock(Held::Custom(Some(Box::new(release))))
    }
}

impl fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = match self.0 {
            Held::Nothing => "nothing",
            Held::File(_) => "file",
            Held::Custom(_) => "custom",
        };
        f.debug_tuple("StoreLock").field(&held).finish()
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        match &mut self.0 {
            Held::Nothing => {}
            Held::File(f) => {
                let _ = f.unlock();
            }
            Held::Custom(release) => {
                if let Some(release) = release.take() {
                    release();
                }
            }
        }
    }
}

/// A store in memory: for one process that signs in again after a restart.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<Option<TokenSet>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<TokenSet>> {
        Ok(self.0.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }
    fn save(&self, tokens: &TokenSet) -> Result<()> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> Result<()> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }
}

/// A store in one JSON file, shared safely by several processes.
///
/// - Writes are atomic: a temporary file in the same folder is written, flushed to disk
///   (`fsync`), renamed over the store, and the folder is flushed too; a crash at any moment
///   leaves the old or the new token set, never a truncated file.
/// - The file is created readable and writable by its owner only (mode 0600 on Unix; on
///   Windows it inherits the folder's ACL, so keep it in the user's profile).
/// - [`lock`](TokenStore::lock) takes an exclusive OS file lock on `<file>.lock`, which
///   the token manager holds while it refreshes. The wait is bounded: another process that
///   holds the lock (or is frozen while holding it) makes
///   [`lock_within`](TokenStore::lock_within) fail with [`Error::Timeout`] when its
///   timeout runs out, and `lock()` after [`FileStore::DEFAULT_LOCK_WAIT`].
/// - A writer that crashes mid-save leaves its temporary file
///   (`<file>.tmp.<pid>.<random>`, which may hold a refresh token). Every load, save and
///   clear removes those of dead writers: on Linux, files whose writer process is gone;
///   elsewhere, files untouched for [`FileStore::STALE_TEMP_AGE`]. A writer holds an OS
///   lock on its temporary file while it writes, so a live writer's file is never touched.
///
/// ```
/// use authgate::{FileStore, TokenSet, TokenStore};
/// let path = std::env::temp_dir().join(format!("authgate-doc-{}.json", std::process::id()));
/// let store = FileStore::new(&path);
/// store.save(&TokenSet::parse(r#"{"access_token":"a","expires_in":60}"#)?)?;
/// assert!(store.load()?.is_some());
/// store.clear()?;
/// # Ok::<(), authgate::Error>(())
/// ```
///
/// With [`FileStore::encrypted`] the file holds the set sealed with ChaCha20-Poly1305
/// under a caller-supplied 32-byte key (a random nonce per save): a copied or backed-up file
/// reveals nothing without the key. It protects the file, not a process that runs as the
/// same user and holds the key.
#[derive(Clone)]
pub struct FileStore {
    path: PathBuf,
    key: Option<Arc<StoreKey>>,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .field("encrypted", &self.key.is_some())
            .finish()
    }
}

impl FileStore {
    /// How long [`lock`](TokenStore::lock) waits for another process to release the lock
    /// before it gives up with [`Error::Timeout`]: 30 s.
    pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(30);

    /// Where the OS cannot tell whether a writer is alive (no Linux `/proc`), the age after
    /// which a leftover temporary file is taken for a dead writer's: 10 minutes.
    pub const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

    /// A store at `path` (created on the first save; the folder must exist).
    pub fn new(path: impl Into<PathBuf>) -> FileStore {
        FileStore {
            path: path.into(),
            key: None,
        }
    }

    /// A store at `path` whose file is encrypted with `key` (32 bytes, e.g. from the OS
    /// key store or a secret of the installation; keep it apart from the file). Each save
    /// seals the set with ChaCha20-Poly1305 and a new random nonce; the file says its
    /// format (`{"authgate_store":"chacha20-poly1305/1",...}`). A file sealed with another
    /// key is [`Error::Store`] saying the key does not match; a plain file (written before
    /// encryption was turned on) is read and encrypted on the next save.
    ///
    /// ```
    /// use authgate::{FileStore, TokenSet, TokenStore};
    /// let path = std::env::temp_dir().join(format!("authgate-doc-enc-{}.json", std::process::id()));
    /// let store = FileStore::encrypted(&path, [7; 32]);
    /// store.save(&TokenSet::parse(r#"{"access_token":"a","refresh_token":"r"}"#)?)?;
    /// assert!(!std::fs::read_to_string(&path).unwrap().contains("\"r\""));
    /// assert!(FileStore::encrypted(&path, [8; 32]).load().is_err());
    /// store.clear()?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn encrypted(path: impl Into<PathBuf>, key: [u8; 32]) -> FileStore {
        FileStore {
            path: path.into(),
            key: Some(StoreKey::new(key)),
        }
    }

    /// [`encrypted`](Self::encrypted) with the key as a slice, which must be 32 bytes long
    /// ([`Error::InvalidArgument`] otherwise): for the bindings.
    pub fn encrypted_with(path: impl Into<PathBuf>, key: &[u8]) -> Result<FileStore> {
        Ok(FileStore::encrypted(path, StoreKey::from_slice(key)?))
    }

    /// Whether the file is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// The file's text for `tokens`: the set's JSON, sealed if the store has a key.
    fn seal(&self, tokens: &TokenSet) -> Result<String> {
        seal::seal(self.key.as_deref(), tokens)
    }

    /// The set in the file's text, unsealed if it is sealed.
    fn unseal(&self, text: &str) -> Result<TokenSet> {
        let place = self.path.display().to_string();
        seal::unseal(self.key.as_deref(), text, &place, "FileStore::encrypted")
    }

    /// The store's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        self.path.with_file_name(name)
    }

    /// A file out of reach for now (busy, locked, a network share that timed out or went
    /// away) is an outage; a refused or missing one is not.
    fn store_error(&self, what: &str, e: io::Error) -> Error {
        use io::ErrorKind::*;
        let message = format!("{what} {}: {e}", self.path.display());
        match e.kind() {
            WouldBlock
            | TimedOut
            | Interrupted
            | ResourceBusy
            | StaleNetworkFileHandle
            | NetworkDown
            | NetworkUnreachable
            | HostUnreachable
            | ConnectionReset
            | ConnectionAborted
            | NotConnected => Error::store_outage(message),
            _ => Error::store(message),
        }
    }

    /// The prefix of this store's temporary files; the writer's pid and a random part follow.
    fn temp_prefix(&self) -> String {
        format!(
            "{}.tmp.",
            self.path.file_name().unwrap_or_default().to_string_lossy()
        )
    }

    /// Removes the temporary files that writers which died mid-save left behind. Best
    /// effort: a file that cannot be checked or removed stays for the next time.
    fn remove_dead_writers_files(&self) {
        let Ok(entries) = fs::read_dir(folder(&self.path)) else {
            return;
        };
        let prefix = self.temp_prefix();
        let processes = Processes::visible();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| temp_file_pid(n, &prefix)) else {
                continue;
            };
            let dead = match processes {
                Processes::Visible => !Path::new(&format!("/proc/{pid}")).exists(),
                Processes::Unknown => entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_some_and(|age| age >= Self::STALE_TEMP_AGE),
            };
            if !dead {
                continue;
            }
            // A writer locks its temporary file while it writes: a file still locked belongs
            // to a live writer that this process cannot see (another PID namespace).
            let path = entry.path();
            if let Ok(f) = File::open(&path) {
                if f.try_lock().is_ok() {
                    match fs::remove_file(&path) {
                        Ok(()) => log::info!(
                            target: "authgate",
                            "removed {}, left by a writer that died mid-save",
                            path.display()
                        ),
                        Err(e) => log::debug!(
                            target: "authgate",
                            "cannot remove the leftover {}: {e}",
                            path.display()
                        ),
                    }
                }
            }
        }
    }
}

/// Whether this process can tell which processes are alive.
#[derive(Clone, Copy)]
enum Processes {
    /// Through Linux's `/proc/<pid>`.
    Visible,
    /// Not at all (another OS, or no `/proc` mounted).
    Unknown,
}

impl Processes {
    fn visible() -> Processes {
        if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
            Processes::Visible
        } else {
            Processes::Unknown
        }
    }
}

/// The writer's pid in a temporary file name `<prefix><pid>.<random>`, if `name` is one.
fn temp_file_pid(name: &str, prefix: &str) -> Option<u32> {
    let (pid, random) = name.strip_prefix(prefix)?.split_once('.')?;
    if random.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<TokenSet>> {
        self.remove_dead_writers_files();
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.store_error("cannot read", e)),
        };
        let mut text = text;
        let tokens = self.unseal(&text);
        text.zeroize();
        tokens.map(Some)
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        self.remove_dead_writers_files();
        // A per-process, per-call temporary name: concurrent writers never share one.
        let tmp = self.sibling(&format!(
            ".tmp.{}.{}",
            std::process::id(),
            crate::random::random_token(6)?
        ));
        let mut text = self.seal(tokens)?;
        let write = || -> io::Result<()> {
            let mut f = owner_only(OpenOptions::new().write(true).create_new(true)).open(&tmp)?;
            // Held until the file is closed (or the process dies): tells a cleaner in
            // another PID namespace that this writer is alive.
            let _ = f.try_lock();
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &self.path)?;
            sync_dir(&self.path)
        };
        let written = write();
        text.zeroize();
        written.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            self.store_error("cannot write", e)
        })
    }

    fn clear(&self) -> Result<()> {
        self.remove_dead_writers_files();
        match fs::remove_file(&self.path) {
            Ok(()) => sync_dir(&self.path).map_err(|e| self.store_error("cannot clear", e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.store_error("cannot clear", e)),
        }
    }

    /// Takes the lock, waiting at most [`FileStore::DEFAULT_LOCK_WAIT`].
    fn lock(&self) -> Result<StoreLock> {
        self.lock_within(Self::DEFAULT_LOCK_WAIT)
    }

    /// Tries the OS lock again and again (pauses from 1 ms doubling to 50 ms) until it is
    /// free or `timeout` has passed.
    fn lock_within(&self, timeout: Duration) -> Result<StoreLock> {
        const LONGEST_PAUSE: Duration = Duration::from_millis(50);
        let path = self.sibling(".lock");
        let f = owner_only(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
        )
        .open(&path)
        .map_err(|e| self.store_error("cannot open the lock file of", e))?;
        let deadline = Instant::now().checked_add(timeout);
        let mut pause = Duration::from_millis(1);
        loop {
            match f.try_lock() {
                Ok(()) => return Ok(StoreLock(Held::File(f))),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(self.store_error("cannot lock", e)),
            }
            let left = deadline.map_or(pause, |d| d.saturating_duration_since(Instant::now()));
            if left.is_zero() {
                return Err(Error::Timeout(format!(
                    "another process (or another FileStore on the same file) holds the lock {} \
                     of the token store; gave up after {} ms (try again; if it persists, look \
                     for a hung process using the store)",
                    path.display(),
                    timeout.as_millis()
                )));
            }
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    }
}

/// The folder a file is in.
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Flushes the folder entry of a renamed or removed file (a no-op where the OS has no such
/// thing, as on Windows, where the rename itself is durable).
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(folder(path))?.sync_all()?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("authgate-store-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join("tokens.json")
    }

    #[test]
    fn file_store_round_trip_owner_only_and_no_leftovers() {
        let path = tmp("rt");
        let store = FileStore::new(&path);
        assert!(store.load().unwrap().is_none());
        let t =
            TokenSet::parse(r#"{"access_token":"a","refresh_token":"r","expires_in":60,"x":1}"#)
                .unwrap();
        store.save(&t).unwrap();
        store.save(&t).unwrap();
        let back = store.load().unwrap().unwrap();
        assert_eq!(back.refresh_token().unwrap().secret(), "r");
        assert_eq!(back.expires_at_unix(), t.expires_at_unix());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        store.clear().unwrap();
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn garbage_is_a_store_error_without_content() {
        let path = tmp("bad");
        fs::write(&path, "secret-looking garbage").unwrap();
        let e = FileStore::new(&path).load().unwrap_err();
        assert!(matches!(e, Error::Store(_)));
        assert!(!e.is_transient(), "a corrupt file is not an outage");
        assert!(!e.to_string().contains("garbage"));
    }

    #[test]
    fn a_file_out_of_reach_is_an_outage_a_refused_one_is_not() {
        let store = FileStore::new(tmp("reach"));
        for kind in [io::ErrorKind::TimedOut, io::ErrorKind::WouldBlock] {
            let e = store.store_error("cannot read", kind.into());
            assert!(e.is_transient(), "{kind:?}: {e:?}");
        }
        let e = store.store_error("cannot read", io::ErrorKind::PermissionDenied.into());
        assert!(matches!(e, Error::Store(_)) && !e.is_transient(), "{e:?}");
    }

    #[test]
    fn temp_file_names_are_recognised_exactly() {
        let p = "tokens.json.tmp.";
        assert_eq!(temp_file_pid("tokens.json.tmp.42.AbC-_9", p), Some(42));
        for other in [
            "tokens.json",
            "tokens.json.tmp.42",
            "tokens.json.tmp.42.",
            "tokens.json.tmp.+42.x",
            "tokens.json.tmp.x42.x",
            "other.json.tmp.42.x",
        ] {
            assert_eq!(temp_file_pid(other, p), None, "{other}");
        }
    }

    #[test]
    fn lock_is_exclusive_across_handles() {
        let path = tmp("lock");
        let store = FileStore::new(&path);
        let guard = store.lock().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let s2 = store.clone();
        let t = std::thread::spawn(move || {
            let _g = s2.lock().unwrap();
            tx.send(()).unwrap();
        });
        assert!(rx
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_err());
        drop(guard);
        rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        t.join().unwrap();
    }

    fn sample() -> TokenSet {
        TokenSet::parse(r#"{"access_token":"a-secret","refresh_token":"r-secret","expires_in":60}"#)
            .unwrap()
    }

    #[test]
    fn an_encrypted_store_round_trips_and_hides_the_tokens() {
        let path = tmp("enc");
        let store = FileStore::encrypted(&path, [1; 32]);
        store.save(&sample()).unwrap();
        let first = fs::read_to_string(&path).unwrap();
        assert!(
            first.contains(r#""authgate_store":"chacha20-poly1305/1""#),
            "{first}"
        );
        assert!(!first.contains("secret"));
        assert_eq!(
            store
                .load()
                .unwrap()
                .unwrap()
                .refresh_token()
                .unwrap()
                .secret(),
            "r-secret"
        );
        store.save(&sample()).unwrap();
        assert_ne!(
            fs::read_to_string(&path).unwrap(),
            first,
            "a new nonce per save"
        );
        assert!(format!("{store:?}").contains("encrypted: true"));
    }

    #[test]
    fn a_copied_file_does_not_decrypt_with_another_key() {
        let path = tmp("enc-copy");
        FileStore::encrypted(&path, [1; 32])
            .save(&sample())
            .unwrap();
        let copy = path.with_file_name("copy.json");
        fs::copy(&path, &copy).unwrap();
        let e = FileStore::encrypted(&copy, [2; 32]).load().unwrap_err();
        assert!(matches!(e, Error::Store(_)) && !e.is_transient());
        assert!(e.to_string().contains("the key does not match"), "{e}");
        let e = FileStore::new(&copy).load().unwrap_err();
        assert!(e.to_string().contains("is encrypted"), "{e}");
        assert!(FileStore::encrypted_with(&copy, &[1; 31]).is_err());
    }

    #[test]
    fn a_plain_file_is_read_by_an_encrypted_store_and_sealed_on_save() {
        let path = tmp("enc-migrate");
        FileStore::new(&path).save(&sample()).unwrap();
        let store = FileStore::encrypted(&path, [3; 32]);
        let t = store.load().unwrap().unwrap();
        store.save(&t).unwrap();
        assert!(!fs::read_to_string(&path).unwrap().contains("secret"));
        assert!(store.load().unwrap().is_some());
    }
}

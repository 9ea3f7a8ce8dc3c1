//! The file store across processes: a lock held by another process (or a frozen one) does
//! not block for ever, and the temporary files of writers that died mid-save (some holding
//! refresh tokens) are removed by the next save, never those of a live writer.
//!
//! The "other process" is this test binary run again as a child, with an environment
//! variable telling one of the `child_*` helper tests what to do (they pass at once when it
//! is unset).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use authgate::{Error, FileStore, TokenSet, TokenStore};

const HOLD_LOCK: &str = "AUTHGATE_TEST_HOLD_LOCK";
const SAVE_FOREVER: &str = "AUTHGATE_TEST_SAVE_FOREVER";

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("authgate-store-it-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs one `child_*` test of this binary in a new process, with `var` = `path`.
fn spawn_child(test: &str, var: &str, path: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(var, path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn tokens(len: usize) -> TokenSet {
    TokenSet::parse(&format!(
        r#"{{"access_token":"a","refresh_token":"rt-secret","expires_in":60,"padding":"{}"}}"#,
        "x".repeat(len)
    ))
    .unwrap()
}

fn temp_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect();
    names.sort();
    names
}

/// Child: takes the store lock, says so on stdout, and holds it until stdin closes.
#[test]
fn child_hold_lock() {
    let Some(path) = std::env::var_os(HOLD_LOCK) else {
        return;
    };
    let _lock = FileStore::new(PathBuf::from(path)).lock().unwrap();
    println!("\nLOCK-HELD");
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read_line(&mut String::new());
}

/// Child: saves a large token set again and again until it is killed.
#[test]
fn child_save_forever() {
    let Some(path) = std::env::var_os(SAVE_FOREVER) else {
        return;
    };
    let store = FileStore::new(PathBuf::from(path));
    let t = tokens(8 << 20);
    loop {
        store.save(&t).unwrap();
    }
}

#[test]
fn a_lock_held_by_another_process_times_out_instead_of_hanging() {
    let dir = folder("held");
    let path = dir.join("tokens.json");
    let mut child = spawn_child("child_hold_lock", HOLD_LOCK, &path);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "LOCK-HELD" {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the child died");
    }

    let store = FileStore::new(&path);
    let start = Instant::now();
    let err = store.lock_within(Duration::from_millis(200)).unwrap_err();
    let took = start.elapsed();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.is_transient());
    let msg = err.to_string();
    assert!(
        msg.contains("tokens.json.lock") && msg.contains("another process"),
        "{msg}"
    );
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(2),
        "{took:?}"
    );

    drop(child.stdin.take()); // the child lets go and exits
    child.wait().unwrap();
    let _lock = store.lock_within(Duration::from_secs(5)).unwrap();
}

#[test]
fn loads_and_saves_remove_the_leftovers_of_dead_writers_only() {
    let dir = folder("plant");
    let path = dir.join("tokens.json");
    let mut dead = Command::new(std::env::current_exe().unwrap())
        .arg("--list")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let me = std::process::id();
    let dead_file = format!("tokens.json.tmp.{dead_pid}.AbCd1234");
    let live_file = format!("tokens.json.tmp.{me}.EfGh5678");
    let unrelated = [
        "other.json.tmp.1.x",
        "tokens.json.tmp.notapid.x",
        "tokens.json.bak",
    ];
    for name in [&dead_file, &live_file]
        .into_iter()
        .chain(&unrelated.map(String::from))
    {
        fs::write(dir.join(name), r#"{"refresh_token":"old"}"#).unwrap();
    }

    FileStore::new(&path).save(&tokens(10)).unwrap();

    assert!(
        !dir.join(&dead_file).exists(),
        "the dead writer's file stays"
    );
    assert!(
        dir.join(&live_file).exists(),
        "a live writer's file was removed"
    );
    for name in unrelated {
        assert!(dir.join(name).exists(), "{name} was removed");
    }

    // Opening the store after a crash cleans up too.
    fs::write(dir.join(&dead_file), "{}").unwrap();
    assert!(FileStore::new(&path).load().unwrap().is_some());
    assert!(
        !dir.join(&dead_file).exists(),
        "a load left the dead writer's file"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_writer_killed_mid_save_leaves_a_file_the_next_save_removes() {
    let dir = folder("killed");
    let path = dir.join("tokens.json");
    let mut leftovers = Vec::new();
    for _ in 0..20 {
        let mut child = spawn_child("child_save_forever", SAVE_FOREVER, &path);
        let deadline = Instant::now() + Duration::from_secs(20);
        while temp_files(&dir).is_empty() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        leftovers = temp_files(&dir);
        if !leftovers.is_empty() {
            break;
        }
    }
    assert!(!leftovers.is_empty(), "never caught the child mid-save");

    FileStore::new(&path).save(&tokens(10)).unwrap();
    assert_eq!(temp_files(&dir), Vec::<String>::new());
}

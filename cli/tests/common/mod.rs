//! Running the built `authgate` binary against the emulator.
#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

pub use authgate_emulator::{fixtures as fx, Dialect, Emulator, Fault, FaultKind};

/// The binary under test, with a clean environment: no proxy, no AUTHGATE_* variable.
pub fn authgate(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_authgate"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args);
    cmd
}

/// Starts the command with all three streams piped.
fn spawn(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("authgate runs")
}

/// Runs to the end with `stdin` written in; returns the output.
pub fn run(cmd: Command, stdin: &str) -> Output {
    let mut child = spawn(cmd);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// stdout and stderr together, as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

/// A running `authgate` whose output lines arrive on a channel (stdout and stderr
/// merged), for the flows that wait for a browser or a user.
pub struct Interactive {
    child: Child,
    pub stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Interactive {
    pub fn start(cmd: Command) -> Interactive {
        let mut child = spawn(cmd);
        let (tx, lines) = mpsc::channel();
        let out: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let err: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        for stream in [out, err] {
            let tx = tx.clone();
            thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let stdin = child.stdin.take();
        Interactive {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line (from now) containing `needle`.
    pub fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; saw:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Waits for the exit; returns the exit code and everything printed.
    pub fn finish(mut self) -> (i32, String) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        (status.code().unwrap_or(-1), self.seen.join("\n"))
    }
}

/// Every encoding a secret could leak in: as is, form-encoded, percent-encoded,
/// base64 (alone, and in a Basic pair with `pair_with`), JSON-escaped.
pub fn encodings(secret: &str, pair_with: Option<&str>) -> Vec<String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut out = vec![
        secret.to_owned(),
        form.clone(),
        form.replace('+', "%20"),
        b64.encode(secret),
        serde_json::to_string(secret)
            .unwrap()
            .trim_matches('"')
            .to_owned(),
    ];
    if let Some(id) = pair_with {
        out.push(b64.encode(format!("{id}:{secret}")));
        let id_form: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        out.push(b64.encode(format!("{id_form}:{form}")));
    }
    out
}

/// Panics if any encoding of any secret appears in `output`.
pub fn assert_no_secret(output: &str, secrets: &[(&str, Option<&str>)]) {
    for (secret, pair) in secrets {
        for form in encodings(secret, *pair) {
            assert!(
                !output.contains(&form),
                "the secret {secret:?} appears (as {form:?}) in:\n{output}"
            );
        }
    }
}

/// The tokens a token file holds.
pub fn stored(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn temp_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("authgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

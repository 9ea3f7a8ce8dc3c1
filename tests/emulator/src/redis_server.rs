//! A real `redis-server` for the tests of the Redis token store: started on 127.0.0.1 on a
//! free port with its own data folder, append-only file synced on every write (a restart
//! keeps the data, as the store's documentation asks of a production server), and stopped
//! by its PID when dropped.
//!
//! [`RedisServer::start_tls`] adds a TLS port (`rediss://`) with the test certificate of
//! [`crate::tls`] (127.0.0.1 / localhost, signed by `tls/ca.pem`), listening on 127.0.0.1
//! and 127.0.0.2 (a loopback address the certificate does not name).
//!
//! Needs the `redis-server` binary (Debian package `redis-server`; the test command's
//! set-up, `scripts/setup-machine.sh`, installs it), or `AUTHGATE_REDIS_SERVER` naming one.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`, stopped (by PID) when dropped.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// The TLS port, for a server started with [`RedisServer::start_tls`].
    tls_port: Option<u16>,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers `PING`.
    pub fn start() -> io::Result<RedisServer> {
        Self::start_with(false)
    }

    /// [`start`](Self::start) with a TLS port as well (see [`tls_url`](Self::tls_url)).
    pub fn start_tls() -> io::Result<RedisServer> {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> io::Result<RedisServer> {
        let dir = std::env::temp_dir().join(format!(
            "authgate-redis-{}-{}",
            std::process::id(),
            next_id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        // Another process may take the free port between the probe and the start: try again.
        let mut last = None;
        for _ in 0..5 {
            let mut server = RedisServer {
                child: None,
                port: free_port()?,
                tls_port: if tls { Some(free_port()?) } else { None },
                dir: dir.clone(),
            };
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("redis-server did not start")))
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// `rediss://HOST:TLS_PORT/0` for a server started with [`start_tls`](Self::start_tls)
    /// (`host`: 127.0.0.1 or localhost, which the certificate names, or 127.0.0.2, which it
    /// does not).
    pub fn tls_url(&self, host: &str) -> String {
        let port = self.tls_port.expect("started with RedisServer::start_tls");
        format!("rediss://{host}:{port}/0")
    }

    /// The server's PID (while it runs).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server (SIGKILL: a crash; the append-only file keeps every write) and
    /// waits until it is gone. Its port refuses connections until [`start_again`].
    ///
    /// [`start_again`]: RedisServer::start_again
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data folder (after [`kill`]).
    ///
    /// [`kill`]: RedisServer::kill
    pub fn start_again(&mut self) -> io::Result<()> {
        self.kill();
        // The old socket may linger a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.launch() {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Sends one command (inline form) and returns the server's raw answer.
    pub fn command(&self, line: &str) -> io::Result<String> {
        command(self.port, line)
    }

    fn launch(&mut self) -> io::Result<()> {
        let binary =
            std::env::var("AUTHGATE_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("redis.log"))?;
        let mut cmd = Command::new(&binary);
        match self.tls_port {
            None => cmd.args(["--bind", "127.0.0.1"]),
            Some(tls_port) => cmd
                .args(["--bind", "127.0.0.1", "127.0.0.2", "--tls-port"])
                .arg(tls_port.to_string())
                .arg("--tls-cert-file")
                .arg(crate::tls::file("server.pem"))
                .arg("--tls-key-file")
                .arg(crate::tls::file("server.key"))
                .arg("--tls-ca-cert-file")
                .arg(crate::tls::ca_file())
                .args(["--tls-auth-clients", "no"]),
        };
        let mut child = cmd
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--daemonize",
                "no",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot run {binary}: {e} (install the Debian package redis-server; \
                         scripts/setup-machine.sh does)"
                    ),
                )
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(answer) = command(self.port, "PING") {
                if answer.starts_with("+PONG") {
                    self.child = Some(child);
                    return Ok(());
                }
            }
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "redis-server exited ({status}) on port {}; see {}",
                    self.port,
                    self.dir.join("redis.log").display()
                )));
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other("redis-server did not answer within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn command(port: u16, line: &str) -> io::Result<String> {
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    s.write_all(format!("{line}\r\n").as_bytes())?;
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

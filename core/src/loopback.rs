//! Signing in from a desktop app through the system browser (RFC 8252): a listener on a
//! loopback port receives the redirect.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::token_set::TokenSet;
use crate::validate;

type Opener = Box<dyn FnOnce(&str) -> Result<()> + Send>;
type UrlHook = Box<dyn FnOnce(&str) + Send>;

/// A loopback sign-in, started by [`Client::sign_in_loopback`] and run with [`run`](Self::run).
///
/// It owns a clone of the client (cheap) and its options, so it is `Send + 'static`:
/// set it up on one thread and run it on another (a UI thread hands it to a worker).
#[must_use = "call .run() to sign in"]
pub struct LoopbackSignIn {
    client: Client,
    timeout: Duration,
    cancel: Option<CancelToken>,
    opener: Option<Opener>,
    on_url: Option<UrlHook>,
    scopes: Option<Vec<String>>,
    port: u16,
    path: String,
}

impl std::fmt::Debug for LoopbackSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackSignIn")
            .field("timeout", &self.timeout)
            .field("port", &self.port)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Signs the user in through the system browser (RFC 8252 §7.3): listens on
    /// `127.0.0.1` on a free port, opens the authorization URL (PKCE, `state`, and for
    /// OpenID Connect a `nonce`) with that redirect URI, waits for the redirect, checks
    /// `state`, answers the browser with a page saying it may be closed, exchanges the code
    /// and, when the client knows its issuer and an id_token came, validates it.
    ///
    /// Other programs on the machine can reach the listener too. A request for another
    /// path (a favicon) gets a 404, and a redirect without this sign-in's `state` (an old
    /// tab, or a process trying to end the sign-in; an error redirect too) gets an error
    /// page; neither ends the wait. Each
    /// connection is read without blocking, so one that sends nothing or trickles bytes
    /// holds up neither the real browser nor the timeout and the cancel token.
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider};
    /// # let client = Client::builder(Provider::KonturExtern).client_id("c").client_secret("s")
    /// #     .discover("https://identity.testkontur.ru")?.build()?;
    /// let tokens = client
    ///     .sign_in_loopback()
    ///     .timeout(std::time::Duration::from_secs(300))
    ///     .run()?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn sign_in_loopback(&self) -> LoopbackSignIn {
        LoopbackSignIn {
            client: self.clone(),
            timeout: Duration::from_secs(300),
            cancel: None,
            opener: None,
            on_url: None,
            scopes: None,
            port: 0,
            path: "/callback".into(),
        }
    }
}

impl LoopbackSignIn {
    /// How long to wait for the user, however slowly the connections send; more than zero
    /// ([`run`](Self::run) refuses zero). Defaults to 5 minutes.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Cancels the wait from another thread: `run` returns [`Error::Cancelled`] within
    /// about 20 ms.
    pub fn cancel_token(mut self, cancel: &CancelToken) -> Self {
        self.cancel = Some(cancel.clone());
        self
    }

    /// Opens the URL some other way than the system browser (a kiosk's embedded browser,
    /// a test's WebDriver session).
    pub fn open_with(mut self, opener: impl FnOnce(&str) -> Result<()> + Send + 'static) -> Self {
        self.opener = Some(Box::new(opener));
        self
    }

    /// Called with the authorization URL just before the browser opens: to show it as text
    /// or a QR code, or to log where the user is sent. Does not replace the opener.
    pub fn on_url(mut self, hook: impl FnOnce(&str) + Send + 'static) -> Self {
        self.on_url = Some(Box::new(hook));
        self
    }

    /// Opens the URL with this program (its arguments split on spaces; the URL is added as
    /// the last argument; no shell is involved).
    pub fn browser_command(self, command: &str) -> Self {
        let command = command.to_owned();
        self.open_with(move |url| {
            let mut parts = command.split_whitespace();
            let program = parts
                .next()
                .ok_or_else(|| Error::InvalidArgument("the browser command is empty".into()))?;
            Command::new(program)
                .args(parts)
                .arg(url)
                .spawn()
                .map(drop)
                .map_err(|e| Error::InvalidArgument(format!("cannot start {program}: {e}")))
        })
    }

    /// Replaces the client's scopes for this sign-in: they are asked for, and the token
    /// set's scope is compared with them (and is them when the server omits it).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Listens on this port instead of a free one (for providers that register a fixed
    /// port). Defaults to 0, a free port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The redirect path. Defaults to `/callback`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Runs the sign-in and returns the token set.
    ///
    /// Errors, before anything is opened: [`Error::InvalidArgument`] for a zero timeout, a
    /// scope that is not one word, or a path not starting with `/`.
    pub fn run(self) -> Result<TokenSet> {
        validate::timeout("timeout", self.timeout, Error::InvalidArgument)?;
        if let Some(s) = &self.scopes {
            validate::scopes(s, Error::InvalidArgument)?;
        }
        if !self.path.starts_with('/') {
            return Err(Error::InvalidArgument(
                "the redirect path must start with /".into(),
            ));
        }
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .map_err(|e| Error::Config(format!("cannot listen on 127.0.0.1:{}: {e}", self.port)))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::Config(format!("no local address: {e}")))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Config(format!("cannot poll the listener: {e}")))?;
        let redirect_uri = format!("http://127.0.0.1:{port}{}", self.path);
        let mut builder = self.client.authorization_url().redirect_uri(&redirect_uri);
        if let Some(s) = &self.scopes {
            builder = builder.scopes(s.iter().cloned());
        }
        let request = builder.build()?;
        if let Some(hook) = self.on_url {
            hook(&request.url);
        }
        match self.opener {
            Some(open) => open(&request.url)?,
            None => open_system_browser(&request.url)?,
        }

        let code = wait_for_redirect(
            &listener,
            &self.path,
            &request,
            crate::time::instant_after(self.timeout),
            self.cancel.as_ref(),
        )?;

        let mut exchange = self.client.exchange_code(code).redirect_uri(&redirect_uri);
        if let Some(v) = &request.pkce_verifier {
            exchange = exchange.pkce_verifier(v);
        }
        if let Some(s) = &self.scopes {
            exchange = exchange.asked_scopes(s);
        }
        let tokens = exchange.send()?;
        if let (Some(id), Some(_)) = (tokens.id_token(), &self.client.inner.oidc.issuer) {
            self.client
                .validate_id_token(id, request.nonce.as_deref())?;
        }
        Ok(tokens)
    }
}

/// How long one connection may take to send its request head: a browser sends it at
/// once; a peer that trickles is dropped after this.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// The largest request head read; a longer one is dropped.
const MAX_HEAD: usize = 16 * 1024;
/// Connections read at once; beyond this the oldest is dropped.
const MAX_CONNECTIONS: usize = 32;
/// How often the listener and the connections are looked at, and so how soon a cancel or
/// the deadline is noticed.
const TICK: Duration = Duration::from_millis(20);

/// A connection whose request head is still arriving.
struct Incoming {
    stream: TcpStream,
    head: Vec<u8>,
    until: Instant,
}

enum Progress {
    Waiting,
    Head,
    Gone,
}

impl Incoming {
    /// Reads what has arrived, without blocking.
    fn read(&mut self) -> Progress {
        let mut chunk = [0u8; 2048];
        loop {
            if self.head.windows(4).any(|w| w == b"\r\n\r\n") {
                return Progress::Head;
            }
            if self.head.len() > MAX_HEAD || Instant::now() >= self.until {
                return Progress::Gone;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Progress::Gone,
                Ok(n) => self.head.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Progress::Waiting,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Progress::Gone,
            }
        }
    }
}

/// Waits for the redirect that carries this request's `state`, until `deadline` or a
/// cancel. Every connection is read without blocking, so a local peer that connects and
/// sends nothing, or trickles, holds up neither the deadline nor the real browser; other
/// paths (a favicon) and redirects with another `state` are answered and ignored.
fn wait_for_redirect(
    listener: &TcpListener,
    path: &str,
    request: &crate::AuthorizationRequest,
    deadline: Instant,
    cancel: Option<&CancelToken>,
) -> Result<crate::AuthorizationCode> {
    let mut incoming: Vec<Incoming> = Vec::new();
    loop {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(Error::Cancelled);
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout(
                "waiting for the browser to come back".into(),
            ));
        }
        // Bounded, so that a flood of connections cannot keep this from the deadline.
        for _ in 0..MAX_CONNECTIONS {
            match listener.accept() {
                Ok((stream, _)) => {
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    if incoming.len() >= MAX_CONNECTIONS {
                        incoming.remove(0);
                    }
                    incoming.push(Incoming {
                        stream,
                        head: Vec::new(),
                        until: crate::time::instant_after(HEAD_DEADLINE),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(Error::Config(format!("the listener failed: {e}"))),
            }
        }
        let mut i = 0;
        while i < incoming.len() {
            match incoming[i].read() {
                Progress::Waiting => i += 1,
                Progress::Gone => drop(incoming.swap_remove(i)),
                Progress::Head => {
                    let c = incoming.swap_remove(i);
                    if let Some(outcome) = answer(c.stream, &c.head, path, request) {
                        return outcome;
                    }
                }
            }
        }
        std::thread::sleep(TICK.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// Answers one request. `None` when it was not this sign-in's redirect: another path,
/// or another `state` (a stale tab, or a local process trying to end the sign-in).
fn answer(
    mut stream: TcpStream,
    head: &[u8],
    path: &str,
    request: &crate::AuthorizationRequest,
) -> Option<Result<crate::AuthorizationCode>> {
    // The answer is small and the socket's buffer takes it; the timeout only bounds a
    // peer that stopped reading.
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let head = String::from_utf8_lossy(head);
    let target = head
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("GET "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or("");
    let (req_path, query) = target.split_once('?').unwrap_or((target, ""));
    if req_path != path {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return None;
    }
    // Only a redirect carrying this sign-in's state may end it (the full check, `iss`
    // included, comes after); anything else is a stale tab or another local program.
    let outcome = if carries_state(query, &request.state) {
        request.parse_callback(query)
    } else {
        Err(Error::StateMismatch)
    };
    let (status, title, text) = match &outcome {
        Ok(_) => (
            "200 OK",
            "Signed in",
            "You are signed in. You may close this window.",
        ),
        Err(Error::StateMismatch) => (
            "400 Bad Request",
            "Wrong sign-in",
            "This page is not the sign-in this app is waiting for (an old tab?). \
             Use the sign-in window the app opened last.",
        ),
        Err(Error::OAuth(_)) => (
            "200 OK",
            "Sign-in refused",
            "The sign-in was refused. You may close this window and try again.",
        ),
        Err(_) => (
            "200 OK",
            "Sign-in failed",
            "The sign-in could not be completed. You may close this window and try again.",
        ),
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;text-align:center;margin-top:4em\"><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let _ = stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    match outcome {
        Err(Error::StateMismatch) => None,
        other => Some(other),
    }
}

/// Whether a redirect's query carries `state` with the expected value (compared in
/// constant time).
fn carries_state(query: &str, expected: &str) -> bool {
    url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "state" && bool::from(v.as_bytes().ct_eq(expected.as_bytes())))
}

/// Opens a URL in the user's default browser, without a shell (a URL's `&` would split a
/// `cmd` command line).
fn open_system_browser(url: &str) -> Result<()> {
    #[cfg(windows)]
    let mut cmd = {
        let mut c = Command::new("rundll32");
        c.args(["url.dll,FileProtocolHandler", url]);
        c
    };
    #[cfg(target_os = "macos")]
    let mut cmd = {
        let mut c = Command::new("open");
        c.arg(url);
        c
    };
    #[cfg(not(any(windows, target_os = "macos")))]
    let mut cmd = {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    cmd.spawn()
        .map(drop)
        .map_err(|e| Error::Config(format!("cannot open the system browser: {e}")))
}

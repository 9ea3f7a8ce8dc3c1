//! Signing in from a desktop app through the system browser (RFC 8252): a listener on a
//! loopback port receives the redirect.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::token_set::TokenSet;

type Opener<'a> = Box<dyn FnOnce(&str) -> Result<()> + Send + 'a>;
type UrlHook<'a> = Box<dyn FnOnce(&str) + Send + 'a>;

/// A loopback sign-in, started by [`Client::sign_in_loopback`] and run with [`run`](Self::run).
#[must_use = "call .run() to sign in"]
pub struct LoopbackSignIn<'a> {
    client: &'a Client,
    timeout: Duration,
    cancel: Option<CancelToken>,
    opener: Option<Opener<'a>>,
    on_url: Option<UrlHook<'a>>,
    scopes: Option<Vec<String>>,
    port: u16,
    path: String,
}

impl std::fmt::Debug for LoopbackSignIn<'_> {
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
    pub fn sign_in_loopback(&self) -> LoopbackSignIn<'_> {
        LoopbackSignIn {
            client: self,
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

impl<'a> LoopbackSignIn<'a> {
    /// How long to wait for the user. Defaults to 5 minutes.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Cancels the wait from another thread.
    pub fn cancel_token(mut self, cancel: &CancelToken) -> Self {
        self.cancel = Some(cancel.clone());
        self
    }

    /// Opens the URL some other way than the system browser (a kiosk's embedded browser,
    /// a test's WebDriver session).
    pub fn open_with(mut self, opener: impl FnOnce(&str) -> Result<()> + Send + 'a) -> Self {
        self.opener = Some(Box::new(opener));
        self
    }

    /// Called with the authorization URL just before the browser opens: to show it as text
    /// or a QR code, or to log where the user is sent. Does not replace the opener.
    pub fn on_url(mut self, hook: impl FnOnce(&str) + Send + 'a) -> Self {
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

    /// Replaces the client's scopes for this sign-in.
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
    pub fn run(self) -> Result<TokenSet> {
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
        if let Some(s) = self.scopes {
            builder = builder.scopes(s);
        }
        let request = builder.build()?;
        if let Some(hook) = self.on_url {
            hook(&request.url);
        }
        match self.opener {
            Some(open) => open(&request.url)?,
            None => open_system_browser(&request.url)?,
        }

        let deadline = crate::cancel::instant_after(self.timeout);
        let code = loop {
            if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                return Err(Error::Cancelled);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout(
                    "waiting for the browser to come back".into(),
                ));
            }
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(25));
                    continue;
                }
                Err(e) => return Err(Error::Config(format!("the listener failed: {e}"))),
            };
            match handle(stream, &self.path, &request) {
                Some(outcome) => break outcome?,
                None => continue, // a favicon or a stray request: keep waiting
            }
        };

        let mut exchange = self.client.exchange_code(code).redirect_uri(&redirect_uri);
        if let Some(v) = &request.pkce_verifier {
            exchange = exchange.pkce_verifier(v);
        }
        let tokens = exchange.send()?;
        if let (Some(id), Some(_)) = (tokens.id_token(), &self.client.inner.oidc.issuer) {
            self.client
                .validate_id_token(id, request.nonce.as_deref())?;
        }
        Ok(tokens)
    }
}

/// Reads one request; answers it. `None` when it was not the redirect.
fn handle(
    mut stream: TcpStream,
    path: &str,
    request: &crate::AuthorizationRequest,
) -> Option<Result<crate::AuthorizationCode>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
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
    let outcome = request.parse_callback(query);
    let (title, text) = match &outcome {
        Ok(_) => ("Signed in", "You are signed in. You may close this window."),
        Err(Error::OAuth(_)) => (
            "Sign-in refused",
            "The sign-in was refused. You may close this window and try again.",
        ),
        Err(_) => (
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
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    Some(outcome)
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

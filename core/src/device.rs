//! The device authorization grant (RFC 8628), for tills and terminals without a browser.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::{Endpoint, Error, Result, UnexpectedResponse};
use crate::secret::DeviceCode;
use crate::time::{instant_after, system_time_after};
use crate::token_set::TokenSet;
use crate::validate;

/// The longest pause between polls, in seconds, whatever the server's `interval` and
/// however many `slow_down` answers came: RFC 8628 sets no limit, and a till must not
/// go quiet for hours because a server sent a huge number. Codes typically live 5 to 15
/// minutes, so a minute between polls is already slow.
pub const MAX_POLL_INTERVAL: u64 = 60;

/// What RFC 8628 §3.5 adds to the interval on each `slow_down`, in seconds.
const SLOW_DOWN_STEP: u64 = 5;

/// What the device authorization endpoint answered (RFC 8628 §3.2): show the user the
/// code and where to enter it, then poll.
///
/// It survives a restart: [`to_json`](Self::to_json) gives a JSON object (the codes, the
/// absolute expiry, the scopes asked for, the current polling interval) to keep on disk,
/// and [`from_json`](Self::from_json) reads it back, for any client of the same
/// registration to poll on. The JSON holds the device code, a secret: store it like a
/// refresh token, and delete it once the sign-in has ended.
///
/// Clones share the polling interval: it belongs to the device code, so a `slow_down`
/// answered to a poll on one copy (a worker thread's) slows every copy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    /// The device code (secret: whoever has it can collect the tokens).
    pub device_code: DeviceCode,
    /// The code the user types, e.g. `WDJB-MJHT`.
    pub user_code: String,
    /// Where the user goes to type it.
    pub verification_uri: String,
    /// The same with the code filled in, when the server offers one: the QR code's target.
    pub verification_uri_complete: Option<String>,
    /// How long the codes stayed valid when the server issued them, in seconds (see
    /// [`expires_at`](Self::expires_at) for when that is).
    pub expires_in: u64,
    /// The current minimum pause between polls, in seconds, shared by the clones.
    interval: Arc<AtomicU64>,
    /// The scopes asked for (the client's defaults when none were given).
    scopes: Vec<String>,
    /// When the codes expire, on the wall clock (what is saved) …
    expires_at: SystemTime,
    /// … and on the monotonic clock (what is checked).
    deadline: Instant,
}

/// The outcome of one poll of the token endpoint.
#[derive(Debug)]
#[non_exhaustive]
// A poll's result is moved once or twice, never stored in bulk: boxing the tokens would
// only complicate matching on them.
#[allow(clippy::large_enum_variant)]
pub enum DevicePoll {
    /// The user has not finished yet (`authorization_pending`).
    Pending,
    /// Polling too fast (`slow_down`): [`DeviceAuthorization::interval`] is now 5 s longer.
    SlowDown,
    /// Signed in.
    Tokens(TokenSet),
}

impl DeviceAuthorization {
    /// The URI a QR code should carry: the complete one when there is one.
    pub fn qr_target(&self) -> &str {
        self.verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri)
    }

    /// The QR code as an SVG document, for a POS screen.
    ///
    /// ```
    /// # let auth = authgate::DeviceAuthorization::example();
    /// assert!(auth.qr_svg()?.starts_with("<?xml"));
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn qr_svg(&self) -> Result<String> {
        let code = self.qr()?;
        Ok(code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build())
    }

    /// The QR code as text for a terminal (Unicode half blocks, two rows per line).
    pub fn qr_text(&self) -> Result<String> {
        let code = self.qr()?;
        Ok(code
            .render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build())
    }

    fn qr(&self) -> Result<qrcode::QrCode> {
        qrcode::QrCode::new(self.qr_target().as_bytes())
            .map_err(|e| Error::InvalidArgument(format!("cannot make a QR code: {e}")))
    }

    /// Whether the codes have expired (measured on the monotonic clock from their
    /// receipt, or from [`from_json`](Self::from_json) for a resumed one).
    pub fn is_expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// When the codes expire, on the wall clock.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The minimum pause between polls: the server's `interval` (5 s when it gave none),
    /// plus 5 s for each `slow_down` answer so far (RFC 8628 §3.5), at most
    /// [`MAX_POLL_INTERVAL`] seconds.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval.load(Ordering::Relaxed))
    }

    /// The scopes asked for: the token set's scope is compared with them, and is them
    /// when the server omits it.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// RFC 8628 §3.5: `slow_down` adds 5 seconds to this and every later poll.
    fn slow_down(&self) {
        let _ = self
            .interval
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |i| {
                Some(i.saturating_add(SLOW_DOWN_STEP).min(MAX_POLL_INTERVAL))
            });
    }

    fn new(
        device_code: DeviceCode,
        user_code: String,
        verification_uri: String,
        verification_uri_complete: Option<String>,
        expires_in: u64,
        interval: u64,
        scopes: Vec<String>,
    ) -> DeviceAuthorization {
        let lifetime = Duration::from_secs(expires_in);
        let now = SystemTime::now();
        DeviceAuthorization {
            device_code,
            user_code,
            verification_uri,
            verification_uri_complete,
            expires_in,
            interval: Arc::new(AtomicU64::new(interval.clamp(1, MAX_POLL_INTERVAL))),
            scopes,
            // A lifetime too long for the clock is as good as forever.
            expires_at: system_time_after(now, lifetime),
            deadline: instant_after(lifetime),
        }
    }

    /// The authorization as a JSON object, to resume polling after a restart with
    /// [`from_json`](Self::from_json): `device_code`, `user_code`, `verification_uri`,
    /// `verification_uri_complete` (or null), `expires_in`, `expires_at` (Unix seconds),
    /// `interval` (the current one, in seconds) and `scopes` (an array).
    ///
    /// **It holds the device code, a secret**: whoever reads it can collect the user's
    /// tokens until the codes expire. Store it like a refresh token.
    ///
    /// ```
    /// # let auth = authgate::DeviceAuthorization::example();
    /// let saved = auth.to_json();
    /// let resumed = authgate::DeviceAuthorization::from_json(&saved)?;
    /// assert_eq!(resumed.user_code, auth.user_code);
    /// assert_eq!(resumed.interval(), auth.interval());
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        let expires_at = self
            .expires_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        json!({
            "device_code": self.device_code.secret(),
            "user_code": self.user_code,
            "verification_uri": self.verification_uri,
            "verification_uri_complete": self.verification_uri_complete,
            "expires_in": self.expires_in,
            "expires_at": expires_at,
            "interval": self.interval.load(Ordering::Relaxed),
            "scopes": self.scopes,
        })
        .to_string()
    }

    /// Reads back what [`to_json`](Self::to_json) wrote, to poll again (with
    /// [`Client::wait_for_device_token`] or [`Client::poll_device_token`]) after a
    /// restart, with a new client of the same registration. No network.
    ///
    /// The expiry is absolute (the wall clock): codes that expired while the app was off
    /// are not polled for; polling answers the `expired_token` OAuth error at once,
    /// without a request. Errors: [`Error::InvalidArgument`] when the JSON is not such an
    /// object.
    pub fn from_json(json: &str) -> Result<DeviceAuthorization> {
        let bad =
            |what: &str| Error::InvalidArgument(format!("the saved device authorization {what}"));
        let value: Value = serde_json::from_str(json).map_err(|_| bad("is not JSON"))?;
        let obj = value
            .as_object()
            .ok_or_else(|| bad("is not a JSON object"))?;
        let text = |k: &str| -> Result<String> {
            match obj.get(k).and_then(Value::as_str) {
                Some(s) if !s.is_empty() => Ok(s.to_owned()),
                _ => Err(bad(&format!("has no {k}"))),
            }
        };
        let number = |k: &str| -> Result<u64> {
            obj.get(k)
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(&format!("has no {k} (a whole number)")))
        };
        let verification_uri_complete = match obj.get("verification_uri_complete") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_str()
                    .ok_or_else(|| bad("has a verification_uri_complete that is not a string"))?
                    .to_owned(),
            ),
        };
        let scopes = match obj.get("scopes") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("has scopes that are not strings"))?,
            Some(_) => return Err(bad("has scopes that are not an array")),
        };
        let expires_at = UNIX_EPOCH
            .checked_add(Duration::from_secs(number("expires_at")?))
            .ok_or_else(|| bad("has an expires_at out of range"))?;
        let left = expires_at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let mut auth = DeviceAuthorization::new(
            DeviceCode::new(text("device_code")?),
            text("user_code")?,
            text("verification_uri")?,
            verification_uri_complete,
            number("expires_in")?,
            obj.get("interval").and_then(Value::as_u64).unwrap_or(5),
            scopes,
        );
        auth.expires_at = expires_at;
        auth.deadline = instant_after(left);
        Ok(auth)
    }

    #[doc(hidden)]
    pub fn example() -> DeviceAuthorization {
        DeviceAuthorization::new(
            DeviceCode::new("example"),
            "WDJB-MJHT".into(),
            "https://example.com/device".into(),
            Some("https://example.com/device?user_code=WDJB-MJHT".into()),
            1800,
            5,
            Vec::new(),
        )
    }
}

/// The error of a poll for codes known to have expired: what the server would answer.
fn expired() -> Error {
    Error::OAuth(Box::new(crate::OAuthError {
        error: "expired_token".into(),
        description: Some(
            "the device code expired before the user signed in: start a new device authorization"
                .into(),
        ),
        uri: None,
        status: None,
        www_authenticate: None,
        retry_after: None,
    }))
}

impl Client {
    /// Starts a device sign-in (RFC 8628 §3.1): returns the codes to show the user.
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider, CancelToken};
    /// # let client = Client::builder(Provider::KonturExtern).client_id("c").client_secret("s")
    /// #     .discover("https://identity.testkontur.ru")?.build()?;
    /// let auth = client.device_authorization(None)?;
    /// println!("go to {} and enter {}", auth.verification_uri, auth.user_code);
    /// println!("{}", auth.qr_text()?);
    /// let tokens = client.wait_for_device_token(&auth, &CancelToken::new())?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn device_authorization(&self, scopes: Option<&[&str]>) -> Result<DeviceAuthorization> {
        let url = self
            .inner
            .oidc
            .device_authorization_endpoint
            .as_ref()
            .ok_or_else(|| {
                Error::Config(
                    "the client has no device_authorization_endpoint (set it, or use discover)"
                        .into(),
                )
            })?;
        let scopes: Vec<String> = match scopes {
            Some(s) => s.iter().map(|s| (*s).to_owned()).collect(),
            None => self.inner.scopes.clone(),
        };
        validate::scopes(&scopes, Error::InvalidArgument)?;
        let scope = scopes.join(" ");
        let mut params = Vec::new();
        if !scope.is_empty() {
            params.push(("scope", scope.as_str()));
        }
        let obj = self
            .post_authenticated(Endpoint::DeviceAuthorization, url, &params, &[])?
            .ok_or_else(|| {
                Error::InvalidArgument("the device authorization answer is empty".into())
            })?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let missing = |k: &str| {
            let r =
                UnexpectedResponse::new(200, format!("the device authorization answer has no {k}"));
            Error::UnexpectedResponse(Box::new(r)).at(Endpoint::DeviceAuthorization, url.as_str())
        };
        Ok(DeviceAuthorization::new(
            DeviceCode::new(text("device_code").ok_or_else(|| missing("device_code"))?),
            text("user_code").ok_or_else(|| missing("user_code"))?,
            text("verification_uri")
                .or_else(|| text("verification_url"))
                .ok_or_else(|| missing("verification_uri"))?,
            text("verification_uri_complete"),
            obj.get("expires_in").and_then(Value::as_u64).unwrap_or(600),
            obj.get("interval").and_then(Value::as_u64).unwrap_or(5),
            scopes,
        ))
    }

    /// Polls the token endpoint once (RFC 8628 §3.4), for callers that run their own loop
    /// (a UI timer firing every [`DeviceAuthorization::interval`]). On `slow_down` that
    /// interval grows by 5 s. `expired_token` and `access_denied` come back as OAuth
    /// errors; codes known to have expired are not sent (`expired_token` at once).
    pub fn poll_device_token(&self, auth: &DeviceAuthorization) -> Result<DevicePoll> {
        if auth.is_expired() {
            return Err(expired());
        }
        let request = self
            .device_token_request(&auth.device_code)
            .asked_scopes(&auth.scopes);
        match request.send() {
            Ok(tokens) => Ok(DevicePoll::Tokens(tokens)),
            Err(Error::OAuth(e)) if e.error == "authorization_pending" => Ok(DevicePoll::Pending),
            Err(Error::OAuth(e)) if e.error == "slow_down" => {
                auth.slow_down();
                Ok(DevicePoll::SlowDown)
            }
            Err(e) => Err(e),
        }
    }

    /// Polls until the user has signed in, honouring `interval` and `slow_down`, until the
    /// codes expire or `cancel` is cancelled. Works as well on an authorization resumed
    /// with [`DeviceAuthorization::from_json`].
    pub fn wait_for_device_token(
        &self,
        auth: &DeviceAuthorization,
        cancel: &CancelToken,
    ) -> Result<TokenSet> {
        loop {
            if auth.is_expired() {
                return Err(expired());
            }
            let next = instant_after(auth.interval());
            while Instant::now() < next {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                std::thread::sleep(Duration::from_millis(50).min(next - Instant::now()));
            }
            // A slow_down has already lengthened `auth.interval()`.
            if let DevicePoll::Tokens(t) = self.poll_device_token(auth)? {
                return Ok(t);
            }
        }
    }
}

//! The device authorization grant (RFC 8628), for tills and terminals without a browser.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::secret::DeviceCode;
use crate::token_set::TokenSet;

/// What the device authorization endpoint answered (RFC 8628 §3.2): show the user the
/// code and where to enter it, then poll.
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
    /// How long the codes stay valid, in seconds.
    pub expires_in: u64,
    /// The minimum pause between polls, in seconds (RFC 8628 default: 5).
    pub interval: u64,
    received: Instant,
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
    /// Polling too fast (`slow_down`): wait 5 s longer from now on.
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

    /// Whether the codes have expired (locally measured, monotonic clock).
    pub fn is_expired(&self) -> bool {
        self.received.elapsed() >= Duration::from_secs(self.expires_in)
    }

    #[doc(hidden)]
    pub fn example() -> DeviceAuthorization {
        DeviceAuthorization {
            device_code: DeviceCode::new("example"),
            user_code: "WDJB-MJHT".into(),
            verification_uri: "https://example.com/device".into(),
            verification_uri_complete: Some(
                "https://example.com/device?user_code=WDJB-MJHT".into(),
            ),
            expires_in: 1800,
            interval: 5,
            received: Instant::now(),
        }
    }
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
        let scope = match scopes {
            Some(s) => s.join(" "),
            None => self.inner.scopes.join(" "),
        };
        let mut params = Vec::new();
        if !scope.is_empty() {
            params.push(("scope", scope.as_str()));
        }
        let obj = self.post_authenticated(url, &params, &[])?.ok_or_else(|| {
            Error::InvalidArgument("the device authorization answer is empty".into())
        })?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let missing = |k: &str| {
            Error::UnexpectedResponse(Box::new(crate::UnexpectedResponse {
                status: 200,
                content_type: None,
                reason: format!("the device authorization answer has no {k}"),
                excerpt: String::new(),
                retry_after: None,
            }))
        };
        Ok(DeviceAuthorization {
            device_code: DeviceCode::new(
                text("device_code").ok_or_else(|| missing("device_code"))?,
            ),
            user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
            verification_uri: text("verification_uri")
                .or_else(|| text("verification_url"))
                .ok_or_else(|| missing("verification_uri"))?,
            verification_uri_complete: text("verification_uri_complete"),
            expires_in: obj.get("expires_in").and_then(Value::as_u64).unwrap_or(600),
            interval: obj
                .get("interval")
                .and_then(Value::as_u64)
                .unwrap_or(5)
                .max(1),
            received: Instant::now(),
        })
    }

    /// Polls the token endpoint once (RFC 8628 §3.4), for callers that run their own loop
    /// (a UI timer). `expired_token` and `access_denied` come back as OAuth errors.
    pub fn poll_device_token(&self, auth: &DeviceAuthorization) -> Result<DevicePoll> {
        match self.device_token_request(&auth.device_code).send() {
            Ok(tokens) => Ok(DevicePoll::Tokens(tokens)),
            Err(Error::OAuth(e)) if e.error == "authorization_pending" => Ok(DevicePoll::Pending),
            Err(Error::OAuth(e)) if e.error == "slow_down" => Ok(DevicePoll::SlowDown),
            Err(e) => Err(e),
        }
    }

    /// Polls until the user has signed in, honouring `interval` and `slow_down`, until the
    /// codes expire or `cancel` is cancelled.
    pub fn wait_for_device_token(
        &self,
        auth: &DeviceAuthorization,
        cancel: &CancelToken,
    ) -> Result<TokenSet> {
        let mut interval = Duration::from_secs(auth.interval);
        loop {
            let next = crate::cancel::instant_after(interval);
            while Instant::now() < next {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                std::thread::sleep(Duration::from_millis(50).min(next - Instant::now()));
            }
            if auth.is_expired() {
                return Err(Error::OAuth(Box::new(crate::OAuthError {
                    error: "expired_token".into(),
                    description: Some("the device code expired before the user signed in".into()),
                    uri: None,
                    status: None,
                    www_authenticate: None,
                    retry_after: None,
                })));
            }
            match self.poll_device_token(auth)? {
                DevicePoll::Tokens(t) => return Ok(t),
                DevicePoll::Pending => {}
                // RFC 8628 §3.5: add 5 seconds for this and all later polls.
                DevicePoll::SlowDown => interval += Duration::from_secs(5),
            }
        }
    }
}

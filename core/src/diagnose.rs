//! Harmless requests that tell whether a configuration works, for `authgate doctor` and
//! support tools: nothing here spends a code, a refresh token or a password.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::client::{Client, ClientBuilder};
use crate::discovery::ProviderMetadata;
use crate::endpoint::json_answer;
use crate::error::{Endpoint, Error, OAuthError, Result, UnexpectedResponse};
use crate::http::Http;
use crate::redact::Scrubber;

/// The grant type of the probe: no server grants it, so the answer is always an error.
const PROBE_GRANT: &str = "urn:authgate:params:grant-type:probe";

impl Client {
    /// Sends the token endpoint a request for a grant type no server supports, with the
    /// client's authentication, and returns the OAuth error it answers (RFC 6749 §5.2).
    /// Nothing is spent: no code, refresh token or password is sent.
    ///
    /// The expected answer is `unsupported_grant_type` (or `invalid_request`, or
    /// `unauthorized_client`); `invalid_client` means the server refused the client's
    /// credentials or the way they were sent ([`Client::auth_method`]). Anything that is
    /// not an OAuth error (a 404 page, a redirect) is the usual [`Error`], e.g.
    /// [`Error::UnexpectedResponse`] for a wrong token endpoint path.
    pub fn probe_token_endpoint(&self) -> Result<OAuthError> {
        let endpoint = self.inner.token_endpoint.clone();
        let grant = [("grant_type", PROBE_GRANT)];
        match self.post_authenticated(Endpoint::Token, &endpoint, &grant, &[]) {
            Err(Error::OAuth(e)) => Ok(*e),
            Err(e) => Err(e),
            Ok(_) => {
                let r = UnexpectedResponse::new(
                    200,
                    "the token endpoint accepted a grant type that does not exist",
                );
                Err(Error::UnexpectedResponse(Box::new(r)).at(Endpoint::Token, endpoint.as_str()))
            }
        }
    }
}

/// The answer of a server's origin to [`ClientBuilder::probe_origin`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginAnswer {
    /// The address asked: the origin (`scheme://host:port/`) of the URL given.
    pub url: String,
    /// The HTTP status of the answer, whatever it is (the origin need not serve a page).
    pub status: u16,
    /// The server's clock, from its `Date` header; `None` when it sent none (or not an
    /// HTTP date).
    pub date: Option<SystemTime>,
}

impl OriginAnswer {
    /// How far this computer's clock is ahead of the server's (negative: behind), in
    /// seconds; `None` without a `Date` header.
    pub fn clock_skew_secs(&self) -> Option<i64> {
        let server = self.date?;
        let secs = |t: SystemTime| {
            t.duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        };
        Some(secs(SystemTime::now()) - secs(server))
    }

    /// The server's `Date` as `2026-11-30 08:36:06 UTC`, if it sent one.
    pub fn date_utc(&self) -> Option<String> {
        let secs = self.date?.duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(crate::time::utc(secs))
    }
}

impl ClientBuilder {
    /// GETs the origin (`scheme://host:port/`) of `url` through the HTTP layer this
    /// configuration gives the client (proxy, trust roots, CA file, timeouts): the TCP
    /// connection, the proxy and the TLS handshake with the configured trust, and the
    /// server's clock. Any HTTP status is an answer. Nothing is sent but a plain GET.
    ///
    /// Works before [`build`](Self::build) can (e.g. before discovery). `endpoint` is the
    /// role of `url`, which errors name. A failure is the usual [`Error`]: a
    /// [`Error::Transport`] whose [`TransportKind`](crate::TransportKind) tells a proxy,
    /// TLS, DNS or connection failure apart, or [`Error::Timeout`].
    pub fn probe_origin(&self, endpoint: Endpoint, url: &str) -> Result<OriginAnswer> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::InvalidArgument(format!("{url:?} is not a URL: {e}")))?;
        let origin = format!("{}/", parsed.origin().ascii_serialization());
        let resp = Http::new(self.http_settings())?.get(endpoint, &origin, &[])?;
        let date = resp
            .date
            .and_then(|secs| u64::try_from(secs).ok())
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs));
        Ok(OriginAnswer {
            url: origin,
            status: resp.status,
            date,
        })
    }

    /// The proxy (host and port) a request to `url` goes through with this configuration,
    /// or `None`: no proxy configured or in the environment, a loopback host, a host in
    /// `NO_PROXY`, or a SOCKS proxy from the environment (not supported, so skipped).
    /// Errors as [`build`](Self::build) gives them for the HTTP settings (an invalid or
    /// SOCKS proxy URL, an unreadable CA file).
    pub fn proxy_for(&self, url: &str) -> Result<Option<(String, u16)>> {
        Ok(Http::new(self.http_settings())?.proxy_address(url))
    }

    /// The time this configuration allows to open a connection
    /// ([`connect_timeout`](Self::connect_timeout), 10 s unless set), for checks below the
    /// HTTP layer such as a plain TCP connect.
    ///
    /// ```
    /// # use authgate::{ClientBuilder, Provider};
    /// # use std::time::Duration;
    /// let b = ClientBuilder::new(Provider::Cuba).connect_timeout(Duration::from_secs(3));
    /// assert_eq!(b.configured_connect_timeout(), Duration::from_secs(3));
    /// assert_eq!(ClientBuilder::new(Provider::Cuba).configured_connect_timeout(), Duration::from_secs(10));
    /// ```
    pub fn configured_connect_timeout(&self) -> Duration {
        self.http_settings().connect_timeout
    }

    /// Where this configuration's HTTPS connections take trusted certificates from, in
    /// the words of [`TrustRoots::describe`](crate::TrustRoots::describe).
    pub fn trust_source(&self) -> String {
        self.http_settings().trust_roots.describe()
    }

    /// Fetches and checks the discovery document of `issuer` afresh (no cache), through
    /// the HTTP layer of this configuration, without applying it: what
    /// [`discover`](Self::discover) would use. Errors as there (an
    /// [`Error::UnexpectedResponse`] with the status for a missing document, an
    /// [`Error::Config`] for an issuer that does not match).
    pub fn probe_discovery(&self, issuer: &str) -> Result<ProviderMetadata> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let resp = Http::new(self.http_settings())?.get(Endpoint::Discovery, &url, &[])?;
        let (raw, _) = json_answer(&resp, &Scrubber::default())?;
        ProviderMetadata::from_json(&serde_json::Value::Object(raw).to_string(), issuer)
    }
}

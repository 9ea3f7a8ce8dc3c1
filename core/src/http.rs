//! The HTTP layer: one ureq agent per client, reused across calls (keep-alive), with
//! finite timeouts, a body cap and no redirects.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use ureq::unversioned::transport::{ConnectProxyConnector, Connector, TcpConnector};

use crate::client::is_loopback;
use crate::error::{Endpoint, Error, ErrorCode, TransportKind};
use crate::redact::ServerText;
use crate::transport::{FastResolver, OneWrite, Tls};
use crate::wire_trace;

/// Where the proxy for outgoing requests comes from. Whichever it is, requests to a
/// loopback host (`127.0.0.0/8`, `::1`, `localhost`) never go through a proxy.
///
/// Debug output hides the credentials of a proxy URL.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxyConfig {
    /// `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY` from the environment.
    #[default]
    FromEnv,
    /// No proxy at all, whatever the environment says.
    Disabled,
    /// This HTTP proxy, e.g. `http://user:pass@proxy.lan:3128` (a `socks5://` one is a
    /// configuration error: SOCKS is not supported).
    Url(String),
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyConfig::FromEnv => f.write_str("FromEnv"),
            ProxyConfig::Disabled => f.write_str("Disabled"),
            ProxyConfig::Url(u) => f.debug_tuple("Url").field(&without_userinfo(u)).finish(),
        }
    }
}

/// A proxy URL with its `user:password@` part replaced by `[redacted]@`.
fn without_userinfo(url: &str) -> Cow<'_, str> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}[redacted]{}", &url[..start], &url[start + at..])),
        None => Cow::Borrowed(url),
    }
}

/// Which certificate authorities HTTPS connections trust.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TrustRoots {
    /// Mozilla's root certificates, bundled in the library: the same on every machine.
    /// When `SSL_CERT_FILE` and/or `SSL_CERT_DIR` are set (as for OpenSSL-based clients
    /// such as curl), the certificates they name are trusted instead.
    #[default]
    Bundled,
    /// The operating system's trust store and verifier (Windows, macOS, the Linux CA
    /// bundle): what a corporate TLS proxy's or a national root CA is installed into.
    System,
    /// Only the certificates in this PEM file. A certificate in it that the server
    /// presents itself is trusted as it is (its host name and validity still checked), so
    /// a self-signed server certificate works here, as with curl's `--cacert`.
    CaFile(PathBuf),
}

impl TrustRoots {
    /// Where trusted certificates come from, in words: "the CA file /etc/ca.pem", "the
    /// system store", "the bundled Mozilla roots", or, when `SSL_CERT_FILE` /
    /// `SSL_CERT_DIR` are set, which take the bundled roots' place as for OpenSSL-based
    /// clients, "SSL_CERT_FILE (/path)".
    pub fn describe(&self) -> String {
        crate::tls::describe(self)
    }
}

/// Settings of the HTTP layer, part of the client configuration.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_response_bytes: u64,
    pub proxy: ProxyConfig,
    pub trust_roots: TrustRoots,
    /// Mutual TLS: the client certificate and key files (both or neither).
    pub tls_client_cert_file: Option<PathBuf>,
    pub tls_client_key_file: Option<PathBuf>,
    pub user_agent: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_response_bytes: 256 * 1024,
            proxy: ProxyConfig::FromEnv,
            trust_roots: TrustRoots::Bundled,
            tls_client_cert_file: None,
            tls_client_key_file: None,
            user_agent: concat!("authgate/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// An answer, read whole (up to the cap). Its header values are [`ServerText`] and its
/// body raw bytes: both may repeat the request's secrets, so they reach an error only
/// through a [`crate::redact::Scrubber`].
pub(crate) struct HttpResponse {
    pub status: u16,
    pub content_type: Option<ServerText>,
    pub www_authenticate: Option<ServerText>,
    pub retry_after: Option<u64>,
    pub location: Option<ServerText>,
    /// The `Date` header, when it is an HTTP date, as Unix seconds.
    pub date: Option<i64>,
    /// `DPoP-Nonce` (RFC 9449 §8): the nonce the server wants in the next proofs.
    pub dpop_nonce: Option<ServerText>,
    pub body: Vec<u8>,
    /// Which endpoint answered, and its address as the caller gave it (errors show it
    /// without query and userinfo).
    pub endpoint: Endpoint,
    pub url: String,
}

impl HttpResponse {
    /// [`Error::at`] this answer's endpoint and address.
    pub(crate) fn blame(&self, e: Error) -> Error {
        e.at(self.endpoint, &self.url)
    }
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

pub(crate) struct Http {
    agent: ureq::Agent,
    /// The client certificate presented in every handshake (mutual TLS).
    pub client_cert: Option<crate::mtls::ClientCert>,
    /// The agent's proxy, which loopback requests bypass.
    proxy: Option<ureq::Proxy>,
    max_response_bytes: u64,
    /// The certificates trusted, for the Redis store's `rediss://` connections.
    #[cfg(feature = "redis")]
    pub trust_roots: TrustRoots,
}

impl Http {
    pub(crate) fn new(s: &HttpSettings) -> Result<Http, Error> {
        let proxy = match &s.proxy {
            ProxyConfig::FromEnv => ureq::Proxy::try_from_env(),
            ProxyConfig::Disabled => None,
            ProxyConfig::Url(u) => Some(
                ureq::Proxy::new(u)
                    .map_err(|_| Error::Config("the proxy URL is not valid".into()))?,
            ),
        };
        // No SOCKS link in the connector chain: an explicit SOCKS proxy is a configuration
        // error (not a silent direct connection), one from the environment is skipped.
        let proxy = match proxy {
            Some(p)
                if !matches!(
                    p.protocol(),
                    ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
                ) =>
            {
                if matches!(s.proxy, ProxyConfig::Url(_)) {
                    return Err(Error::Config(
                        "SOCKS proxies are not supported: give an HTTP proxy (http://host:port)"
                            .into(),
                    ));
                }
                log::warn!(target: "authgate", "the SOCKS proxy from the environment is not supported: connecting directly");
                None
            }
            other => other,
        };
        let client_cert = crate::mtls::ClientCert::from_settings(
            s.tls_client_cert_file.as_ref(),
            s.tls_client_key_file.as_ref(),
        )?;
        let tls = crate::tls::LazyConfig::new(&s.trust_roots, client_cert.as_ref())?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A token endpoint that redirects is misconfigured or hijacked: following it
            // would send the code and the client credentials somewhere else.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(s.connect_timeout))
            .timeout_global(Some(s.timeout))
            .user_agent(s.user_agent.as_str())
            .accept("application/json")
            .proxy(proxy.clone())
            .build();
        // ureq's connector chain (HTTP proxy, TCP) with the core's TLS link (see `tls`) and
        // one more link at the end, and a resolver that skips the per-request lookup thread
        // (see `transport`).
        let connector =
            ().chain(ConnectProxyConnector::default())
                .chain(TcpConnector::default())
                .chain(Tls { config: tls })
                .chain(OneWrite);
        Ok(Http {
            agent: ureq::Agent::with_parts(config, connector, FastResolver::default()),
            proxy,
            client_cert,
            max_response_bytes: s.max_response_bytes,
            #[cfg(feature = "redis")]
            trust_roots: s.trust_roots.clone(),
        })
    }

    /// POSTs a form to one of the provider's endpoints. `headers` are extra request
    /// headers (e.g. `Authorization`).
    pub(crate) fn post_form(
        &self,
        endpoint: Endpoint,
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<HttpResponse, Error> {
        check_headers(headers)?;
        let trace = wire_trace::Exchange::request("POST", url, headers, Some(body));
        let mut req = self
            .direct_if_loopback(self.agent.post(url), url)
            .header("Content-Type", "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        trace.finish(self.read(trace.head(req.send(body)), endpoint, url))
    }

    /// GETs one of the provider's endpoints (discovery, JWKS, UserInfo).
    pub(crate) fn get(
        &self,
        endpoint: Endpoint,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, Error> {
        check_headers(headers)?;
        let trace = wire_trace::Exchange::request("GET", url, headers, None);
        let mut req = self.direct_if_loopback(self.agent.get(url), url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        trace.finish(self.read(trace.head(req.call()), endpoint, url))
    }

    /// Takes the proxy off a request to a loopback host: a proxy (from `HTTP_PROXY` without
    /// a `NO_PROXY`, typically) cannot reach this machine's own services, and a local
    /// provider must not be reached through a third party.
    fn direct_if_loopback<B>(
        &self,
        req: ureq::RequestBuilder<B>,
        url: &str,
    ) -> ureq::RequestBuilder<B> {
        if self.proxy.is_some() && url::Url::parse(url).is_ok_and(|u| is_loopback(&u)) {
            req.config().proxy(None).build()
        } else {
            req
        }
    }

    /// The proxy a request to `url` goes through, if any.
    fn proxy_for(&self, url: &str) -> Option<&ureq::Proxy> {
        let proxy = self.proxy.as_ref()?;
        let direct = url::Url::parse(url).is_ok_and(|u| is_loopback(&u))
            || url
                .parse::<ureq::http::Uri>()
                .is_ok_and(|u| proxy.is_no_proxy(&u));
        (!direct).then_some(proxy)
    }

    /// The proxy a request to `url` goes through, as host and port, if any.
    pub(crate) fn proxy_address(&self, url: &str) -> Option<(String, u16)> {
        self.proxy_for(url).map(|p| (p.host().to_owned(), p.port()))
    }

    fn read(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        endpoint: Endpoint,
        url: &str,
    ) -> Result<HttpResponse, Error> {
        let via = self.proxy_for(url);
        let failed = |e: ureq::Error| blame_proxy(transport_error(e), via).at(endpoint, url);
        let resp = sent.map_err(failed)?;
        let status = resp.status().as_u16();
        if status == 407 {
            if let Some(proxy) = via {
                // A plain http:// request through the proxy: its refusal comes as an answer.
                return Err(
                    Error::transport(TransportKind::Proxy, proxy_wants(proxy)).at(endpoint, url)
                );
            }
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(ServerText::new)
        };
        let content_type = header("content-type");
        let www_authenticate = header("www-authenticate");
        let retry_after = header("retry-after").and_then(|v| v.untrusted().trim().parse().ok());
        let location = header("location");
        let date = header("date").and_then(|d| crate::time::parse_http_date(d.untrusted()));
        let dpop_nonce = header("dpop-nonce");
        let body = resp
            .into_body()
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(failed)?;
        Ok(HttpResponse {
            status,
            content_type,
            www_authenticate,
            retry_after,
            location,
            date,
            dpop_nonce,
            body,
            endpoint,
            url: url.to_owned(),
        })
    }
}

/// Refuses a header value that HTTP cannot carry (a line break, NUL…), such as an access
/// token with a stray line break: the request could not be sent, and retrying cannot help.
/// The message names the header, never its value.
fn check_headers(headers: &[(&str, &str)]) -> Result<(), Error> {
    for (name, value) in headers {
        if ureq::http::HeaderValue::from_str(value).is_err() {
            return Err(Error::InvalidArgument(format!(
                "the {name} header would hold a line break or another control character"
            )));
        }
    }
    Ok(())
}

/// What kind of malformed answer it was, without the bytes ureq quotes after the colon
/// (`bad header: …`, `location header is malformed: …`): they are the server's, and a
/// server may echo a secret of the request there.
fn protocol_message(ureq_text: &str) -> String {
    let kind = ureq_text.split(':').next().unwrap_or(ureq_text).trim();
    format!("malformed HTTP answer ({kind})")
}

/// A failure to reach the proxy, or the proxy's refusal, said as such; other errors as
/// they are. `via` is the proxy the request went through.
fn blame_proxy(e: Error, via: Option<&ureq::Proxy>) -> Error {
    let Some(proxy) = via else {
        return e;
    };
    let at = format!("the proxy {}:{}", proxy.host(), proxy.port());
    let setting = "check the proxy setting (HTTPS_PROXY / HTTP_PROXY or the configured proxy), \
                   or turn the proxy off if this network needs none";
    match &e {
        Error::Transport { kind, message, .. } => match kind {
            TransportKind::Connect => Error::transport(
                TransportKind::Proxy,
                format!("{at} refused the connection ({message}): {setting}"),
            ),
            TransportKind::Dns => Error::transport(
                TransportKind::Proxy,
                format!("{at} was not found ({message}): {setting}"),
            ),
            // ureq's words for the proxy's answer to CONNECT.
            TransportKind::Proxy if message.starts_with("proxy server responded 407") => {
                Error::transport(TransportKind::Proxy, proxy_wants(proxy))
            }
            TransportKind::Proxy => {
                Error::transport(TransportKind::Proxy, format!("{at}: {message}"))
            }
            _ => e,
        },
        _ => e,
    }
}

/// What a 407 from the proxy means: credentials missing or refused (never shown).
fn proxy_wants(proxy: &ureq::Proxy) -> String {
    let at = format!("the proxy {}:{}", proxy.host(), proxy.port());
    if proxy.username().is_some() || proxy.password().is_some() {
        format!(
            "{at} refused the credentials in the proxy URL (HTTP 407): check the user name and \
             password there"
        )
    } else {
        format!(
            "{at} answered HTTP 407: the proxy needs credentials (give them in the proxy URL: \
             http://user:pass@host:port)"
        )
    }
}

/// Whether a failed request provably never reached the server: DNS, a refused
/// connection, a proxy that could not be reached or refused to pass the request on, or a
/// timeout while resolving or connecting. Only such a request may be sent
/// again blindly (a rotating refresh token is spent by any request that arrived). Next to
/// [`transport_error`], which words those timeouts.
pub(crate) fn never_sent(e: &Error) -> bool {
    const UNSENT_TIMEOUTS: [&str; 2] = ["resolve", "connect"];
    matches!(
        e.code(),
        ErrorCode::Connect | ErrorCode::Dns | ErrorCode::Proxy
    ) || matches!(e, Error::Timeout(m) if UNSENT_TIMEOUTS.contains(&m.as_str()))
}

fn transport_error(e: ureq::Error) -> Error {
    use ureq::Error as U;
    let t = |kind, message: String| Error::transport(kind, message);
    match e {
        U::Timeout(which) => Error::Timeout(format!("{which}")),
        U::HostNotFound => t(TransportKind::Dns, "host not found".into()),
        U::ConnectionFailed => t(TransportKind::Connect, "could not connect".into()),
        U::BodyExceedsLimit(limit) => Error::BodyTooLarge { limit },
        U::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused => t(TransportKind::Connect, io.to_string()),
            // rustls reports handshake and record failures through the I/O stream.
            _ if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
            {
                let inner = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
                t(
                    TransportKind::Tls,
                    inner.map_or_else(String::new, crate::tls::words),
                )
            }
            // std's resolver reports failures as an uncategorised I/O error with this text.
            _ if io.to_string().contains("lookup address") => t(TransportKind::Dns, io.to_string()),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout(io.to_string()),
            io::ErrorKind::UnexpectedEof => t(
                TransportKind::Io,
                "the connection closed before the answer was complete".into(),
            ),
            _ => t(TransportKind::Io, io.to_string()),
        },
        U::Tls(m) => t(TransportKind::Tls, m.to_owned()),
        U::Pem(e) => t(TransportKind::Tls, e.to_string()),
        U::Rustls(e) => t(TransportKind::Tls, crate::tls::words(&e)),
        U::InvalidProxyUrl => t(TransportKind::Proxy, "invalid proxy URL".into()),
        U::ConnectProxyFailed(m) => t(TransportKind::Proxy, m),
        U::BadUri(m) => Error::InvalidArgument(format!("bad URL: {m}")),
        U::RequireHttpsOnly(m) => Error::Config(m),
        U::Protocol(p) => t(TransportKind::Io, protocol_message(&p.to_string())),
        // The core's own error from a link of the connector chain (the TLS configuration
        // made on the first https:// connection).
        U::Other(e) => match e.downcast::<Error>() {
            Ok(ours) => *ours,
            Err(e) => t(TransportKind::Io, U::Other(e).to_string()),
        },
        other => t(TransportKind::Io, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_before_sending_count_as_never_sent() {
        use ureq::Timeout as T;
        for (timeout, unsent) in [
            (T::Resolve, true),
            (T::Connect, true),
            (T::SendRequest, false),
            (T::RecvResponse, false),
            (T::Global, false),
        ] {
            let e = transport_error(ureq::Error::Timeout(timeout));
            assert_eq!(never_sent(&e), unsent, "{timeout}: {e}");
        }
        assert!(never_sent(&transport_error(ureq::Error::ConnectionFailed)));
        assert!(never_sent(&transport_error(ureq::Error::HostNotFound)));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(!never_sent(&transport_error(ureq::Error::Io(reset))));
    }

    #[test]
    fn a_malformed_answer_is_named_without_the_servers_bytes() {
        let m = protocol_message("location header is malformed: https://x/?pw=s3cret");
        assert_eq!(m, "malformed HTTP answer (location header is malformed)");
        assert_eq!(
            protocol_message("chunk length is not ascii"),
            "malformed HTTP answer (chunk length is not ascii)"
        );
    }

    #[test]
    fn an_explicit_socks_proxy_is_refused_not_bypassed() {
        let settings = HttpSettings {
            proxy: ProxyConfig::Url("socks5://u:p@10.0.0.1:1080".into()),
            ..HttpSettings::default()
        };
        match Http::new(&settings) {
            Err(Error::Config(m)) => assert!(m.contains("SOCKS"), "{m}"),
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn proxy_debug_hides_credentials() {
        for (url, shown) in [
            (
                "http://user:pa@ss@proxy.lan:3128/x",
                "http://[redacted]@proxy.lan:3128/x",
            ),
            ("socks5://u:p@10.0.0.1", "socks5://[redacted]@10.0.0.1"),
            ("user:pass@proxy:8000", "[redacted]@proxy:8000"),
            ("http://proxy:3128/a@b", "http://proxy:3128/a@b"),
        ] {
            let debug = format!("{:?}", ProxyConfig::Url(url.into()));
            assert_eq!(debug, format!("Url({shown:?})"));
        }
        let settings = HttpSettings {
            proxy: ProxyConfig::Url("http://alice:s3cret@proxy:3128".into()),
            ..HttpSettings::default()
        };
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("alice"),
            "{debug}"
        );
        assert_eq!(format!("{:?}", ProxyConfig::FromEnv), "FromEnv");
    }
}

//! `authgate doctor`: checks a configuration end to end, one layer at a time, and says
//! what to do about each problem. Nothing is spent: no code, refresh token or password.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use authgate::{Client, ClientBuilder, Error, ProviderMetadata};
use clap::Args;
use serde_json::{json, Value};

use crate::config::ClientOpts;
use crate::exit;
use crate::output::hint;

/// The clock skew beyond which id_tokens (60 s leeway) and certificates start failing.
const MAX_SKEW_SECS: i64 = 60;

/// `authgate doctor`.
#[derive(Args)]
pub struct DoctorArgs {
    /// Prints the report as JSON (for a support ticket; it holds no secret).
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    advice: Option<String>,
}

#[derive(Default)]
struct Report(Vec<Check>);

impl Report {
    fn add(&mut self, name: &'static str, status: Status, detail: impl Into<String>) {
        self.0.push(Check {
            name,
            status,
            detail: detail.into(),
            advice: None,
        });
    }

    fn fail(&mut self, name: &'static str, detail: impl Into<String>, advice: impl Into<String>) {
        self.0.push(Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            advice: Some(advice.into()),
        });
    }

    fn failed(&self) -> bool {
        self.0.iter().any(|c| c.status == Status::Fail)
    }

    fn print(&self, as_json: bool) {
        if as_json {
            let checks: Vec<Value> = self
                .0
                .iter()
                .map(|c| {
                    json!({"check": c.name, "status": c.status.name(), "detail": c.detail,
                           "advice": c.advice})
                })
                .collect();
            let report = json!({"ok": !self.failed(), "checks": checks});
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            return;
        }
        for c in &self.0 {
            let tag = match c.status {
                Status::Ok => "[ ok ]",
                Status::Warn => "[warn]",
                Status::Fail => "[FAIL]",
                Status::Skip => "[skip]",
            };
            println!("{tag} {:<14} {}", c.name, c.detail);
            if let Some(a) = &c.advice {
                println!("       {:<14} → {a}", "");
            }
        }
        if self.failed() {
            println!(
                "\nSome checks failed: fix the first one first, the others may follow from it."
            );
        } else {
            println!("\nAll checks passed.");
        }
    }
}

/// Runs every check and prints the report; returns the exit code.
pub fn run(opts: &ClientOpts, args: &DoctorArgs) -> u8 {
    let mut r = Report::default();
    diagnose(opts, &mut r);
    r.print(args.json);
    if r.failed() {
        exit::DOCTOR_FOUND_PROBLEMS
    } else {
        0
    }
}

/// The settings of the HTTP layer, read from the same merged configuration the client uses.
struct Net {
    proxy: Option<String>,
    trust_roots: Option<String>,
    ca_file: Option<String>,
    connect_timeout: Duration,
}

fn diagnose(opts: &ClientOpts, r: &mut Report) {
    let config = match opts.json() {
        Ok(c) => c,
        Err(e) => return r.fail("configuration", e.to_string(), hint(&e)),
    };
    let text = |k: &str| config.get(k).and_then(Value::as_str).map(str::to_owned);
    let net = Net {
        proxy: text("proxy"),
        trust_roots: text("trust_roots"),
        ca_file: text("ca_file"),
        connect_timeout: Duration::from_millis(
            config
                .get("connect_timeout_ms")
                .and_then(Value::as_u64)
                .unwrap_or(10_000),
        ),
    };
    let builder = match ClientBuilder::from_json(&Value::Object(config.clone()).to_string()) {
        Ok(b) => b,
        Err(e) => return r.fail("configuration", e.to_string(), hint(&e)),
    };
    // Without discovery first: the network checks come before the discovery document.
    let plain = builder.clone().build();
    let target = match (&opts.issuer, &plain) {
        (Some(issuer), _) => issuer.clone(),
        (None, Ok(c)) => c.token_endpoint().to_owned(),
        (None, Err(e)) => return r.fail("configuration", e.to_string(), hint(e)),
    };
    match &plain {
        Ok(c) => r.add(
            "configuration",
            Status::Ok,
            format!(
                "provider {}, client {}, token endpoint {}, auth method {}",
                c.provider().name(),
                c.client_id(),
                c.token_endpoint(),
                c.auth_method().name()
            ),
        ),
        Err(_) => r.add(
            "configuration",
            Status::Ok,
            format!("endpoints from the discovery document of {target}"),
        ),
    }
    let Ok(url) = url::Url::parse(&target) else {
        return r.fail(
            "configuration",
            format!("{target} is not a URL"),
            "fix --base-url, --token-endpoint or --issuer",
        );
    };
    let host = url.host_str().unwrap_or("").to_owned();
    let port = url.port_or_known_default().unwrap_or(443);

    let proxy = proxy_check(&net, &url, r);
    let resolved = dns_check(&host, port, proxy.is_some(), r);
    let tcp_target = match &proxy {
        Some(p) => Some((p.host().to_owned(), p.port(), "the proxy")),
        None => resolved.then(|| (host.clone(), port, "the server")),
    };
    let Some((tcp_host, tcp_port, what)) = tcp_target else {
        return r.add("tcp", Status::Skip, "the host does not resolve");
    };
    if !tcp_check(&tcp_host, tcp_port, what, net.connect_timeout, r) {
        return r.add(
            "tls",
            Status::Skip,
            "no connection: the later checks need one",
        );
    }
    let agent = match agent(&net, proxy.clone()) {
        Ok(a) => a,
        Err(e) => {
            return r.fail(
                "tls",
                e,
                "fix --ca-file (a PEM file with the CA certificate)",
            )
        }
    };
    let origin = format!("{}/", url.origin().ascii_serialization());
    let Some(date) = https_check(&agent, &origin, &net, proxy.is_some(), r) else {
        return;
    };
    clock_check(date, r);
    let metadata = discovery_check(&agent, opts.issuer.as_deref(), r);
    let client = match opts.client() {
        Ok(c) => c,
        Err(e) => return r.fail("configuration", e.to_string(), hint(&e)),
    };
    let refused = probe_check(&client, r);
    auth_method_check(&client, metadata.as_ref(), refused, r);
}

fn proxy_check(net: &Net, url: &url::Url, r: &mut Report) -> Option<ureq::Proxy> {
    let setting = net.proxy.as_deref().unwrap_or("env");
    let uri: Option<ureq::http::Uri> = url.as_str().parse().ok();
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if loopback && !matches!(setting, "none" | "") {
        // The library never sends requests for this machine's own services to a proxy.
        r.add(
            "proxy",
            Status::Ok,
            "not used: the server is on this machine (loopback)",
        );
        return None;
    }
    match setting {
        "none" | "" => {
            r.add("proxy", Status::Ok, "none (--proxy none)");
            None
        }
        "env" => {
            let var = [
                "ALL_PROXY",
                "all_proxy",
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
            ]
            .into_iter()
            .find(|v| std::env::var(v).is_ok_and(|s| !s.is_empty()));
            let proxy = ureq::Proxy::try_from_env();
            match (var, proxy) {
                (None, _) | (_, None) => {
                    r.add("proxy", Status::Ok, "none (no proxy variable is set)");
                    None
                }
                (Some(var), Some(p)) => {
                    let bypass = uri.as_ref().is_some_and(|u| p.is_no_proxy(u));
                    let shown = format!("{}:{}", p.host(), p.port());
                    if bypass {
                        r.add(
                            "proxy",
                            Status::Ok,
                            format!("{shown} from {var}, not used for this host (NO_PROXY)"),
                        );
                        None
                    } else {
                        r.add(
                            "proxy",
                            Status::Ok,
                            format!("{shown} from {var}, used for this host"),
                        );
                        Some(p)
                    }
                }
            }
        }
        explicit => match ureq::Proxy::new(explicit) {
            Ok(p) => {
                r.add(
                    "proxy",
                    Status::Ok,
                    format!("{}:{} (--proxy), used for this host", p.host(), p.port()),
                );
                Some(p)
            }
            Err(_) => {
                r.fail(
                    "proxy",
                    "the proxy setting is not a valid proxy URL",
                    "write it as http://host:port (or socks5://host:port), or use --proxy none",
                );
                None
            }
        },
    }
}

fn dns_check(host: &str, port: u16, via_proxy: bool, r: &mut Report) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') && host.ends_with(']') {
        r.add("dns", Status::Ok, format!("{host} is an IP address"));
        return true;
    }
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let list: Vec<String> = addrs.map(|a| a.ip().to_string()).collect();
            r.add("dns", Status::Ok, format!("{host} → {}", list.join(", ")));
            true
        }
        Err(e) if via_proxy => {
            r.add(
                "dns",
                Status::Warn,
                format!("{host} does not resolve here ({e}); the proxy resolves it"),
            );
            true
        }
        Err(e) => {
            r.fail(
                "dns",
                format!("{host} does not resolve: {e}"),
                "check the host name in the URL and this computer's DNS settings; if the network needs a proxy, set HTTPS_PROXY or --proxy",
            );
            false
        }
    }
}

fn tcp_check(host: &str, port: u16, what: &str, timeout: Duration, r: &mut Report) -> bool {
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map(|a| a.collect())
        .unwrap_or_default();
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => {
                r.add(
                    "tcp",
                    Status::Ok,
                    format!("{what} at {host}:{port} accepts connections ({addr})"),
                );
                return true;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let advice = if what == "the proxy" {
        "the proxy refuses connections: check HTTPS_PROXY / --proxy, or go without it (--proxy none)"
    } else {
        "nothing answers there: check the port in the URL, that the server runs, and the firewall; a network that needs a proxy: set HTTPS_PROXY or --proxy"
    };
    r.fail(
        "tcp",
        format!("{what} at {host}:{port} cannot be reached: {last}"),
        advice,
    );
    false
}

fn agent(net: &Net, proxy: Option<ureq::Proxy>) -> Result<ureq::Agent, String> {
    let roots = match (&net.ca_file, net.trust_roots.as_deref()) {
        (Some(path), _) => {
            let pem =
                std::fs::read(path).map_err(|e| format!("cannot read the CA file {path}: {e}"))?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(format!("the CA file {path} holds no certificate"));
            }
            ureq::tls::RootCerts::new_with_certs(&certs)
        }
        (None, Some("system")) => ureq::tls::RootCerts::PlatformVerifier,
        _ => ureq::tls::RootCerts::WebPki,
    };
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(net.connect_timeout))
        .timeout_global(Some(net.connect_timeout * 2))
        .proxy(proxy)
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

fn trust_source(net: &Net) -> String {
    match (&net.ca_file, net.trust_roots.as_deref()) {
        (Some(path), _) => format!("the CA file {path}"),
        (None, Some("system")) => "the operating system's trust store".into(),
        _ => "the bundled Mozilla roots".into(),
    }
}

/// GETs the server's origin: the TLS handshake, and the `Date` header for the clock.
fn https_check(
    agent: &ureq::Agent,
    origin: &str,
    net: &Net,
    via_proxy: bool,
    r: &mut Report,
) -> Option<Option<String>> {
    let tls = origin.starts_with("https:");
    match agent.get(origin).call() {
        Ok(resp) => {
            if tls {
                r.add(
                    "tls",
                    Status::Ok,
                    format!("the certificate is trusted through {}", trust_source(net)),
                );
            } else {
                r.add("tls", Status::Skip, "plain http:// (no TLS)");
            }
            r.add(
                "http",
                Status::Ok,
                format!("{origin} answers (HTTP {})", resp.status().as_u16()),
            );
            Some(
                resp.headers()
                    .get("date")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            )
        }
        Err(e) => {
            let text = e.to_string();
            let is_tls = matches!(e, ureq::Error::Tls(_) | ureq::Error::Rustls(_))
                || matches!(&e, ureq::Error::Io(io) if io.get_ref().is_some_and(|i| i.downcast_ref::<rustls::Error>().is_some()));
            if is_tls {
                r.fail(
                    "tls",
                    format!("the server's certificate is not trusted through {}: {text}", trust_source(net)),
                    "pass --ca-file FILE with the CA that signed the server's certificate (PEM), or --trust-roots system if that CA is installed in the operating system (a corporate TLS proxy); also check this computer's clock",
                );
            } else if matches!(e, ureq::Error::ConnectProxyFailed(_))
                || via_proxy && matches!(e, ureq::Error::ConnectionFailed | ureq::Error::Io(_))
            {
                r.fail(
                    "proxy",
                    format!("the proxy did not pass the request on: {text}"),
                    "check the proxy address and its credentials (407 means it needs a user and password), or go without it (--proxy none)",
                );
            } else {
                r.fail(
                    "http",
                    format!("{origin} did not answer: {text}"),
                    "check the URL; add --trace to see the exchange",
                );
            }
            None
        }
    }
}

fn clock_check(date: Option<String>, r: &mut Report) {
    let Some(date) = date else {
        return r.add("clock", Status::Skip, "the server sent no Date header");
    };
    let Some(server) = parse_http_date(&date) else {
        return r.add(
            "clock",
            Status::Skip,
            format!("the Date header {date:?} is not an HTTP date"),
        );
    };
    let local = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let skew = local - server;
    let describe = if skew >= 0 { "ahead of" } else { "behind" };
    if skew.abs() > MAX_SKEW_SECS {
        r.fail(
            "clock",
            format!(
                "this computer's clock is {} s {describe} the server's (server: {date})",
                skew.abs()
            ),
            "set this computer's clock (turn on time synchronisation, NTP): id_tokens and certificates are checked against it",
        );
    } else {
        r.add(
            "clock",
            Status::Ok,
            format!("within {} s of the server's", skew.abs()),
        );
    }
}

/// Reads an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
fn parse_http_date(s: &str) -> Option<i64> {
    let mut it = s.split_whitespace().skip(1);
    let day: i64 = it.next()?.parse().ok()?;
    let month_name = it.next()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month_name)? as i64
        + 1;
    let year: i64 = it.next()?.parse().ok()?;
    let hms: Vec<i64> = it
        .next()?
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if hms.len() != 3 || it.next() != Some("GMT") {
        return None;
    }
    // Howard Hinnant's days-from-civil algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2])
}

fn discovery_check(
    agent: &ureq::Agent,
    issuer: Option<&str>,
    r: &mut Report,
) -> Option<ProviderMetadata> {
    let Some(issuer) = issuer else {
        r.add(
            "discovery",
            Status::Skip,
            "no --issuer (not an OpenID Connect discovery setup)",
        );
        return None;
    };
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let body = match agent.get(&url).call() {
        Ok(resp) if resp.status().as_u16() == 200 => {
            let mut resp = resp;
            resp.body_mut().read_to_string().unwrap_or_default()
        }
        Ok(resp) => {
            r.fail(
                "discovery",
                format!("{url} answered HTTP {}", resp.status().as_u16()),
                "check --issuer: it is the URL before /.well-known/openid-configuration",
            );
            return None;
        }
        Err(e) => {
            r.fail(
                "discovery",
                format!("{url}: {e}"),
                "check --issuer and the network checks above",
            );
            return None;
        }
    };
    let m = match ProviderMetadata::from_json(&body, issuer) {
        Ok(m) => m,
        Err(e) => {
            r.fail(
                "discovery",
                e.to_string(),
                "the document must name exactly the --issuer given (scheme, host, port and path, as the provider writes it)",
            );
            return None;
        }
    };
    let mut have = Vec::new();
    for (name, v) in [
        ("authorization", &m.authorization_endpoint),
        ("token", &m.token_endpoint),
        ("jwks", &m.jwks_uri),
        ("userinfo", &m.userinfo_endpoint),
        ("revocation", &m.revocation_endpoint),
        ("introspection", &m.introspection_endpoint),
        ("device", &m.device_authorization_endpoint),
    ] {
        if v.is_some() {
            have.push(name);
        }
    }
    r.add(
        "discovery",
        Status::Ok,
        format!(
            "issuer matches; endpoints: {}; redirects carry iss (RFC 9207): {}",
            have.join(", "),
            if m.authorization_response_iss_parameter_supported {
                "yes"
            } else {
                "no"
            }
        ),
    );
    if m.token_endpoint.is_none() {
        r.fail(
            "discovery",
            "the document names no token_endpoint",
            "set --token-endpoint explicitly",
        );
    }
    if m.jwks_uri.is_none() {
        r.add(
            "discovery",
            Status::Warn,
            "no jwks_uri: id_tokens cannot be validated",
        );
    }
    if !m.code_challenge_methods_supported.is_empty()
        && !m
            .code_challenge_methods_supported
            .iter()
            .any(|c| c == "S256")
    {
        r.add(
            "discovery",
            Status::Warn,
            "PKCE S256 is not advertised (authgate sends it anyway; --no-pkce if the server refuses it)",
        );
    }
    Some(m)
}

/// The harmless token request; returns whether the client's credentials were refused.
fn probe_check(client: &Client, r: &mut Report) -> bool {
    let url = client.token_endpoint();
    match client.probe_token_endpoint() {
        Ok(e) if e.error == "invalid_client" || e.error == "unauthorized" => {
            r.fail(
                "token endpoint",
                format!(
                    "{url} refused the client's credentials, sent with {} (HTTP {})",
                    client.auth_method().name(),
                    e.status.unwrap_or(0)
                ),
                "check --client-id and --client-secret; if they are right, the provider expects another --auth-method (client_secret_basic or client_secret_post)",
            );
            true
        }
        Ok(e) => {
            r.add(
                "token endpoint",
                Status::Ok,
                format!(
                    "{url} answers with an OAuth error as expected ({}, HTTP {}); the client credentials were not refused",
                    e.error,
                    e.status.unwrap_or(0)
                ),
            );
            false
        }
        Err(e) => {
            let advice = match &e {
                Error::UnexpectedResponse(u) if u.status == 404 => format!(
                    "{url} does not exist (HTTP 404): check --base-url (the preset adds its own path) or set --token-endpoint"
                ),
                _ => hint(&e),
            };
            r.fail("token endpoint", format!("{url}: {e}"), advice);
            false
        }
    }
}

fn auth_method_check(
    client: &Client,
    metadata: Option<&ProviderMetadata>,
    refused: bool,
    r: &mut Report,
) {
    let method = client.auth_method().name();
    let advertised = metadata
        .map(|m| m.token_endpoint_auth_methods_supported.clone())
        .unwrap_or_default();
    if advertised.is_empty() {
        let detail = format!("{method}; the provider advertises no methods (no discovery)");
        if refused {
            r.fail(
                "auth method",
                detail,
                format!(
                    "the token endpoint refused {method}: try --auth-method {}",
                    other_method(method)
                ),
            );
        } else {
            r.add("auth method", Status::Ok, detail);
        }
        return;
    }
    if advertised.iter().any(|a| a == method) {
        r.add(
            "auth method",
            Status::Ok,
            format!(
                "{method}, advertised by the provider ({})",
                advertised.join(", ")
            ),
        );
    } else {
        r.fail(
            "auth method",
            format!(
                "{method} is configured, but the provider advertises only {}",
                advertised.join(", ")
            ),
            format!("set --auth-method {}", advertised[0]),
        );
    }
}

fn other_method(method: &str) -> &'static str {
    if method == "client_secret_basic" {
        "client_secret_post"
    } else {
        "client_secret_basic"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn http_dates_parse() {
        assert_eq!(
            super::parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(0)
        );
        assert_eq!(
            super::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(super::parse_http_date("yesterday"), None);
    }
}

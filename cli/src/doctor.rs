//! `authgate doctor`: checks a configuration end to end, one layer at a time, and says
//! what to do about each problem. Nothing is spent: no code, refresh token or password.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use authgate::{
    Client, ClientBuilder, Endpoint, Error, OriginAnswer, ProviderMetadata, TransportKind,
};
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

/// The settings the checks below the HTTP layer (proxy words, TCP) need, read from the
/// same merged configuration the client uses; HTTP itself goes through the core.
struct Net {
    proxy: Option<String>,
    connect_timeout: Duration,
}

fn diagnose(opts: &ClientOpts, r: &mut Report) {
    let config = match opts.json() {
        Ok(c) => c,
        Err(e) => return r.fail("configuration", e.to_string(), hint(&e)),
    };
    let text = |k: &str| config.get(k).and_then(Value::as_str).map(str::to_owned);
    let builder = match ClientBuilder::from_json(&Value::Object(config.clone()).to_string()) {
        Ok(b) => b,
        Err(e) => return r.fail("configuration", e.to_string(), hint(&e)),
    };
    let net = Net {
        proxy: text("proxy"),
        connect_timeout: builder.configured_connect_timeout(),
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

    let Some(proxy) = proxy_check(&builder, &net, &url, r) else {
        return;
    };
    let resolved = dns_check(&host, port, proxy.is_some(), r);
    let tcp_target = match proxy {
        Some((proxy_host, proxy_port)) => Some((proxy_host, proxy_port, "the proxy")),
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
    let role = if opts.issuer.is_some() {
        Endpoint::Discovery
    } else {
        Endpoint::Token
    };
    let Some(answer) = https_check(&builder, role, &target, r) else {
        return;
    };
    clock_check(&answer, r);
    let metadata = discovery_check(&builder, opts.issuer.as_deref(), r);
    let client = match opts.client() {
        Ok(c) => c,
        Err(e) => return r.fail("configuration", e.to_string(), hint(&e)),
    };
    let refused = probe_check(&client, r);
    auth_method_check(&client, metadata.as_ref(), refused, r);
}

/// Which proxy the core's HTTP layer uses for this URL, and where that comes from.
/// `None` when the HTTP settings are unusable (reported), else the proxy's host and port
/// if one is used.
fn proxy_check(
    builder: &ClientBuilder,
    net: &Net,
    url: &url::Url,
    r: &mut Report,
) -> Option<Option<(String, u16)>> {
    let setting = net.proxy.as_deref().unwrap_or("env");
    let used = match builder.proxy_for(url.as_str()) {
        Ok(used) => used,
        Err(e) => {
            // The HTTP settings themselves: a proxy URL that is not valid or SOCKS, an
            // unreadable CA file. The core's message names which.
            let advice = hint(&e);
            r.fail("configuration", e.to_string(), advice);
            return None;
        }
    };
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
    let detail = match (&used, setting, var) {
        (_, "none" | "", _) => "none (--proxy none)".to_owned(),
        (Some((h, p)), "env", Some(var)) => format!("{h}:{p} from {var}, used for this host"),
        (Some((h, p)), _, _) => format!("{h}:{p} (--proxy), used for this host"),
        (None, _, _) if is_loopback(url) => {
            // The library never sends requests for this machine's own services to a proxy.
            "not used: the server is on this machine (loopback)".to_owned()
        }
        (None, "env", None) => "none (no proxy variable is set)".to_owned(),
        (None, "env", Some(var)) => {
            format!("{var} is set, but not used for this host (NO_PROXY, or a SOCKS proxy)")
        }
        (None, _, _) => "not used for this host".to_owned(),
    };
    r.add("proxy", Status::Ok, detail);
    Some(used)
}

/// A host on this machine, which the core never reaches through a proxy.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
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

/// GETs the server's origin through the core's HTTP layer: the proxy, the TLS handshake
/// with the configured trust, and the `Date` header for the clock.
fn https_check(
    builder: &ClientBuilder,
    role: Endpoint,
    target: &str,
    r: &mut Report,
) -> Option<OriginAnswer> {
    let trust = builder.trust_source();
    match builder.probe_origin(role, target) {
        Ok(answer) => {
            if answer.url.starts_with("https:") {
                r.add(
                    "tls",
                    Status::Ok,
                    format!("the certificate is trusted through {trust}"),
                );
            } else {
                r.add("tls", Status::Skip, "plain http:// (no TLS)");
            }
            r.add(
                "http",
                Status::Ok,
                format!("{} answers (HTTP {})", answer.url, answer.status),
            );
            Some(answer)
        }
        Err(Error::Transport {
            kind: TransportKind::Tls,
            message,
            ..
        }) => {
            r.fail(
                "tls",
                format!("the server's certificate is not trusted through {trust}: {message}"),
                "pass --ca-file FILE with the CA that signed the server's certificate (PEM), or --trust-roots system if that CA is installed in the operating system (a corporate TLS proxy); also check this computer's clock",
            );
            None
        }
        Err(Error::Transport {
            kind: TransportKind::Proxy,
            message,
            ..
        }) => {
            r.fail(
                "proxy",
                format!("the proxy did not pass the request on: {message}"),
                "check the proxy address and its credentials, or go without it (--proxy none)",
            );
            None
        }
        Err(e @ Error::Config(_)) => {
            let advice = hint(&e);
            r.fail("configuration", e.to_string(), advice);
            None
        }
        Err(e) => {
            r.fail(
                "http",
                format!("the server did not answer: {e}"),
                "check the URL; add --trace to see the exchange",
            );
            None
        }
    }
}

fn clock_check(answer: &OriginAnswer, r: &mut Report) {
    let (Some(skew), Some(date)) = (answer.clock_skew_secs(), answer.date_utc()) else {
        return r.add(
            "clock",
            Status::Skip,
            "the server sent no Date header (or not an HTTP date)",
        );
    };
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

fn discovery_check(
    builder: &ClientBuilder,
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
    let m = match builder.probe_discovery(issuer) {
        Ok(m) => m,
        Err(Error::UnexpectedResponse(u)) => {
            r.fail(
                "discovery",
                format!(
                    "{} answered HTTP {}",
                    u.url.as_deref().unwrap_or(issuer),
                    u.status
                ),
                "check --issuer: it is the URL before /.well-known/openid-configuration",
            );
            return None;
        }
        Err(e @ Error::Config(_)) => {
            r.fail(
                "discovery",
                e.to_string(),
                "the document must name exactly the --issuer given (scheme, host, port and path, as the provider writes it)",
            );
            return None;
        }
        Err(e) => {
            r.fail(
                "discovery",
                e.to_string(),
                "check --issuer and the network checks above",
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

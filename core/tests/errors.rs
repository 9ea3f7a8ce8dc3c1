//! Every error kind, including each fault the emulator can inject, over real loopback HTTP.

mod common;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use authgate::{Client, Error, ErrorCode, Provider, TransportKind};
use common::*;

const TOKEN: &str = fx::GEARCODE_TOKEN_PATH;

/// A GearCode client with a short timeout, and a refresh token to spend.
fn setup() -> (Emulator, Client, authgate::RefreshToken) {
    let emu = emulator();
    let client = builder(&emu, Provider::GearCode)
        .timeout(Duration::from_millis(1500))
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    let rt = sign_in(&client).refresh_token().unwrap().clone();
    emu.reset();
    (emu, client, rt)
}

fn refresh_with_fault(kind: FaultKind) -> (Emulator, Error, authgate::RefreshToken) {
    let (emu, client, rt) = setup();
    emu.inject(Fault::new(TOKEN, kind));
    let err = client.refresh(&rt).send().unwrap_err();
    assert_no_secret(&err, &[rt.secret(), fx::GEARCODE_CLIENT_SECRET]);
    (emu, err, rt)
}

fn unexpected(err: &Error) -> &authgate::UnexpectedResponse {
    match err {
        Error::UnexpectedResponse(r) => r,
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
}

#[test]
fn slow_answer_times_out_as_transient() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::Delay(Duration::from_secs(3)));
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
    assert!(err.is_transient() && !err.is_terminal());
}

#[test]
fn delay_within_the_timeout_is_fine() {
    let (emu, client, rt) = setup();
    emu.inject(Fault::new(
        TOKEN,
        FaultKind::Delay(Duration::from_millis(200)),
    ));
    let start = Instant::now();
    client.refresh(&rt).send().unwrap();
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[test]
fn status_503_with_retry_after() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::Status {
        status: 503,
        retry_after: Some(7),
    });
    assert_eq!(err.code(), ErrorCode::UnexpectedResponse);
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.is_transient());
}

#[test]
fn status_500_is_transient() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::Status {
        status: 500,
        retry_after: None,
    });
    assert!(err.is_transient() && err.retry_after().is_none());
    assert_eq!(err.http_status(), Some(500));
}

#[test]
fn html_proxy_page_gives_status_and_text_excerpt() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::Html { status: 502 });
    let r = unexpected(&err);
    assert_eq!(r.status, 502);
    assert!(r.reason.contains("HTML"), "{}", r.reason);
    assert!(r.excerpt.contains("Bad Gateway"), "{}", r.excerpt);
    assert!(!r.excerpt.contains('<'), "tags are stripped: {}", r.excerpt);
    assert!(err.to_string().contains("502"));
}

#[test]
fn invalid_json() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::InvalidJson);
    let r = unexpected(&err);
    assert_eq!(r.status, 200);
    assert!(r.reason.contains("not a JSON object"), "{}", r.reason);
    assert!(!err.is_transient() && !err.is_terminal());
}

#[test]
fn oversized_body_is_capped() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::Oversized { bytes: 5 << 20 });
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 65536 }),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::BodyTooLarge);
}

#[test]
fn dropped_connection_is_a_transient_transport_error() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::Drop);
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Io,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
}

#[test]
fn truncated_body_is_a_transport_error() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::Truncated);
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_transient());
}

#[test]
fn a_redirect_from_the_token_endpoint_is_not_followed() {
    let (emu, err, _) = refresh_with_fault(FaultKind::Redirect {
        location: "/stolen?x=1".into(),
    });
    let r = unexpected(&err);
    assert_eq!(r.status, 302);
    assert!(
        r.reason.contains("/stolen") && !r.reason.contains("x=1"),
        "{}",
        r.reason
    );
    assert_eq!(emu.count("/stolen"), 0);
    assert_eq!(emu.count(TOKEN), 1);
}

#[test]
fn an_error_in_a_200_answer_is_an_error() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::OkWithError);
    assert_eq!(err.code(), ErrorCode::InvalidGrant);
    assert_eq!(err.http_status(), Some(200));
}

#[test]
fn json_with_the_wrong_content_type_is_accepted_with_a_warning() {
    let (emu, client, rt) = setup();
    emu.inject(Fault::new(TOKEN, FaultKind::WrongContentType));
    let tokens = client.refresh(&rt).send().unwrap();
    assert!(
        tokens.warnings().iter().any(|w| w.contains("text/plain")),
        "{:?}",
        tokens.warnings()
    );
}

#[test]
fn revoked_refresh_token_means_sign_in_again() {
    let (_emu, err, _) = refresh_with_fault(FaultKind::RevokedRefreshToken);
    assert_eq!(err.code(), ErrorCode::InvalidGrant);
    assert!(err.is_terminal());
    let (emu, client, rt) = setup();
    emu.revoke_refresh_tokens();
    let err = client.refresh(&rt).send().unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidGrant);
}

#[test]
fn connection_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = Client::builder(Provider::Cuba)
        .base_url(format!("http://127.0.0.1:{port}"))
        .client_id("client")
        .client_secret("secret")
        .proxy(authgate::ProxyConfig::Disabled)
        .build()
        .unwrap();
    let err = client.password("admin", "admin").send().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connect, "{err:?}");
    assert!(err.is_transient());
}

#[test]
fn dns_failure() {
    let client = Client::builder(Provider::Cuba)
        .base_url("https://authgate-test.invalid")
        .client_id("client")
        .client_secret("secret")
        .timeout(Duration::from_secs(5))
        .proxy(authgate::ProxyConfig::Disabled)
        .build()
        .unwrap();
    let err = client.password("admin", "admin").send().unwrap_err();
    // A resolver that cannot answer at all may time out instead of failing at once.
    assert!(
        matches!(err.code(), ErrorCode::Dns | ErrorCode::Timeout),
        "{err:?}"
    );
}

#[test]
fn tls_failure_against_a_plain_http_server() {
    // A server that answers the TLS ClientHello with plain HTTP, as a misconfigured port would.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let client = Client::builder(Provider::Cuba)
        .base_url(format!("https://127.0.0.1:{port}"))
        .client_id("client")
        .client_secret("secret")
        .proxy(authgate::ProxyConfig::Disabled)
        .build()
        .unwrap();
    let err = client.password("admin", "admin").send().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Tls, "{err:?}");
    assert!(!err.is_transient(), "a TLS failure will not fix itself");
    server.join().unwrap();
}

#[test]
fn a_custom_ca_file_is_read_and_checked() {
    let dir = std::env::temp_dir().join(format!("authgate-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let err = Client::builder(Provider::Cuba)
        .base_url("https://cuba.example")
        .client_id("client")
        .client_secret("secret")
        .ca_file(&bad)
        .build()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config);
    assert!(err.to_string().contains("no certificate"), "{err}");
    let err = Client::builder(Provider::Cuba)
        .base_url("https://cuba.example")
        .client_id("client")
        .client_secret("secret")
        .ca_file(dir.join("missing.pem"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn oauth_error_without_description() {
    let emu = emulator();
    let client = builder(&emu, Provider::Taxcom)
        .client_secret("wrong-secret")
        .build()
        .unwrap();
    let req = client.authorization_url().build().unwrap();
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let err = client.exchange_code(code).send().unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidClient);
    assert_eq!(err.oauth().unwrap().description, None);
    assert_no_secret(&err, &["wrong-secret"]);
}

#[test]
fn insecure_http_is_refused_before_any_request() {
    let err = Client::builder(Provider::Cuba)
        .base_url("http://192.0.2.1:8080")
        .client_id("client")
        .client_secret("secret")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config);
}

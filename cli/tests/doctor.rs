//! `authgate doctor` finds each planted problem: a wrong path, a private CA, a clock that is
//! off, a proxy that refuses, a wrong client authentication method.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::*;
use serde_json::Value;

/// An HTTPS server with a certificate from a private CA that answers every request with
/// an OAuth error, as a token endpoint does for an unknown grant.
fn start_private_ca_server() -> String {
    start_tls_server(authgate_emulator::tls::server_config())
}

/// [`start_private_ca_server`] with this TLS configuration.
fn start_tls_server(config: std::sync::Arc<rustls::ServerConfig>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut buf = [0u8; 8192];
                // One request per connection is enough for the doctor; its body is small
                // enough to arrive with the head.
                match tls.read(&mut buf) {
                    Ok(n) if n > 0 => {}
                    _ => return,
                }
                let body = r#"{"error":"unsupported_grant_type"}"#;
                let _ = write!(
                    tls,
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    format!("https://127.0.0.1:{port}")
}

fn doctor(args: &[&str]) -> (i32, String) {
    let mut all = args.to_vec();
    all.push("doctor");
    let out = run(authgate(&all), "");
    (code(&out), text(&out))
}

fn gearcode(base: &str) -> Vec<&str> {
    vec![
        "--provider",
        "gearcode",
        "--base-url",
        base,
        "--client-id",
        fx::GEARCODE_CLIENT_ID,
        "--client-secret",
        fx::GEARCODE_CLIENT_SECRET,
    ]
}

#[test]
fn a_good_configuration_passes_and_json_is_a_report() {
    let emu = Emulator::start().unwrap();
    let base = emu.base_url();
    let (status, out) = doctor(&gearcode(&base));
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("All checks passed"), "{out}");
    assert!(out.contains("[ ok ] clock"), "{out}");
    assert_eq!(emu.count("/oauth/token"), 1, "one probe, nothing spent");

    let mut args = gearcode(&base);
    args.extend(["doctor", "--json"]);
    let out = run(authgate(&args), "");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["checks"].as_array().unwrap().len() >= 8, "{report}");
    assert!(!text(&out).contains(fx::GEARCODE_CLIENT_SECRET));
}

#[test]
fn a_wrong_path_is_found() {
    let emu = Emulator::start().unwrap();
    let base = format!("{}/wrong", emu.base_url());
    let (status, out) = doctor(&gearcode(&base));
    assert_eq!(status, 6, "{out}");
    assert!(out.contains("[FAIL] token endpoint"), "{out}");
    assert!(
        out.contains("/wrong/oauth/token does not exist (HTTP 404)"),
        "{out}"
    );
    assert!(out.contains("--base-url"), "{out}");
}

#[test]
fn a_private_ca_is_found_and_the_ca_file_fixes_it() {
    let server = start_private_ca_server();
    let token = format!("{server}/token");
    let args = [
        "--token-endpoint",
        token.as_str(),
        "--client-id",
        "id",
        "--client-secret",
        "secret-value",
    ];
    let (status, out) = doctor(&args);
    assert_eq!(status, 6, "{out}");
    assert!(out.contains("[FAIL] tls"), "{out}");
    assert!(out.contains("bundled Mozilla roots"), "{out}");
    assert!(
        out.contains("--ca-file") && out.contains("--trust-roots system"),
        "{out}"
    );

    let ca = authgate_emulator::tls::ca_file();
    let mut with_ca = args.to_vec();
    with_ca.extend(["--ca-file", ca.to_str().unwrap()]);
    let (status, out) = doctor(&with_ca);
    assert!(
        out.contains("[ ok ] tls") && out.contains("ca.pem"),
        "{out}"
    );
    assert!(out.contains("[ ok ] token endpoint"), "{out}");
    // The test server sends no Date: the clock check is skipped, not failed.
    assert!(out.contains("[skip] clock"), "{out}");
    assert_eq!(status, 0, "{out}");
}

#[test]
fn a_self_signed_certificate_given_as_ca_file_passes_the_tls_check() {
    use authgate_emulator::tls::{file, server_config_for};
    for name in ["self-signed", "self-signed-leaf"] {
        let server = start_tls_server(server_config_for(name));
        let token = format!("{server}/token");
        let pem = file(&format!("{name}.pem"));
        let (status, out) = doctor(&[
            "--token-endpoint",
            &token,
            "--client-id",
            "id",
            "--client-secret",
            "secret-value",
            "--ca-file",
            pem.to_str().unwrap(),
        ]);
        assert!(
            out.contains("[ ok ] tls") && out.contains(&format!("the CA file {}", pem.display())),
            "{name}: {out}"
        );
        assert!(out.contains("[ ok ] token endpoint"), "{name}: {out}");
        assert_eq!(status, 0, "{name}: {out}");
    }
}

#[test]
fn a_clock_that_is_off_is_found() {
    let emu = Emulator::start().unwrap();
    emu.set_clock_offset(-3 * 3600);
    let (status, out) = doctor(&gearcode(&emu.base_url()));
    assert_eq!(status, 6, "{out}");
    assert!(out.contains("[FAIL] clock"), "{out}");
    assert!(out.contains("10800 s ahead of the server's"), "{out}");
    assert!(out.contains("NTP"), "{out}");
}

#[test]
fn a_refusing_proxy_from_the_environment_is_found() {
    // A port where nothing listens.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    // A host name that does not resolve here: with a proxy, the proxy would resolve it
    // (a loopback address would not go through the proxy at all).
    let base = "http://authgate-emulator.invalid:8080";
    let mut all = gearcode(base);
    all.extend(["--insecure-http", "doctor"]);
    let mut cmd = authgate(&all);
    cmd.env("HTTPS_PROXY", &proxy);
    let out = run(cmd, "");
    let text = text(&out);
    assert_eq!(code(&out), 6, "{text}");
    assert!(
        text.contains("from HTTPS_PROXY, used for this host"),
        "{text}"
    );
    assert!(
        text.contains("[FAIL] tcp") && text.contains("the proxy"),
        "{text}"
    );
    assert!(text.contains("--proxy none"), "{text}");
}

#[test]
fn a_wrong_auth_method_is_found() {
    let emu = Emulator::start().unwrap();
    let base = emu.base_url();
    // Taxcom takes Basic only: client_secret_post is refused.
    let (status, out) = doctor(&[
        "--provider",
        "taxcom",
        "--base-url",
        &base,
        "--client-id",
        fx::TAXCOM_CLIENT_ID,
        "--client-secret",
        fx::TAXCOM_CLIENT_SECRET,
        "--auth-method",
        "client_secret_post",
    ]);
    assert_eq!(status, 6, "{out}");
    assert!(
        out.contains("refused the client's credentials, sent with client_secret_post"),
        "{out}"
    );
    assert!(
        out.contains("try --auth-method client_secret_basic"),
        "{out}"
    );

    // Kontur advertises its methods: `none` is not among them.
    let (status, out) = doctor(&[
        "--provider",
        "kontur",
        "--issuer",
        &base,
        "--client-id",
        fx::KONTUR_CLIENT_ID,
        "--client-secret",
        fx::KONTUR_CLIENT_SECRET,
        "--auth-method",
        "none",
    ]);
    assert_eq!(status, 6, "{out}");
    assert!(out.contains("[ ok ] discovery"), "{out}");
    assert!(
        out.contains("none is configured, but the provider advertises only"),
        "{out}"
    );
}

#[test]
fn a_wrong_issuer_is_found() {
    let emu = Emulator::start().unwrap();
    let issuer = format!("{}/", emu.base_url()).replace("127.0.0.1", "localhost");
    let (status, out) = doctor(&[
        "--provider",
        "kontur",
        "--issuer",
        &issuer,
        "--client-id",
        fx::KONTUR_CLIENT_ID,
        "--client-secret",
        fx::KONTUR_CLIENT_SECRET,
    ]);
    assert_eq!(status, 6, "{out}");
    assert!(out.contains("[FAIL] discovery"), "{out}");
}

#[test]
fn a_loopback_server_is_reached_without_the_proxy() {
    let emu = Emulator::start().unwrap();
    let base = emu.base_url();
    let mut all = gearcode(&base);
    all.push("doctor");
    let mut cmd = authgate(&all);
    cmd.env("HTTPS_PROXY", "http://127.0.0.1:9");
    let out = run(cmd, "");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("not used: the server is on this machine"));
}

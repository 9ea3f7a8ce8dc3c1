//! Every dialect with every grant it supports, over real loopback HTTP to the emulator.

mod common;
use authgate::{BasicEncoding, ErrorCode, Provider};
use common::*;

#[test]
fn taxcom_code_flow_basic_auth_and_huge_lifetime() {
    let emu = emulator();
    let client = client(&emu, Provider::Taxcom);
    let req = client.authorization_url().build().unwrap();
    assert!(req.url.contains("scope=api"));
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let tokens = client
        .exchange_code(code)
        .pkce_verifier(req.pkce_verifier.clone().unwrap())
        .send()
        .unwrap();
    assert_eq!(tokens.expires_in(), Some(fx::TAXCOM_EXPIRES_IN));
    assert!(tokens.expires_at_unix().unwrap() > 1_700_000_000 + 3_600_000);
    assert_eq!(tokens.token_type(), "Bearer");
    assert!(tokens.refresh_token().is_none());
    assert!(tokens.warnings().is_empty(), "{:?}", tokens.warnings());

    let sent = emu.last_request(fx::TAXCOM_TOKEN_PATH).unwrap();
    assert!(sent.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(sent.form_param("client_secret"), None);
    assert_eq!(
        sent.form_param("redirect_uri").as_deref(),
        Some(fx::REDIRECT_URI)
    );
    assert_eq!(emu.count(fx::TAXCOM_TOKEN_PATH), 1);

    // Taxcom has no refresh grant; the server's refusal is terminal.
    let err = client.refresh("anything").send().unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedGrantType);
    assert!(err.is_terminal());
}

#[test]
fn taxcom_redirect_param_named_as_in_their_document() {
    let emu = emulator();
    let client = builder(&emu, Provider::Taxcom)
        .redirect_param("redirect_url")
        .build()
        .unwrap();
    let req = client.authorization_url().build().unwrap();
    assert!(req.url.contains("redirect_url=") && !req.url.contains("redirect_uri="));
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let tokens = client
        .exchange_code(code)
        .pkce_verifier(req.pkce_verifier.clone().unwrap())
        .send()
        .unwrap();
    assert!(!tokens.access_token().secret().is_empty());
}

#[test]
fn kontur_code_flow_posts_the_secret_and_gets_an_id_token_with_the_nonce() {
    let emu = emulator();
    let client = client(&emu, Provider::KonturExtern);
    let req = client.authorization_url().build().unwrap();
    let nonce = req.nonce.clone().expect("openid scope implies a nonce");
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let tokens = client
        .exchange_code(code)
        .pkce_verifier(req.pkce_verifier.clone().unwrap())
        .send()
        .unwrap();
    assert_eq!(tokens.expires_in(), Some(fx::KONTUR_EXPIRES_IN));
    let id_token = tokens.id_token().expect("an id_token");
    let payload = id_token.secret().split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["nonce"], nonce.as_str());
    let sent = emu.last_request(fx::KONTUR_TOKEN_PATH).unwrap();
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.form_param("client_secret").as_deref(),
        Some(fx::KONTUR_CLIENT_SECRET)
    );
    assert_eq!(
        sent.form_param("client_id").as_deref(),
        Some(fx::KONTUR_CLIENT_ID)
    );
}

#[test]
fn gearcode_code_flow_rotation_and_client_credentials() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let first = sign_in(&client);
    assert_eq!(first.token_type(), "Bearer"); // the server says "bearer"
    assert_eq!(first.expires_in(), Some(fx::GEARCODE_EXPIRES_IN));
    let sent = emu.last_request(fx::GEARCODE_TOKEN_PATH).unwrap();
    assert_eq!(
        sent.form_param("resource_id").as_deref(),
        Some(fx::GEARCODE_CLIENT_ID)
    );

    let old_rt = first.refresh_token().unwrap().clone();
    let second = client.refresh(&old_rt).send().unwrap();
    let new_rt = second.refresh_token().unwrap();
    assert_ne!(
        new_rt.secret(),
        old_rt.secret(),
        "GearCode rotates refresh tokens"
    );
    let sent = emu.last_request(fx::GEARCODE_TOKEN_PATH).unwrap();
    assert_eq!(
        sent.form_param("resource_id").as_deref(),
        Some(fx::GEARCODE_CLIENT_ID)
    );
    assert_eq!(
        sent.form_param("client_secret").as_deref(),
        Some(fx::GEARCODE_CLIENT_SECRET)
    );

    // The old refresh token is dead; the error says sign-in is needed and leaks nothing.
    let err = client.refresh(&old_rt).send().unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidGrant);
    assert!(err.is_terminal() && !err.is_transient());
    assert_eq!(err.http_status(), Some(400));
    assert_no_secret(&err, &[old_rt.secret(), fx::GEARCODE_CLIENT_SECRET]);
    // The new one still works.
    client.refresh(new_rt).send().unwrap();

    let cc = client.client_credentials().send().unwrap();
    assert!(cc.refresh_token().is_none());
}

#[test]
fn cuba_password_grant_with_cyrillic_login_and_special_password() {
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    let tokens = client
        .password(fx::CUBA_CYRILLIC_USERNAME, fx::CUBA_CYRILLIC_PASSWORD)
        .send()
        .unwrap();
    assert_eq!(tokens.scope(), Some(fx::CUBA_SCOPE));
    assert_eq!(tokens.expires_in(), Some(fx::CUBA_EXPIRES_IN));
    let sent = emu.last_request(fx::CUBA_TOKEN_PATH).unwrap();
    assert_eq!(
        sent.form_param("username").as_deref(),
        Some(fx::CUBA_CYRILLIC_USERNAME)
    );
    assert_eq!(
        sent.form_param("password").as_deref(),
        Some(fx::CUBA_CYRILLIC_PASSWORD)
    );
    assert_eq!(
        sent.header("authorization"),
        Some("Basic Y2xpZW50OnNlY3JldA=="),
        "PROVIDERS.md: client/secret"
    );

    // Spring does not rotate: the refresh answer carries the same refresh token.
    let rt = tokens.refresh_token().unwrap();
    let again = client.refresh(rt).send().unwrap();
    assert_eq!(again.refresh_token().unwrap().secret(), rt.secret());
    assert_ne!(
        again.access_token().secret(),
        tokens.access_token().secret()
    );

    let err = client
        .password(fx::CUBA_CYRILLIC_USERNAME, "wrong p&ss")
        .send()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidGrant);
    assert_eq!(
        err.oauth().unwrap().description.as_deref(),
        Some("Bad credentials")
    );
    assert_no_secret(&err, &["wrong p&ss", fx::CUBA_CLIENT_SECRET]);
}

#[test]
fn basic_encoding_both_ways() {
    let emu = emulator();
    let raw = builder(&emu, Provider::Cuba)
        .client_id(fx::CUBA_RAW_CLIENT_ID)
        .client_secret(fx::CUBA_RAW_CLIENT_SECRET)
        .build()
        .unwrap();
    raw.password(fx::CUBA_ADMIN_USERNAME, fx::CUBA_ADMIN_PASSWORD)
        .send()
        .unwrap();

    // The RFC's form-encoding sends p%40ss%2Bword%25, which Spring does not decode.
    let form = builder(&emu, Provider::Cuba)
        .client_id(fx::CUBA_RAW_CLIENT_ID)
        .client_secret(fx::CUBA_RAW_CLIENT_SECRET)
        .basic_encoding(BasicEncoding::FormUrlEncoded)
        .build()
        .unwrap();
    let err = form
        .password(fx::CUBA_ADMIN_USERNAME, fx::CUBA_ADMIN_PASSWORD)
        .send()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidClient);
    assert!(err.is_terminal());
    let o = err.oauth().unwrap();
    assert_eq!(o.status, Some(401));
    assert!(o.www_authenticate.as_deref().unwrap().starts_with("Basic"));
    assert_no_secret(&err, &[fx::CUBA_RAW_CLIENT_SECRET, "p%40ss%2Bword%25"]);
    // Exactly one request each: the style is never probed and retried.
    assert_eq!(emu.count(fx::CUBA_TOKEN_PATH), 2);

    // Taxcom (IdentityServer) decodes form-encoded credentials: the RFC way works there.
    let taxcom = client(&emu, Provider::Taxcom);
    sign_in(&taxcom);
}

#[test]
fn pkce_verifier_is_checked_and_codes_are_one_time() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let req = client.authorization_url().build().unwrap();
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let wrong = "w".repeat(43);
    let err = client
        .exchange_code(&code)
        .pkce_verifier(wrong.as_str())
        .send()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidGrant);
    assert_no_secret(&err, &[code.secret(), &wrong]);

    let req = client.authorization_url().build().unwrap();
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let err = client.exchange_code(&code).send().unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::InvalidGrant,
        "a missing verifier is refused"
    );

    let req = client.authorization_url().build().unwrap();
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let verifier = req.pkce_verifier.clone().unwrap();
    client
        .exchange_code(&code)
        .pkce_verifier(&verifier)
        .send()
        .unwrap();
    let err = client
        .exchange_code(&code)
        .pkce_verifier(&verifier)
        .send()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidGrant, "a code works once");
}

#[test]
fn redirect_uri_must_match_and_state_is_checked() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let req = client.authorization_url().build().unwrap();
    let callback = browse(&req.url);
    let err = authgate::parse_callback(&callback, "another-state").unwrap_err();
    assert_eq!(err.code(), ErrorCode::StateMismatch);

    let code = req.parse_callback(&callback).unwrap();
    let err = client
        .exchange_code(code)
        .pkce_verifier(req.pkce_verifier.clone().unwrap())
        .redirect_uri("http://127.0.0.1/elsewhere")
        .send()
        .unwrap_err();
    assert!(err.oauth().is_some(), "{err}");
}

#[test]
fn keep_alive_one_request_per_call() {
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    let tokens = client.password("admin", "admin").send().unwrap();
    let mut rt = tokens.refresh_token().unwrap().clone();
    for _ in 0..20 {
        rt = client
            .refresh(&rt)
            .send()
            .unwrap()
            .refresh_token()
            .unwrap()
            .clone();
    }
    assert_eq!(emu.count(fx::CUBA_TOKEN_PATH), 21);
}

#[test]
fn user_agent_is_clear() {
    let emu = emulator();
    client(&emu, Provider::Cuba)
        .password("admin", "admin")
        .send()
        .unwrap();
    let sent = emu.last_request(fx::CUBA_TOKEN_PATH).unwrap();
    assert_eq!(
        sent.header("user-agent"),
        Some(concat!("authgate/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(sent.header("accept"), Some("application/json"));
}

/// A minimal HTTP proxy: answers CONNECT by tunnelling to the target, and records what it
/// was asked. It reaches `upstream` under the name `PROXIED_HOST`, which only it knows
/// (loopback targets bypass a proxy, so the emulator must look remote).
fn start_proxy(upstream: std::net::SocketAddr) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && client.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            let _ = tx.send(line.clone());
            let Some(target) = line
                .strip_prefix("CONNECT ")
                .and_then(|l| l.split(' ').next())
            else {
                let _ = client
                    .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
                continue;
            };
            let upstream = match target.rsplit_once(':') {
                Some((PROXIED_HOST, _)) => TcpStream::connect(upstream),
                _ => TcpStream::connect(target),
            };
            let Ok(upstream) = upstream else {
                continue;
            };
            let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
            pipe(client.try_clone().unwrap(), upstream.try_clone().unwrap());
            pipe(upstream, client);
        }
    });
    (url, rx)
}

/// Copies one direction of a tunnel on its own thread.
fn pipe(mut from: std::net::TcpStream, mut to: std::net::TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

const PROXIED_HOST: &str = "emulator.behind-the-proxy.example";

#[test]
fn an_explicit_proxy_is_used() {
    let emu = emulator();
    let (proxy, seen) = start_proxy(emu.addr());
    let host = format!("{PROXIED_HOST}:{}", emu.addr().port());
    let client = builder(&emu, Provider::Cuba)
        .base_url(format!("http://{host}"))
        .allow_insecure_http(true)
        .proxy(authgate::ProxyConfig::Url(proxy))
        .build()
        .unwrap();
    let tokens = client.password("admin", "admin").send().unwrap();
    assert!(!tokens.access_token().secret().is_empty());
    let line = seen
        .recv_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    assert!(line.contains(&host), "the proxy was asked for {line}");
    assert_eq!(emu.count(fx::CUBA_TOKEN_PATH), 1);
}

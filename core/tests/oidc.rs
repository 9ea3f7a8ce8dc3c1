//! OpenID Connect against the emulator's Kontur dialect: discovery, id_token validation and
//! each way it can fail, UserInfo, revocation, introspection, the device flow (with a
//! server's absurd interval, and resumed after a restart), and the loopback sign-in (which
//! strangers on the loopback interface cannot hold up or end), with per-call scopes
//! carried to the token step of both.

mod common;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use authgate::{CancelToken, Client, DevicePoll, ErrorCode, Provider};
use authgate_emulator::IdTokenAlg;
use common::*;

fn kontur(emu: &Emulator) -> Client {
    Client::builder(Provider::KonturExtern)
        .client_id(fx::KONTUR_CLIENT_ID)
        .client_secret(fx::KONTUR_CLIENT_SECRET)
        .redirect_uri(fx::REDIRECT_URI)
        .proxy(authgate::ProxyConfig::Disabled)
        .discover(&emu.base_url())
        .expect("discovery")
        .build()
        .unwrap()
}

/// The code flow up to the token set and the nonce sent.
fn sign_in_with_nonce(client: &Client) -> (authgate::TokenSet, String) {
    let req = client.authorization_url().build().unwrap();
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let tokens = client
        .exchange_code(code)
        .pkce_verifier(req.pkce_verifier.clone().unwrap())
        .send()
        .unwrap();
    (tokens, req.nonce.unwrap())
}

#[test]
fn discovery_fills_the_client() {
    let emu = emulator();
    let client = kontur(&emu);
    assert_eq!(client.token_endpoint(), emu.url(fx::KONTUR_TOKEN_PATH));
    assert_eq!(
        client.authorization_endpoint(),
        Some(emu.url(fx::KONTUR_AUTHORIZE_PATH).as_str())
    );
    // A second discovery of the same issuer comes from the cache.
    kontur(&emu);
    assert_eq!(emu.count(fx::KONTUR_DISCOVERY_PATH), 1);
    // An issuer that does not match the document is refused.
    let err = Client::builder(Provider::KonturExtern)
        .client_id("x")
        .client_secret("y")
        .discover(&format!("{}/other", emu.base_url()))
        .unwrap_err();
    assert!(
        matches!(
            err.code(),
            ErrorCode::Config | ErrorCode::UnexpectedResponse
        ),
        "{err}"
    );
}

#[test]
fn id_tokens_validate_with_rs256_and_es256() {
    let emu = emulator();
    let client = kontur(&emu);
    let (tokens, nonce) = sign_in_with_nonce(&client);
    let claims = client
        .validate_id_token(tokens.id_token().unwrap(), Some(&nonce))
        .unwrap();
    assert_eq!(claims.subject(), fx::TEST_USER_SUBJECT);
    assert_eq!(claims.nonce(), Some(nonce.as_str()));
    emu.set_id_token_alg(IdTokenAlg::Es256);
    let (tokens, nonce) = sign_in_with_nonce(&client);
    client
        .validate_id_token(tokens.id_token().unwrap(), Some(&nonce))
        .unwrap();
    assert_eq!(emu.count(fx::KONTUR_JWKS_PATH), 1, "the JWKS is cached");
}

#[test]
fn each_id_token_fault_has_its_own_error() {
    let emu = emulator();
    let client = kontur(&emu);
    let cases = [
        (FaultKind::IdTokenWrongNonce, ErrorCode::IdTokenNonce),
        (FaultKind::IdTokenWrongAudience, ErrorCode::IdTokenAudience),
        (FaultKind::IdTokenWrongIssuer, ErrorCode::IdTokenIssuer),
        (FaultKind::IdTokenExpired, ErrorCode::IdTokenExpired),
        (FaultKind::IdTokenBadSignature, ErrorCode::IdTokenSignature),
        (FaultKind::IdTokenAlgNone, ErrorCode::IdTokenAlgorithm),
        (FaultKind::IdTokenHmacConfusion, ErrorCode::IdTokenAlgorithm),
        (FaultKind::IdTokenUnknownKid, ErrorCode::IdTokenUnknownKey),
    ];
    for (fault, code) in cases {
        emu.inject(Fault::new(fx::KONTUR_TOKEN_PATH, fault.clone()));
        let (tokens, nonce) = sign_in_with_nonce(&client);
        let id = tokens.id_token().unwrap();
        let err = client.validate_id_token(id, Some(&nonce)).unwrap_err();
        assert_eq!(err.code(), code, "{fault:?}: {err}");
        assert!(
            !err.to_string().contains(id.secret()),
            "the token never appears in errors"
        );
    }
}

#[test]
fn rotated_keys_are_fetched_again_once() {
    let emu = emulator();
    let client = kontur(&emu);
    let (tokens, nonce) = sign_in_with_nonce(&client);
    client
        .validate_id_token(tokens.id_token().unwrap(), Some(&nonce))
        .unwrap();
    emu.rotate_keys().unwrap();
    let (tokens, nonce) = sign_in_with_nonce(&client);
    client
        .validate_id_token(tokens.id_token().unwrap(), Some(&nonce))
        .unwrap();
    assert_eq!(emu.count(fx::KONTUR_JWKS_PATH), 2);
    // An unknown kid costs one more fetch, not a fetch per token.
    emu.inject(Fault::new(
        fx::KONTUR_TOKEN_PATH,
        FaultKind::IdTokenUnknownKid,
    ));
    let (tokens, nonce) = sign_in_with_nonce(&client);
    assert!(client
        .validate_id_token(tokens.id_token().unwrap(), Some(&nonce))
        .is_err());
    assert_eq!(emu.count(fx::KONTUR_JWKS_PATH), 3);
}

#[test]
fn userinfo_revocation_and_introspection() {
    let emu = emulator();
    let client = Client::builder(Provider::KonturExtern)
        .client_id(fx::KONTUR_CLIENT_ID)
        .client_secret(fx::KONTUR_CLIENT_SECRET)
        .redirect_uri(fx::REDIRECT_URI)
        .scopes(["openid", "extern.api", fx::KONTUR_OFFLINE_SCOPE])
        .discover(&emu.base_url())
        .unwrap()
        .build()
        .unwrap();
    let (tokens, _) = sign_in_with_nonce(&client);
    let user = client.userinfo(tokens.access_token()).unwrap();
    assert_eq!(user["sub"], fx::TEST_USER_SUBJECT);
    assert_eq!(user["name"], fx::TEST_USER_NAME);

    let info = client.introspect(tokens.access_token().secret()).unwrap();
    assert!(info.active);
    assert_eq!(info.subject.as_deref(), Some(fx::TEST_USER_SUBJECT));

    let rt = tokens
        .refresh_token()
        .expect("offline_access gives a refresh token");
    client.revoke(rt.secret(), Some("refresh_token")).unwrap();
    assert!(
        !client
            .introspect(tokens.access_token().secret())
            .unwrap()
            .active
    );
    let err = client.userinfo(tokens.access_token()).unwrap_err();
    assert_eq!(err.oauth().unwrap().error, "invalid_token");
    assert_eq!(err.http_status(), Some(401));
    assert_eq!(
        client.refresh(rt).send().unwrap_err().code(),
        ErrorCode::InvalidGrant
    );
    // Revoking again is fine (RFC 7009 §2.2).
    client.revoke(rt.secret(), None).unwrap();
}

#[test]
fn device_flow_pending_approved_denied_expired_and_cancelled() {
    let emu = emulator();
    let client = kontur(&emu);

    let auth = client.device_authorization(None).unwrap();
    assert!(auth
        .verification_uri
        .ends_with(fx::DEVICE_VERIFICATION_PATH));
    assert!(auth.qr_target().contains(&auth.user_code));
    assert!(auth.qr_svg().unwrap().contains("<svg"));
    assert!(auth.qr_text().unwrap().lines().count() > 10);
    assert!(matches!(
        client.poll_device_token(&auth).unwrap(),
        DevicePoll::Pending
    ));
    assert!(matches!(
        client.poll_device_token(&auth).unwrap(),
        DevicePoll::SlowDown
    ));
    // The user approves on another device while the till polls.
    let approver = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(1500));
            assert!(emu.approve_device(&auth.user_code, true));
        });
        client.wait_for_device_token(&auth, &CancelToken::new())
    });
    let tokens = approver.unwrap();
    assert!(tokens.id_token().is_some());

    let auth = client.device_authorization(None).unwrap();
    assert!(emu.approve_device(&auth.user_code, false));
    let err = client
        .wait_for_device_token(&auth, &CancelToken::new())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied);

    emu.set_device_timing(0, 1);
    let auth = client.device_authorization(None).unwrap();
    let err = client.poll_device_token(&auth).unwrap_err();
    assert_eq!(err.oauth().unwrap().error, "expired_token");
    assert!(err.is_terminal() || !err.is_transient());

    emu.reset();
    let auth = client.device_authorization(None).unwrap();
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        c2.cancel();
    });
    let err = client.wait_for_device_token(&auth, &cancel).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
}

/// Runs a loopback sign-in whose browser is `browser`, called on a thread of its own with
/// the authorization URL.
fn sign_in_through(
    sign_in: authgate::LoopbackSignIn,
    browser: impl FnOnce(String) + Send + 'static,
) -> authgate::TokenSet {
    sign_in
        .timeout(Duration::from_secs(20))
        .open_with(move |url| {
            let url = url.to_owned();
            std::thread::spawn(move || browser(url));
            Ok(())
        })
        .run()
        .unwrap()
}

#[test]
fn loopback_sign_in_with_an_auto_approving_server() {
    let emu = emulator();
    let client = kontur(&emu);
    let tokens = sign_in_through(client.sign_in_loopback(), |url| {
        // Follow the authorization URL, then the redirect to our listener.
        let callback = browse(&url);
        assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
        let (status, page) = get(&callback);
        assert_eq!(status, 200);
        assert!(page.contains("You may close this window"), "{page}");
    });
    assert!(tokens.id_token().is_some());
}

#[test]
fn loopback_sign_in_times_out_and_cancels() {
    let emu = emulator();
    let client = kontur(&emu);
    let err = client
        .sign_in_loopback()
        .timeout(Duration::from_millis(300))
        .open_with(|_| Ok(()))
        .run()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
    let cancel = CancelToken::new();
    cancel.cancel();
    let err = client
        .sign_in_loopback()
        .timeout(Duration::MAX)
        .cancel_token(&cancel)
        .open_with(|_| Ok(()))
        .run()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
}

/// The loopback redirect URI an authorization URL carries.
fn redirect_of(url: &str) -> url::Url {
    let url = url::Url::parse(url).unwrap();
    let (_, redirect) = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .expect("a redirect_uri");
    url::Url::parse(&redirect).unwrap()
}

/// A local peer that connects to the listener and sends a request head one byte a second,
/// for at most `limit` (so that a failing test still ends).
fn trickle(redirect: &url::Url, limit: Duration) {
    let addr = format!("127.0.0.1:{}", redirect.port().unwrap());
    std::thread::spawn(move || {
        let Ok(mut s) = TcpStream::connect(addr) else {
            return;
        };
        let started = Instant::now();
        let head = b"GET /callback?code=x&state=y HTTP/1.1\r\nHost: a\r\n".repeat(100);
        for b in head {
            if started.elapsed() > limit || s.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
}

/// GETs `url` and returns the status and body (any status).
fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call().unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
}

#[test]
fn loopback_timeout_holds_while_a_peer_trickles() {
    let emu = emulator();
    let client = kontur(&emu);
    let started = Instant::now();
    let err = client
        .sign_in_loopback()
        .timeout(Duration::from_secs(2))
        .open_with(|url| {
            trickle(&redirect_of(url), Duration::from_secs(30));
            Ok(())
        })
        .run()
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
    assert!(took < Duration::from_millis(2600), "took {took:?}");
}

#[test]
fn loopback_cancel_holds_while_a_peer_trickles() {
    let emu = emulator();
    let client = kontur(&emu);
    let cancel = CancelToken::new();
    let theirs = cancel.clone();
    let cancelled_at = std::sync::Arc::new(std::sync::Mutex::new(None::<Instant>));
    let at = cancelled_at.clone();
    let err = client
        .sign_in_loopback()
        .timeout(Duration::from_secs(60))
        .cancel_token(&cancel)
        .open_with(move |url| {
            trickle(&redirect_of(url), Duration::from_secs(30));
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(700));
                *at.lock().unwrap() = Some(Instant::now());
                theirs.cancel();
            });
            Ok(())
        })
        .run()
        .unwrap_err();
    let late = cancelled_at.lock().unwrap().expect("cancelled").elapsed();
    assert_eq!(err.code(), ErrorCode::Cancelled, "{err}");
    assert!(
        late < Duration::from_millis(300),
        "returned {late:?} after the cancel"
    );
}

#[test]
fn loopback_stray_requests_do_not_end_the_sign_in() {
    let emu = emulator();
    let client = kontur(&emu);
    let tokens = sign_in_through(client.sign_in_loopback(), |url| {
        let redirect = redirect_of(&url);
        let port = redirect.port().unwrap();
        // A connection that never sends anything (a browser's preconnect).
        let _idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
        trickle(&redirect, Duration::from_secs(10));
        let base = format!("http://127.0.0.1:{port}");
        assert_eq!(get(&format!("{base}/favicon.ico")).0, 404);
        let (status, page) = get(&format!("{base}/callback?code=forged&state=wrong"));
        assert_eq!(status, 400, "{page}");
        assert!(
            page.contains("not the sign-in this app is waiting for"),
            "{page}"
        );
        // Whatever else it carries: an error, another issuer, a repeated parameter, no state.
        for forged in [
            "error=access_denied&state=x",
            "code=forged&state=wrong&iss=https%3A%2F%2Fevil.example",
            "code=forged&state=a&state=b",
            "error=access_denied",
        ] {
            let (status, page) = get(&format!("{base}/callback?{forged}"));
            assert_eq!(status, 400, "{forged}: {page}");
        }
        // Then the real redirect.
        let (status, page) = get(&browse(&url));
        assert_eq!(status, 200);
        assert!(page.contains("You may close this window"), "{page}");
    });
    assert!(tokens.id_token().is_some());
}

#[test]
fn explicit_scopes_carry_through_to_the_token_step() {
    let emu = emulator();
    let client = kontur(&emu);
    let sign_in =
        client
            .sign_in_loopback()
            .scopes(["openid", "extern.api", fx::KONTUR_OFFLINE_SCOPE]);
    let tokens = sign_in_through(sign_in, |url| drop(get(&browse(&url))));
    let asked = format!("openid extern.api {}", fx::KONTUR_OFFLINE_SCOPE);
    assert_eq!(tokens.scope(), Some(asked.as_str()));
    assert!(tokens.warnings().is_empty(), "{:?}", tokens.warnings());

    let auth = client.device_authorization(Some(&["openid"])).unwrap();
    assert_eq!(auth.scopes(), ["openid"]);
    assert!(emu.approve_device(&auth.user_code, true));
    let tokens = client
        .wait_for_device_token(&auth, &CancelToken::new())
        .unwrap();
    assert_eq!(tokens.scope(), Some("openid"));
    assert!(tokens.warnings().is_empty(), "{:?}", tokens.warnings());
}

#[test]
fn a_huge_interval_and_slow_down_saturate_at_the_cap() {
    let emu = emulator();
    let client = kontur(&emu);
    emu.set_device_timing(300, u64::MAX - 2);
    let auth = client.device_authorization(None).unwrap();
    let cap = Duration::from_secs(authgate::MAX_POLL_INTERVAL);
    assert_eq!(auth.interval(), cap);
    // The emulator answers slow_down to any poll sooner than its huge interval.
    for _ in 0..3 {
        client.poll_device_token(&auth).unwrap();
    }
    assert_eq!(auth.interval(), cap);

    emu.set_device_timing(300, 1);
    let auth = client.device_authorization(None).unwrap();
    assert_eq!(auth.interval(), Duration::from_secs(1));
    client.poll_device_token(&auth).unwrap();
    assert!(matches!(
        client.poll_device_token(&auth).unwrap(),
        authgate::DevicePoll::SlowDown
    ));
    assert_eq!(auth.interval(), Duration::from_secs(6));
    assert_eq!(auth.clone().interval(), Duration::from_secs(6));
}

/// The interval belongs to the device code, not to one copy of it: the C ABI's wait
/// runs on a clone, and `authgate_device_interval` must still see a `slow_down`.
#[test]
fn a_slow_down_seen_through_a_clone_slows_every_copy() {
    let emu = emulator();
    let client = kontur(&emu);
    emu.set_device_timing(300, 1);
    let auth = client.device_authorization(None).unwrap();
    let worker = auth.clone();
    client.poll_device_token(&worker).unwrap();
    assert!(matches!(
        client.poll_device_token(&worker).unwrap(),
        authgate::DevicePoll::SlowDown
    ));
    assert_eq!(auth.interval(), Duration::from_secs(6));
}

#[test]
fn a_device_sign_in_resumes_after_a_restart() {
    let emu = emulator();
    emu.set_device_timing(300, 1);
    let saved = {
        let client = kontur(&emu);
        let auth = client.device_authorization(Some(&["openid"])).unwrap();
        client.poll_device_token(&auth).unwrap();
        client.poll_device_token(&auth).unwrap(); // slow_down: 6 s from now on
        assert!(!format!("{auth:?}").contains(auth.device_code.secret()));
        auth.to_json()
    }; // the till is switched off: the client and the authorization are gone
    let value: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(value["interval"], 6);
    assert_eq!(value["scopes"], serde_json::json!(["openid"]));

    let client = kontur(&emu);
    let auth = authgate::DeviceAuthorization::from_json(&saved).unwrap();
    assert_eq!(auth.interval(), Duration::from_secs(6));
    assert!(!auth.is_expired());
    let left = auth
        .expires_at()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(left > Duration::from_secs(290) && left <= Duration::from_secs(300));
    assert!(emu.approve_device(&auth.user_code, true));
    let started = Instant::now();
    let tokens = client
        .wait_for_device_token(&auth, &CancelToken::new())
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "kept the interval"
    );
    assert_eq!(tokens.scope(), Some("openid"));
    assert!(tokens.warnings().is_empty(), "{:?}", tokens.warnings());
}

#[test]
fn a_resumed_device_sign_in_past_its_expiry_fails_without_a_request() {
    let emu = emulator();
    let client = kontur(&emu);
    let auth = client.device_authorization(None).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&auth.to_json()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    value["expires_at"] = (now - 1).into();
    let resumed = authgate::DeviceAuthorization::from_json(&value.to_string()).unwrap();
    assert!(resumed.is_expired());
    let before = emu.count(fx::KONTUR_TOKEN_PATH);
    let err = client
        .wait_for_device_token(&resumed, &CancelToken::new())
        .unwrap_err();
    assert_eq!(err.oauth().unwrap().error, "expired_token");
    let err = client.poll_device_token(&resumed).unwrap_err();
    assert_eq!(err.oauth().unwrap().error, "expired_token");
    assert_eq!(
        emu.count(fx::KONTUR_TOKEN_PATH),
        before,
        "no request was sent"
    );

    for bad in ["", "[]", "{}", r#"{"device_code":"x"}"#] {
        let err = authgate::DeviceAuthorization::from_json(bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{bad}");
    }
    value.as_object_mut().unwrap().remove("user_code");
    let err = authgate::DeviceAuthorization::from_json(&value.to_string()).unwrap_err();
    assert!(err.to_string().contains("user_code"), "{err}");
    assert!(!err.to_string().contains(auth.device_code.secret()));
}

//! The interactive sign-ins against the emulator's Kontur dialect: a loopback sign-in that
//! strangers on the loopback interface cannot hold up or end, per-call scopes carried to
//! the token step, and a device sign-in that survives a restart.

mod common;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use authgate::{CancelToken, Client, ErrorCode, Provider};
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
    let tokens = client
        .sign_in_loopback()
        .timeout(Duration::from_secs(20))
        .open_with(|url| {
            let url = url.to_owned();
            std::thread::spawn(move || {
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
                let (status, page) = get(&format!("{base}/callback?error=access_denied&state=x"));
                assert_eq!(status, 400, "{page}");
                // Then the real redirect.
                let (status, page) = get(&browse(&url));
                assert_eq!(status, 200);
                assert!(page.contains("You may close this window"), "{page}");
            });
            Ok(())
        })
        .run()
        .unwrap();
    assert!(tokens.id_token().is_some());
}

#[test]
fn explicit_scopes_carry_through_to_the_token_step() {
    let emu = emulator();
    let client = kontur(&emu);
    let tokens = client
        .sign_in_loopback()
        .scopes(["openid", "extern.api", fx::KONTUR_OFFLINE_SCOPE])
        .timeout(Duration::from_secs(20))
        .open_with(|url| {
            let url = url.to_owned();
            std::thread::spawn(move || get(&browse(&url)));
            Ok(())
        })
        .run()
        .unwrap();
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

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
    assert!(late < Duration::from_millis(300), "returned {late:?} after the cancel");
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
                assert!(page.contains("not the sign-in this app is waiting for"), "{page}");
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

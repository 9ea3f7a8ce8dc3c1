//! OpenID Connect against the emulator's Kontur dialect: discovery, id_token validation and
//! each way it can fail, UserInfo, revocation, introspection, the device flow, and the
//! loopback sign-in.

mod common;
use std::time::Duration;

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

#[test]
fn loopback_sign_in_with_an_auto_approving_server() {
    let emu = emulator();
    let client = kontur(&emu);
    let tokens = client
        .sign_in_loopback()
        .timeout(Duration::from_secs(20))
        .open_with(|url| {
            // The "browser": follow the authorization URL, then the redirect to our listener.
            let url = url.to_owned();
            std::thread::spawn(move || {
                let callback = browse(&url);
                assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
                let page = ureq::get(&callback)
                    .call()
                    .unwrap()
                    .into_body()
                    .read_to_string()
                    .unwrap();
                assert!(page.contains("You may close this window"), "{page}");
            });
            Ok(())
        })
        .run()
        .unwrap();
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

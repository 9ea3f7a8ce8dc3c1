//! Errors that say where: the address and the endpoint's role in transport and
//! unexpected-answer errors, never the query or a `user:password@` part.

mod common;
use std::net::TcpListener;

use authgate::{Client, Endpoint, Error, ErrorCode, Provider, ProxyConfig};
use common::*;

#[test]
fn a_wrong_path_names_the_address_and_the_endpoint() {
    let emu = emulator();
    let base = emu.base_url();
    let client = builder(&emu, Provider::GearCode)
        .token_endpoint(format!("{base}/wrong/token?tenant=t-s3cret-value"))
        .build()
        .unwrap();
    let err = client.client_credentials().send().unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse(_)), "{err:?}");
    assert_eq!(err.http_status(), Some(404));
    let shown = format!("{base}/wrong/token");
    assert_eq!(err.url(), Some(shown.as_str()));
    assert_eq!(err.endpoint(), Some(Endpoint::Token));
    let text = err.to_string();
    assert!(
        text.contains(&format!("from the token endpoint {shown}")),
        "{text}"
    );
    assert!(
        !format!("{text}{err:?}").contains("t-s3cret-value"),
        "{text}"
    );
    assert_no_secret(&err, &[fx::GEARCODE_CLIENT_SECRET]);
}

#[test]
fn a_refused_connection_names_the_address_and_the_endpoint() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = Client::builder(Provider::KonturExtern)
        .client_id("c")
        .proxy(ProxyConfig::Disabled)
        .discover(&format!("http://127.0.0.1:{port}"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connect, "{err:?}");
    let shown = format!("http://127.0.0.1:{port}/.well-known/openid-configuration");
    assert_eq!(err.url(), Some(shown.as_str()));
    assert_eq!(err.endpoint(), Some(Endpoint::Discovery));
    assert!(
        err.to_string().starts_with(&format!(
            "connection failed for the discovery document {shown}: "
        )),
        "{err}"
    );
}

#[test]
fn answers_that_are_not_tokens_name_the_endpoint() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let shown = format!("{}{}", emu.base_url(), fx::GEARCODE_TOKEN_PATH);
    for fault in [FaultKind::Html { status: 502 }, FaultKind::Drop] {
        emu.inject(Fault::new(fx::GEARCODE_TOKEN_PATH, fault));
        let err = client.client_credentials().send().unwrap_err();
        assert_eq!(err.endpoint(), Some(Endpoint::Token), "{err:?}");
        assert_eq!(err.url(), Some(shown.as_str()), "{err:?}");
    }
    assert_eq!(Endpoint::DeviceAuthorization.name(), "device_authorization");
}

//! Mutual TLS (RFC 8705) end to end against the emulator's mTLS listener: client
//! authentication by certificate (`tls_client_auth`) at the endpoint discovery names in
//! `mtls_endpoint_aliases`, certificate-bound access tokens used from the caller's own
//! HTTP client with the same certificate, and the refusals.

mod common;
use authgate::{AuthMethod, Client, ClientBuilder, Error, ErrorCode, Provider, ProxyConfig};
use authgate_emulator::tls;
use common::*;

/// A client of the mTLS provider presenting `tls/{cert}.pem` and its key.
fn mtls_builder(emu: &Emulator, cert: &str) -> ClientBuilder {
    Client::builder(Provider::Generic)
        .client_id(fx::MTLS_CLIENT_ID)
        .tls_client_cert_file(tls::file(&format!("{cert}.pem")))
        .tls_client_key_file(tls::file(&format!("{cert}.key")))
        .ca_file(tls::ca_file())
        .proxy(ProxyConfig::Disabled)
        .scopes(Vec::<String>::new())
        .token_endpoint(format!(
            "{}{}",
            emu.start_mtls().unwrap(),
            fx::MTLS_TOKEN_PATH
        ))
        .auth_method(AuthMethod::TlsClientAuth)
}

/// GETs the protected resource at `base` with the token, as the caller's own HTTP client
/// (ureq here) does: presenting `tls/{cert}.pem` when given. Returns (status, body).
fn get_resource(base: &str, token: &str, cert: Option<&str>) -> (u16, String) {
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};
    let read = |name: &str| std::fs::read(tls::file(name)).unwrap();
    let ca = Certificate::from_pem(&read("ca.pem")).unwrap().to_owned();
    let mut config = TlsConfig::builder().root_certs(RootCerts::new_with_certs(&[ca]));
    if let Some(name) = cert {
        let chain = Certificate::from_pem(&read(&format!("{name}.pem")))
            .unwrap()
            .to_owned();
        let key = PrivateKey::from_pem(&read(&format!("{name}.key")))
            .unwrap()
            .to_owned();
        config = config.client_cert(Some(ClientCert::new_with_certs(&[chain], key)));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(config.build())
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut resp = agent
        .get(format!("{base}{}", fx::RESOURCE_PATH))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let body = resp.body_mut().read_to_string().unwrap();
    (resp.status().as_u16(), body)
}

#[test]
fn discovery_aliases_the_token_endpoint_and_the_certificate_authenticates() {
    let emu = emulator();
    let front = emu.start_mtls().unwrap();
    let issuer = emu.url(fx::MTLS_ISSUER_PATH);
    let client = Client::builder(Provider::Generic)
        .client_id(fx::MTLS_CLIENT_ID)
        .tls_client_cert_file(tls::file("client.pem"))
        .tls_client_key_file(tls::file("client.key"))
        .ca_file(tls::ca_file())
        .proxy(ProxyConfig::Disabled)
        .scopes(Vec::<String>::new())
        .discover(&issuer)
        .unwrap()
        .build()
        .unwrap();
    // The certificate's endpoint, and the method the provider lists for it.
    assert_eq!(
        client.token_endpoint(),
        format!("{front}{}", fx::MTLS_TOKEN_PATH)
    );
    assert_eq!(client.auth_method(), AuthMethod::TlsClientAuth);
    let tokens = client.client_credentials().send().unwrap();
    let sent = emu.last_request(fx::MTLS_TOKEN_PATH).unwrap();
    assert_eq!(
        sent.form_param("client_id").as_deref(),
        Some(fx::MTLS_CLIENT_ID)
    );
    assert!(sent.header("authorization").is_none() && sent.form_param("client_secret").is_none());
    let token = tokens.access_token().secret();

    // The bound token works from the caller's own client with the same certificate …
    let (status, body) = get_resource(&front, token, Some("client"));
    assert_eq!(status, 200, "{body}");
    // … and not without it, nor with another one.
    assert_eq!(get_resource(&front, token, None).0, 401);
    assert_eq!(get_resource(&front, token, Some("other-client")).0, 401);
    assert_eq!(get_resource(&emu.base_url(), token, None).0, 401);

    // Without a certificate, discovery keeps the plain endpoint.
    let plain = Client::builder(Provider::Generic)
        .client_id(fx::MTLS_CLIENT_ID)
        .auth_method(AuthMethod::None)
        .proxy(ProxyConfig::Disabled)
        .discover(&issuer)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(plain.token_endpoint(), emu.url(fx::MTLS_TOKEN_PATH));
}

#[test]
fn a_wrong_client_certificate_is_refused_with_a_typed_error() {
    let emu = emulator();
    // Signed by the CA the server trusts, but registered for no client: invalid_client.
    let e = mtls_builder(&emu, "other-client")
        .build()
        .unwrap()
        .client_credentials()
        .send()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidClient, "{e}");
    match &e {
        Error::OAuth(o) => assert!(
            o.description
                .as_deref()
                .unwrap()
                .contains("not the one registered"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    // From a CA the server does not trust: refused in the handshake.
    let e = mtls_builder(&emu, "stranger-client")
        .build()
        .unwrap()
        .client_credentials()
        .send()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Tls, "{e}");
    // The right one works.
    let tokens = mtls_builder(&emu, "client")
        .build()
        .unwrap()
        .client_credentials()
        .send()
        .unwrap();
    assert_eq!(tokens.token_type(), "Bearer");
}

#[test]
fn the_certificate_settings_are_checked_at_build() {
    let emu = emulator();
    let e = mtls_builder(&emu, "client")
        .tls_client_key_file(tls::file("other-client.key"))
        .build()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Config, "{e}");
    assert!(
        e.to_string()
            .contains("cannot be used with the certificate"),
        "{e}"
    );

    let mut half = Client::builder(Provider::Generic)
        .client_id("c")
        .token_endpoint(emu.url("/t"))
        .auth_method(AuthMethod::None)
        .tls_client_cert_file(tls::file("client.pem"));
    let e = half.clone().build().unwrap_err();
    assert!(e.to_string().contains("without tls_client_key_file"), "{e}");
    half = half.tls_client_key_file("/nonexistent/key.pem");
    let e = half.build().unwrap_err();
    assert!(
        e.to_string().contains("cannot read the client key file"),
        "{e}"
    );

    let e = Client::builder(Provider::Generic)
        .client_id("c")
        .token_endpoint(emu.url("/t"))
        .auth_method(AuthMethod::SelfSignedTlsClientAuth)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("needs a client certificate"), "{e}");
    assert_eq!(
        AuthMethod::from_name("self_signed_tls_client_auth"),
        Some(AuthMethod::SelfSignedTlsClientAuth)
    );
    assert_eq!(
        AuthMethod::from_u32(AuthMethod::TlsClientAuth as u32),
        Some(AuthMethod::TlsClientAuth)
    );
    // Nothing of the key in Debug output.
    let key = std::fs::read_to_string(tls::file("client.key")).unwrap();
    let shown = format!("{:?}", mtls_builder(&emu, "client").build().unwrap());
    assert!(!shown.contains(&key[30..60]), "{shown}");
}

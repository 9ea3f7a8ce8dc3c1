//! Pushed authorization requests (RFC 9126) against the emulator's PAR endpoint.

mod common;

use authgate::{Client, ErrorCode, Provider, ProxyConfig};
use common::{browse, emulator, fx};

fn exchange(client: &Client, req: &authgate::AuthorizationRequest) -> authgate::TokenSet {
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let mut exchange = client
        .exchange_code(code)
        .pkce_verifier(req.pkce_verifier.clone().unwrap());
    if let Some(uri) = &req.redirect_uri {
        exchange = exchange.redirect_uri(uri);
    }
    exchange.send().unwrap()
}

#[test]
fn push_sends_the_parameters_back_channel_and_returns_the_short_url() {
    let emu = emulator();
    let client = common::discovered_kontur(&emu);
    // Not required by this provider: build() makes the usual long URL, push() pushes.
    assert!(client
        .authorization_url()
        .build()
        .unwrap()
        .url
        .contains("code_challenge="));
    let req = client
        .authorization_url()
        .redirect_uri(fx::REDIRECT_URI)
        .push()
        .unwrap();
    let (base, query) = req.url.split_once('?').unwrap();
    assert_eq!(base, emu.url(fx::KONTUR_AUTHORIZE_PATH));
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert_eq!(pairs[0], ("client_id".into(), fx::KONTUR_CLIENT_ID.into()));
    assert!(pairs[1].1.starts_with("urn:ietf:params:oauth:request_uri:"));
    // The pushed form carried the parameters and the client's authentication.
    let pushed = emu.last_request(fx::KONTUR_PAR_PATH).unwrap();
    assert_eq!(
        pushed.form_param("state").as_deref(),
        Some(req.state.as_str())
    );
    assert_eq!(
        pushed.form_param("client_secret").as_deref(),
        Some(fx::KONTUR_CLIENT_SECRET)
    );
    assert_eq!(
        pushed.form_param("code_challenge_method").as_deref(),
        Some("S256")
    );
    let tokens = exchange(&client, &req);
    assert!(tokens.id_token().is_some());

    // The request_uri is good once: the browser opening it again gets an error page.
    let again = authgate_emulator::browse(&req.url).unwrap_err().to_string();
    assert!(again.contains("400"), "{again}");
}

#[test]
fn a_provider_that_requires_pushing_gets_pushed_requests_by_default() {
    let emu = emulator();
    emu.set_require_pushed_authorization_requests(true);
    // An unpushed request is refused by such a provider.
    let plain = common::client(&emu, Provider::KonturExtern);
    let url = plain.authorization_url().build().unwrap().url;
    assert!(authgate_emulator::browse(&url).is_err());

    let client = Client::builder(Provider::KonturExtern)
        .client_id(fx::KONTUR_CLIENT_ID)
        .client_key(fx::CLIENT_RSA_KEY_PEM)
        .redirect_uri(fx::REDIRECT_URI)
        .proxy(ProxyConfig::Disabled)
        .discover(&emu.base_url())
        .unwrap()
        .build()
        .unwrap();
    let req = client.authorization_url().build().unwrap();
    assert!(req.url.contains("request_uri="), "{}", req.url);
    // Pushed with a client assertion, as token requests are.
    let pushed = emu.last_request(fx::KONTUR_PAR_PATH).unwrap();
    assert!(pushed.form_param("client_assertion").is_some());
    exchange(&client, &req);
}

#[test]
fn forcing_pushes_and_the_server_refusal_is_typed() {
    let emu = emulator();
    let client = common::builder(&emu, Provider::KonturExtern)
        .pushed_authorization_request_endpoint(emu.url(fx::KONTUR_PAR_PATH))
        .pushed_authorization_requests(true)
        .build()
        .unwrap();
    let req = client.authorization_url().build().unwrap();
    assert!(req.url.contains("request_uri="));
    exchange(&client, &req);

    // A redirect URI the server does not know: refused at the push, before any browser.
    let err = client
        .authorization_url()
        .redirect_uri("https://evil.example/cb")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest, "{err}");

    // Without the endpoint: a configuration error, at build time.
    let err = common::builder(&emu, Provider::KonturExtern)
        .pushed_authorization_requests(true)
        .build()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config);
    assert!(err
        .to_string()
        .contains("pushed_authorization_request_endpoint"));
}

#[test]
fn an_expired_request_uri_is_refused() {
    let emu = emulator();
    let client = common::discovered_kontur(&emu);
    let req = client
        .authorization_url()
        .redirect_uri(fx::REDIRECT_URI)
        .push()
        .unwrap();
    emu.advance_clock(std::time::Duration::from_secs(fx::PAR_LIFETIME_SECS + 1));
    assert!(authgate_emulator::browse(&req.url).is_err());
}

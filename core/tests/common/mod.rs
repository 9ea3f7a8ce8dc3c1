//! Shared helpers of the integration tests: a started emulator, a client per preset, and a
//! "browser" that follows the authorization URL to the redirect.
#![allow(dead_code, unused_imports)]

use authgate::{Client, ClientBuilder, Provider, ProxyConfig};
pub use authgate_emulator::{fixtures as fx, Dialect, Emulator, Fault, FaultKind};

pub fn emulator() -> Emulator {
    Emulator::start().expect("the emulator starts")
}

/// A builder for `provider` pointing at the emulator, with the emulator's registered client.
pub fn builder(emu: &Emulator, provider: Provider) -> ClientBuilder {
    let (id, secret) = match provider {
        Provider::Taxcom => (fx::TAXCOM_CLIENT_ID, fx::TAXCOM_CLIENT_SECRET),
        Provider::KonturExtern => (fx::KONTUR_CLIENT_ID, fx::KONTUR_CLIENT_SECRET),
        Provider::GearCode => (fx::GEARCODE_CLIENT_ID, fx::GEARCODE_CLIENT_SECRET),
        Provider::Cuba => (fx::CUBA_CLIENT_ID, fx::CUBA_CLIENT_SECRET),
        _ => panic!("no fixture for {provider:?}"),
    };
    Client::builder(provider)
        .base_url(emu.base_url())
        .client_id(id)
        .client_secret(secret)
        .redirect_uri(fx::REDIRECT_URI)
        .proxy(ProxyConfig::Disabled)
}

pub fn client(emu: &Emulator, provider: Provider) -> Client {
    builder(emu, provider)
        .build()
        .expect("a valid configuration")
}

/// A Kontur client configured by discovery from the emulator.
pub fn discovered_kontur(emu: &Emulator) -> Client {
    Client::builder(Provider::KonturExtern)
        .client_id(fx::KONTUR_CLIENT_ID)
        .client_secret(fx::KONTUR_CLIENT_SECRET)
        .proxy(ProxyConfig::Disabled)
        .discover(&emu.base_url())
        .unwrap()
        .build()
        .unwrap()
}

/// Plays the browser: GETs the authorization URL (the emulator approves at once) and
/// returns the redirect it answers with.
pub fn browse(url: &str) -> String {
    authgate_emulator::browse(url).expect("the authorize endpoint redirects")
}

/// Runs the authorization code flow up to the token set.
pub fn sign_in(client: &Client) -> authgate::TokenSet {
    let req = client.authorization_url().build().unwrap();
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    client
        .exchange_code(code)
        .pkce_verifier(req.pkce_verifier.clone().unwrap())
        .send()
        .unwrap()
}

/// A CUBA client of an HTTPS test server (`authgate_emulator::tls`) with these trust roots.
pub fn https_client(base: &str, roots: authgate::TrustRoots) -> authgate::Result<Client> {
    Client::builder(Provider::Cuba)
        .base_url(base)
        .client_id("client")
        .client_secret("secret")
        .trust_roots(roots)
        .proxy(ProxyConfig::Disabled)
        .build()
}

/// Asserts that no secret appears in an error's Display or Debug output.
pub fn assert_no_secret(err: &authgate::Error, secrets: &[&str]) {
    let shown = format!("{err} / {err:?}");
    for s in secrets {
        assert!(!shown.contains(s), "secret {s:?} leaked into {shown}");
    }
}

//! DPoP (RFC 9449) end to end against the emulator: proofs on token requests, the nonce
//! dance, DPoP-bound tokens at the protected resource, and the refusals.

mod common;
use authgate::{Client, Error, ErrorCode, Provider, TokenSet};
use authgate_emulator::DpopPolicy;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::*;

fn dpop_client(emu: &Emulator) -> authgate::Client {
    builder(emu, Provider::Cuba).dpop(true).build().unwrap()
}

fn sign_in(client: &authgate::Client) -> authgate::Result<TokenSet> {
    client
        .password(fx::CUBA_ADMIN_USERNAME, fx::CUBA_ADMIN_PASSWORD)
        .send()
}

/// GETs the emulator's protected resource with these headers: (status, DPoP-Nonce, body).
fn get_resource(emu: &Emulator, headers: &[(&str, &str)]) -> (u16, Option<String>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(emu.url(fx::RESOURCE_PATH));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.call().unwrap();
    let nonce = resp
        .headers()
        .get("dpop-nonce")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.body_mut().read_to_string().unwrap();
    (resp.status().as_u16(), nonce, body)
}

fn call_api(
    emu: &Emulator,
    client: &authgate::Client,
    tokens: &TokenSet,
) -> (u16, Option<String>, String) {
    let h = client
        .dpop_headers("GET", &emu.url(fx::RESOURCE_PATH), tokens.access_token())
        .unwrap();
    get_resource(
        emu,
        &[("Authorization", &h.authorization), ("DPoP", &h.dpop)],
    )
}

fn claims(jwt: &str, part: usize) -> serde_json::Value {
    let p = jwt.split('.').nth(part).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

#[test]
fn tokens_are_bound_to_the_key_and_the_api_takes_them_with_a_proof() {
    let emu = emulator();
    emu.set_dpop(DpopPolicy {
        required: true,
        ..Default::default()
    });
    let client = dpop_client(&emu);
    let tokens = sign_in(&client).unwrap();
    assert_eq!(tokens.token_type(), "DPoP");
    assert!(tokens.authorization_header().starts_with("DPoP "));

    let sent = emu.last_request(fx::CUBA_TOKEN_PATH).unwrap();
    let proof = sent.header("dpop").expect("a DPoP proof");
    let (header, body) = (claims(proof, 0), claims(proof, 1));
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["jwk"]["kty"], "EC");
    assert!(header["jwk"].get("d").is_none(), "no private part");
    assert_eq!(body["htm"], "POST");
    assert_eq!(body["htu"], emu.url(fx::CUBA_TOKEN_PATH));
    assert!(body.get("nonce").is_none() && body.get("ath").is_none());

    let (status, _, answer) = call_api(&emu, &client, &tokens);
    assert_eq!(status, 200, "{answer}");
    // The bound token as a bearer token, or with a proof of another key, is refused.
    let bearer = format!("Bearer {}", tokens.access_token().secret());
    assert_eq!(get_resource(&emu, &[("Authorization", &bearer)]).0, 401);
    let other = dpop_client(&emu);
    let (status, _, answer) = call_api(&emu, &other, &tokens);
    assert_eq!(status, 401);
    assert!(answer.contains("another key"), "{answer}");

    // The refresh token is bound too: good with this key, refused with another.
    let rt = tokens.refresh_token().unwrap();
    let e = other.refresh(rt).send().unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidGrant, "{e}");
    let fresh = client.refresh(rt).send().unwrap();
    assert_eq!(fresh.token_type(), "DPoP");
    assert_eq!(call_api(&emu, &client, &fresh).0, 200);
}

#[test]
fn the_nonce_is_fetched_with_one_retry_and_remembered() {
    let emu = emulator();
    emu.set_dpop(DpopPolicy {
        required: true,
        nonce: true,
        ..Default::default()
    });
    let client = dpop_client(&emu);
    let tokens = sign_in(&client).unwrap();
    assert_eq!(tokens.token_type(), "DPoP");
    assert_eq!(emu.count(fx::CUBA_TOKEN_PATH), 2, "one refusal, one retry");
    let sent = emu.last_request(fx::CUBA_TOKEN_PATH).unwrap();
    assert!(claims(sent.header("dpop").unwrap(), 1)["nonce"].is_string());
    // Remembered: the next request carries it at once.
    client
        .refresh(tokens.refresh_token().unwrap())
        .send()
        .unwrap();
    assert_eq!(emu.count(fx::CUBA_TOKEN_PATH), 3);
    // The resource is the same server: its nonce is known too.
    assert_eq!(call_api(&emu, &client, &tokens).0, 200);
}

#[test]
fn the_resource_servers_nonce_is_remembered_for_the_retry() {
    let emu = emulator();
    let client = dpop_client(&emu);
    let tokens = sign_in(&client).unwrap();
    emu.set_dpop(DpopPolicy {
        nonce: true,
        ..Default::default()
    });
    let url = emu.url(fx::RESOURCE_PATH);
    let (status, nonce, answer) = call_api(&emu, &client, &tokens);
    assert_eq!(status, 401);
    assert!(answer.contains("use_dpop_nonce"), "{answer}");
    let nonce = nonce.expect("a DPoP-Nonce header");
    assert!(client.remember_dpop_nonce(&url, &nonce), "a new nonce");
    assert!(!client.remember_dpop_nonce(&url, &nonce), "known already");
    assert_eq!(call_api(&emu, &client, &tokens).0, 200);
}

#[test]
fn a_server_that_keeps_asking_for_a_nonce_gives_a_typed_error() {
    let emu = emulator();
    emu.set_dpop(DpopPolicy {
        keep_asking: true,
        ..Default::default()
    });
    let e = sign_in(&dpop_client(&emu)).unwrap_err();
    match &e {
        Error::OAuth(o) => assert_eq!(o.error, "use_dpop_nonce"),
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.count(fx::CUBA_TOKEN_PATH), 2, "one retry only");
}

#[test]
fn a_proof_for_another_url_is_refused() {
    let emu = emulator();
    // The same server under another name: the proof's htu is not the URL the server has.
    let other_name = emu
        .url(fx::CUBA_TOKEN_PATH)
        .replace("127.0.0.1", "localhost");
    let client = builder(&emu, Provider::Cuba)
        .token_endpoint(other_name)
        .dpop(true)
        .build()
        .unwrap();
    let e = sign_in(&client).unwrap_err();
    match &e {
        Error::OAuth(o) => {
            assert_eq!(o.error, "invalid_dpop_proof");
            assert!(o.description.as_deref().unwrap().contains("htu"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // At the resource: headers built for another URL.
    let client = dpop_client(&emu);
    let tokens = sign_in(&client).unwrap();
    let h = client
        .dpop_headers("GET", &emu.url("/api/other"), tokens.access_token())
        .unwrap();
    let (status, _, answer) = get_resource(
        &emu,
        &[("Authorization", &h.authorization), ("DPoP", &h.dpop)],
    );
    assert_eq!(status, 401);
    assert!(answer.contains("htu"), "{answer}");
}

#[test]
fn a_replayed_proof_is_refused() {
    let emu = emulator();
    let client = dpop_client(&emu);
    let tokens = sign_in(&client).unwrap();
    let h = client
        .dpop_headers("GET", &emu.url(fx::RESOURCE_PATH), tokens.access_token())
        .unwrap();
    let headers = [
        ("Authorization", h.authorization.as_str()),
        ("DPoP", &h.dpop),
    ];
    assert_eq!(get_resource(&emu, &headers).0, 200);
    let (status, _, answer) = get_resource(&emu, &headers);
    assert_eq!(status, 401);
    assert!(answer.contains("replayed"), "{answer}");
}

#[test]
fn the_key_comes_from_a_pkcs8_pem_file_and_stays_secret() {
    let dir = std::env::temp_dir().join(format!("authgate-dpop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &rng,
    )
    .unwrap();
    let b64 = STANDARD.encode(pkcs8.as_ref());
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n");
    let path = dir.join("dpop.pem");
    std::fs::write(&path, &pem).unwrap();

    let emu = emulator();
    let a = builder(&emu, Provider::Cuba)
        .dpop_key_file(&path)
        .build()
        .unwrap();
    let b = authgate::ClientBuilder::from_json(&format!(
        r#"{{"provider":"cuba","base_url":"{}","client_id":"c","client_secret":"s","dpop_key_file":{:?}}}"#,
        emu.base_url(),
        path.to_str().unwrap()
    ))
    .unwrap()
    .build()
    .unwrap();
    assert!(a.uses_dpop() && b.uses_dpop());
    assert_eq!(a.dpop_thumbprint(), b.dpop_thumbprint(), "the same key");
    // A token bound at one start is usable with the key read again.
    let tokens = sign_in(&a).unwrap();
    assert_eq!(call_api(&emu, &b, &tokens).0, 200);

    // Nothing of the key or of a proof in Debug output.
    let h = a
        .dpop_headers("GET", &emu.url(fx::RESOURCE_PATH), tokens.access_token())
        .unwrap();
    for shown in [format!("{a:?}"), format!("{h:?}")] {
        assert!(!shown.contains(&b64[40..60]), "{shown}");
        assert!(!shown.contains(&h.dpop[..20]), "{shown}");
        assert!(!shown.contains(tokens.access_token().secret()), "{shown}");
    }

    // A file without a PKCS#8 P-256 key is a configuration error saying so.
    std::fs::write(
        &path,
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
    )
    .unwrap();
    let e = builder(&emu, Provider::Cuba)
        .dpop_key_file(&path)
        .build()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Config, "{e}");
    std::fs::write(&path, "not a key").unwrap();
    let e = builder(&emu, Provider::Cuba)
        .dpop_key_file(&path)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("no readable PEM private key"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();

    // Without DPoP, asking for DPoP headers is a configuration error.
    let plain = client(&emu, Provider::Cuba);
    let e = plain
        .dpop_headers("GET", &emu.url(fx::RESOURCE_PATH), tokens.access_token())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Config);
}

/// A Kontur client (discovered, so it has a UserInfo endpoint) that uses DPoP.
fn dpop_kontur(emu: &Emulator) -> authgate::Client {
    Client::builder(Provider::KonturExtern)
        .client_id(fx::KONTUR_CLIENT_ID)
        .client_secret(fx::KONTUR_CLIENT_SECRET)
        .redirect_uri(fx::REDIRECT_URI)
        .scopes(["openid", "extern.api"])
        .proxy(authgate::ProxyConfig::Disabled)
        .discover(&emu.base_url())
        .unwrap()
        .dpop(true)
        .build()
        .unwrap()
}

#[test]
fn userinfo_presents_a_dpop_bound_token_with_a_proof() {
    let emu = emulator();
    let client = dpop_kontur(&emu);
    let tokens = common::sign_in(&client);
    assert_eq!(tokens.token_type(), "DPoP");
    let user = client.userinfo(tokens.access_token()).unwrap();
    assert_eq!(user["sub"], fx::TEST_USER_SUBJECT);

    let sent = emu.last_request(fx::KONTUR_USERINFO_PATH).unwrap();
    let authorization = sent.header("authorization").unwrap();
    assert_eq!(
        authorization,
        format!("DPoP {}", tokens.access_token().secret())
    );
    let proof = claims(sent.header("dpop").expect("a DPoP proof"), 1);
    assert_eq!(proof["htm"], "GET");
    assert_eq!(proof["htu"], emu.url(fx::KONTUR_USERINFO_PATH));
    assert!(proof["ath"].is_string(), "{proof}");
    // A proof is good once: the next call signs a new one.
    client.userinfo(tokens.access_token()).unwrap();
    assert_eq!(emu.count(fx::KONTUR_USERINFO_PATH), 2);

    // Another key's client is refused, with the server's words.
    let e = dpop_kontur(&emu)
        .userinfo(tokens.access_token())
        .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "invalid_dpop_proof", "{e}");
    assert_eq!(e.http_status(), Some(401));
    assert_no_secret(&e, &[tokens.access_token().secret()]);
}

#[test]
fn userinfo_fetches_the_resource_servers_nonce_with_one_retry() {
    let emu = emulator();
    let client = dpop_kontur(&emu);
    let tokens = common::sign_in(&client);
    emu.set_dpop(DpopPolicy {
        nonce: true,
        ..Default::default()
    });
    let user = client.userinfo(tokens.access_token()).unwrap();
    assert_eq!(user["sub"], fx::TEST_USER_SUBJECT);
    assert_eq!(
        emu.count(fx::KONTUR_USERINFO_PATH),
        2,
        "one refusal, one retry"
    );
    let sent = emu.last_request(fx::KONTUR_USERINFO_PATH).unwrap();
    assert!(claims(sent.header("dpop").unwrap(), 1)["nonce"].is_string());
    // Remembered: the next call carries it at once.
    client.userinfo(tokens.access_token()).unwrap();
    assert_eq!(emu.count(fx::KONTUR_USERINFO_PATH), 3);

    // A server that keeps asking: one retry, then its refusal as a typed error.
    emu.set_dpop(DpopPolicy {
        keep_asking: true,
        ..Default::default()
    });
    let e = client.userinfo(tokens.access_token()).unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "use_dpop_nonce", "{e}");
    assert_eq!(emu.count(fx::KONTUR_USERINFO_PATH), 5, "one retry only");
}

/// Every record logged in this test binary.
static RECORDS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let entry = format!("{}: {}", record.target(), record.args());
        RECORDS.lock().unwrap().push(entry);
    }
    fn flush(&self) {}
}

#[test]
fn the_wire_trace_and_logs_of_userinfo_show_no_token_and_no_usable_proof() {
    let _ = log::set_logger(&Capture);
    log::set_max_level(log::LevelFilter::Trace);
    let emu = emulator();
    let client = dpop_kontur(&emu);
    let tokens = common::sign_in(&client);
    emu.set_dpop(DpopPolicy {
        nonce: true,
        ..Default::default()
    });
    // The first call is refused for a nonce and sent again; the second goes at once.
    let mut proofs = Vec::new();
    for _ in 0..2 {
        client.userinfo(tokens.access_token()).unwrap();
        let sent = emu.last_request(fx::KONTUR_USERINFO_PATH).unwrap();
        proofs.push(sent.header("dpop").unwrap().to_owned());
    }
    assert_eq!(emu.count(fx::KONTUR_USERINFO_PATH), 3);
    let records = RECORDS.lock().unwrap().join("\n");
    let token = tokens.access_token().secret();
    assert!(
        records.contains("authgate::wire") && records.contains(fx::KONTUR_USERINFO_PATH),
        "the exchange is traced"
    );
    assert!(!records.contains(token), "the access token is not logged");
    for proof in &proofs {
        let signature = proof.rsplit('.').next().unwrap();
        assert!(
            !records.contains(signature),
            "a proof's signature is masked"
        );
    }
    let shown = format!("{client:?} {tokens:?}");
    assert!(
        !shown.contains(token) && !shown.contains(&proofs[0][..40]),
        "{shown}"
    );
}

#[test]
fn userinfo_of_a_server_without_dpop_takes_the_token_as_bearer() {
    let emu = emulator();
    emu.set_dpop(DpopPolicy {
        unsupported: true,
        ..Default::default()
    });
    let client = dpop_kontur(&emu);
    let tokens = common::sign_in(&client);
    assert_eq!(tokens.token_type(), "Bearer", "the proof was ignored");
    let user = client.userinfo(tokens.access_token()).unwrap();
    assert_eq!(user["sub"], fx::TEST_USER_SUBJECT);
    // Refused as DPoP with a Bearer-only challenge, then sent once more as a bearer token.
    assert_eq!(emu.count(fx::KONTUR_USERINFO_PATH), 2);
    let sent = emu.last_request(fx::KONTUR_USERINFO_PATH).unwrap();
    let bearer = format!("Bearer {}", tokens.access_token().secret());
    assert_eq!(sent.header("authorization"), Some(bearer.as_str()));
    assert!(sent.header("dpop").is_none());
    // A dead token is still the server's refusal, after the one fallback.
    let e = client
        .userinfo(&authgate::AccessToken::new("never-issued"))
        .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "invalid_token", "{e}");
    assert_eq!(emu.count(fx::KONTUR_USERINFO_PATH), 4);
}

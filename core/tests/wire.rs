//! The exact requests authgate puts on the wire, compared whole (method, path, query, every
//! header, the form body byte for byte) with literal expectations, as the emulator
//! recorded them: each grant with each client authentication method, the authorization
//! URL, and each preset's real flow against its dialect.
//!
//! The order of the form parameters is pinned too: `grant_type`, the grant's own fields,
//! `scope`, the client authentication, the client's `token_param`s, then the request's
//! `.param()`s. A change of order is harmless to a server but should be a decision, not an
//! accident of a rewrite.

mod common;

use authgate::{AuthMethod, BasicEncoding, Client, DeviceAuthorization, Provider, ProxyConfig};
use authgate_emulator::RecordedRequest;
use common::*;

/// A client id and secret with characters that each Basic encoding treats differently:
/// a space, a slash, `:`, `&`, `+`, `=` and non-ASCII.
const ID: &str = "pos 42/ü";
const SECRET: &str = "s3:cr&t+=/ü";
/// RFC 6749 §2.3.1: `base64(form(id) ":" form(secret))` =
/// base64 of `pos+42%2F%C3%BC:s3%3Acr%26t%2B%3D%2F%C3%BC`.
const BASIC_FORM: &str = "Basic cG9zKzQyJTJGJUMzJUJDOnMzJTNBY3IlMjZ0JTJCJTNEJTJGJUMzJUJD";
/// Raw (Spring): `base64(id ":" secret)` = base64 of `pos 42/ü:s3:cr&t+=/ü`.
const BASIC_RAW: &str = "Basic cG9zIDQyL8O8OnMzOmNyJnQrPS/DvA==";
/// RFC 7636 Appendix B: this verifier's S256 challenge is `E9Melhoa…`.
const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

const FORM: &str = "application/x-www-form-urlencoded";

/// The client authentication methods, with the two Basic encodings.
#[derive(Debug, Clone, Copy)]
enum Auth {
    BasicForm,
    BasicRaw,
    Post,
    None,
}

impl Auth {
    const ALL: [Auth; 4] = [Auth::BasicForm, Auth::BasicRaw, Auth::Post, Auth::None];

    /// A generic client using this method, its endpoints under `/wire/` on the emulator
    /// (which records the requests and answers 404: the answer does not matter here).
    fn client(self, emu: &Emulator) -> Client {
        let (method, encoding) = match self {
            Auth::BasicForm => (AuthMethod::ClientSecretBasic, BasicEncoding::FormUrlEncoded),
            Auth::BasicRaw => (AuthMethod::ClientSecretBasic, BasicEncoding::Raw),
            Auth::Post => (AuthMethod::ClientSecretPost, BasicEncoding::FormUrlEncoded),
            Auth::None => (AuthMethod::None, BasicEncoding::FormUrlEncoded),
        };
        Client::builder(Provider::Generic)
            .token_endpoint(emu.url("/wire/token"))
            .authorization_endpoint(emu.url("/wire/authorize?tenant=t%201"))
            .device_authorization_endpoint(emu.url("/wire/device"))
            .revocation_endpoint(emu.url("/wire/revoke"))
            .introspection_endpoint(emu.url("/wire/introspect"))
            .client_id(ID)
            // Configured for `none` too: a public client must not send it.
            .client_secret(SECRET)
            .auth_method(method)
            .basic_encoding(encoding)
            .redirect_uri(fx::REDIRECT_URI)
            .scopes(["read", "write"])
            .token_param("audience", "pos api")
            .proxy(ProxyConfig::Disabled)
            .build()
            .expect("a valid configuration")
    }

    /// The `Authorization` header this method sends.
    fn header(self) -> Option<&'static str> {
        match self {
            Auth::BasicForm => Some(BASIC_FORM),
            Auth::BasicRaw => Some(BASIC_RAW),
            Auth::Post | Auth::None => None,
        }
    }

    /// The form fields this method adds.
    fn form(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Auth::BasicForm | Auth::BasicRaw => &[],
            Auth::Post => &[("client_id", ID), ("client_secret", SECRET)],
            Auth::None => &[("client_id", ID)],
        }
    }
}

/// The whole request authgate makes for a form POST: every header it sends, and the body
/// encoded from `form` (in this order).
fn form_post(
    emu: &Emulator,
    path: &str,
    authorization: Option<&str>,
    form: &[(&str, &str)],
) -> RecordedRequest {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut headers = vec![
        ("accept", "application/json".to_owned()),
        ("content-length", body.len().to_string()),
        ("content-type", FORM.to_owned()),
    ];
    headers.extend(authorization.map(|a| ("authorization", a.to_owned())));
    recorded(emu, "POST", path, "", headers, body)
}

/// The whole request authgate makes for a GET with these headers (beyond the usual ones).
fn get(emu: &Emulator, path: &str, extra: &[(&str, &str)]) -> RecordedRequest {
    let mut headers = vec![("accept", "application/json".to_owned())];
    headers.extend(extra.iter().map(|(n, v)| (*n, (*v).to_owned())));
    recorded(emu, "GET", path, "", headers, String::new())
}

fn recorded(
    emu: &Emulator,
    method: &str,
    path: &str,
    query: &str,
    mut headers: Vec<(&str, String)>,
    body: String,
) -> RecordedRequest {
    headers.push(("host", emu.addr().to_string()));
    headers.push(("user-agent", format!("authgate/{}", authgate::VERSION)));
    RecordedRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect(),
        body,
    }
}

/// The decoded form pairs of a body, in order.
fn pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// Asserts that the last request on `expected.path` is exactly `expected`. Headers are
/// compared as a set (their order is the HTTP library's business); everything else exactly.
#[track_caller]
fn assert_sent(emu: &Emulator, expected: RecordedRequest, case: &str) {
    let mut got = emu
        .last_request(&expected.path)
        .unwrap_or_else(|| panic!("{case}: nothing was sent to {}", expected.path));
    // The decoded pairs first: a readable diff when a field is wrong.
    assert_eq!(pairs(&got.body), pairs(&expected.body), "{case}: the form");
    let mut expected = expected;
    got.headers.sort();
    expected.headers.sort();
    assert_eq!(got, expected, "{case}: the whole request");
}

/// Each grant with each client authentication method: the exact request.
#[test]
fn every_grant_with_every_client_authentication() {
    let emu = emulator();
    // The `.param()` of each request, and the client's `token_param`: after the grant.
    let tail = |auth: Auth, extra: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, &str)> = auth.form().to_vec();
        form.push(("audience", "pos api"));
        form.extend_from_slice(extra);
        form
    };
    for auth in Auth::ALL {
        let client = auth.client(&emu);
        let case = |grant: &str| format!("{grant} with {auth:?}");
        let check = |grant: &str, head: &[(&str, &str)], extra: &[(&'static str, &'static str)]| {
            let mut form = head.to_vec();
            form.extend(tail(auth, extra));
            assert_sent(
                &emu,
                form_post(&emu, "/wire/token", auth.header(), &form),
                &case(grant),
            );
            emu.reset();
        };

        let _ = client
            .exchange_code("c0de/+ 1")
            .pkce_verifier(RFC7636_VERIFIER)
            .param("x", "a b&c")
            .send();
        check(
            "authorization_code",
            &[
                ("grant_type", "authorization_code"),
                ("code", "c0de/+ 1"),
                ("redirect_uri", fx::REDIRECT_URI),
                ("code_verifier", RFC7636_VERIFIER),
            ],
            &[("x", "a b&c")],
        );

        let _ = client.refresh("rt/+ 1").send();
        check(
            "refresh_token",
            &[("grant_type", "refresh_token"), ("refresh_token", "rt/+ 1")],
            &[],
        );

        // The password grant sends the client's default scopes.
        let _ = client.password("кассир", "p&s=w+o%rd 1").send();
        check(
            "password",
            &[
                ("grant_type", "password"),
                ("username", "кассир"),
                ("password", "p&s=w+o%rd 1"),
                ("scope", "read write"),
            ],
            &[],
        );

        let _ = client.client_credentials().scopes(["api:pos"]).send();
        check(
            "client_credentials",
            &[("grant_type", "client_credentials"), ("scope", "api:pos")],
            &[],
        );

        // A device code saved earlier (the scopes asked for are compared, never re-sent).
        let device = DeviceAuthorization::from_json(&format!(
            r#"{{"device_code":"dc/+ 1","user_code":"WDJB-MJHT","verification_uri":"{}",
                "expires_in":600,"expires_at":{},"interval":1,"scopes":["read"]}}"#,
            emu.url("/device"),
            unix_now() + 600
        ))
        .unwrap();
        let _ = client.poll_device_token(&device);
        check(
            "device_code",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", "dc/+ 1"),
            ],
            &[],
        );

        // The device authorization request: the scopes and the client authentication,
        // without the token endpoint's extra parameters.
        // The other authenticated POSTs: their own fields and the client authentication,
        // without the token endpoint's extra parameters.
        let _ = client.device_authorization(None);
        let _ = client.revoke("rt/+ 1", Some("refresh_token"));
        let _ = client.introspect("at/+ 1");
        let _ = client.probe_token_endpoint();
        for (path, head) in [
            ("/wire/device", &[("scope", "read write")][..]),
            (
                "/wire/revoke",
                &[("token", "rt/+ 1"), ("token_type_hint", "refresh_token")],
            ),
            ("/wire/introspect", &[("token", "at/+ 1")]),
            (
                "/wire/token",
                &[("grant_type", "urn:authgate:params:grant-type:probe")],
            ),
        ] {
            let mut form = head.to_vec();
            form.extend_from_slice(auth.form());
            assert_sent(
                &emu,
                form_post(&emu, path, auth.header(), &form),
                &case(path),
            );
        }
        emu.reset();
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The authorization URL with the three random values fixed: every byte of it.
#[test]
fn the_authorization_url_exactly() {
    let emu = emulator();
    for auth in Auth::ALL {
        let client = auth.client(&emu);
        let req = client
            .authorization_url()
            .state("st/ate 1")
            .nonce("n0nce+")
            .pkce_verifier(RFC7636_VERIFIER)
            .param("ui_locales", "ru en")
            .build()
            .unwrap();
        // The endpoint's own query stays first; then RFC 6749 §4.1.1, OpenID's nonce,
        // RFC 7636 §4.3, the request's parameters. Spaces are `+`, everything else
        // that is not unreserved is percent-encoded. The client authentication method
        // changes nothing here.
        assert_eq!(
            req.url,
            format!(
                "{}/wire/authorize?tenant=t%201&response_type=code&client_id=pos+42%2F%C3%BC\
                 &redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&scope=read+write\
                 &state=st%2Fate+1&nonce=n0nce%2B&code_challenge={RFC7636_CHALLENGE}\
                 &code_challenge_method=S256&ui_locales=ru+en",
                emu.base_url()
            ),
            "{auth:?}"
        );
        assert_eq!(req.state, "st/ate 1");
        assert_eq!(req.nonce.as_deref(), Some("n0nce+"));
        assert_eq!(req.redirect_uri.as_deref(), Some(fx::REDIRECT_URI));
    }

    // A preset's own parameters: Taxcom names the redirect as in its document, with an
    // `authorization_param` after the request's.
    let client = builder(&emu, Provider::Taxcom)
        .redirect_param("redirect_url")
        .authorization_param("acr_values", "idp:esia")
        .pkce(false)
        .build()
        .unwrap();
    let req = client.authorization_url().state("s").build().unwrap();
    assert_eq!(
        req.url,
        format!(
            "{}/core/connect/authorize?response_type=code&client_id=taxcom-app\
             &redirect_url=http%3A%2F%2F127.0.0.1%2Fcallback&scope=api&state=s\
             &acr_values=idp%3Aesia",
            emu.base_url()
        )
    );
    assert!(req.pkce_verifier.is_none() && req.nonce.is_none());
}

/// Left random, `state`, `nonce` and the verifier are fresh base64url values of the right
/// length each time, and the rest of the URL is what the fixed values give.
#[test]
fn the_authorization_url_with_its_random_values() {
    let emu = emulator();
    let client = common::client(&emu, Provider::KonturExtern);
    let base64url = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let first = client.authorization_url().build().unwrap();
    let second = client.authorization_url().build().unwrap();
    for req in [&first, &second] {
        let nonce = req.nonce.clone().expect("openid asks for a nonce");
        let verifier = req.pkce_verifier.clone().expect("PKCE is on by default");
        // 16 random bytes for state and nonce, 32 for the verifier (RFC 7636 §7.1).
        assert!(base64url(&req.state, 22), "{}", req.state);
        assert!(base64url(&nonce, 22), "{nonce}");
        assert!(base64url(verifier.secret(), 43));
        // The same three values, given: the same URL, byte for byte (so the challenge
        // is the S256 of this verifier, and nothing else in the URL is random).
        let again = client
            .authorization_url()
            .state(req.state.clone())
            .nonce(nonce.clone())
            .pkce_verifier(verifier.secret())
            .build()
            .unwrap();
        assert_eq!(again.url, req.url);
        let challenge = url::Url::parse(&req.url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code_challenge")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        assert_eq!(
            req.url,
            format!(
                "{}/connect/authorize?response_type=code&client_id=kontur-service\
                 &redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&scope=openid+extern.api\
                 &state={}&nonce={nonce}&code_challenge={challenge}&code_challenge_method=S256",
                emu.base_url(),
                req.state
            )
        );
    }
    assert_ne!(first.state, second.state);
    assert_ne!(first.nonce, second.nonce);
    assert_ne!(
        first.pkce_verifier.unwrap().secret(),
        second.pkce_verifier.unwrap().secret()
    );
}

/// Signs in through the emulator's authorize endpoint; returns the code and the verifier
/// that went to the token endpoint, and the tokens.
fn sign_in_recording(client: &Client) -> (String, String, authgate::TokenSet) {
    let req = client.authorization_url().build().unwrap();
    let code = req.parse_callback(&browse(&req.url)).unwrap();
    let verifier = req.pkce_verifier.clone().unwrap();
    let sent = (code.secret().to_owned(), verifier.secret().to_owned());
    let tokens = client
        .exchange_code(code)
        .pkce_verifier(verifier)
        .send()
        .unwrap();
    (sent.0, sent.1, tokens)
}

#[test]
fn taxcom_code_exchange_on_the_wire() {
    let emu = emulator();
    let (code, verifier, _) = sign_in_recording(&common::client(&emu, Provider::Taxcom));
    assert_sent(
        &emu,
        form_post(
            &emu,
            fx::TAXCOM_TOKEN_PATH,
            // base64("taxcom-app:taxcom-secret")
            Some("Basic dGF4Y29tLWFwcDp0YXhjb20tc2VjcmV0"),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", fx::REDIRECT_URI),
                ("code_verifier", &verifier),
            ],
        ),
        "taxcom",
    );
}

#[test]
fn kontur_code_exchange_device_flow_and_userinfo_on_the_wire() {
    let emu = emulator();
    let client = builder(&emu, Provider::KonturExtern)
        .device_authorization_endpoint(emu.url(fx::KONTUR_DEVICE_AUTHORIZATION_PATH))
        .userinfo_endpoint(emu.url(fx::KONTUR_USERINFO_PATH))
        .build()
        .unwrap();
    let secret_post = [
        ("client_id", fx::KONTUR_CLIENT_ID),
        ("client_secret", fx::KONTUR_CLIENT_SECRET),
    ];
    let (code, verifier, tokens) = sign_in_recording(&client);
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", fx::REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ];
    form.extend(secret_post);
    assert_sent(
        &emu,
        form_post(&emu, fx::KONTUR_TOKEN_PATH, None, &form),
        "kontur code",
    );

    client.userinfo(tokens.access_token()).unwrap();
    let bearer = format!("Bearer {}", tokens.access_token().secret());
    assert_sent(
        &emu,
        get(
            &emu,
            fx::KONTUR_USERINFO_PATH,
            &[("authorization", &bearer)],
        ),
        "kontur userinfo",
    );

    let device = client.device_authorization(None).unwrap();
    let mut form = vec![("scope", fx::KONTUR_SCOPE)];
    form.extend(secret_post);
    assert_sent(
        &emu,
        form_post(&emu, fx::KONTUR_DEVICE_AUTHORIZATION_PATH, None, &form),
        "kontur device authorization",
    );
    let saved: serde_json::Value = serde_json::from_str(&device.to_json()).unwrap();
    let device_code = saved["device_code"].as_str().unwrap();
    assert!(matches!(
        client.poll_device_token(&device).unwrap(),
        authgate::DevicePoll::Pending
    ));
    let mut form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
    ];
    form.extend(secret_post);
    assert_sent(
        &emu,
        form_post(&emu, fx::KONTUR_TOKEN_PATH, None, &form),
        "kontur device poll",
    );
}

#[test]
fn gearcode_refresh_on_the_wire() {
    let emu = emulator();
    let client = common::client(&emu, Provider::GearCode);
    let (_, _, tokens) = sign_in_recording(&client);
    let rt = tokens.refresh_token().unwrap().secret().to_owned();
    client.refresh(rt.as_str()).send().unwrap();
    assert_sent(
        &emu,
        form_post(
            &emu,
            fx::GEARCODE_TOKEN_PATH,
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", fx::GEARCODE_CLIENT_ID),
                ("client_secret", fx::GEARCODE_CLIENT_SECRET),
                // PROVIDERS.md: GearCode wants the client id again, on every request.
                ("resource_id", fx::GEARCODE_CLIENT_ID),
            ],
        ),
        "gearcode refresh",
    );
}

/// The request the C and Python tests compare their own refresh with
/// (`tests/c/test_wire.c`, `tests/python/test_wire.py`): CUBA's refresh grant.
fn cuba_refresh_expected(emu: &Emulator, refresh_token: &str) -> RecordedRequest {
    form_post(
        emu,
        fx::CUBA_TOKEN_PATH,
        // base64("client:secret"), raw: PROVIDERS.md
        Some("Basic Y2xpZW50OnNlY3JldA=="),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
}

#[test]
fn cuba_password_and_refresh_on_the_wire() {
    let emu = emulator();
    let client = common::client(&emu, Provider::Cuba);
    let tokens = client
        .password(fx::CUBA_CYRILLIC_USERNAME, fx::CUBA_CYRILLIC_PASSWORD)
        .send()
        .unwrap();
    assert_sent(
        &emu,
        form_post(
            &emu,
            fx::CUBA_TOKEN_PATH,
            Some("Basic Y2xpZW50OnNlY3JldA=="),
            &[
                ("grant_type", "password"),
                ("username", fx::CUBA_CYRILLIC_USERNAME),
                ("password", fx::CUBA_CYRILLIC_PASSWORD),
            ],
        ),
        "cuba password",
    );
    let rt = tokens.refresh_token().unwrap().secret().to_owned();
    client.refresh(rt.as_str()).send().unwrap();
    assert_sent(&emu, cuba_refresh_expected(&emu, &rt), "cuba refresh");
}

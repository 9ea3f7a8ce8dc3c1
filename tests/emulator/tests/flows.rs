//! The device authorization grant, the interactive login form, and loopback redirect
//! URIs. Raw HTTP, as in smoke.rs.

mod common;

use authgate_emulator::fixtures::*;
use authgate_emulator::Emulator;
use common::*;
use serde_json::Value;
use url::form_urlencoded;

/// Starts a device authorization; returns the answer.
fn device_authorization(emu: &Emulator, scope: Option<&str>) -> Value {
    let mut pairs: Vec<(&str, &str)> = KONTUR_CLIENT.to_vec();
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    let reply = post_form(emu, KONTUR_DEVICE_AUTHORIZATION_PATH, &[], &pairs);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

/// One poll of the token endpoint with a device code.
fn poll(emu: &Emulator, device_code: &str) -> common::Reply {
    let mut pairs = vec![
        ("grant_type", DEVICE_CODE_GRANT_TYPE),
        ("device_code", device_code),
    ];
    pairs.extend(KONTUR_CLIENT);
    post_form(emu, KONTUR_TOKEN_PATH, &[], &pairs)
}

fn error_of(reply: &common::Reply) -> String {
    assert_eq!(reply.status, 400, "{}", reply.body);
    reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The value of `<input ... name="NAME" value="...">` in a page (unescaping `&amp;`).
fn input_value(page: &str, name: &str) -> Option<String> {
    let start = page.find(&format!("name=\"{name}\""))?;
    let tag_start = page[..start].rfind('<')?;
    let tag_end = start + page[start..].find('>')?;
    let tag = &page[tag_start..tag_end];
    let value_at = tag.find("value=\"")? + "value=\"".len();
    let value = &tag[value_at..value_at + tag[value_at..].find('"')?];
    Some(value.replace("&quot;", "\"").replace("&amp;", "&"))
}

#[test]
fn device_flow_pending_slow_down_approved() {
    let emu = Emulator::start().expect("start");
    let answer = device_authorization(&emu, None);
    let device_code = answer["device_code"]
        .as_str()
        .expect("device_code")
        .to_string();
    let user_code = answer["user_code"].as_str().expect("user_code").to_string();
    assert_eq!(user_code.len(), 9);
    assert!(user_code.chars().enumerate().all(|(i, c)| if i == 4 {
        c == '-'
    } else {
        USER_CODE_ALPHABET.contains(c)
    }));
    let verification = format!("{}{DEVICE_VERIFICATION_PATH}", emu.base_url());
    assert_eq!(answer["verification_uri"], verification);
    assert_eq!(
        answer["verification_uri_complete"],
        format!("{verification}?user_code={user_code}")
    );
    assert_eq!(answer["expires_in"], DEVICE_EXPIRES_IN);
    assert_eq!(answer["interval"], DEVICE_INTERVAL);

    // Pending, then too fast.
    assert_eq!(error_of(&poll(&emu, &device_code)), "authorization_pending");
    assert_eq!(error_of(&poll(&emu, &device_code)), "slow_down");

    // Approved (lower case, no dash: matched leniently); a decided code cannot be
    // decided again.
    let loose = user_code.replace('-', "").to_lowercase();
    assert!(emu.approve_device(&loose, true));
    assert!(!emu.approve_device(&user_code, false));
    let reply = poll(&emu, &device_code);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], KONTUR_SCOPE);
    let (_, claims, _) = decode_jwt(tokens["id_token"].as_str().expect("id_token"));
    assert!(claims.get("nonce").is_none());
    assert_eq!(claims["aud"], KONTUR_CLIENT_ID);
    // One-time.
    assert_eq!(error_of(&poll(&emu, &device_code)), "invalid_grant");

    // Denied through the control API; expired at once with expires_in 0.
    let denied = device_authorization(&emu, Some("openid"));
    control(
        &emu,
        "device/approve",
        &format!(
            r#"{{"user_code":"{}","approve":false}}"#,
            denied["user_code"].as_str().unwrap_or("")
        ),
    );
    assert_eq!(
        error_of(&poll(&emu, denied["device_code"].as_str().unwrap_or(""))),
        "access_denied"
    );
    control(&emu, "device", r#"{"expires_in":0,"interval":5}"#);
    let expired = device_authorization(&emu, None);
    assert_eq!(expired["interval"], 5);
    assert_eq!(
        error_of(&poll(&emu, expired["device_code"].as_str().unwrap_or(""))),
        "expired_token"
    );

    // A bad client is refused.
    let reply = post_form(
        &emu,
        KONTUR_DEVICE_AUTHORIZATION_PATH,
        &[("Authorization", &basic(KONTUR_CLIENT_ID, "wrong"))],
        &[],
    );
    assert_eq!(reply.status, 401);
}

#[test]
fn device_page_logs_in_and_approves() {
    let emu = Emulator::start().expect("start");
    let answer = device_authorization(&emu, None);
    let device_code = answer["device_code"]
        .as_str()
        .expect("device_code")
        .to_string();
    let user_code = answer["user_code"].as_str().expect("user_code").to_string();

    // The first step asks for the code.
    let page = request(&emu, "GET", DEVICE_VERIFICATION_PATH, &[], "");
    assert_eq!(page.status, 200);
    assert!(page
        .header("Content-Type")
        .is_some_and(|t| t.starts_with("text/html")));
    assert!(page.body.contains("id=\"user_code\""));
    let page = request(
        &emu,
        "GET",
        &format!("{DEVICE_VERIFICATION_PATH}?user_code=ZZZZ-ZZZZ"),
        &[],
        "",
    );
    assert!(page.body.contains("id=\"error\""));

    // The complete URI leads to the login form.
    let target = format!("{DEVICE_VERIFICATION_PATH}?user_code={user_code}");
    let page = request(&emu, "GET", &target, &[], "");
    assert!(page.body.contains("action=\"/login\"") && page.body.contains("id=\"password\""));
    assert_eq!(
        input_value(&page.body, "user_code").as_deref(),
        Some(user_code.as_str())
    );

    let sign_in = |password: &str| {
        post_form(
            &emu,
            LOGIN_PATH,
            &[],
            &[
                ("user_code", &user_code),
                ("username", TEST_USER_LOGIN),
                ("password", password),
                ("action", "approve"),
            ],
        )
    };
    let page = sign_in("wrong");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"error\""));
    assert_eq!(error_of(&poll(&emu, &device_code)), "authorization_pending");

    let page = sign_in(TEST_USER_PASSWORD);
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("Device approved, you may close this window"));
    assert_eq!(poll(&emu, &device_code).status, 200);
}

#[test]
fn interactive_login_form_then_redirect() {
    let emu = Emulator::start().expect("start");
    control(&emu, "interactive", r#"{"enabled":true}"#);
    let query = kontur_authorize_query(KONTUR_SCOPE, REDIRECT_URI);
    let page = request(
        &emu,
        "GET",
        &format!("{KONTUR_AUTHORIZE_PATH}?{query}"),
        &[],
        "",
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    for needle in [
        "<form method=\"post\" action=\"/login\">",
        "name=\"username\" id=\"username\"",
        "type=\"password\" name=\"password\" id=\"password\"",
        "id=\"approve\"",
    ] {
        assert!(page.body.contains(needle), "{needle} in {}", page.body);
    }
    let request_field = input_value(&page.body, "request").expect("the request field");
    assert_eq!(request_field, query);
    let endpoint = input_value(&page.body, "endpoint").expect("the endpoint field");

    let submit = |password: &str| {
        post_form(
            &emu,
            LOGIN_PATH,
            &[],
            &[
                ("endpoint", &endpoint),
                ("request", &request_field),
                ("username", TEST_USER_LOGIN),
                ("password", password),
            ],
        )
    };
    let again = submit("nope");
    assert_eq!(again.status, 200);
    assert!(again.body.contains("id=\"error\"") && again.body.contains("id=\"password\""));

    let reply = submit(TEST_USER_PASSWORD);
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = reply.header("Location").expect("Location");
    let query = location
        .strip_prefix(&format!("{REDIRECT_URI}?"))
        .expect("back to the redirect URI");
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(param(&pairs, "state"), Some("st"));
    let code = param(&pairs, "code").expect("code");
    let mut exchange = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    exchange.extend(KONTUR_CLIENT);
    assert_eq!(
        post_form(&emu, KONTUR_TOKEN_PATH, &[], &exchange).status,
        200
    );

    // Deny: access_denied at the redirect URI.
    let reply = post_form(
        &emu,
        LOGIN_PATH,
        &[],
        &[
            ("endpoint", &endpoint),
            ("request", &request_field),
            ("action", "deny"),
        ],
    );
    assert!(reply
        .header("Location")
        .is_some_and(|l| l.contains("error=access_denied")));

    // Back to auto-approve.
    emu.set_interactive(false);
    let reply = request(
        &emu,
        "GET",
        &format!(
            "{KONTUR_AUTHORIZE_PATH}?{}",
            kontur_authorize_query(KONTUR_SCOPE, REDIRECT_URI)
        ),
        &[],
        "",
    );
    assert_eq!(reply.status, 302);
}

#[test]
fn loopback_redirect_with_a_port() {
    let emu = Emulator::start().expect("start");
    for redirect_uri in [
        "http://127.0.0.1:53172/callback",
        "http://[::1]:8080/callback",
    ] {
        let query = kontur_authorize_query(KONTUR_SCOPE, redirect_uri);
        let reply = request(
            &emu,
            "GET",
            &format!("{KONTUR_AUTHORIZE_PATH}?{query}"),
            &[],
            "",
        );
        assert_eq!(reply.status, 302, "{}", reply.body);
        let location = reply.header("Location").expect("Location");
        let query = location
            .strip_prefix(&format!("{redirect_uri}?"))
            .unwrap_or_else(|| panic!("redirect to the wrong place: {location}"));
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let code = param(&pairs, "code").expect("code").to_string();

        // The token request must carry the very URI used at authorize: the registered
        // one (without the port) does not do.
        let exchange = |uri: &str, code: &str| {
            let mut pairs = vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", uri),
            ];
            pairs.extend(KONTUR_CLIENT);
            post_form(&emu, KONTUR_TOKEN_PATH, &[], &pairs).status
        };
        assert_eq!(exchange(REDIRECT_URI, &code), 400);
        let query = kontur_authorize_query(KONTUR_SCOPE, redirect_uri);
        let reply = request(
            &emu,
            "GET",
            &format!("{KONTUR_AUTHORIZE_PATH}?{query}"),
            &[],
            "",
        );
        let location = reply.header("Location").expect("Location").to_string();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(
            location
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or("")
                .as_bytes(),
        )
        .into_owned()
        .collect();
        assert_eq!(
            exchange(redirect_uri, param(&pairs, "code").expect("code")),
            200
        );
    }

    // Other dialects too; another path or host does not match.
    let reply = request(
        &emu,
        "GET",
        &format!(
            "{GEARCODE_AUTHORIZE_PATH}?{}",
            form(&[
                ("redirect_uri", "http://127.0.0.1:9/callback"),
                ("client_id", GEARCODE_CLIENT_ID),
                ("response_type", "code"),
            ])
        ),
        &[],
        "",
    );
    assert_eq!(reply.status, 302);
    for bad in ["http://127.0.0.1:9/other", "http://localhost:9/callback"] {
        let query = kontur_authorize_query(KONTUR_SCOPE, bad);
        let reply = request(
            &emu,
            "GET",
            &format!("{KONTUR_AUTHORIZE_PATH}?{query}"),
            &[],
            "",
        );
        assert_eq!(reply.status, 400, "{bad}");
    }
}

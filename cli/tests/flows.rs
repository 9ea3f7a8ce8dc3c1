//! The `authgate` binary against the emulator: every flow, the trace without secrets, the
//! help of every subcommand and the exit codes.

mod common;

use common::*;

fn cuba(emu: &str) -> Vec<&str> {
    vec![
        "--provider",
        "cuba",
        "--base-url",
        emu,
        "--client-id",
        fx::CUBA_RAW_CLIENT_ID,
    ]
}

fn gearcode(emu: &str) -> Vec<&str> {
    vec![
        "--provider",
        "gearcode",
        "--base-url",
        emu,
        "--client-id",
        fx::GEARCODE_CLIENT_ID,
        "--client-secret",
        fx::GEARCODE_CLIENT_SECRET,
    ]
}

fn kontur(issuer: &str) -> Vec<&str> {
    vec![
        "--provider",
        "kontur",
        "--issuer",
        issuer,
        "--client-id",
        fx::KONTUR_CLIENT_ID,
        "--client-secret",
        fx::KONTUR_CLIENT_SECRET,
    ]
}

#[test]
fn every_subcommand_has_help() {
    let commands: &[&[&str]] = &[
        &[],
        &["token"],
        &["refresh"],
        &["revoke"],
        &["introspect"],
        &["userinfo"],
        &["decode"],
        &["store"],
        &["store", "show"],
        &["store", "clear"],
        &["doctor"],
        &["completions"],
    ];
    for args in commands {
        let mut all = args.to_vec();
        all.push("--help");
        let out = run(authgate(&all), "");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(code(&out), 0, "{all:?}: {}", text(&out));
        assert!(stdout.contains("Usage: authgate"), "{all:?}: {stdout}");
    }
    let main = String::from_utf8_lossy(&run(authgate(&["--help"]), "").stdout).into_owned();
    for line in ["3  configuration", "4  sign in again", "5  try later"] {
        assert!(main.contains(line), "{main}");
    }
    // The quickstart's flags are valid on `token`.
    let token =
        String::from_utf8_lossy(&run(authgate(&["token", "--help"]), "").stdout).into_owned();
    for flag in [
        "--provider",
        "--base-url",
        "--client-id",
        "--client-secret",
        "--redirect-uri",
        "--scope",
        "--username",
        "--password",
        "--insecure-http",
        "--issuer",
        "--flow",
        "AUTHGATE_PASSWORD",
    ] {
        assert!(token.contains(flag), "{flag} missing from:\n{token}");
    }
    let bash = run(authgate(&["completions", "bash"]), "");
    assert_eq!(code(&bash), 0);
    assert!(String::from_utf8_lossy(&bash.stdout).contains("authgate"));
}

#[test]
fn password_flow_and_refresh_trace_no_secret() {
    let emu = Emulator::start().unwrap();
    let base = emu.base_url();
    let file = temp_file("cuba.json");
    let mut args = cuba(&base);
    args.extend([
        "token",
        "--username",
        fx::CUBA_CYRILLIC_USERNAME,
        "--trace",
        "--save",
        file.to_str().unwrap(),
    ]);
    let mut cmd = authgate(&args);
    cmd.env("AUTHGATE_CLIENT_SECRET", fx::CUBA_RAW_CLIENT_SECRET)
        .env("AUTHGATE_PASSWORD", fx::CUBA_CYRILLIC_PASSWORD);
    let out = run(cmd, "");
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("[debug authgate::wire] → POST"), "{all}");
    assert!(
        all.contains("client authentication: client_secret_basic"),
        "{all}"
    );
    assert!(all.contains("HTTP 200 after"), "{all}");
    assert!(all.contains("password=[masked]"), "{all}");
    let first = stored(&file);
    let (at, rt) = (
        first["access_token"].as_str().unwrap().to_owned(),
        first["refresh_token"].as_str().unwrap().to_owned(),
    );
    let secrets = [
        (fx::CUBA_RAW_CLIENT_SECRET, Some(fx::CUBA_RAW_CLIENT_ID)),
        (fx::CUBA_CYRILLIC_PASSWORD, None),
        (at.as_str(), None),
        (rt.as_str(), None),
    ];
    assert_no_secret(&all, &secrets);
    assert!(
        all.contains(&at[..4]),
        "the masked access token is shown: {all}"
    );

    // The refresh reads the token file and writes the new tokens back.
    let mut args = cuba(&base);
    args.extend(["refresh", "--store", file.to_str().unwrap(), "--trace"]);
    let mut cmd = authgate(&args);
    cmd.env("AUTHGATE_CLIENT_SECRET", fx::CUBA_RAW_CLIENT_SECRET);
    let out = run(cmd, "");
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("refresh_token=[masked, "), "{all}");
    let second = stored(&file);
    assert_ne!(second["access_token"], first["access_token"]);
    let at2 = second["access_token"].as_str().unwrap();
    assert_no_secret(&all, &secrets);
    assert_no_secret(&all, &[(at2, None)]);

    // The store is shown masked, raw only on request, and cleared.
    let out = run(authgate(&["store", "show", file.to_str().unwrap()]), "");
    assert_eq!(code(&out), 0);
    assert_no_secret(&text(&out), &[(at2, None), (rt.as_str(), None)]);
    let raw = run(
        authgate(&["store", "show", "--raw-json", file.to_str().unwrap()]),
        "",
    );
    assert!(text(&raw).contains(at2));
    assert_eq!(
        code(&run(
            authgate(&["store", "clear", file.to_str().unwrap()]),
            ""
        )),
        0
    );
    assert!(!file.exists());
}

#[test]
fn password_is_read_from_stdin_when_not_given() {
    let emu = Emulator::start().unwrap();
    let base = emu.base_url();
    let mut args = cuba(&base);
    args.extend([
        "token",
        "--flow",
        "password",
        "--username",
        fx::CUBA_CYRILLIC_USERNAME,
    ]);
    let mut cmd = authgate(&args);
    cmd.env("AUTHGATE_CLIENT_SECRET", fx::CUBA_RAW_CLIENT_SECRET);
    let out = run(cmd, &format!("{}\n", fx::CUBA_CYRILLIC_PASSWORD));
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("access_token"));
}

#[test]
fn client_credentials_with_a_config_file() {
    let emu = Emulator::start().unwrap();
    let config = temp_file("gearcode-config.json");
    std::fs::write(
        &config,
        serde_json::json!({
            "provider": "gearcode",
            "base_url": emu.base_url(),
            "client_id": fx::GEARCODE_CLIENT_ID,
            "client_secret": fx::GEARCODE_CLIENT_SECRET,
        })
        .to_string(),
    )
    .unwrap();
    let out = run(
        authgate(&[
            "token",
            "--config",
            config.to_str().unwrap(),
            "--flow",
            "client-credentials",
            "--trace",
        ]),
        "",
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("grant_type=client_credentials"), "{all}");
    assert_no_secret(
        &all,
        &[(fx::GEARCODE_CLIENT_SECRET, Some(fx::GEARCODE_CLIENT_ID))],
    );
}

#[test]
fn code_flow_with_a_pasted_redirect() {
    let emu = Emulator::start().unwrap();
    let mut cmd = authgate(&[
        "--provider",
        "gearcode",
        "--base-url",
        &emu.base_url(),
        "--client-id",
        fx::GEARCODE_CLIENT_ID,
        "--redirect-uri",
        fx::REDIRECT_URI,
        "token",
        "--trace",
    ]);
    cmd.env("AUTHGATE_CLIENT_SECRET", fx::GEARCODE_CLIENT_SECRET);
    let mut session = Interactive::start(cmd);
    let url = session.wait_for("/oauth/authorize?");
    let location = authgate_emulator::browse(url.trim()).unwrap();
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    use std::io::Write as _;
    writeln!(session.stdin.as_mut().unwrap(), "{location}").unwrap();
    let (status, all) = session.finish();
    assert_eq!(status, 0, "{all}");
    assert!(all.contains("grant_type=authorization_code"), "{all}");
    assert!(all.contains("refresh_token"), "{all}");
    assert_no_secret(
        &all,
        &[
            (&code, None),
            (fx::GEARCODE_CLIENT_SECRET, Some(fx::GEARCODE_CLIENT_ID)),
        ],
    );
}

#[test]
fn loopback_flow_then_decode_userinfo_introspect_revoke() {
    let emu = Emulator::start().unwrap();
    let issuer = emu.base_url();
    let file = temp_file("kontur.json");
    let mut args = kontur(&issuer);
    args.extend([
        "--scope",
        "openid extern.api offline_access",
        "token",
        "--flow",
        "loopback",
        "--no-browser",
        "--save",
        file.to_str().unwrap(),
    ]);
    let mut session = Interactive::start(authgate(&args));
    let line = session.wait_for("Sign in at ");
    let url = line.trim().trim_start_matches("Sign in at ");
    let location = authgate_emulator::browse(url).unwrap();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let page = ureq::get(&location).call().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let (status, all) = session.finish();
    assert_eq!(status, 0, "{all}");
    let tokens = stored(&file);
    assert!(tokens["id_token"].is_string(), "{tokens}");

    let f = file.to_str().unwrap();
    let mut decode = kontur(&issuer);
    decode.extend(["decode", "--store", f]);
    let out = run(authgate(&decode), "");
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("\"alg\": \"RS256\""), "{all}");
    assert!(
        all.contains("validation: valid id_token for user-1"),
        "{all}"
    );
    // Without an issuer, the claims are shown and the validation is said to be skipped.
    let out = run(authgate(&["decode", "--store", f]), "");
    assert!(text(&out).contains("not checked"), "{}", text(&out));

    for sub in [
        &["userinfo", "--store", f][..],
        &["introspect", "--store", f][..],
    ] {
        let mut a = kontur(&issuer);
        a.extend(sub);
        let out = run(authgate(&a), "");
        let all = text(&out);
        assert_eq!(code(&out), 0, "{sub:?}: {all}");
        assert!(
            all.contains("user-1") || all.contains("active     true"),
            "{all}"
        );
    }
    let mut a = kontur(&issuer);
    a.extend(["revoke", "--store", f]);
    let out = run(authgate(&a), "");
    assert_eq!(code(&out), 0, "{}", text(&out));
    // The revoked refresh token no longer works: "sign in again".
    let mut a = kontur(&issuer);
    a.extend(["refresh", "--store", f]);
    let out = run(authgate(&a), "");
    assert_eq!(code(&out), 4, "{}", text(&out));
}

#[test]
fn device_flow_shows_a_qr_code_and_polls() {
    let emu = Emulator::start().unwrap();
    let issuer = emu.base_url();
    let mut args = kontur(&issuer);
    args.extend(["token", "--flow", "device", "--trace"]);
    let mut session = Interactive::start(authgate(&args));
    let line = session.wait_for("enter the code ");
    let user_code = line.rsplit(' ').next().unwrap().to_owned();
    session.wait_for("█");
    assert!(emu.approve_device(&user_code, true), "{line}");
    let (status, all) = session.finish();
    assert_eq!(status, 0, "{all}");
    assert!(all.contains("access_token"), "{all}");
    assert!(all.contains("device_code=[masked, "), "{all}");
    assert_no_secret(
        &all,
        &[(fx::KONTUR_CLIENT_SECRET, Some(fx::KONTUR_CLIENT_ID))],
    );
}

#[test]
fn exit_codes_tell_sign_in_again_try_later_and_configuration() {
    let emu = Emulator::start().unwrap();
    let base = emu.base_url();
    let gear = |extra: &[&str]| {
        let mut a = gearcode(&base);
        a.extend(extra);
        run(authgate(&a), "")
    };
    // A refresh token the server does not know: sign in again.
    let out = gear(&["refresh", "--refresh-token", "not-a-real-token"]);
    assert_eq!(code(&out), 4, "{}", text(&out));
    assert!(text(&out).contains("what to do: "), "{}", text(&out));
    assert!(!text(&out).contains("not-a-real-token"));
    // The server is down for now: try later.
    emu.inject(Fault::new(
        "/oauth/token",
        FaultKind::Status {
            status: 503,
            retry_after: Some(7),
        },
    ));
    let out = gear(&["token", "--flow", "client-credentials"]);
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(text(&out).contains("try again in 7 s"), "{}", text(&out));
    // A wrong secret, and a missing client id: configuration.
    let out = run(
        authgate(&[
            "--provider",
            "gearcode",
            "--base-url",
            &base,
            "--client-id",
            fx::GEARCODE_CLIENT_ID,
            "--client-secret",
            "wrong",
            "token",
            "--flow",
            "client-credentials",
        ]),
        "",
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    let out = run(
        authgate(&["--provider", "gearcode", "--base-url", &base, "token"]),
        "",
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("client_id is required"));
    // A wrong path: configuration, and the report names the URL.
    let wrong = format!("{base}/wrong");
    let out = run(
        authgate(&[
            "--provider",
            "gearcode",
            "--base-url",
            &wrong,
            "--client-id",
            fx::GEARCODE_CLIENT_ID,
            "--client-secret",
            fx::GEARCODE_CLIENT_SECRET,
            "token",
            "--flow",
            "client-credentials",
        ]),
        "",
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains(&format!("from the token endpoint {wrong}/oauth/token")),
        "{}",
        text(&out)
    );
    // A wrong command line.
    assert_eq!(code(&run(authgate(&["token", "--flow", "nope"]), "")), 2);
}

#[test]
fn the_quickstart_variables_still_work() {
    let emu = Emulator::start().unwrap();
    // The README's quickstart line, with `authgate token` in place of the example.
    let mut cmd = authgate(&["token"]);
    for (k, v) in [
        ("AUTHGATE_PROVIDER", "cuba"),
        ("AUTHGATE_BASE_URL", emu.base_url().as_str()),
        ("AUTHGATE_INSECURE_HTTP", "1"),
        ("AUTHGATE_CLIENT_ID", fx::CUBA_CLIENT_ID),
        ("AUTHGATE_CLIENT_SECRET", fx::CUBA_CLIENT_SECRET),
        ("AUTHGATE_USERNAME", fx::CUBA_ADMIN_USERNAME),
        ("AUTHGATE_PASSWORD", fx::CUBA_ADMIN_PASSWORD),
    ] {
        cmd.env(k, v);
    }
    let out = run(cmd, "");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("scope          rest-api"),
        "{}",
        text(&out)
    );
}

/// Every option of the core's table is a flag `--<key with dashes>` and a variable
/// `--help` names each option's variable but never prints its value: a proxy URL may carry
/// a password, parameters an API key, the client key a private key.
#[test]
fn help_never_shows_the_value_of_a_variable() {
    let mut cmd = authgate(&["token", "--help"]);
    cmd.env("AUTHGATE_PROXY", "http://u:hunter2pw@127.0.0.1:1")
        .env("AUTHGATE_TOKEN_PARAMS", r#"{"api_key":"k3ysecret"}"#)
        .env("AUTHGATE_CLIENT_SECRET", "s3cretvalue")
        .env("AUTHGATE_USER_AGENT", "agent-in-env");
    let help = text(&run(cmd, ""));
    assert!(help.contains("AUTHGATE_PROXY"), "{help}");
    for value in ["hunter2pw", "k3ysecret", "s3cretvalue", "agent-in-env"] {
        assert!(!help.contains(value), "{value} shown in:\n{help}");
    }
}

/// `AUTHGATE_<KEY>` (issue 13: the CLI had its own hand-kept list, without dpop, mutual TLS,
/// client assertions or PAR).
#[test]
fn every_config_option_is_a_flag_and_a_variable() {
    let help = text(&run(authgate(&["token", "--help"]), ""));
    for o in authgate::CONFIG_OPTIONS {
        let flag = format!("--{} ", o.key().replace('_', "-"));
        let flag_eq = format!("--{}[=", o.key().replace('_', "-"));
        let var = format!("AUTHGATE_{}", o.key().to_uppercase());
        assert!(
            help.contains(&flag) || help.contains(&flag_eq),
            "{flag}missing from:\n{help}"
        );
        assert!(help.contains(&var), "{var} missing from:\n{help}");
    }
    // An option the hand-kept list did not have, as a flag: PAR without an endpoint is a
    // configuration error (3), not an unknown flag (2).
    let emu = Emulator::start().unwrap();
    let base = emu.base_url();
    let mut cmd = authgate(&gearcode(&base));
    cmd.args([
        "--pushed-authorization-requests",
        "token",
        "--flow",
        "client-credentials",
    ]);
    let out = run(cmd, "");
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains("pushed_authorization_request_endpoint"),
        "{}",
        text(&out)
    );
    // Parameters under the table's flag and the old one; a variable for a duration.
    let mut cmd = authgate(&gearcode(&base));
    cmd.args(["--token-params", "extra_a=1", "--token-param", "extra_b=2"])
        .args(["token", "--flow", "client-credentials"])
        .env("AUTHGATE_TIMEOUT_MS", "5000");
    let out = run(cmd, "");
    assert_eq!(code(&out), 0, "{}", text(&out));
    let sent = emu.last_request(Dialect::GearCode.token_path()).unwrap();
    assert_eq!(sent.form_param("extra_a").as_deref(), Some("1"));
    assert_eq!(sent.form_param("extra_b").as_deref(), Some("2"));
}

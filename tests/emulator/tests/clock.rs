//! The emulator's clock for expiry (`Emulator::advance_clock`, `POST /_emulator/clock`):
//! codes, access tokens and device codes age without a test sleeping.

mod common;

use std::time::Duration;

use authgate_emulator::fixtures::*;
use authgate_emulator::{Dialect, Emulator};
use common::*;

fn cuba_access_token(emu: &Emulator) -> String {
    let reply = post_form(
        emu,
        CUBA_TOKEN_PATH,
        &[("Authorization", &basic(CUBA_CLIENT_ID, CUBA_CLIENT_SECRET))],
        &[
            ("grant_type", "password"),
            ("username", CUBA_ADMIN_USERNAME),
            ("password", CUBA_ADMIN_PASSWORD),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["access_token"].as_str().unwrap().to_string()
}

fn api_status(emu: &Emulator, token: &str) -> u16 {
    let bearer = format!("Bearer {token}");
    request(emu, "GET", RESOURCE_PATH, &[("Authorization", &bearer)], "").status
}

#[test]
fn access_tokens_expire_when_the_clock_moves() {
    let emu = Emulator::start().expect("start");
    emu.set_expires_in(Dialect::Cuba, 30);
    let token = cuba_access_token(&emu);
    assert_eq!(api_status(&emu, &token), 200);
    emu.advance_clock(Duration::from_secs(29));
    assert_eq!(api_status(&emu, &token), 200, "1 s left");
    // The control API does the same for tests that run the binary.
    control(&emu, "clock", r#"{"advance":1}"#);
    assert_eq!(api_status(&emu, &token), 401, "expired");
    // A token issued now starts from now.
    assert_eq!(api_status(&emu, &cuba_access_token(&emu)), 200);
}

#[test]
fn device_codes_age_and_their_interval_passes() {
    let emu = Emulator::start().expect("start");
    emu.set_device_timing(60, 5);
    let mut pairs: Vec<(&str, &str)> = KONTUR_CLIENT.to_vec();
    pairs.push(("scope", KONTUR_SCOPE));
    let answer = post_form(&emu, KONTUR_DEVICE_AUTHORIZATION_PATH, &[], &pairs).json();
    let device_code = answer["device_code"].as_str().unwrap().to_string();
    let poll = || {
        let mut pairs = vec![
            ("grant_type", DEVICE_CODE_GRANT_TYPE),
            ("device_code", device_code.as_str()),
        ];
        pairs.extend(KONTUR_CLIENT);
        post_form(&emu, KONTUR_TOKEN_PATH, &[], &pairs).json()["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(poll(), "authorization_pending");
    assert_eq!(poll(), "slow_down", "polled at once again");
    // The interval is 6 s now: 6 s later the next poll is in time.
    emu.advance_clock(Duration::from_secs(6));
    assert_eq!(poll(), "authorization_pending");
    emu.advance_clock(Duration::from_secs(60));
    assert_eq!(poll(), "expired_token");
}

#[test]
fn authorization_codes_expire_when_the_clock_moves() {
    let emu = Emulator::start().expect("start");
    let code = || {
        let redirect = authorize(
            &emu,
            GEARCODE_AUTHORIZE_PATH,
            &[
                ("response_type", "code"),
                ("client_id", GEARCODE_CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("state", "s"),
            ],
        );
        param(&redirect, "code").unwrap().to_string()
    };
    let redeem = |code: &str| {
        post_form(
            &emu,
            GEARCODE_TOKEN_PATH,
            &[],
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", GEARCODE_CLIENT_ID),
                ("client_secret", GEARCODE_CLIENT_SECRET),
                ("resource_id", GEARCODE_CLIENT_ID),
            ],
        )
    };
    let (first, second) = (code(), code());
    emu.advance_clock(Duration::from_secs(CODE_LIFETIME_SECS - 1));
    assert_eq!(redeem(&first).status, 200, "1 s left");
    emu.advance_clock(Duration::from_secs(1));
    let reply = redeem(&second);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.json()["error"], "invalid_grant");
}

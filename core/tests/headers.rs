//! Values that would break an HTTP header: refused with a typed error, never a panic
//! inside the HTTP library. Configuration values are checked by `build()` (see the unit
//! tests of `ClientBuilder`); a token from elsewhere is checked before it is sent.

mod common;

use authgate::{ErrorCode, Provider, TokenSet};
use common::*;

#[test]
fn an_access_token_with_a_line_break_is_an_invalid_argument_not_a_panic() {
    let emu = emulator();
    let client = builder(&emu, Provider::KonturExtern)
        .userinfo_endpoint(emu.url(fx::KONTUR_USERINFO_PATH))
        .build()
        .unwrap();
    let tokens = TokenSet::parse(r#"{"access_token":"tok-secret\r\nX-Evil: 1"}"#).unwrap();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client.userinfo(tokens.access_token())
    }))
    .expect("no panic")
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err:?}");
    assert!(err.to_string().contains("Authorization"), "{err}");
    assert_no_secret(&err, &["tok-secret"]);
}

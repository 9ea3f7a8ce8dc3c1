//! Values that would break an HTTP header: refused with a typed error, never a panic
//! inside the HTTP library. Configuration values are checked by `build()` (see the unit
//! tests of `ClientBuilder`); a token from elsewhere is checked before it is sent.

mod common;

use authgate::{AccessToken, ErrorCode, Provider};
use common::*;

#[test]
fn an_access_token_with_a_line_break_is_an_invalid_argument_not_a_panic() {
    let emu = emulator();
    let client = builder(&emu, Provider::KonturExtern)
        .userinfo_endpoint(emu.url(fx::KONTUR_USERINFO_PATH))
        .build()
        .unwrap();
    // Token answers with control characters are refused when parsed; this one comes from
    // the application (a value kept elsewhere, say).
    let token = AccessToken::new("tok-secret\r\nX-Evil: 1");
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.userinfo(&token)))
        .expect("no panic")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err:?}");
    assert!(err.to_string().contains("Authorization"), "{err}");
    assert_no_secret(&err, &["tok-secret"]);
}

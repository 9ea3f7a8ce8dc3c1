//! A real browser: Debian's Chromium, headless, driven through chromedriver, is the system
//! browser of a loopback sign-in. It opens the emulator's login page, the test fills in and
//! submits the form, the browser follows the redirect to the library's loopback listener,
//! and the library returns a validated token set.

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::time::Duration;

use common::*;

#[test]
fn chromium_signs_in_through_the_login_form() {
    let emu = emulator();
    emu.set_interactive(true);
    let client = discovered_kontur(&emu);
    let browser = std::sync::Arc::new(webdriver::Browser::start());
    let b = browser.clone();
    let tokens = client
        .sign_in_loopback()
        .timeout(Duration::from_secs(60))
        .open_with(move |url| {
            let url = url.to_owned();
            // WebDriver waits for each page to load, and the last page is served by the
            // listener that `run` polls after this returns: drive the browser on a thread.
            std::thread::spawn(move || {
                b.goto(&url);
                b.type_into("#username", fx::TEST_USER_LOGIN);
                b.type_into("#password", fx::TEST_USER_PASSWORD);
                b.click("#approve");
            });
            Ok(())
        })
        .run()
        .expect("the browser sign-in completes");
    assert!(tokens.id_token().is_some());
    assert!(browser.page_text().contains("You may close this window"));
    assert_eq!(emu.count(fx::LOGIN_PATH), 1);
}

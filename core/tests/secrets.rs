//! Secrets that a store written by the integrator, a TokenSet's Debug or the wire trace
//! could otherwise let through: a store error quoting the JSON it was given, a server
//! echoing a token into `token_type` or `scope`, a client secret that is a word of the
//! trace's own labels.

mod common;

use std::sync::{Arc, Mutex, MutexGuard};

use authgate::{Error, Provider, Result, TokenManager, TokenSet, TokenStore};
use common::*;

static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// One test at a time: the logger is global.
static SERIAL: Mutex<()> = Mutex::new(());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.target().starts_with("authgate")
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            RECORDS.lock().unwrap().push(format!("{}", r.args()));
        }
    }
    fn flush(&self) {}
}

fn capturing() -> MutexGuard<'static, ()> {
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let _ = log::set_logger(&Capture);
    log::set_max_level(log::LevelFilter::Debug);
    RECORDS.lock().unwrap().clear();
    serial
}

fn records() -> String {
    RECORDS.lock().unwrap().join("\n")
}

/// A store of the integrator's that fails quoting what it was given (or what it holds).
#[derive(Default)]
struct Quoting {
    held: Mutex<Option<String>>,
    fail_save: bool,
    fail_load: bool,
}

impl TokenStore for Quoting {
    fn load(&self) -> Result<Option<TokenSet>> {
        let held = self.held.lock().unwrap().clone();
        match held {
            Some(json) if self.fail_load => Err(Error::store(format!(
                "cannot parse the row {json}: check the database"
            ))),
            Some(json) => TokenSet::from_json(&json).map(Some),
            None => Ok(None),
        }
    }
    fn save(&self, tokens: &TokenSet) -> Result<()> {
        if self.fail_save {
            return Err(Error::store_outage(format!(
                "cannot write {} to the database: disk full",
                tokens.to_json()
            )));
        }
        *self.held.lock().unwrap() = Some(tokens.to_json());
        Ok(())
    }
    fn clear(&self) -> Result<()> {
        *self.held.lock().unwrap() = None;
        Ok(())
    }
}

fn cuba_tokens(client: &authgate::Client) -> TokenSet {
    client
        .password(fx::CUBA_ADMIN_USERNAME, fx::CUBA_ADMIN_PASSWORD)
        .send()
        .unwrap()
}

fn secrets_of(t: &TokenSet) -> Vec<String> {
    let mut out = vec![t.access_token().secret().to_owned()];
    out.extend(t.refresh_token().map(|r| r.secret().to_owned()));
    out
}

fn assert_clean(what: &str, shown: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!shown.contains(s.as_str()), "{s:?} in {what}: {shown}");
    }
}

#[test]
fn a_custom_store_error_quoting_the_tokens_is_scrubbed() {
    let _serial = capturing();
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    let tokens = cuba_tokens(&client);
    let mut secrets = secrets_of(&tokens);
    let store = Arc::new(Quoting {
        fail_save: true,
        ..Quoting::default()
    });
    let manager = TokenManager::builder(client.clone())
        .store(store.clone())
        .build()
        .unwrap();

    // set_tokens saves at once.
    let e = manager.set_tokens(tokens).unwrap_err();
    let shown = format!("{e} / {e:?}");
    assert!(matches!(&e, Error::Store(s) if s.is_outage()), "{shown}");
    assert!(shown.contains("cannot write"), "{shown}");
    assert!(shown.contains("disk full"), "{shown}");
    assert_clean("set_tokens", &shown, &secrets);

    // A refresh whose new set cannot be saved (the set is kept and used, the error said).
    manager.invalidate();
    let refreshed = manager.access_token();
    let fresh = manager.token_set().ok();
    secrets.extend(fresh.iter().flat_map(secrets_of));
    let shown = format!("{refreshed:?}");
    assert_clean("the refresh", &shown, &secrets);
    assert_clean("the log", &records(), &secrets);
    assert!(records().contains("disk full"), "{}", records());
}

#[test]
fn a_custom_store_load_error_quoting_the_stored_set_is_scrubbed() {
    let _serial = capturing();
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    let tokens = cuba_tokens(&client);
    let secrets = secrets_of(&tokens);
    // Another process's set, which this manager never held.
    let store = Arc::new(Quoting {
        held: Mutex::new(Some(tokens.to_json())),
        fail_load: true,
        ..Quoting::default()
    });
    let manager = TokenManager::builder(client).store(store).build().unwrap();
    let e = manager.access_token().unwrap_err();
    let shown = format!("{e} / {e:?}");
    assert!(matches!(&e, Error::Store(_)), "{shown}");
    assert!(shown.contains("cannot parse the row"), "{shown}");
    assert!(shown.contains("check the database"), "{shown}");
    assert_clean("load", &shown, &secrets);
    assert_clean("the log", &records(), &secrets);
}

#[test]
fn token_set_debug_shows_no_token_echoed_into_token_type_or_scope() {
    let t = TokenSet::from_json(
        r#"{"access_token":"at-0123456789","refresh_token":"rt-9876543210",
            "token_type":"at-0123456789","scope":"api rt-9876543210"}"#,
    )
    .unwrap();
    let shown = format!("{t:?}");
    assert_clean(
        "Debug",
        &shown,
        &["at-0123456789".into(), "rt-9876543210".into()],
    );
    assert!(shown.contains("token_type: \"[13 chars]\""), "{shown}");
    let t = TokenSet::from_json(
        r#"{"access_token":"at-0123456789","token_type":"dpop","scope":"api offline_access"}"#,
    )
    .unwrap();
    let shown = format!("{t:?}");
    assert!(shown.contains("token_type: \"DPoP\""), "{shown}");
    assert!(shown.contains("api offline_access"), "{shown}");
}

#[test]
fn a_server_echoing_a_request_secret_into_scope_does_not_reach_debug() {
    let _serial = capturing();
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    let scope = format!("\"api {}\"", fx::CUBA_ADMIN_PASSWORD);
    emu.inject(Fault::any(FaultKind::answer_field(
        "scope",
        Some(scope.as_bytes()),
    )));
    let t = cuba_tokens(&client);
    let shown = format!("{t:?} {:?}", t.warnings());
    assert_clean("Debug", &shown, &[fx::CUBA_ADMIN_PASSWORD.into()]);
}

#[test]
fn the_trace_keeps_its_labels_when_the_client_secret_is_a_common_word() {
    let _serial = capturing();
    let emu = emulator();
    assert_eq!(fx::CUBA_CLIENT_SECRET, "secret");
    let client = client(&emu, Provider::Cuba);
    let tokens = cuba_tokens(&client);
    client
        .refresh(tokens.refresh_token().unwrap().secret())
        .send()
        .unwrap();
    let trace = records();
    assert!(
        trace.contains("client authentication: client_secret_basic"),
        "{trace}"
    );
    assert!(!trace.contains("client_[redacted]"), "{trace}");
    // The secret as a value: not in the Basic header, nor anywhere else.
    let basic = base64_of(&format!("{}:secret", fx::CUBA_CLIENT_ID));
    assert!(!trace.contains(&basic), "{trace}");
    for s in secrets_of(&tokens) {
        assert!(!trace.contains(&s), "{s} in {trace}");
    }
    assert!(!trace.contains(fx::CUBA_ADMIN_PASSWORD), "{trace}");
    assert!(!trace.contains("\"secret\""), "{trace}");
    assert!(!trace.contains("=secret"), "{trace}");
    assert!(!trace.contains(": secret"), "{trace}");
}

#[test]
fn the_trace_still_hides_the_secret_when_the_server_echoes_it() {
    let _serial = capturing();
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    emu.inject(Fault::any(FaultKind::Echo {
        place: authgate_emulator::EchoPlace::ErrorDescription,
        encoding: authgate_emulator::EchoEncoding::Plain,
    }));
    let _ = client
        .password(fx::CUBA_ADMIN_USERNAME, fx::CUBA_ADMIN_PASSWORD)
        .send();
    let trace = records();
    assert!(trace.contains("client_secret_basic"), "{trace}");
    for word in trace.split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-') {
        assert_ne!(word, "secret", "{trace}");
        assert_ne!(word, fx::CUBA_ADMIN_PASSWORD, "{trace}");
    }
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn an_id_token_header_echoing_the_client_secret_does_not_reach_the_error() {
    let _serial = capturing();
    let emu = emulator();
    let client = discovered_kontur(&emu);
    let secret = fx::KONTUR_CLIENT_SECRET;
    let part = |json: String| base64_url(json.as_bytes());
    let claims = part(r#"{"iss":"x","aud":"y","exp":1}"#.to_owned());
    for header in [
        format!(r#"{{"alg":"{secret}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{secret}"}}"#),
        format!(r#"{{"alg":"{}"}}"#, "A".repeat(5000)),
    ] {
        let token = authgate::IdToken::new(format!("{}.{claims}.c2ln", part(header)));
        let e = client.validate_id_token(&token, None).unwrap_err();
        let shown = format!("{e} / {e:?}");
        assert!(matches!(e, Error::IdToken { .. }), "{shown}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.len() < 1000, "{shown}");
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

//! The leak matrix: the emulator repeats each request's secrets back in every place a
//! server can put text (WWW-Authenticate, Content-Type, Location, JSON keys and values,
//! error_description, an HTML page), in every encoding (plain, form, percent, base64,
//! HTML, JSON); no secret may appear, in any of those encodings, in an error's Display or
//! Debug, a token set's warnings, or an authgate log record.

mod common;
use std::sync::Mutex;

use authgate::{AccessToken, Client, Error, Provider, TokenSet};
use authgate_emulator::{EchoEncoding, EchoPlace};
use base64::Engine;
use common::*;

/// Every record logged in this process (target, message).
static RECORDS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let entry = (record.target().to_owned(), record.args().to_string());
        RECORDS.lock().unwrap().push(entry);
    }
    fn flush(&self) {}
}

/// An answer (its warnings, when it succeeded), and the secrets its request carried beyond
/// the case's fixed ones.
type Sent = (Result<Vec<String>, Error>, Vec<String>);

fn warnings(result: Result<TokenSet, Error>) -> Result<Vec<String>, Error> {
    result.map(|t| t.warnings().to_vec())
}

/// What one request carried, and how to send it again.
struct Case {
    name: &'static str,
    client: Client,
    secrets: Vec<String>,
    /// Sends the request.
    send: Box<dyn Fn(&Client) -> Sent>,
}

/// Each secret in each encoding the emulator can echo it in (and base64 of the Basic pair).
fn needles(secrets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in secrets {
        for e in EchoEncoding::ALL {
            out.push(e.encode(s));
        }
        out.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s));
    }
    out.sort();
    out.dedup();
    out
}

/// A CUBA password grant: Basic client authentication, the password in the form body.
fn password_case(
    emu: &Emulator,
    name: &'static str,
    (id, secret): (&'static str, &'static str),
    (user, password): (&'static str, &'static str),
) -> Case {
    Case {
        name,
        client: builder(emu, Provider::Cuba)
            .client_id(id)
            .client_secret(secret)
            .build()
            .unwrap(),
        secrets: vec![secret.into(), password.into(), format!("{id}:{secret}")],
        send: Box::new(move |c| (warnings(c.password(user, password).send()), Vec::new())),
    }
}

fn cases(emu: &Emulator) -> Vec<Case> {
    let pin = password_case(
        emu,
        "password grant with a 3-digit PIN, raw Basic secret with @ + %",
        (fx::CUBA_RAW_CLIENT_ID, fx::CUBA_RAW_CLIENT_SECRET),
        (fx::CUBA_PIN_USERNAME, fx::CUBA_PIN_PASSWORD),
    );
    let cyrillic = password_case(
        emu,
        "password grant with & = + % space and Cyrillic",
        (fx::CUBA_CLIENT_ID, fx::CUBA_CLIENT_SECRET),
        (fx::CUBA_CYRILLIC_USERNAME, fx::CUBA_CYRILLIC_PASSWORD),
    );
    // GearCode rotates refresh tokens: each successful refresh sends the next one.
    let gearcode = client(emu, Provider::GearCode);
    let rt = Mutex::new(sign_in(&gearcode).refresh_token().unwrap().clone());
    let refresh = Case {
        name: "refresh grant, client_secret_post",
        client: gearcode,
        secrets: vec![fx::GEARCODE_CLIENT_SECRET.into()],
        send: Box::new(move |c| {
            let mut rt = rt.lock().unwrap();
            let sent = rt.secret().to_owned();
            let result = c.refresh(&*rt).send();
            if let Ok(tokens) = &result {
                *rt = tokens.refresh_token().unwrap().clone();
            }
            (warnings(result), vec![sent])
        }),
    };
    // A fixed code and verifier, so the needles are known; the echo does not check them.
    let code = Case {
        name: "code exchange with a PKCE verifier, client_secret_basic",
        client: client(emu, Provider::Taxcom),
        secrets: vec![
            fx::TAXCOM_CLIENT_SECRET.into(),
            "code-Zx8vQ2".into(),
            "verifier-Kq3Lm9-aZ_0.x~".into(),
        ],
        send: Box::new(|c| {
            let result = c
                .exchange_code("code-Zx8vQ2")
                .pkce_verifier("verifier-Kq3Lm9-aZ_0.x~")
                .send();
            (warnings(result), Vec::new())
        }),
    };
    // The resource and introspection endpoints: a Bearer header, a token in the form.
    let userinfo = Case {
        name: "userinfo with a Bearer token",
        client: discovered_kontur(emu),
        secrets: vec!["at-Qw7Zr2xN".into()],
        send: Box::new(|c| {
            let result = c.userinfo(&AccessToken::new("at-Qw7Zr2xN"));
            (result.map(|_| Vec::new()), Vec::new())
        }),
    };
    let introspect = Case {
        name: "introspection, client_secret_post",
        client: discovered_kontur(emu),
        secrets: vec![fx::KONTUR_CLIENT_SECRET.into(), "it-Pz4Lk8sV".into()],
        send: Box::new(|c| (c.introspect("it-Pz4Lk8sV").map(|_| Vec::new()), Vec::new())),
    };
    vec![pin, cyrillic, refresh, code, userinfo, introspect]
}

/// Names in the wire trace that hold the word "secret".
const TRACE_LABELS: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "client_secret=[masked]",
];

#[test]
fn no_echoed_secret_survives_in_any_place_or_encoding() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let emu = emulator();
    let mut leaks = Vec::new();
    let mut runs = 0;
    for case in cases(&emu) {
        for place in EchoPlace::ALL {
            for encoding in EchoEncoding::ALL {
                if place == EchoPlace::ContentType && !case.name.contains("grant") {
                    continue; // a token answer's warning is what this place checks
                }
                RECORDS.lock().unwrap().clear();
                emu.inject(Fault::any(FaultKind::Echo { place, encoding }));
                let (result, more) = (case.send)(&case.client);
                let needles = needles(&[case.secrets.clone(), more].concat());
                let shown = match result {
                    Ok(warnings) => {
                        assert_eq!(place, EchoPlace::ContentType, "{}", case.name);
                        assert!(!warnings.is_empty(), "{place} {encoding}");
                        warnings.join("\n")
                    }
                    Err(err) => {
                        assert_ne!(place, EchoPlace::ContentType, "{}: {err}", case.name);
                        assert!(
                            matches!(err, Error::OAuth(_) | Error::UnexpectedResponse(_)),
                            "{} {place} {encoding}: {err:?}",
                            case.name
                        );
                        format!("{err}\n{err:?}")
                    }
                };
                let logs: Vec<String> = RECORDS
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|(target, _)| target.starts_with("authgate"))
                    .map(|(_, m)| m.clone())
                    .collect();
                let everything = format!("{shown}\n{}", logs.join("\n"));
                // The trace's own labels are not secrets, even when the client's secret is
                // the word "secret" (CUBA's): only values are masked.
                let everything = TRACE_LABELS
                    .iter()
                    .fold(everything, |text, label| text.replace(label, "[label]"));
                runs += 1;
                if let Some(n) = needles.iter().find(|n| everything.contains(n.as_str())) {
                    leaks.push(format!(
                        "{} / {place} / {encoding}: {n:?} in {everything}",
                        case.name
                    ));
                }
            }
        }
    }
    assert!(runs >= 270, "{runs}");
    assert!(
        leaks.is_empty(),
        "{} leaks in {runs} runs:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

#[test]
fn a_short_password_never_hides_the_error_kind() {
    // "an" is in "invalid_grant": the code is a fixed word, shown and classified as sent.
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    let err = client
        .password(fx::CUBA_ADMIN_USERNAME, "an")
        .send()
        .unwrap_err();
    assert_eq!(err.code(), authgate::ErrorCode::InvalidGrant, "{err}");
    assert!(err.is_terminal());
    // Free text holding it is withheld.
    emu.inject(Fault::any(FaultKind::Echo {
        place: EchoPlace::ErrorDescription,
        encoding: EchoEncoding::Plain,
    }));
    let err = client
        .password(fx::CUBA_ADMIN_USERNAME, "an")
        .send()
        .unwrap_err();
    assert_eq!(err.code(), authgate::ErrorCode::InvalidGrant, "{err}");
    assert!(
        !err.oauth()
            .unwrap()
            .description
            .as_ref()
            .unwrap()
            .contains("an "),
        "{err}"
    );
}

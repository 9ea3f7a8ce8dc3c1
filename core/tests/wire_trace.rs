//! The wire trace (log target `authgate::wire`): what it shows of each exchange, and that
//! no secret ever appears in it.

mod common;

use std::sync::Mutex;

use authgate::Provider;
use common::*;

static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.target() == "authgate::wire"
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            RECORDS.lock().unwrap().push(format!("{}", r.args()));
        }
    }
    fn flush(&self) {}
}

fn trace_of(f: impl FnOnce()) -> String {
    let _ = log::set_logger(&Capture);
    log::set_max_level(log::LevelFilter::Debug);
    RECORDS.lock().unwrap().clear();
    f();
    RECORDS.lock().unwrap().join("\n")
}

#[test]
fn the_trace_describes_each_exchange_without_a_secret() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let mut secrets = vec![fx::GEARCODE_CLIENT_SECRET.to_owned()];
    let trace = trace_of(|| {
        let req = client.authorization_url().build().unwrap();
        let callback = browse(&req.url);
        let code = req.parse_callback(&callback).unwrap();
        secrets.push(code.secret().to_owned());
        secrets.push(req.pkce_verifier.as_ref().unwrap().secret().to_owned());
        let tokens = client
            .exchange_code(code)
            .pkce_verifier(req.pkce_verifier.clone().unwrap())
            .send()
            .unwrap();
        let fresh = client
            .refresh(tokens.refresh_token().unwrap().secret())
            .send()
            .unwrap();
        for t in [&tokens, &fresh] {
            secrets.push(t.access_token().secret().to_owned());
            secrets.push(t.refresh_token().unwrap().secret().to_owned());
        }
    });
    assert!(trace.contains("→ POST http://"), "{trace}");
    assert!(
        trace.contains("form: grant_type=authorization_code code=[masked, "),
        "{trace}"
    );
    assert!(trace.contains("client_secret=[masked]"), "{trace}");
    assert!(
        trace.contains("client authentication: client_secret_post"),
        "{trace}"
    );
    assert!(trace.contains("HTTP 200 after"), "{trace}");
    assert!(trace.contains("(new connection, HTTP/1.1)"), "{trace}");
    assert!(trace.contains("(reused connection, HTTP/1.1)"), "{trace}");
    assert!(trace.contains("token_type: \"bearer\""), "{trace}");
    assert!(trace.contains("access_token: string("), "{trace}");
    for s in &secrets {
        let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        assert!(!trace.contains(s.as_str()), "{s:?} in {trace}");
        assert!(!trace.contains(&form), "{form:?} in {trace}");
    }
}

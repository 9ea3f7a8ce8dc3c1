//! `authgate-emulator [--port N]`: runs the provider emulator until killed.
//! `authgate-emulator --wire`: runs the benchmarks' floor server instead ([`authgate_emulator::wire`]).
//!
//! The first line on stdout is exactly `authgate-emulator listening on http://127.0.0.1:PORT`
//! (tests that spawn the binary read it to learn the port); a summary of the registered
//! clients and users goes to stderr.

use std::io::Write;
use std::process::ExitCode;

use authgate_emulator::fixtures::*;
use authgate_emulator::Emulator;

fn usage() -> ExitCode {
    eprintln!("usage: authgate-emulator [--port N]   (default: an ephemeral port on 127.0.0.1)");
    eprintln!("       authgate-emulator --wire       (the benchmarks' minimal token server)");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut port: u16 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--port" => args.next(),
            "-h" | "--help" => return usage(),
            "--wire" => return serve_wire(),
            other => match other.strip_prefix("--port=") {
                Some(value) => Some(value.to_string()),
                None => {
                    eprintln!("unknown argument {other:?}");
                    return usage();
                }
            },
        };
        match value.and_then(|v| v.parse().ok()) {
            Some(p) => port = p,
            None => {
                eprintln!("--port needs a number between 0 and 65535");
                return usage();
            }
        }
    }

    let emulator = match Emulator::start_on(&format!("127.0.0.1:{port}")) {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("authgate-emulator: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut stdout = std::io::stdout();
    // Tests block on this line; it must be complete and flushed before anything else.
    if writeln!(
        stdout,
        "authgate-emulator listening on {}",
        emulator.base_url()
    )
    .and_then(|()| stdout.flush())
    .is_err()
    {
        return ExitCode::FAILURE;
    }
    eprint!("{}", summary(&emulator.base_url()));

    // Serve until killed: all the work happens on the emulator's own threads.
    loop {
        std::thread::park();
    }
}

/// Serves the benchmarks' floor until killed; prints the same first line as the emulator.
fn serve_wire() -> ExitCode {
    let server = match authgate_emulator::wire::WireServer::start() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("authgate-emulator: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("authgate-emulator listening on {}", server.url(""));
    loop {
        std::thread::park();
    }
}

fn summary(base: &str) -> String {
    format!(
        "\
registered fixtures at {base} (redirect URI for every client: {REDIRECT_URI}, any port on
  127.0.0.1 or [::1]; the test user auto-approves unless interactive, then logs in as
  {TEST_USER_LOGIN} / {TEST_USER_PASSWORD} at {LOGIN_PATH}):
  taxcom   {TAXCOM_AUTHORIZE_PATH}, {TAXCOM_TOKEN_PATH}
           client {TAXCOM_CLIENT_ID} / {TAXCOM_CLIENT_SECRET} (Basic, URL-decoded), scope {TAXCOM_SCOPE}
  kontur   {KONTUR_AUTHORIZE_PATH}, {KONTUR_TOKEN_PATH}, {KONTUR_DISCOVERY_PATH}
           {KONTUR_USERINFO_PATH}, {KONTUR_REVOCATION_PATH}, {KONTUR_INTROSPECTION_PATH},
           {KONTUR_DEVICE_AUTHORIZATION_PATH} (user approves at {DEVICE_VERIFICATION_PATH})
           client {KONTUR_CLIENT_ID} / {KONTUR_CLIENT_SECRET} (post or Basic), scope \"{KONTUR_SCOPE}\" [+ {KONTUR_OFFLINE_SCOPE}]
           id_tokens RS256 (kid {KONTUR_RSA_KEY_ID}) or ES256 (kid {KONTUR_KEY_ID}, rotatable)
  gearcode {GEARCODE_AUTHORIZE_PATH}, {GEARCODE_TOKEN_PATH}
           client {GEARCODE_CLIENT_ID} / {GEARCODE_CLIENT_SECRET} (post), resource_id = client id
  cuba     {CUBA_TOKEN_PATH}
           clients {CUBA_CLIENT_ID} / {CUBA_CLIENT_SECRET}, {CUBA_RAW_CLIENT_ID} / {CUBA_RAW_CLIENT_SECRET} (Basic, raw)
           users {CUBA_ADMIN_USERNAME} / {CUBA_ADMIN_PASSWORD}, {CUBA_CYRILLIC_USERNAME} / {CUBA_CYRILLIC_PASSWORD}
  resource {RESOURCE_PATH} (Bearer); control API under {CONTROL_PREFIX}
"
    )
}

//! The quickstart: every provider preset's full flow, printed step by step.
//!
//! With no arguments it starts the built-in provider emulator and runs Taxcom, Kontur.Extern,
//! GearCode and CUBA against it. Against a real provider, pass the settings as flags or
//! environment variables:
//!
//! ```text
//! cargo run --example quickstart -- --provider gearcode --base-url https://auth.example \
//!     --client-id ID --client-secret SECRET --redirect-uri https://pos.example/callback
//! AUTHGATE_PROVIDER=cuba AUTHGATE_BASE_URL=http://cuba.lan:8080 AUTHGATE_INSECURE_HTTP=1 \
//!     AUTHGATE_USERNAME=admin AUTHGATE_PASSWORD=admin cargo run --example quickstart
//! ```
//! Flags: --provider, --base-url, --authorization-endpoint, --token-endpoint, --client-id,
//! --client-secret, --redirect-uri, --scope, --username, --password, --insecure-http,
//! --issuer (OpenID Connect discovery), --flow code|password|loopback|device (each also as
//! AUTHGATE_<NAME> in upper case with underscores). The code flow prints the authorization
//! URL and reads the redirect URL you paste back; `loopback` signs in through the system
//! browser (RFC 8252); `device` shows a code and a QR code and polls (RFC 8628):
//!
//! ```text
//! cargo run --example quickstart -- --provider kontur --issuer https://identity.testkontur.ru \
//!     --client-id SERVICE --client-secret API-KEY --flow loopback
//! ```

use std::collections::HashMap;
use std::io::BufRead;
use std::process::ExitCode;

use authgate::{Client, ClientBuilder, Provider, TokenSet};
use authgate_emulator::{fixtures as fx, Emulator};

fn main() -> ExitCode {
    let opts = match options() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let result = if opts.contains_key("provider") {
        real_provider(&opts)
    } else {
        emulated()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(o) = e.oauth() {
                eprintln!(
                    "  OAuth error {:?}, description {:?}",
                    o.error, o.description
                );
            }
            eprintln!(
                "  terminal: {}, transient: {}",
                e.is_terminal(),
                e.is_transient()
            );
            ExitCode::FAILURE
        }
    }
}

/// All four presets against the in-process emulator.
fn emulated() -> authgate::Result<()> {
    let emu = Emulator::start().expect("start the emulator");
    println!("provider emulator listening on {}\n", emu.base_url());
    let base = |p: Provider, id: &str, secret: &str| {
        Client::builder(p)
            .base_url(emu.base_url())
            .client_id(id)
            .client_secret(secret)
            .redirect_uri(fx::REDIRECT_URI)
    };

    println!("== Taxcom: authorization code, Basic client authentication ==");
    let taxcom = base(
        Provider::Taxcom,
        fx::TAXCOM_CLIENT_ID,
        fx::TAXCOM_CLIENT_SECRET,
    )
    .build()?;
    code_flow(&taxcom, &mut |url| Ok(browse(url)))?;

    println!("\n== Kontur.Extern: OpenID Connect code flow, client_secret_post ==");
    let kontur = base(
        Provider::KonturExtern,
        fx::KONTUR_CLIENT_ID,
        fx::KONTUR_CLIENT_SECRET,
    )
    .build()?;
    code_flow(&kontur, &mut |url| Ok(browse(url)))?;

    println!("\n== GearCode: authorization code with resource_id, rotating refresh ==");
    let gearcode = base(
        Provider::GearCode,
        fx::GEARCODE_CLIENT_ID,
        fx::GEARCODE_CLIENT_SECRET,
    )
    .build()?;
    let tokens = code_flow(&gearcode, &mut |url| Ok(browse(url)))?;
    refresh(&gearcode, &tokens)?;

    println!("\n== CUBA: password grant with a Cyrillic login, raw Basic ==");
    let cuba = base(Provider::Cuba, fx::CUBA_CLIENT_ID, fx::CUBA_CLIENT_SECRET).build()?;
    println!(
        "1. password grant for {} (password with & = + % and spaces)",
        fx::CUBA_CYRILLIC_USERNAME
    );
    let tokens = cuba
        .password(fx::CUBA_CYRILLIC_USERNAME, fx::CUBA_CYRILLIC_PASSWORD)
        .send()?;
    show(&tokens);
    refresh(&cuba, &tokens)?;

    println!("\n== Kontur.Extern: device flow (RFC 8628), the id_token validated ==");
    let kontur = Client::builder(Provider::KonturExtern)
        .client_id(fx::KONTUR_CLIENT_ID)
        .client_secret(fx::KONTUR_CLIENT_SECRET)
        .discover(&emu.base_url())?
        .build()?;
    let tokens = device_flow(&kontur, |user_code| {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        emu.approve_device(user_code, true);
        println!("   (the emulator's test user entered the code and approved)");
    })?;
    show(&tokens);
    let claims = kontur.validate_id_token(tokens.id_token().expect("an id_token"), None)?;
    println!("3. id_token valid: signed in as {}", claims.subject());

    println!("\nrequests served by the emulator: {:?}", emu.counts());
    Ok(())
}

/// One provider from flags and environment variables.
fn real_provider(o: &HashMap<String, String>) -> authgate::Result<()> {
    let name = &o["provider"];
    let provider = Provider::from_name(name)
        .ok_or_else(|| authgate::Error::InvalidArgument(format!("unknown provider {name}")))?;
    let mut b = ClientBuilder::new(provider);
    for (key, value) in o {
        b = match key.as_str() {
            "base-url" => b.base_url(value),
            "authorization-endpoint" => b.authorization_endpoint(value),
            "token-endpoint" => b.token_endpoint(value),
            "client-id" => b.client_id(value),
            "client-secret" => b.client_secret(value.as_str()),
            "redirect-uri" => b.redirect_uri(value),
            "scope" => b.scopes(value.split_whitespace()),
            "insecure-http" => b.allow_insecure_http(value != "0"),
            _ => b,
        };
    }
    if let Some(issuer) = o.get("issuer") {
        println!("0. discovery: {issuer}/.well-known/openid-configuration");
        b = b.discover(issuer)?;
    }
    let client = b.build()?;
    let flow = o.get("flow").map(String::as_str);
    let tokens = match (flow, o.get("username"), o.get("password")) {
        (Some("loopback"), _, _) => {
            println!("1. signing in through the system browser (a listener on 127.0.0.1 waits for the redirect)");
            let t = client.sign_in_loopback().run()?;
            show(&t);
            t
        }
        (Some("device"), _, _) => {
            let t = device_flow(&client, |_| {})?;
            show(&t);
            t
        }
        (Some(other), _, _) if other != "code" && other != "password" => {
            return Err(authgate::Error::InvalidArgument(format!(
                "--flow is code, password, loopback or device, not {other}"
            )))
        }
        (_, Some(user), Some(password)) => {
            println!("1. password grant for {user}");
            let t = client.password(user, password.as_str()).send()?;
            show(&t);
            t
        }
        (_, _, _) => code_flow(&client, &mut |url| {
            println!("   open it in a browser, sign in, then paste the address you were sent to:");
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| authgate::Error::InvalidArgument(format!("reading stdin: {e}")))?;
            let _ = url;
            Ok(line.trim().to_owned())
        })?,
    };
    if tokens.refresh_token().is_some() {
        refresh(&client, &tokens)?;
    }
    Ok(())
}

/// The device flow (RFC 8628): show the code and a QR code, then poll until the user has
/// signed in elsewhere. `approve` stands in for that user when the emulator is the server.
fn device_flow(client: &Client, approve: impl FnOnce(&str) + Send) -> authgate::Result<TokenSet> {
    let auth = client.device_authorization(None)?;
    println!(
        "1. on a phone or computer, open {} and enter the code {}",
        auth.verification_uri, auth.user_code
    );
    println!("   or scan:\n{}", auth.qr_text()?);
    std::thread::scope(|s| {
        s.spawn(|| approve(&auth.user_code));
        println!(
            "2. polling every {} s until the user has signed in…",
            auth.interval().as_secs()
        );
        client.wait_for_device_token(&auth, &authgate::CancelToken::new())
    })
}

fn code_flow(
    client: &Client,
    user_agent: &mut dyn FnMut(&str) -> authgate::Result<String>,
) -> authgate::Result<TokenSet> {
    let req = client.authorization_url().build()?;
    println!("1. authorization URL: {}", req.url);
    println!(
        "   state {}, nonce {}, PKCE verifier {}",
        mask(&req.state),
        req.nonce.as_deref().map_or("-".into(), mask),
        req.pkce_verifier
            .as_ref()
            .map_or("-".into(), |v| mask(v.secret()))
    );
    let callback = user_agent(&req.url)?;
    let code = req.parse_callback(&callback)?;
    println!(
        "2. redirect read back, state checked; code {}",
        mask(code.secret())
    );
    let mut exchange = client.exchange_code(code);
    if let Some(v) = &req.pkce_verifier {
        exchange = exchange.pkce_verifier(v);
    }
    let tokens = exchange.send()?;
    println!("3. code exchanged:");
    show(&tokens);
    Ok(tokens)
}

fn refresh(client: &Client, tokens: &TokenSet) -> authgate::Result<()> {
    let Some(rt) = tokens.refresh_token() else {
        return Ok(());
    };
    let fresh = client.refresh(rt).send()?;
    let rotated = fresh.refresh_token().map(|n| n.secret()) != Some(rt.secret());
    println!(
        "   refreshed{}:",
        if rotated {
            " (the refresh token was rotated: store the new one)"
        } else {
            ""
        }
    );
    show(&fresh);
    Ok(())
}

fn show(t: &TokenSet) {
    println!("   access_token  {}", mask(t.access_token().secret()));
    println!("   token_type    {}", t.token_type());
    println!("   expires_in    {:?} s", t.expires_in());
    if let Some(rt) = t.refresh_token() {
        println!("   refresh_token {}", mask(rt.secret()));
    }
    if let Some(s) = t.scope() {
        println!("   scope         {s}");
    }
    if let Some(id) = t.id_token() {
        println!("   id_token      {}", mask(id.secret()));
    }
    for w in t.warnings() {
        println!("   note: {w}");
    }
}

/// The first four characters and the length: enough to tell tokens apart, not to use one.
fn mask(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}…[{} chars]", secret.chars().count())
}

/// Plays the browser against the emulator, which approves at once.
fn browse(url: &str) -> String {
    let location = authgate_emulator::browse(url).expect("the emulator redirects");
    println!(
        "   (the emulator's test user approved; redirected to {})",
        location.split('?').next().unwrap_or("")
    );
    location
}

fn options() -> Result<HashMap<String, String>, String> {
    const KEYS: &[&str] = &[
        "provider",
        "base-url",
        "authorization-endpoint",
        "token-endpoint",
        "client-id",
        "client-secret",
        "redirect-uri",
        "scope",
        "username",
        "password",
        "insecure-http",
        "issuer",
        "flow",
    ];
    let mut out = HashMap::new();
    for key in KEYS {
        let env = format!("AUTHGATE_{}", key.to_uppercase().replace('-', "_"));
        if let Ok(v) = std::env::var(env) {
            out.insert(key.to_string(), v);
        }
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let Some(flag) = arg.strip_prefix("--") else {
            return Err(format!(
                "unexpected argument {arg}; see the doc comment of examples/rust/quickstart.rs"
            ));
        };
        let (key, value) = match flag.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None if flag == "insecure-http" => (flag.to_owned(), "1".to_owned()),
            None => (
                flag.to_owned(),
                args.next()
                    .ok_or_else(|| format!("--{flag} needs a value"))?,
            ),
        };
        if !KEYS.contains(&key.as_str()) {
            return Err(format!("unknown flag --{key}"));
        }
        out.insert(key, value);
    }
    Ok(out)
}

//! The subcommands that talk to the provider or read tokens.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use authgate::{CancelToken, Client, Error, FileStore, IdToken, Result, TokenSet, TokenStore};
use base64::Engine as _;
use clap::{Args, ValueEnum};
use serde_json::Value;

use crate::config::ClientOpts;
use crate::output::{mask, set_endpoint, show_tokens};

/// The sign-in flows.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Authorization code: open the printed URL, then paste the address you were sent to.
    Code,
    /// Authorization code through the system browser and a listener on 127.0.0.1 (RFC 8252).
    Loopback,
    /// Resource owner password (CUBA): the password is asked for without echo.
    Password,
    /// Client credentials: the client signs in as itself.
    #[value(alias = "client_credentials")]
    ClientCredentials,
    /// Device authorization (RFC 8628): a code and a QR code to scan on a phone.
    Device,
}

/// Where the tokens go.
#[derive(Args)]
pub struct SaveArgs {
    /// Writes the tokens to this token file (a FileStore, owner-only), for `refresh
    /// --store FILE` and for programs using the library.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Prints the tokens as raw JSON, unmasked: only where nobody else can read it.
    #[arg(long)]
    raw_json: bool,
}

/// `authgate token`.
#[derive(Args)]
pub struct TokenArgs {
    /// The flow (default: password when a username is given, else code).
    #[arg(long, env = "AUTHGATE_FLOW", value_enum)]
    flow: Option<Flow>,
    /// The user name (password flow).
    #[arg(long, env = "AUTHGATE_USERNAME")]
    username: Option<String>,
    /// The password (password flow). Prefer the variable or the prompt: a flag is visible
    /// in `ps`.
    #[arg(long, env = "AUTHGATE_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Loopback flow: print the URL instead of opening the system browser.
    #[arg(long)]
    no_browser: bool,
    /// Loopback flow: open the URL with this program instead of the system browser.
    #[arg(long, value_name = "COMMAND")]
    browser_command: Option<String>,
    /// Loopback flow: listen on this port (default: a free one).
    #[arg(long)]
    port: Option<u16>,
    #[command(flatten)]
    save: SaveArgs,
}

/// A token to work on: given, read from stdin, or taken from a token file.
#[derive(Args)]
pub struct TokenInput {
    /// The token; `-` reads it from stdin. Prefer the variable or stdin: a flag is
    /// visible in `ps`.
    #[arg(
        long,
        env = "AUTHGATE_TOKEN",
        hide_env_values = true,
        conflicts_with = "store"
    )]
    token: Option<String>,
    /// Takes the token from this token file (written by --save).
    #[arg(long, value_name = "FILE")]
    store: Option<PathBuf>,
}

/// `authgate refresh`.
#[derive(Args)]
pub struct RefreshArgs {
    /// The refresh token; `-` reads it from stdin.
    #[arg(
        long,
        env = "AUTHGATE_REFRESH_TOKEN",
        hide_env_values = true,
        conflicts_with = "store"
    )]
    refresh_token: Option<String>,
    /// Refreshes the tokens in this token file and writes the new ones back (a rotated
    /// refresh token is never lost).
    #[arg(long, value_name = "FILE")]
    store: Option<PathBuf>,
    #[command(flatten)]
    save: SaveArgs,
}

/// `authgate revoke`.
#[derive(Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    input: TokenInput,
    /// What the token is: access_token or refresh_token (from a token file: the refresh
    /// token if there is one).
    #[arg(long, value_name = "HINT")]
    hint: Option<String>,
}

/// `authgate decode`.
#[derive(Args)]
pub struct DecodeArgs {
    /// The JWT; `-` reads it from stdin.
    #[arg(conflicts_with = "store")]
    jwt: Option<String>,
    /// Decodes the id_token in this token file.
    #[arg(long, value_name = "FILE")]
    store: Option<PathBuf>,
    /// The nonce the id_token must carry.
    #[arg(long)]
    nonce: Option<String>,
}

/// The client, with its token endpoint named in error reports.
fn client(opts: &ClientOpts) -> Result<Client> {
    let client = opts.client()?;
    set_endpoint("token endpoint", client.token_endpoint());
    Ok(client)
}

pub fn token(opts: &ClientOpts, args: &TokenArgs) -> Result<()> {
    let client = client(opts)?;
    let flow = args.flow.unwrap_or(if args.username.is_some() {
        Flow::Password
    } else {
        Flow::Code
    });
    let tokens = match flow {
        Flow::Code => code_flow(&client)?,
        Flow::Loopback => {
            let mut sign_in = client.sign_in_loopback();
            if let Some(port) = args.port {
                sign_in = sign_in.port(port);
            }
            sign_in = sign_in.on_url(|url| {
                eprintln!("Sign in at {url}");
                eprintln!("Waiting for the browser to come back to 127.0.0.1…");
            });
            if args.no_browser {
                sign_in = sign_in.open_with(|_| Ok(()));
            } else if let Some(cmd) = &args.browser_command {
                sign_in = sign_in.browser_command(cmd);
            }
            sign_in.run()?
        }
        Flow::Password => {
            let user = args.username.as_deref().ok_or_else(|| {
                Error::InvalidArgument(
                    "the password flow needs --username (or AUTHGATE_USERNAME)".into(),
                )
            })?;
            let password = match &args.password {
                Some(p) => p.clone(),
                None => ask_password(user)?,
            };
            client.password(user, password.as_str()).send()?
        }
        Flow::ClientCredentials => client.client_credentials().send()?,
        Flow::Device => device_flow(&client)?,
    };
    finish(&tokens, &args.save)
}

/// Saves and prints a token set as asked.
fn finish(tokens: &TokenSet, save: &SaveArgs) -> Result<()> {
    if let Some(path) = &save.save {
        FileStore::new(path).save(tokens)?;
        eprintln!("tokens saved to {}", path.display());
    }
    show_tokens(tokens, save.raw_json);
    Ok(())
}

fn code_flow(client: &Client) -> Result<TokenSet> {
    let req = client.authorization_url().build()?;
    println!("Open this URL in a browser and sign in:\n{}", req.url);
    eprintln!("Then paste the address the browser was sent to (it holds code= and state=):");
    let _ = std::io::stdout().flush();
    let callback = read_line()?;
    let code = req.parse_callback(callback.trim())?;
    let mut exchange = client.exchange_code(code);
    if let Some(v) = &req.pkce_verifier {
        exchange = exchange.pkce_verifier(v);
    }
    let tokens = exchange.send()?;
    if let (Some(id), true) = (tokens.id_token(), req.nonce.is_some()) {
        if client.validate_id_token(id, req.nonce.as_deref()).is_ok() {
            eprintln!("id_token valid (signature, issuer, audience, expiry, nonce)");
        }
    }
    Ok(tokens)
}

fn device_flow(client: &Client) -> Result<TokenSet> {
    let auth = client.device_authorization(None)?;
    println!(
        "On a phone or computer, open {} and enter the code {}",
        auth.verification_uri, auth.user_code
    );
    println!("or scan:\n{}", auth.qr_text()?);
    println!(
        "Waiting for the sign-in (polling every {} s)…",
        auth.interval().as_secs()
    );
    let _ = std::io::stdout().flush();
    client.wait_for_device_token(&auth, &CancelToken::new())
}

fn read_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::InvalidArgument(format!("cannot read stdin: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Asks for the password without echo on a terminal; reads a line from a pipe.
fn ask_password(user: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Password for {user}: "))
            .map_err(|e| Error::InvalidArgument(format!("cannot read the password: {e}")))
    } else {
        read_line()
    }
}

/// A secret given as an option, or `-` for stdin.
fn given(value: &str) -> Result<String> {
    if value == "-" {
        let line = read_line()?;
        return Ok(line.trim().to_owned());
    }
    Ok(value.to_owned())
}

fn load(path: &Path) -> Result<TokenSet> {
    FileStore::new(path)
        .load()?
        .ok_or_else(|| Error::SignInRequired(format!("{} holds no tokens", path.display())))
}

/// The token of a [`TokenInput`]: given, or the access token of the token file.
fn access_token(input: &TokenInput) -> Result<String> {
    match (&input.token, &input.store) {
        (Some(t), _) => given(t),
        (None, Some(path)) => Ok(load(path)?.access_token().secret().to_owned()),
        (None, None) => Err(Error::InvalidArgument(
            "give the token with --token (or AUTHGATE_TOKEN, or - for stdin) or --store FILE"
                .into(),
        )),
    }
}

pub fn refresh(opts: &ClientOpts, args: &RefreshArgs) -> Result<()> {
    let client = client(opts)?;
    let rt =
        match (&args.refresh_token, &args.store) {
            (Some(t), _) => given(t)?,
            (None, Some(path)) => load(path)?
                .refresh_token()
                .map(|r| r.secret().to_owned())
                .ok_or_else(|| {
                    Error::SignInRequired(format!(
                        "{} holds no refresh token: sign in again with `authgate token`",
                        path.display()
                    ))
                })?,
            (None, None) => return Err(Error::InvalidArgument(
                "give --refresh-token (or AUTHGATE_REFRESH_TOKEN, or - for stdin) or --store FILE"
                    .into(),
            )),
        };
    let tokens = client.refresh(rt.as_str()).send()?;
    if let Some(path) = &args.store {
        // Written first: a provider that rotates refresh tokens has already spent the old one.
        FileStore::new(path).save(&tokens)?;
        eprintln!("new tokens saved to {}", path.display());
    }
    let rotated = tokens.refresh_token().is_some_and(|n| n.secret() != rt);
    if rotated {
        eprintln!("the refresh token was rotated: only the new one works from now on");
    }
    finish(&tokens, &args.save)
}

pub fn revoke(opts: &ClientOpts, args: &RevokeArgs) -> Result<()> {
    let client = opts.client()?;
    let (token, hint) = match (&args.input.token, &args.input.store) {
        (None, Some(path)) => {
            let t = load(path)?;
            match t.refresh_token() {
                Some(rt) => (rt.secret().to_owned(), Some("refresh_token".to_owned())),
                None => (
                    t.access_token().secret().to_owned(),
                    Some("access_token".to_owned()),
                ),
            }
        }
        _ => (access_token(&args.input)?, None),
    };
    client.revoke(&token, args.hint.as_deref().or(hint.as_deref()))?;
    println!("revoked {}", mask(&token));
    Ok(())
}

pub fn introspect(opts: &ClientOpts, input: &TokenInput) -> Result<()> {
    let client = opts.client()?;
    let token = access_token(input)?;
    let i = client.introspect(&token)?;
    println!("active     {}", i.active);
    if let Some(s) = &i.scope {
        println!("scope      {s}");
    }
    if let Some(c) = &i.client_id {
        println!("client_id  {c}");
    }
    if let Some(s) = &i.subject {
        println!("sub        {s}");
    }
    if let Some(exp) = i.expires_at {
        println!("exp        {exp} ({})", relative(exp));
    }
    Ok(())
}

pub fn userinfo(opts: &ClientOpts, input: &TokenInput) -> Result<()> {
    let client = opts.client()?;
    let token = authgate::AccessToken::new(access_token(input)?);
    let user = client.userinfo(&token)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&Value::Object(user)).unwrap_or_default()
    );
    Ok(())
}

pub fn decode(opts: &ClientOpts, args: &DecodeArgs) -> Result<()> {
    let jwt = match (&args.jwt, &args.store) {
        (Some(j), _) => given(j)?,
        (None, Some(path)) => load(path)?
            .id_token()
            .map(|t| t.secret().to_owned())
            .ok_or_else(|| Error::store(format!("{} holds no id_token", path.display())))?,
        (None, None) => {
            return Err(Error::InvalidArgument(
                "give the JWT (or - for stdin) or --store FILE".into(),
            ))
        }
    };
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    if parts.len() != 3 {
        return Err(Error::InvalidArgument(
            "not a JWT (three base64url parts separated by dots)".into(),
        ));
    }
    for (name, part) in [("header", parts[0]), ("claims", parts[1])] {
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .ok_or_else(|| {
                Error::InvalidArgument(format!("the JWT's {name} is not base64url JSON"))
            })?;
        println!(
            "{name}:\n{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
        if let Some(exp) = json.get("exp").and_then(Value::as_u64) {
            println!("expires {}", relative(exp));
        }
    }
    if opts.issuer.is_none() && opts.config.is_none() {
        println!("validation: not checked (give --issuer and --client-id to check the signature, issuer, audience and expiry)");
        return Ok(());
    }
    let client = opts.client()?;
    let claims = client.validate_id_token(&IdToken::new(jwt.trim()), args.nonce.as_deref())?;
    println!(
        "validation: valid id_token for {} from {}",
        claims.subject(),
        claims.issuer()
    );
    Ok(())
}

pub fn store_show(path: &Path, raw_json: bool) -> Result<()> {
    let tokens = load(path)?;
    show_tokens(&tokens, raw_json);
    if !raw_json {
        if let Some(at) = tokens.expires_at_unix() {
            println!("expires        {}", relative(at));
        }
    }
    Ok(())
}

pub fn store_clear(path: &Path) -> Result<()> {
    FileStore::new(path).clear()?;
    println!("cleared {}", path.display());
    Ok(())
}

/// "in 59 min" or "3 s ago".
fn relative(unix: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (ago, secs) = if unix >= now {
        (false, unix - now)
    } else {
        (true, now - unix)
    };
    let text = if secs >= 2 * 3600 {
        format!("{} h", secs / 3600)
    } else if secs >= 120 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    };
    if ago {
        format!("{text} ago")
    } else {
        format!("in {text}")
    }
}

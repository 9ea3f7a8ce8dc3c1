//! `authgate`: sign in with any flow, look at tokens, trace the wire and check a
//! configuration end to end, from a terminal or a script.
//!
//! The binary is `src/main.rs`; [`run`] is the whole tool, for hosts that embed it (a
//! Python module's `python -m authgate`, say) instead of shipping the binary.

mod commands;
mod config;
mod doctor;
mod logger;
mod output;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::FalseyValueParser;
use clap::{CommandFactory, Parser, Subcommand};

use config::ClientOpts;

/// Printed at the end of `authgate --help` and of every subcommand's help.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  another failure (see the message)
  2  the command line is wrong
  3  configuration: fix the settings (client id or secret, URLs, trust roots, auth method)
  4  sign in again: the code, refresh token or credentials are no longer valid
  5  try later: the network, the proxy or the server failed for now
  6  doctor found a problem (each failed check says what to do)

Every client option is also an AUTHGATE_* environment variable (shown in each option's
help) and a key of the JSON file given with --config (the C ABI's schema); a flag beats
the variable, which beats the file. Tokens are printed masked unless --raw-json is given.";

/// The exit codes (see `authgate --help`).
pub mod exit {
    /// Another failure.
    pub const FAILURE: u8 = 1;
    /// The command line is wrong.
    pub const USAGE: u8 = 2;
    /// Fix the configuration.
    pub const CONFIG: u8 = 3;
    /// Sign in again.
    pub const SIGN_IN_AGAIN: u8 = 4;
    /// Try later.
    pub const TRY_LATER: u8 = 5;
    /// `doctor` found a problem.
    pub const DOCTOR_FOUND_PROBLEMS: u8 = 6;
}

/// authgate: an OAuth 2.0 / OpenID Connect client for the terminal.
///
/// Sign in with any flow of any provider preset, refresh, revoke, introspect, decode
/// tokens, and check a configuration end to end with `authgate doctor`. Add --trace to see
/// every HTTP exchange on stderr, with every secret masked.
#[derive(Parser)]
#[command(name = "authgate", version, after_help = EXIT_CODES, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    client: ClientOpts,
    /// Shows every HTTP exchange on stderr (log target authgate::wire): URLs, headers,
    /// form field names, status, body shape and timing; secrets are always masked.
    #[arg(long, global = true, env = "AUTHGATE_TRACE", value_parser = FalseyValueParser::new())]
    trace: bool,
    /// More log output on stderr (-v: what the library decides, -vv: also the wire trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Signs in and prints the tokens (masked): code, loopback, password,
    /// client-credentials or device flow.
    #[command(after_help = EXIT_CODES)]
    Token(commands::TokenArgs),
    /// Exchanges a refresh token for new tokens (the new refresh token is saved back to
    /// --store, since providers such as GearCode rotate them).
    #[command(after_help = EXIT_CODES)]
    Refresh(commands::RefreshArgs),
    /// Revokes a token (RFC 7009).
    #[command(after_help = EXIT_CODES)]
    Revoke(commands::RevokeArgs),
    /// Asks the provider whether a token is active (RFC 7662).
    #[command(after_help = EXIT_CODES)]
    Introspect(commands::TokenInput),
    /// Asks the UserInfo endpoint who the access token belongs to (OpenID Connect).
    #[command(after_help = EXIT_CODES)]
    Userinfo(commands::TokenInput),
    /// Shows a JWT's header and claims, and validates it as an id_token when the client
    /// knows the issuer (--issuer).
    #[command(after_help = EXIT_CODES)]
    Decode(commands::DecodeArgs),
    /// Shows or clears a token file written by --save (a FileStore).
    #[command(after_help = EXIT_CODES)]
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Checks a configuration end to end: DNS, TCP, proxy, TLS, clock, discovery, the
    /// token endpoint and the client authentication method. Spends no code or token.
    #[command(after_help = EXIT_CODES)]
    Doctor(doctor::DoctorArgs),
    /// Prints a shell completion script, e.g. `authgate completions bash > /etc/bash_completion.d/authgate`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum StoreAction {
    /// Shows what the token file holds, tokens masked.
    Show {
        /// The token file.
        file: PathBuf,
        /// Prints the stored JSON as it is, tokens included.
        #[arg(long)]
        raw_json: bool,
    },
    /// Deletes the token file.
    Clear {
        /// The token file.
        file: PathBuf,
    },
}

/// Runs the tool with these arguments (the first is the program name, as in
/// `std::env::args_os()`) and returns the exit code. Installs a stderr logger for the
/// library's records unless the process already has a logger.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { 0 };
        }
    };
    logger::install(cli.trace, cli.verbose);
    let result = match cli.command {
        Command::Token(args) => commands::token(&cli.client, &args),
        Command::Refresh(args) => commands::refresh(&cli.client, &args),
        Command::Revoke(args) => commands::revoke(&cli.client, &args),
        Command::Introspect(args) => commands::introspect(&cli.client, &args),
        Command::Userinfo(args) => commands::userinfo(&cli.client, &args),
        Command::Decode(args) => commands::decode(&cli.client, &args),
        Command::Store { action } => match action {
            StoreAction::Show { file, raw_json } => commands::store_show(&file, raw_json),
            StoreAction::Clear { file } => commands::store_clear(&file),
        },
        Command::Doctor(args) => return doctor::run(&cli.client, &args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "authgate",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            output::report_error(&e);
            exit_code(&e)
        }
    }
}

/// The exit code scripts branch on: sign in again, try later, fix the configuration.
fn exit_code(e: &authgate::Error) -> u8 {
    use authgate::{Error, ErrorCode as C};
    if e.is_transient() {
        return exit::TRY_LATER;
    }
    match e.code() {
        C::InvalidGrant
        | C::SignInRequired
        | C::AccessDenied
        | C::StateMismatch
        | C::IssuerMismatch
        | C::IdTokenExpired
        | C::IdTokenNonce => exit::SIGN_IN_AGAIN,
        C::Config
        | C::InvalidClient
        | C::UnauthorizedClient
        | C::UnsupportedGrantType
        | C::InvalidScope
        | C::Tls
        | C::Proxy => exit::CONFIG,
        _ if matches!(e, Error::InvalidArgument(_)) => exit::CONFIG,
        // A wrong endpoint URL.
        _ if e.http_status() == Some(404) => exit::CONFIG,
        _ => exit::FAILURE,
    }
}

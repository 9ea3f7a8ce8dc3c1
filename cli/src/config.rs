//! The client options: flags, `AUTHGATE_*` variables and a JSON file, merged into the
//! JSON object that `ClientBuilder::from_json` (and the C ABI) reads.

use std::path::PathBuf;

use authgate::{Client, ClientBuilder, ConfigOption, Error, OptionType, Result, CONFIG_OPTIONS};
use clap::builder::FalseyValueParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use serde_json::{Map, Value};

/// The help heading of the client options.
const HEADING: &str = "Client options (also AUTHGATE_* variables or --config keys)";

/// Every client option: one flag `--<key with dashes>` and one variable `AUTHGATE_<KEY>`
/// per row of the core's [`CONFIG_OPTIONS`], plus `--config` and the spellings of
/// `LEGACY`, so the quickstart's instructions still work.
/// No `Debug`: it holds the client secret.
#[derive(Default, Clone)]
pub struct ClientOpts {
    /// The JSON configuration file (`--config`, `AUTHGATE_CONFIG`).
    pub config: Option<PathBuf>,
    /// The issuer given as a flag or variable: the client is discovered from it.
    pub issuer: Option<String>,
    /// The options given as flags or variables, by JSON key, in table order.
    values: Vec<(&'static str, Given)>,
}

/// An option's value as the command line gave it.
#[derive(Clone)]
enum Given {
    Json(Value),
    /// `NAME=VALUE` items (or JSON objects) of a parameters option.
    Pairs(Vec<String>),
}

/// Spellings from before the flags came from the table, still read (hidden from the help,
/// which names them in the option's line). A flag without a value sets `key` to `value`.
struct Legacy {
    flag: &'static str,
    env: &'static str,
    key: &'static str,
    /// `None`: the flag takes the option's own value.
    value: Option<bool>,
}

const LEGACY: &[Legacy] = &[
    Legacy {
        flag: "scope",
        env: "AUTHGATE_SCOPE",
        key: "scopes",
        value: None,
    },
    Legacy {
        flag: "no-pkce",
        env: "AUTHGATE_NO_PKCE",
        key: "pkce",
        value: Some(false),
    },
    Legacy {
        flag: "insecure-http",
        env: "AUTHGATE_INSECURE_HTTP",
        key: "allow_insecure_http",
        value: Some(true),
    },
];

/// The help of the options whose CLI meaning differs from the table's line.
fn cli_doc(o: &ConfigOption) -> &'static str {
    match o.key() {
        "issuer" => "The OpenID Connect issuer: its discovery document fills in the endpoints.",
        "client_secret" => {
            "The client secret (prefer the variable: a flag is visible to other users in `ps`)."
        }
        _ => o.doc(),
    }
}

/// Clap wants `'static` names; the table's are built once per process.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The flag and variable of a row.
fn option_arg(o: &'static ConfigOption) -> Arg {
    let key = o.key();
    let mut help = match o.default() {
        "required" => format!("{} Required.", cli_doc(o)),
        default => format!("{} Default: {default}.", cli_doc(o)),
    };
    for l in LEGACY.iter().filter(|l| l.key == key) {
        help += &format!(" (Also --{}, {}.)", l.flag, l.env);
    }
    let mut arg = Arg::new(key)
        .long(leak(key.replace('_', "-")))
        .env(leak(format!("AUTHGATE_{}", key.to_uppercase())))
        .global(true)
        .value_name(leak(key.to_uppercase()))
        // Never a variable's value in --help: a proxy URL may hold a password, parameters
        // an API key, besides the client secret and key.
        .hide_env_values(true);
    arg = match o.option_type() {
        OptionType::Bool => arg
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .value_parser(FalseyValueParser::new()),
        OptionType::Millis => arg.value_name("MS").value_parser(clap::value_parser!(u64)),
        OptionType::Integer => arg.value_name("N").value_parser(clap::value_parser!(u64)),
        OptionType::Params => {
            help += " Repeatable; the variable may hold a JSON object.";
            arg.value_name("NAME=VALUE")
                .action(ArgAction::Append)
                .visible_alias(leak(key.trim_end_matches('s').replace('_', "-")))
        }
        OptionType::Choice(names) => {
            help += &format!(" One of: {}.", names.join(", "));
            arg
        }
        _ => arg,
    };
    arg.help(leak(help))
}

impl Args for ClientOpts {
    fn augment_args(cmd: Command) -> Command {
        let mut cmd = cmd.next_help_heading(HEADING).arg(
            Arg::new("config")
                .long("config")
                .env("AUTHGATE_CONFIG")
                .global(true)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("A JSON configuration file with the keys below (ClientBuilder::from_json, the C ABI); flags and variables beat its keys, parameters add to its own."),
        );
        for o in CONFIG_OPTIONS {
            cmd = cmd.arg(option_arg(o));
        }
        for l in LEGACY {
            let arg = Arg::new(l.flag)
                .long(l.flag)
                .env(l.env)
                .global(true)
                .hide(true);
            cmd = cmd.arg(match l.value {
                None => arg,
                Some(_) => arg
                    .action(ArgAction::SetTrue)
                    .value_parser(FalseyValueParser::new()),
            });
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for ClientOpts {
    fn from_arg_matches(m: &ArgMatches) -> std::result::Result<Self, clap::Error> {
        let mut opts = ClientOpts::default();
        opts.update_from_arg_matches(m)?;
        Ok(opts)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> std::result::Result<(), clap::Error> {
        let source = |id: &str| {
            m.value_source(id)
                .filter(|s| *s != ValueSource::DefaultValue)
        };
        if let Some(path) = m.get_one::<PathBuf>("config") {
            self.config = Some(path.clone());
        }
        // Each key's value from where it was given, a flag beating a variable; a legacy
        // spelling loses to the table's own at the same rank.
        let mut found: Vec<(&'static str, ValueSource, Given)> = Vec::new();
        let mut give = |key: &'static str, src: ValueSource, v: Given| match found
            .iter_mut()
            .find(|(k, _, _)| *k == key)
        {
            Some(slot) if slot.1 <= src => *slot = (key, src, v),
            Some(_) => {}
            None => found.push((key, src, v)),
        };
        for l in LEGACY {
            let Some(src) = source(l.flag) else { continue };
            let v = match l.value {
                Some(b) if m.get_flag(l.flag) => Value::Bool(b),
                Some(_) => continue,
                None => Value::from(m.get_one::<String>(l.flag).cloned()),
            };
            give(l.key, src, Given::Json(v));
        }
        for o in CONFIG_OPTIONS {
            let key = o.key();
            let Some(src) = source(key) else { continue };
            let v = match o.option_type() {
                OptionType::Bool => Given::Json(Value::from(m.get_one::<bool>(key).copied())),
                OptionType::Millis | OptionType::Integer => {
                    Given::Json(Value::from(m.get_one::<u64>(key).copied()))
                }
                OptionType::Params => Given::Pairs(
                    m.get_many::<String>(key)
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect(),
                ),
                _ => Given::Json(Value::from(m.get_one::<String>(key).cloned())),
            };
            give(key, src, v);
        }
        for (key, _, v) in found {
            if key == "issuer" {
                if let Given::Json(Value::String(s)) = v {
                    self.issuer = Some(s);
                }
                continue;
            }
            match self.values.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = v,
                None => self.values.push((key, v)),
            }
        }
        Ok(())
    }
}

impl ClientOpts {
    /// The merged configuration as one JSON object: the file, then the variables and
    /// flags (clap has already let a flag beat its variable). The issuer given as a
    /// flag or variable is left out: [`ClientOpts::builder`] discovers it.
    pub fn json(&self) -> Result<Map<String, Value>> {
        let mut obj = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::Config(format!("cannot read --config {}: {e}", path.display()))
                })?;
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(obj)) => obj,
                    _ => {
                        return Err(Error::Config(format!(
                            "--config {} is not a JSON object",
                            path.display()
                        )))
                    }
                }
            }
            None => Map::new(),
        };
        for (key, v) in &self.values {
            let v = match v {
                Given::Json(v) => v.clone(),
                Given::Pairs(items) => {
                    // Added to the file's parameters, as ClientBuilder::option adds them.
                    let mut map = match obj.remove(*key) {
                        Some(Value::Object(map)) => map,
                        _ => Map::new(),
                    };
                    map.extend(pairs(key, items)?);
                    Value::Object(map)
                }
            };
            // The value replaces the file's under any of the row's spellings.
            if let Some(o) = ConfigOption::find(key) {
                for alias in o.aliases() {
                    obj.remove(*alias);
                }
            }
            obj.insert((*key).to_owned(), v);
        }
        Ok(obj)
    }

    /// The builder, with discovery run when an issuer was given as a flag or variable.
    pub fn builder(&self) -> Result<ClientBuilder> {
        let b = ClientBuilder::from_json(&Value::Object(self.json()?).to_string())?;
        match &self.issuer {
            Some(issuer) => b.discover(issuer),
            None => Ok(b),
        }
    }

    /// The client.
    pub fn client(&self) -> Result<Client> {
        self.builder()?.build()
    }
}

/// `NAME=VALUE` items (or JSON objects of strings) of a parameters option.
fn pairs(key: &str, items: &[String]) -> Result<Map<String, Value>> {
    let flag = format!("--{}", key.replace('_', "-"));
    let mut map = Map::new();
    for item in items {
        if item.trim_start().starts_with('{') {
            match serde_json::from_str::<Value>(item) {
                Ok(Value::Object(obj)) => map.extend(obj),
                _ => {
                    return Err(Error::Config(format!(
                        "{flag}: {item:?} is not a JSON object"
                    )))
                }
            }
            continue;
        }
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| Error::Config(format!("{flag} takes NAME=VALUE, not {item:?}")))?;
        map.insert(k.to_owned(), v.into());
    }
    Ok(map)
}

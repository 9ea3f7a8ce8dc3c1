//! One name per concept (issue 13): each concept's public names in Rust (the core), C (the
//! generated header), Python (the package's `.pyi` and modules) and Pascal (the unit in
//! `examples/pascal`), checked against those files, so a rename in one language that is
//! not made in the others fails here.
//!
//! Name syntax in the table:
//! - Rust: `name` is a `pub fn name`; `Type` (capitalised) a `pub struct`/`enum`/`trait`;
//!   `Type.field` a `pub field:` of that struct.
//! - C: `name` is a function or a macro of the header; `name(a, b)` a function with those
//!   parameter names; `name{a, b}` a function whose doc names those JSON keys (`` `a` ``).
//! - Python: `name` is a module-level `def` or `class`; `Class.member` a method, property or
//!   attribute of that class; `Class.method(a, b)` a method with those parameters.
//! - Pascal: the unit declares the C functions and constants under their C names, so the C
//!   column is checked against it too (a function's parameter names as well; the JSON keys
//!   of `name{a, b}` are the header's business).

use std::path::{Path, PathBuf};

/// One concept and its names in each language.
struct Concept {
    concept: &'static str,
    rust: &'static [&'static str],
    c: &'static [&'static str],
    python: &'static [&'static str],
}

const fn row(
    concept: &'static str,
    rust: &'static [&'static str],
    c: &'static [&'static str],
    python: &'static [&'static str],
) -> Concept {
    Concept {
        concept,
        rust,
        c,
        python,
    }
}

/// The table. The C column is also the Pascal unit's.
const TABLE: &[Concept] = &[
    row(
        "client",
        &["Client", "ClientBuilder", "build"],
        &["authgate_client_new", "authgate_client_new_from_json"],
        &["Client", "Client.from_json"],
    ),
    row(
        "authorization URL",
        &["authorization_url", "AuthorizationRequest", "scopes", "state", "nonce", "redirect_uri"],
        &[
            "authgate_client_authorization_url_with(options_json)",
            "authgate_client_authorization_url_with{scopes, state, nonce, pkce_verifier, redirect_uri, params}",
        ],
        &["Client.authorization_url(scopes, state, nonce, pkce_verifier, redirect_uri, params)"],
    ),
    row(
        "PKCE verifier",
        &["pkce_verifier", "AuthorizationRequest.pkce_verifier"],
        &[
            "authgate_authorization_pkce_verifier",
            "authgate_client_exchange_code(pkce_verifier)",
            "authgate_client_exchange_code_start(pkce_verifier)",
            "authgate_client_exchange_code_with{pkce_verifier}",
        ],
        &["AuthorizationRequest.pkce_verifier", "Client.exchange_code(pkce_verifier)"],
    ),
    row(
        "extra request parameters",
        &["param"],
        &[
            "authgate_client_exchange_code(params_json)",
            "authgate_client_refresh(params_json)",
            "authgate_client_password(params_json)",
            "authgate_client_client_credentials(params_json)",
            "authgate_client_refresh_start(params_json)",
            "authgate_client_authorization_url_with{params}",
            "authgate_client_exchange_code_with{params}",
        ],
        &[
            "Client.authorization_url(params)",
            "Client.exchange_code(params)",
            "Client.refresh(params)",
            "Client.password(params)",
            "Client.client_credentials(params)",
        ],
    ),
    row(
        "read the redirect back",
        &["parse_callback", "parse_callback_with_issuer"],
        &[
            "authgate_authorization_parse_callback",
            "authgate_parse_callback",
            "authgate_parse_callback_with_issuer",
        ],
        &["AuthorizationRequest.parse_callback", "parse_callback"],
    ),
    row(
        "exchange a code",
        &["exchange_code", "scopes", "redirect_uri"],
        &[
            "authgate_client_exchange_code(code, redirect_uri)",
            "authgate_client_exchange_code_start",
            "authgate_client_exchange_code_with(code, options_json)",
            "authgate_client_exchange_code_with{scopes, redirect_uri}",
        ],
        &["Client.exchange_code(code, scopes, redirect_uri)"],
    ),
    row(
        "refresh",
        &["refresh"],
        &["authgate_client_refresh(refresh_token, scopes)", "authgate_client_refresh_start"],
        &["Client.refresh(refresh_token, scopes)"],
    ),
    row(
        "password grant",
        &["password"],
        &[
            "authgate_client_password(username, password, scopes)",
            "authgate_client_password_start",
        ],
        &["Client.password(username, password, scopes)"],
    ),
    row(
        "client credentials grant",
        &["client_credentials"],
        &[
            "authgate_client_client_credentials(scopes)",
            "authgate_client_client_credentials_start",
        ],
        &["Client.client_credentials(scopes)"],
    ),
    row(
        "device authorization",
        &[
            "device_authorization",
            "DeviceAuthorization",
            "qr_svg",
            "qr_text",
            "interval",
            "to_json",
            "from_json",
        ],
        &[
            "authgate_client_device_authorization(scopes)",
            "authgate_device_user_code",
            "authgate_device_verification_uri",
            "authgate_device_verification_uri_complete",
            "authgate_device_expires_in",
            "authgate_device_interval",
            "authgate_device_qr_svg",
            "authgate_device_qr_text",
            "authgate_device_to_json",
            "authgate_device_from_json",
        ],
        &[
            "Client.device_authorization(scopes)",
            "DeviceAuthorization.user_code",
            "DeviceAuthorization.verification_uri",
            "DeviceAuthorization.verification_uri_complete",
            "DeviceAuthorization.expires_in",
            "DeviceAuthorization.interval",
            "DeviceAuthorization.qr_svg",
            "DeviceAuthorization.qr_text",
            "DeviceAuthorization.to_json",
            "DeviceAuthorization.from_json",
        ],
    ),
    row(
        "poll for the device token once",
        &["poll_device_token"],
        &["authgate_client_poll_device_token"],
        &["Client.poll_device_token"],
    ),
    row(
        "wait for the device token",
        &["wait_for_device_token"],
        &["authgate_client_wait_for_device_token_start"],
        &["Client.wait_for_device_token"],
    ),
    row(
        "loopback sign-in",
        &["sign_in_loopback", "port", "path", "browser_command", "timeout"],
        &["authgate_client_sign_in_loopback_start{timeout_ms, browser_command, scopes, port, path}"],
        &["Client.sign_in_loopback(timeout, browser_command, scopes, port, path)"],
    ),
    row(
        "revoke",
        &["revoke"],
        &["authgate_client_revoke(token, token_type_hint)"],
        &["Client.revoke(token, token_type_hint)"],
    ),
    row(
        "introspect",
        &["introspect", "Introspection"],
        &["authgate_client_introspect(token)"],
        &["Client.introspect(token)", "Introspection"],
    ),
    row(
        "userinfo",
        &["userinfo"],
        &["authgate_client_userinfo(access_token)"],
        &["Client.userinfo(access_token)"],
    ),
    row(
        "validate an id_token",
        &["validate_id_token"],
        &["authgate_client_validate_id_token(id_token, nonce)"],
        &["Client.validate_id_token(id_token, nonce)"],
    ),
    row(
        "id_token failure",
        &["IdTokenError"],
        &[
            "AUTHGATE_ID_TOKEN_MALFORMED",
            "AUTHGATE_ID_TOKEN_ALGORITHM",
            "AUTHGATE_ID_TOKEN_UNKNOWN_KEY",
            "AUTHGATE_ID_TOKEN_SIGNATURE",
            "AUTHGATE_ID_TOKEN_ISSUER",
            "AUTHGATE_ID_TOKEN_AUDIENCE",
            "AUTHGATE_ID_TOKEN_EXPIRED",
            "AUTHGATE_ID_TOKEN_NOT_YET_VALID",
            "AUTHGATE_ID_TOKEN_NONCE",
        ],
        &["IdTokenError.kind"],
    ),
    row(
        "token manager",
        &[
            "TokenManager",
            "leeway",
            "allow_client_credentials",
            "max_attempts",
            "max_backoff",
            "wait_timeout",
            "password_credentials",
        ],
        &[
            "authgate_manager_new{leeway_ms, allow_client_credentials, max_attempts, max_backoff_ms, wait_timeout_ms}",
            "authgate_manager_set_password_credentials",
        ],
        &[
            "TokenManager",
            "TokenManager.__new__(leeway, allow_client_credentials, max_attempts, max_backoff, wait_timeout, password_credentials)",
        ],
    ),
    row(
        "access token",
        &["access_token", "access_token_valid_for"],
        &["authgate_manager_access_token", "authgate_manager_access_token_valid_for_ms(min_ms)"],
        &["TokenManager.access_token", "TokenManager.access_token_valid_for"],
    ),
    row(
        "the manager's tokens",
        &["token_set", "set_tokens", "clear"],
        &["authgate_manager_token_set", "authgate_manager_set_tokens", "authgate_manager_clear"],
        &["TokenManager.token_set", "TokenManager.set_tokens", "TokenManager.clear"],
    ),
    row(
        "invalidate the access token",
        &["invalidate"],
        &["authgate_manager_invalidate"],
        &["TokenManager.invalidate"],
    ),
    row(
        "invalidate a token the resource server refused",
        &["invalidate_token"],
        &["authgate_manager_invalidate_token(rejected)"],
        &["TokenManager.invalidate_token(rejected)"],
    ),
    row(
        "token stores",
        &["TokenStore", "MemoryStore", "FileStore"],
        &["authgate_store_new_memory", "authgate_store_new_file(path)"],
        &["TokenStore", "MemoryStore", "FileStore"],
    ),
    row(
        "a token store of one's own",
        &["TokenStore", "StoreLock", "releasing", "unlocked"],
        &[
            "authgate_store_new_callbacks(callbacks, user_data)",
            "authgate_store_call_set_json(call, json)",
            "authgate_store_call_set_error(call, message)",
        ],
        &["TokenStore", "TokenStore.load", "TokenStore.save", "TokenStore.clear"],
    ),
    row(
        "tokens-changed hook",
        &["on_tokens_changed"],
        &["authgate_manager_set_tokens_changed_callback(manager, callback, user_data)"],
        &["TokenManager.__new__(on_tokens_changed)"],
    ),
    row(
        "encrypted file store",
        &["encrypted", "encrypted_with", "is_encrypted"],
        &["authgate_store_new_file_encrypted(path, key, key_len)"],
        &["FileStore.__new__(path, key)", "FileStore.encrypted"],
    ),
    row(
        "Redis store",
        &["RedisStore", "encrypted", "encrypted_with", "is_encrypted"],
        &[
            "authgate_store_new_redis(url, client, options_json)",
            "authgate_store_new_redis_encrypted(url, client, key, key_len, options_json)",
        ],
        &["RedisStore.__new__(url, client, key)", "RedisStore.encrypted", "RedisStore.key"],
    ),
    row(
        "token set from JSON",
        &["TokenSet", "from_json", "to_json"],
        &["authgate_token_set_new_from_json(json)", "authgate_token_set_to_json"],
        &["TokenSet.from_json", "TokenSet.to_json"],
    ),
    row(
        "token set fields",
        &[
            "access_token",
            "token_type",
            "refresh_token",
            "scope",
            "id_token",
            "expires_in",
            "expires_at",
            "authorization_header",
            "warnings",
            "raw",
        ],
        &[
            "authgate_token_set_access_token",
            "authgate_token_set_token_type",
            "authgate_token_set_refresh_token",
            "authgate_token_set_scope",
            "authgate_token_set_id_token",
            "authgate_token_set_expires_in",
            "authgate_token_set_expires_at",
            "authgate_token_set_authorization_header",
            "authgate_token_set_warnings_json",
            "authgate_token_set_raw_json",
        ],
        &[
            "TokenSet.access_token",
            "TokenSet.token_type",
            "TokenSet.refresh_token",
            "TokenSet.scope",
            "TokenSet.id_token",
            "TokenSet.expires_in",
            "TokenSet.expires_at",
            "TokenSet.authorization_header",
            "TokenSet.warnings",
            "TokenSet.raw",
        ],
    ),
    row(
        "is the token expired",
        &["is_expired"],
        &["authgate_token_set_is_expired_ms(leeway_ms)"],
        &["TokenSet.is_expired(leeway)"],
    ),
    row(
        "cancel",
        &["CancelToken", "cancel", "is_cancelled"],
        &["authgate_operation_cancel"],
        &["CancelToken", "CancelToken.cancel", "CancelToken.is_cancelled"],
    ),
    row(
        "OAuth error fields",
        &[
            "OAuthError",
            "OAuthError.error",
            "OAuthError.description",
            "OAuthError.uri",
            "OAuthError.www_authenticate",
        ],
        &[
            "authgate_last_error_oauth_error",
            "authgate_last_error_description",
            "authgate_last_error_uri",
            "authgate_last_error_www_authenticate",
            "authgate_last_error_json{error, description, www_authenticate}",
        ],
        &[
            "OAuthError.error",
            "OAuthError.description",
            "OAuthError.uri",
            "OAuthError.www_authenticate",
        ],
    ),
];

/// Python names decided in the table that the Python package does not have yet (another
/// change makes them). The test fails when one appears, so that it is taken off this list
/// and checked from then on.
const PYTHON_PENDING: &[&str] = &[];

/// Old C names kept as thin wrappers, and what replaces each. The header must say so at
/// the start of the old one's doc, and the Pascal unit must declare both.
const C_DEPRECATED: &[(&str, &str)] = &[
    (
        "authgate_client_authorization_url",
        "authgate_client_authorization_url_with",
    ),
    (
        "authgate_authorization_code_verifier",
        "authgate_authorization_pkce_verifier",
    ),
    (
        "authgate_manager_access_token_valid_for",
        "authgate_manager_access_token_valid_for_ms",
    ),
    (
        "authgate_token_set_is_expired",
        "authgate_token_set_is_expired_ms",
    ),
    (
        "authgate_client_device_token_start",
        "authgate_client_wait_for_device_token_start",
    ),
];

// --- the sources ----------------------------------------------------------------------------

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of every file with one of `exts` in `dir` (not recursive), one per file.
fn files(dir: &str, exts: &[&str]) -> Vec<String> {
    let mut out: Vec<_> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| exts.iter().any(|x| p.extension().is_some_and(|e| e == *x)))
        .collect();
    out.sort();
    out.iter().map(|p| read(p)).collect()
}

struct Sources {
    rust: Vec<String>,
    header: String,
    python: Vec<String>,
    pascal: String,
}

fn sources() -> Sources {
    Sources {
        rust: files("core/src", &["rs"]),
        header: read(&root().join("include/authgate.h")),
        python: files("python/authgate", &["py", "pyi"]),
        pascal: read(&root().join("examples/pascal/authgate.pas")),
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Where `word` occurs in `text` not as part of a longer identifier.
fn find_word(text: &str, word: &str) -> Vec<usize> {
    text.match_indices(word)
        .filter(|(at, _)| {
            let before = text[..*at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
        .map(|(at, _)| at)
        .collect()
}

fn has_word(text: &str, word: &str) -> bool {
    !find_word(text, word).is_empty()
}

/// Splits `name(a, b)` / `name{a, b}` into the name, the bracket and the inner words.
fn split(entry: &str) -> (&str, Option<char>, Vec<&str>) {
    match entry.find(['(', '{']) {
        None => (entry, None, Vec::new()),
        Some(i) => {
            let inner = entry[i + 1..entry.len() - 1]
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            (&entry[..i], entry[i..].chars().next(), inner)
        }
    }
}

// --- one check per language -------------------------------------------------------------------

/// Whether one entry of the table is found in the sources, and if not, why.
type Check = fn(&Sources, &str) -> Result<(), String>;

fn rust_has(s: &Sources, entry: &str) -> Result<(), String> {
    let found = |pattern: &str| s.rust.iter().any(|f| has_word(f, pattern));
    if let Some((ty, field)) = entry.split_once('.') {
        let body = s.rust.iter().find_map(|f| {
            let at = f.find(&format!("pub struct {ty} {{"))?;
            Some(&f[at..at + f[at..].find("\n}").unwrap_or(f.len() - at)])
        });
        let body = body.ok_or_else(|| format!("no `pub struct {ty}` in core/src"))?;
        return if has_word(body, &format!("pub {field}")) {
            Ok(())
        } else {
            Err(format!("`{ty}` has no `pub {field}` field"))
        };
    }
    if entry.starts_with(|c: char| c.is_ascii_uppercase()) {
        if ["struct", "enum", "trait"]
            .iter()
            .any(|k| found(&format!("pub {k} {entry}")))
        {
            return Ok(());
        }
        return Err(format!("no `pub struct/enum/trait {entry}` in core/src"));
    }
    if found(&format!("pub fn {entry}")) {
        Ok(())
    } else {
        Err(format!("no `pub fn {entry}` in core/src"))
    }
}

/// The declaration of C function `name` in the header (from its name to `;`) and the doc
/// comment just before it.
fn c_declaration<'h>(header: &'h str, name: &str) -> Option<(&'h str, &'h str)> {
    let mut line_start = 0;
    for line in header.split_inclusive('\n') {
        let code = !line.trim_start().starts_with(['*', '/']);
        let at = [format!(" {name}("), format!("*{name}(")]
            .iter()
            .find_map(|d| line.find(d.as_str()));
        if let (true, Some(at)) = (code, at) {
            let at = line_start + at + 1;
            let end = at + header[at..].find(';')?;
            let doc_start = header[..line_start].rfind("/**").unwrap_or(line_start);
            return Some((&header[at..end], &header[doc_start..line_start]));
        }
        line_start += line.len();
    }
    None
}

fn c_has(s: &Sources, entry: &str) -> Result<(), String> {
    let (name, bracket, inner) = split(entry);
    if bracket.is_none() && s.header.contains(&format!("#define {name} ")) {
        return Ok(());
    }
    let (decl, doc) = c_declaration(&s.header, name)
        .ok_or_else(|| format!("no function `{name}` in the header"))?;
    match bracket {
        Some('(') => {
            if let Some(p) = inner.iter().find(|p| !has_word(decl, p)) {
                return Err(format!("`{name}` has no parameter `{p}`"));
            }
        }
        Some(_) => {
            if let Some(k) = inner.iter().find(|k| !doc.contains(&format!("`{k}`"))) {
                return Err(format!("the doc of `{name}` does not name the key `{k}`"));
            }
        }
        None => {}
    }
    Ok(())
}

/// The body of top-level `class name` in a Python file: up to the next top-level line.
fn python_class<'f>(file: &'f str, name: &str) -> Option<&'f str> {
    let at = file
        .match_indices(&format!("class {name}"))
        .map(|(at, _)| at)
        .find(|&at| {
            (at == 0 || file[..at].ends_with('\n'))
                && file[at + 6 + name.len()..].starts_with(['(', ':'])
        })?;
    let rest = &file[at..];
    let end = rest
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| rest[i..].starts_with(|c: char| !c.is_whitespace()))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The parameter list of `def name(...)` in `text` (up to the `)` before `->` or `:`).
fn python_def<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    let at = text.find(&format!("def {name}("))?;
    let rest = &text[at..];
    let end = rest.find(") ->").or_else(|| rest.find("):"))?;
    Some(&rest[..end])
}

fn python_has(s: &Sources, entry: &str) -> Result<(), String> {
    let (path, _, params) = split(entry);
    let (class, member) = match path.split_once('.') {
        Some((c, m)) => (Some(c), Some(m)),
        None if path.starts_with(|c: char| c.is_ascii_uppercase()) => (Some(path), None),
        None => (None, Some(path)),
    };
    for file in &s.python {
        let scope = match class {
            Some(c) => match python_class(file, c) {
                Some(body) => body,
                None => continue,
            },
            None => file.as_str(),
        };
        let Some(member) = member else { return Ok(()) };
        if params.is_empty() {
            let attribute = [
                format!("def {member}("),
                format!("self.{member} ="),
                format!("    {member}:"),
            ];
            if attribute.iter().any(|a| scope.contains(a.as_str())) {
                return Ok(());
            }
            continue;
        }
        let Some(def) = python_def(scope, member) else {
            continue;
        };
        return match params.iter().find(|p| !has_word(def, p)) {
            None => Ok(()),
            Some(p) => Err(format!("`{path}` has no parameter `{p}`")),
        };
    }
    Err(format!("no `{path}` in python/authgate"))
}

fn pascal_has(s: &Sources, entry: &str) -> Result<(), String> {
    let (name, bracket, params) = split(entry);
    let params = if bracket == Some('(') {
        params
    } else {
        Vec::new()
    };
    if name.starts_with("AUTHGATE_") {
        return match s.pascal.contains(&format!("  {name} = ")) {
            true => Ok(()),
            false => Err(format!("the Pascal unit has no constant `{name}`")),
        };
    }
    let decl = ["function", "procedure"].iter().find_map(|k| {
        let head = format!("{k} {name}");
        let at = find_word(&s.pascal, &head).into_iter().next()?;
        let rest = &s.pascal[at..];
        Some(&rest[..rest.find("external").unwrap_or(rest.len())])
    });
    let decl = decl.ok_or_else(|| format!("the Pascal unit does not declare `{name}`"))?;
    match params.iter().find(|p| !has_word(decl, p)) {
        None => Ok(()),
        Some(p) => Err(format!(
            "`{name}` in the Pascal unit has no parameter `{p}`"
        )),
    }
}

// --- the tests ------------------------------------------------------------------------------

#[test]
fn every_concept_has_its_names_in_every_language() {
    let s = sources();
    let mut problems = Vec::new();
    for c in TABLE {
        let checks: [(&str, &[&str], Check); 4] = [
            ("Rust", c.rust, rust_has),
            ("C", c.c, c_has),
            ("Python", c.python, python_has),
            ("Pascal", c.c, pascal_has),
        ];
        for (language, entries, check) in checks {
            for entry in entries {
                let pending = language == "Python" && PYTHON_PENDING.contains(entry);
                match (check(&s, entry), pending) {
                    (Err(why), false) => problems.push(format!("{}: {language}: {why}", c.concept)),
                    (Ok(()), true) => problems.push(format!(
                        "{}: Python now has `{entry}`: take it off PYTHON_PENDING",
                        c.concept
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "names out of step:\n{}",
        problems.join("\n")
    );
}

/// The checks are not vacuous: a missing name, parameter or key fails each of them.
#[test]
fn the_checks_reject_names_that_do_not_exist() {
    let s = sources();
    let cases: [(&str, Check, &[&str]); 4] = [
        (
            "Rust",
            rust_has,
            &[
                "no_such_fn",
                "NoSuchType",
                "OAuthError.no_such",
                "TokenSet.access_token",
            ],
        ),
        (
            "C",
            c_has,
            &[
                "authgate_no_such",
                "authgate_client_authorization",
                "authgate_client_refresh(no_such_param)",
                "authgate_manager_new{no_such_key}",
                "AUTHGATE_NO_SUCH",
            ],
        ),
        (
            "Python",
            python_has,
            &[
                "no_such_fn",
                "NoSuchClass",
                "Client.no_such",
                "Client.refresh(no_such_param)",
            ],
        ),
        (
            "Pascal",
            pascal_has,
            &[
                "authgate_client_authorization",
                "authgate_client_refresh(no_such_param)",
                "AUTHGATE_NO_SUCH",
            ],
        ),
    ];
    for (language, check, names) in cases {
        for name in names {
            assert!(check(&s, name).is_err(), "{language}: `{name}` passes");
        }
    }
}

#[test]
fn pending_python_names_are_in_the_table() {
    for p in PYTHON_PENDING {
        assert!(
            TABLE.iter().any(|c| c.python.contains(p)),
            "`{p}` is pending but not in the table"
        );
    }
}

#[test]
fn deprecated_c_names_say_what_replaces_them() {
    let s = sources();
    for (old, new) in C_DEPRECATED {
        let (_, doc) = c_declaration(&s.header, old).unwrap_or_else(|| panic!("no `{old}`"));
        let first = doc
            .trim_start_matches("/**")
            .trim_start()
            .trim_start_matches("* ");
        assert!(
            first.starts_with(&format!("Deprecated: use `{new}`")),
            "the doc of `{old}` must start with \"Deprecated: use `{new}`\", it is: {doc}"
        );
        assert!(c_declaration(&s.header, new).is_some(), "no `{new}`");
        for name in [old, new] {
            assert!(
                pascal_has(&s, name).is_ok(),
                "the Pascal unit lacks `{name}`"
            );
        }
    }
}

/// Each function the header declares as deprecated is in [`C_DEPRECATED`].
#[test]
fn every_deprecated_c_function_is_listed() {
    let s = sources();
    let mut found = Vec::new();
    for (at, _) in s.header.match_indices("* Deprecated: use `") {
        let decl_at = at + s.header[at..].find("*/").unwrap();
        let decl = &s.header[decl_at..];
        let name = decl[..decl.find('(').unwrap()]
            .rsplit([' ', '*'])
            .next()
            .unwrap();
        found.push(name.to_owned());
    }
    for name in &found {
        assert!(
            C_DEPRECATED.iter().any(|(old, _)| old == name),
            "`{name}` is marked deprecated in the header but not listed in C_DEPRECATED"
        );
    }
    assert_eq!(
        found.len(),
        C_DEPRECATED.len(),
        "deprecated in the header: {found:?}"
    );
}

/// The names README's "API conventions" promise are the same everywhere are in the table.
#[test]
fn the_readme_list_of_shared_names_is_covered() {
    let readme = read(&root().join("README.md"));
    let start = readme
        .find("**One concept, one name**")
        .expect("README list");
    let list = &readme[start..start + readme[start..].find(" are the same in").unwrap()];
    let names: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    assert!(names.len() > 10, "{names:?}");
    for n in names {
        let covered = TABLE
            .iter()
            .any(|c| c.rust.contains(&n) || c.python.iter().any(|p| split(p).0 == n));
        assert!(
            covered,
            "README names `{n}` but the name table has no such concept"
        );
    }
}

/// Presets, client authentication methods and Basic encodings have one documented
/// spelling each (plus the older spellings their docs name); no undocumented alias.
#[test]
fn preset_and_encoding_names_have_no_undocumented_alias() {
    use authgate_core::{AuthMethod, BasicEncoding, Provider};
    for p in Provider::ALL {
        assert_eq!(Provider::from_name(p.name()), Some(p));
        assert_eq!(Provider::from_name(&p.name().to_uppercase()), Some(p));
    }
    assert_eq!(
        Provider::from_name("kontur_extern"),
        Some(Provider::KonturExtern)
    );
    for alias in [
        "gc_auth",
        "gc.auth",
        "konturextern",
        "kontur-extern",
        "Kontur Extern",
    ] {
        assert_eq!(Provider::from_name(alias), None, "{alias}");
    }
    for m in [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::None,
    ] {
        assert_eq!(AuthMethod::from_name(m.name()), Some(m));
    }
    assert_eq!(
        AuthMethod::from_name("basic"),
        Some(AuthMethod::ClientSecretBasic)
    );
    assert_eq!(
        AuthMethod::from_name("post"),
        Some(AuthMethod::ClientSecretPost)
    );
    assert_eq!(AuthMethod::from_name("client-secret-basic"), None);
    assert_eq!(
        BasicEncoding::from_name("form"),
        Some(BasicEncoding::FormUrlEncoded)
    );
    assert_eq!(BasicEncoding::from_name("raw"), Some(BasicEncoding::Raw));
    assert_eq!(
        BasicEncoding::from_name("form_urlencoded"),
        Some(BasicEncoding::FormUrlEncoded)
    );
    assert_eq!(BasicEncoding::from_name("form-urlencoded"), None);
}

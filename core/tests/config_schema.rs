//! The core's option table (`authgate::CONFIG_OPTIONS`) against everything else that lists
//! the options: the C header, the Python stubs, the README's list and
//! docs/configuration.md (whose table is generated from it: regenerate with
//! `AUTHGATE_BLESS=1 cargo test -p authgate --test config_schema`). An option added in
//! one place and not the others fails here.

use std::collections::BTreeSet;
use std::path::PathBuf;

use authgate::{ConfigOption, OptionType, CONFIG_OPTIONS};

fn repo_file(path: &str) -> (PathBuf, String) {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"));
    (full, text)
}

/// The text between `start` and the next `end` after it.
fn between<'t>(text: &'t str, start: &str, end: &str) -> &'t str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not found"))
        + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("`{end}` not found after `{start}`"));
    &text[from..from + to]
}

/// Every `backticked` word of a text, in order.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn keys() -> Vec<&'static str> {
    CONFIG_OPTIONS.iter().map(ConfigOption::key).collect()
}

// ---------------------------------------------------------------------------------------
// C: include/authgate.h

/// The C function that sets an option, and the C type of its value parameter.
fn c_setter(o: &ConfigOption) -> (String, &'static str) {
    let key = o.key();
    match o.option_type() {
        _ if o.is_preset() => ("authgate_config_new_by_name".into(), "const char *"),
        OptionType::Params => (
            format!("authgate_config_add_{}", key.trim_end_matches('s')),
            "const char *",
        ),
        ty => (
            format!("authgate_config_set_{key}"),
            match ty {
                OptionType::Bool => "int32_t",
                OptionType::Millis | OptionType::Integer => "uint64_t",
                // The C setters take the names as AUTHGATE_* numbers.
                OptionType::Choice(_) => "uint32_t",
                _ => "const char *",
            },
        ),
    }
}

/// The declaration of `function` in the header: its parameter list.
fn c_parameters<'h>(header: &'h str, function: &str) -> Option<&'h str> {
    let at = header.find(&format!(" {function}("))? + function.len() + 2;
    Some(&header[at..at + header[at..].find(')')?])
}

#[test]
fn every_option_has_its_c_setter_and_every_setter_an_option() {
    let (_, header) = repo_file("include/authgate.h");
    let mut problems = Vec::new();
    let mut expected = BTreeSet::new();
    for o in CONFIG_OPTIONS {
        let (function, ty) = c_setter(o);
        match c_parameters(&header, &function) {
            None => problems.push(format!("`{}`: no {function} in the header", o.key())),
            Some(params) => {
                // The object first (for a preset: the name), then the value.
                let value = params.split(',').nth(if o.is_preset() { 0 } else { 1 });
                if !value.is_some_and(|p| p.trim().starts_with(ty)) {
                    problems.push(format!("{function}({params}): the value should be {ty}"));
                }
            }
        }
        expected.insert(function);
    }
    // A setter without a row would be an option JSON does not know.
    for prefix in ["authgate_config_set_", "authgate_config_add_"] {
        let declaration = format!("authgate_result {prefix}");
        for (i, _) in header.match_indices(&declaration) {
            let name = &header[i + "authgate_result ".len()..];
            let name = &name[..name.find('(').unwrap()];
            if !expected.contains(name) {
                problems.push(format!("{name} sets no option of CONFIG_OPTIONS"));
            }
        }
    }
    // The JSON path is the other half of the convention the header's top comment states.
    assert!(c_parameters(&header, "authgate_config_new_from_json").is_some());
    assert!(header.contains("docs/configuration.md"));
    assert!(problems.is_empty(), "{problems:#?}");
}

// ---------------------------------------------------------------------------------------
// Python: python/authgate/_native.pyi

/// The parameters of `def <function>(` inside `class Client:` of the stubs: (name,
/// annotation) in order, and the docstring that follows.
fn pyi_parameters<'p>(pyi: &'p str, function: &str) -> (Vec<(&'p str, &'p str)>, &'p str) {
    let class = between(pyi, "\nclass Client:", "\nclass ");
    let start = format!("def {function}(");
    let params = between(class, &start, ") -> Client:");
    let doc = between(between(class, &start, "\n    @"), "\"\"\"", "\"\"\"");
    let params = params
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "*," && *l != "cls,")
        .map(|l| {
            let (name, rest) = l.split_once(':').unwrap_or((l.trim_end_matches(','), ""));
            let annotation = rest.rsplit_once('=').map_or(rest, |(a, _)| a);
            (name.trim(), annotation.trim().trim_end_matches(','))
        })
        .collect();
    (params, doc)
}

/// The annotation with the stubs' private aliases (`_Scopes = …`) written out.
fn expand_aliases(pyi: &str, annotation: &str) -> String {
    let mut out = annotation.to_owned();
    for line in pyi
        .lines()
        .filter(|l| l.starts_with('_') && l.contains(" = "))
    {
        let (alias, definition) = line.split_once(" = ").unwrap();
        out = out.replace(alias, definition);
    }
    out
}

fn pyi_type_matches(pyi: &str, o: &ConfigOption, annotation: &str) -> bool {
    let a = expand_aliases(pyi, annotation);
    match o.option_type() {
        OptionType::Bool => a == "Optional[bool]",
        OptionType::Integer => a == "Optional[int]",
        OptionType::Millis => a.contains("float") && a.contains("datetime.timedelta"),
        OptionType::Scopes => a.contains("str") && a.contains("Iterable[str]"),
        OptionType::Params => a.contains("Mapping[str, str]"),
        OptionType::Choice(names) => names.iter().all(|n| a.contains(&format!("\"{n}\""))),
        _ => a.contains("str"),
    }
}

#[test]
fn the_python_client_takes_every_option_as_a_keyword() {
    let (_, pyi) = repo_file("python/authgate/_native.pyi");
    let names: Vec<&str> = CONFIG_OPTIONS.iter().map(ConfigOption::name).collect();
    let mut problems = Vec::new();

    let (params, doc) = pyi_parameters(&pyi, "__new__");
    let got: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
    if got != names {
        problems.push(format!(
            "Client.__new__ takes {got:?}, the table says {names:?}"
        ));
    }
    for (name, annotation) in &params {
        let Some(o) = CONFIG_OPTIONS.iter().find(|o| o.name() == *name) else {
            continue;
        };
        if !pyi_type_matches(&pyi, o, annotation) {
            problems.push(format!(
                "Client.__new__: {name}: {annotation} does not fit a value of type {}",
                o.option_type()
            ));
        }
        if !doc.contains(&format!("\n            {name}: ")) {
            problems.push(format!(
                "Client.__new__'s docstring does not describe {name}"
            ));
        }
    }

    // Client.discover(issuer, provider=None, *, …): the same keywords but the issuer.
    let (params, _) = pyi_parameters(&pyi, "discover");
    let got: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
    let want: Vec<&str> = std::iter::once("issuer")
        .chain(names.iter().copied().filter(|n| *n != "issuer"))
        .collect();
    if got != want {
        problems.push(format!("Client.discover takes {got:?}, expected {want:?}"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

// ---------------------------------------------------------------------------------------
// The documentation

#[test]
fn the_readme_lists_every_option() {
    let (_, readme) = repo_file("README.md");
    let list = between(&readme, "The\n  options, as JSON keys:", "(durations");
    assert_eq!(backticked(list), keys(), "README's option list");
}

/// The generated table of docs/configuration.md.
fn docs_table() -> String {
    let mut out = String::from(
        "| JSON key, C setter | Rust, Python | type | default | what |\n|---|---|---|---|---|\n",
    );
    for o in CONFIG_OPTIONS {
        let ty = match o.option_type() {
            OptionType::Choice(names) => names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            ty => ty.to_string(),
        };
        out += &format!(
            "| `{}` | `{}` | {ty} | {} | {} |\n",
            o.key(),
            o.name(),
            o.default(),
            o.doc()
        );
    }
    out
}

#[test]
fn docs_configuration_has_the_generated_table() {
    const BEGIN: &str = "<!-- BEGIN options: generated from authgate::CONFIG_OPTIONS; regenerate with AUTHGATE_BLESS=1 cargo test -p authgate --test config_schema -->\n";
    const END: &str = "<!-- END options -->";
    let (path, text) = repo_file("docs/configuration.md");
    let committed = between(&text, BEGIN, END);
    let fresh = docs_table();
    if std::env::var_os("AUTHGATE_BLESS").is_some_and(|v| v == "1") {
        let (head, tail) = text.split_once(BEGIN).unwrap();
        let tail = &tail[tail.find(END).unwrap()..];
        std::fs::write(&path, format!("{head}{BEGIN}{fresh}{tail}")).unwrap();
        return;
    }
    assert_eq!(
        committed, fresh,
        "docs/configuration.md is stale: AUTHGATE_BLESS=1 cargo test -p authgate --test config_schema"
    );
}

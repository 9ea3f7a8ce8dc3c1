//! The committed header `include/authgate.h` must equal a fresh cbindgen generation.
//! `AUTHGATE_BLESS=1 cargo test -p authgate-ffi --test header` rewrites it.

use std::path::{Path, PathBuf};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    manifest_dir().join("../include/authgate.h")
}

fn version_macros() -> String {
    format!(
        "\n#define AUTHGATE_VERSION_MAJOR {}\n#define AUTHGATE_VERSION_MINOR {}\n#define AUTHGATE_VERSION_PATCH {}\n#define AUTHGATE_VERSION_STRING \"{}\"\n",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION"),
    )
}

fn generate() -> String {
    let mut config = cbindgen::Config::from_file(manifest_dir().join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml");
    config.after_includes = Some(version_macros());
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(manifest_dir().join("src/lib.rs"))
        .generate()
        .expect("cbindgen generation");
    let mut out = Vec::new();
    bindings.write(&mut out);
    let header = String::from_utf8(out).expect("UTF-8 header");
    // cbindgen ends its `extern "C"` guards with `// __cplusplus`, which C89 does not
    // have: the header must compile first-included with -std=c89 -pedantic.
    header
        .replace("#endif  // __cplusplus", "#endif /* __cplusplus */")
        .replace("#endif // __cplusplus", "#endif /* __cplusplus */")
}

#[test]
fn committed_header_is_fresh() {
    let fresh = generate();
    let path = header_path();
    if std::env::var_os("AUTHGATE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("write include/authgate.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .map_or(committed.lines().count().min(fresh.lines().count()), |n| n);
        panic!(
            "include/authgate.h is stale (first difference at line {}); regenerate with \
             AUTHGATE_BLESS=1 cargo test -p authgate-ffi --test header",
            line + 1
        );
    }
}

#[test]
fn version_macros_match_cargo() {
    let header = std::fs::read_to_string(header_path()).expect("include/authgate.h");
    for (name, value) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define AUTHGATE_VERSION_{name} {value}\n");
        assert!(header.contains(&line), "missing `{}`", line.trim());
    }
}

#[test]
fn every_exported_function_is_declared_and_documented() {
    let header = generate();
    let src_dir = manifest_dir().join("src");
    let mut count = 0;
    for entry in std::fs::read_dir(&src_dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim() != "#[no_mangle]" {
                continue;
            }
            let sig = lines.next().unwrap_or("");
            let name = sig
                .split("fn ")
                .nth(1)
                .and_then(|s| s.split('(').next())
                .unwrap_or_else(|| panic!("cannot read `{sig}`"));
            let decl = format!("{name}(");
            // The declaration: a line that is not inside a comment.
            let mut offset = 0;
            let mut at = None;
            for l in header.split_inclusive('\n') {
                let t = l.trim_start();
                let declares = l.contains(&format!(" {decl}")) || l.contains(&format!("*{decl}"));
                if !t.starts_with('*') && !t.starts_with("/*") && declares {
                    at = Some(offset);
                    break;
                }
                offset += l.len();
            }
            let at = at.unwrap_or_else(|| panic!("{name} is not declared in the header"));
            let before = &header[..at];
            let doc_end = before.rfind("*/").unwrap_or(0);
            let since_doc = &before[doc_end..];
            assert!(
                !since_doc.contains(';'),
                "{name} has no doc comment in the header"
            );
            count += 1;
        }
    }
    assert!(count > 60, "only {count} exported functions found");
}

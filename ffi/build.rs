//! Gives the Linux shared library a versioned SONAME (`libauthgate.so.0`), so programs
//! linked against it keep working across compatible upgrades. Other platforms need nothing.
//!
//! On x86_64 Linux with Rust's own linker (rust-lld, the default since Rust 1.90), or with
//! zig's for the shipped library (`scripts/dist.sh`), release builds also get their hot
//! functions packed at the start of `.text` (`hot-symbols.txt`, made by
//! `scripts/hot-symbols.sh`, as a linker script): the kernel maps code in 64 KiB windows
//! around each page used, so code used together costs far fewer resident pages. rust-lld
//! also writes a map (`libauthgate.map` in this script's `OUT_DIR`) that
//! `scripts/hot-symbols.sh --check` reads to see that the list still matches the build.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    if matches!(
        os.as_str(),
        "linux" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libauthgate.so.{major}");
    }
    hot_symbols();
}

/// Hands `hot-symbols.txt` to the linker, as a linker script that places the listed
/// functions first (see [`hot_text_script`]), for release-like builds on x86_64 Linux
/// with rust-lld (rustc's default) or, when `AUTHGATE_HOT_TEXT=1` says the configured
/// linker is lld too (zig's, in `scripts/dist.sh`), with that one.
fn hot_symbols() {
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("hot-symbols.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    for var in [
        "RUSTFLAGS",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
        "AUTHGATE_NO_HOT_SYMBOLS",
        "AUTHGATE_HOT_TEXT",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let out = Path::new(&var("OUT_DIR")).to_owned();
    // A map from an earlier build must not vouch for this one.
    let map = out.join("libauthgate.map");
    let _ = std::fs::remove_file(&map);
    let lld = default_lld();
    if var("TARGET") != "x86_64-unknown-linux-gnu"
        || var("PROFILE") != "release"
        || std::env::var_os("AUTHGATE_NO_HOT_SYMBOLS").is_some()
        || !(lld || var("AUTHGATE_HOT_TEXT") == "1")
    {
        return;
    }
    let Ok(names) = std::fs::read_to_string(&list) else {
        return;
    };
    let script = out.join("hot-text.ld");
    std::fs::write(&script, hot_text_script(&names)).expect("write hot-text.ld to OUT_DIR");
    // -Xlinker pairs: a path holding a comma would be split by -Wl.
    let mut args = vec!["-T".to_owned(), script.display().to_string()];
    if lld {
        // What `scripts/hot-symbols.sh --check` reads (zig's linker writes no map).
        args.push(format!("-Map={}", map.display()));
    }
    for arg in args {
        println!("cargo:rustc-cdylib-link-arg=-Xlinker");
        println!("cargo:rustc-cdylib-link-arg={arg}");
    }
}

/// A linker script for lld (rust-lld, zig's) whose `.text` starts with each listed
/// function's own input section (`.text.NAME`, or `.text.unlikely.NAME` for a cold one) in
/// the list's order, then holds the rest as the default layout would; everything else
/// keeps that layout (`INSERT AFTER .eh_frame`, where lld puts `.text`). One `.text`, so
/// valgrind and other tools that know code by that section still name the object.
/// The kernel maps code in 64 KiB windows around each page a program uses, so the code a
/// C client runs, packed, keeps about 1.2 MB less of the library resident.
///
/// A legacy-mangled name's hash (`17h` and 16 hex digits) matches any: it differs between
/// the release and dist profiles and targets while the function's path does not, so one
/// list serves every release-like build. Names that match no section are ignored.
fn hot_text_script(list: &str) -> String {
    let mut script = String::from(
        "/* Made by ffi/build.rs from ffi/hot-symbols.txt. */\nSECTIONS\n{\n  .text :\n  {\n",
    );
    for name in list.lines().map(str::trim) {
        if name.is_empty() || name.starts_with('#') || !name.bytes().all(script_safe) {
            continue;
        }
        let name = match name.len().checked_sub(20).map(|i| name.split_at(i)) {
            Some((path, hash))
                if hash.starts_with("17h") && hash.ends_with('E') && path.starts_with("_ZN") =>
            {
                format!("{path}17h????????????????E")
            }
            _ => name.to_owned(),
        };
        script.push_str(&format!("    *(.text.{name} .text.unlikely.{name})\n"));
    }
    script.push_str("    *(.text .text.*)\n  }\n}\nINSERT AFTER .eh_frame;\n");
    script
}

/// A character a mangled name may hold that a linker script reads as part of the name.
fn script_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.')
}

/// Whether this build links with rust-lld as rustc chooses it by default: rustc 1.90 or
/// newer, no linker of the user's (Cargo's `linker` setting, `-C linker`, `-fuse-ld`), and
/// neither `-Clinker-features=-lld` nor `-Clink-self-contained=-linker`.
fn default_lld() -> bool {
    // Cargo's resolved `linker` setting (config or environment), and the variable itself.
    if [
        "RUSTC_LINKER",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some())
    {
        return false;
    }
    let mut flags: Vec<String> = std::env::var("CARGO_ENCODED_RUSTFLAGS")
        .unwrap_or_default()
        .split('\x1f')
        .map(str::to_owned)
        .collect();
    flags.extend(
        std::env::var("RUSTFLAGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned),
    );
    // "-C x" and "-Cx" alike.
    let joined = flags.join(" ").replace("-C ", "-C").replace("-Z ", "-Z");
    let own_linker = joined.split(' ').any(|f| {
        f.starts_with("-Clinker=")
            || f.starts_with("-Clinker-flavor")
            || (f.contains("linker-features=") && f.contains("-lld"))
            || (f.contains("link-self-contained=") && f.contains("-linker"))
            || f.contains("-fuse-ld")
    });
    !own_linker && rustc_minor().is_some_and(|minor| minor >= 90)
}

/// The minor version of the rustc that builds this crate (`1.N.x`).
fn rustc_minor() -> Option<u32> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}

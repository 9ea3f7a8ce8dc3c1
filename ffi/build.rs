//! Gives the Linux shared library a versioned SONAME (`libauthgate.so.0`), so programs
//! linked against it keep working across compatible upgrades. Other platforms need nothing.
//!
//! On x86_64 Linux with Rust's own linker (rust-lld, the default since Rust 1.90), the
//! release library also gets its hot functions packed at the start of `.text`
//! (`hot-symbols.txt`, made by `scripts/hot-symbols.sh`): the kernel maps code in 64 KiB
//! windows around each page used, so code used together costs far fewer resident pages.
//! The linker also writes a map (`libauthgate.map` in this script's `OUT_DIR`) that
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

/// Passes `hot-symbols.txt` to the linker when the linker is rust-lld and the build is a
/// release one (the listed names are those of the release profile); nothing otherwise.
fn hot_symbols() {
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("hot-symbols.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    for var in [
        "RUSTFLAGS",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
        "AUTHGATE_NO_HOT_SYMBOLS",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    // A map from an earlier build must not vouch for this one.
    let map = Path::new(&var("OUT_DIR")).join("libauthgate.map");
    let _ = std::fs::remove_file(&map);
    if var("TARGET") != "x86_64-unknown-linux-gnu"
        || var("PROFILE") != "release"
        || std::env::var_os("AUTHGATE_NO_HOT_SYMBOLS").is_some()
        || !list.is_file()
        || !default_lld()
    {
        return;
    }
    // -Xlinker pairs: a path holding a comma would be split by -Wl.
    for arg in [
        "--no-warn-symbol-ordering".to_owned(),
        format!("--symbol-ordering-file={}", list.display()),
        format!("-Map={}", map.display()),
    ] {
        println!("cargo:rustc-cdylib-link-arg=-Xlinker");
        println!("cargo:rustc-cdylib-link-arg={arg}");
    }
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

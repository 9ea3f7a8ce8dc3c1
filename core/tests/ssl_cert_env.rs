//! `SSL_CERT_FILE` / `SSL_CERT_DIR` take the place of the bundled roots when set, as for
//! OpenSSL-based clients; a configured `ca_file` still wins.
//!
//! This binary changes the process environment, so it holds one test only: no other test
//! can race with it.

mod common;

use authgate::{Error, TrustRoots};
use authgate_emulator::tls::{file, serve_token_answers, server_config_for};

fn sign_in(base: &str, roots: TrustRoots) -> Result<(), Error> {
    common::https_client(base, roots)?
        .password("admin", "admin")
        .send()
        .map(|_| ())
}

#[test]
fn the_openssl_variables_replace_the_bundled_roots() {
    let private_ca = serve_token_answers(server_config_for("server"), "127.0.0.1");
    let self_signed = serve_token_answers(server_config_for("self-signed"), "127.0.0.1");
    let set = |file_var: Option<std::path::PathBuf>, dir_var: Option<std::path::PathBuf>| {
        match file_var {
            Some(f) => std::env::set_var("SSL_CERT_FILE", f),
            None => std::env::remove_var("SSL_CERT_FILE"),
        }
        match dir_var {
            Some(d) => std::env::set_var("SSL_CERT_DIR", d),
            None => std::env::remove_var("SSL_CERT_DIR"),
        }
    };

    set(None, None);
    let err = sign_in(&private_ca, TrustRoots::Bundled).unwrap_err();
    assert!(
        err.to_string().contains("not in the bundled Mozilla roots"),
        "{err}"
    );

    set(Some(file("ca.pem")), None);
    sign_in(&private_ca, TrustRoots::Bundled).unwrap();
    // A configured CA file wins over the variable.
    let err = sign_in(&private_ca, TrustRoots::CaFile(file("expired-ca.pem"))).unwrap_err();
    assert!(err.to_string().contains("expired-ca.pem"), "{err}");

    // A self-signed certificate in SSL_CERT_FILE is trusted as curl trusts it.
    set(Some(file("self-signed.pem")), None);
    sign_in(&self_signed, TrustRoots::Bundled).unwrap();

    let dir = std::env::temp_dir().join(format!("authgate-ssl-cert-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(file("ca.pem"), dir.join("5e8f16f4.0")).unwrap();
    std::fs::write(dir.join("README"), "not a certificate").unwrap();
    set(None, Some(dir.clone()));
    sign_in(&private_ca, TrustRoots::Bundled).unwrap();
    let err = sign_in(&self_signed, TrustRoots::Bundled).unwrap_err();
    assert!(
        err.to_string().contains("SSL_CERT_DIR") && err.to_string().contains("ca_file"),
        "{err}"
    );

    // Both set, as a Debian system sets them: the folder holds the bundle's certificates
    // again (its hashed links), which is no reason to refuse it.
    set(Some(file("ca.pem")), Some(dir.clone()));
    sign_in(&private_ca, TrustRoots::Bundled).unwrap();

    // A variable naming nothing usable is a configuration error that says so.
    set(Some(dir.join("missing.pem")), None);
    let err = sign_in(&private_ca, TrustRoots::Bundled).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("SSL_CERT_FILE"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

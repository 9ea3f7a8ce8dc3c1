//! The sealed form of a stored token set: ChaCha20-Poly1305 under a caller's 32-byte key,
//! with a random nonce per save (format `chacha20-poly1305/1`). Shared by the file store
//! and the Redis store, so one key option means one format everywhere.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::aead;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::token_set::TokenSet;

/// The format of a sealed set (its `authgate_store` field), also the authenticated data of
/// the seal.
const SEALED_FORMAT: &str = "chacha20-poly1305/1";

/// A store's key, wiped when the last store using it is dropped.
pub(crate) struct StoreKey([u8; 32]);

impl StoreKey {
    /// The key, shared by a store and its clones.
    pub(crate) fn new(key: [u8; 32]) -> Arc<StoreKey> {
        Arc::new(StoreKey(key))
    }

    /// A key given as a slice, which must be 32 bytes long ([`Error::InvalidArgument`]
    /// otherwise): for the bindings.
    pub(crate) fn from_slice(key: &[u8]) -> Result<[u8; 32]> {
        key.try_into().map_err(|_| {
            Error::InvalidArgument(format!(
                "a token store key must be 32 bytes long, not {}",
                key.len()
            ))
        })
    }

    /// The AEAD key.
    fn aead(&self) -> Result<aead::LessSafeKey> {
        aead::UnboundKey::new(&aead::CHACHA20_POLY1305, &self.0)
            .map(aead::LessSafeKey::new)
            .map_err(|_| Error::store("cannot use the token store's key"))
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The stored text for `tokens`: the set's JSON, sealed if there is a key.
pub(crate) fn seal(key: Option<&StoreKey>, tokens: &TokenSet) -> Result<String> {
    let mut json = tokens.to_json().into_bytes();
    let Some(key) = key else {
        return Ok(String::from_utf8(json).unwrap_or_default());
    };
    let mut nonce = [0u8; aead::NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| Error::store("the OS random source failed"))?;
    let sealed = key.aead()?.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(SEALED_FORMAT),
        &mut json,
    );
    if sealed.is_err() {
        json.zeroize();
        return Err(Error::store("cannot encrypt the token set"));
    }
    let text = serde_json::json!({
        "authgate_store": SEALED_FORMAT,
        "nonce": URL_SAFE_NO_PAD.encode(nonce),
        "ciphertext": URL_SAFE_NO_PAD.encode(&json),
    })
    .to_string();
    Ok(text)
}

/// The set in the stored `text`, unsealed if it is sealed. `place` names where it was read
/// (a file, a Redis key) in messages; `opener` names how to give the key
/// (`FileStore::encrypted`). A plain set (stored before encryption was turned on) is read.
pub(crate) fn unseal(
    key: Option<&StoreKey>,
    text: &str,
    place: &str,
    opener: &str,
) -> Result<TokenSet> {
    let not_a_set = || {
        Error::store(format!(
            "{place} does not hold a token set (not written by authgate?)"
        ))
    };
    let sealed = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(|v| v.get("authgate_store").is_some());
    let Some(sealed) = sealed else {
        return TokenSet::from_json(text).map_err(|_| not_a_set());
    };
    let Some(key) = key else {
        return Err(Error::store(format!(
            "{place} is encrypted: open it with its key ({opener})"
        )));
    };
    if sealed["authgate_store"] != SEALED_FORMAT {
        return Err(Error::store(format!(
            "{place} is in an encrypted format this version does not know (a newer authgate \
             wrote it?)"
        )));
    }
    let field = |name: &str| {
        sealed[name]
            .as_str()
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .ok_or_else(not_a_set)
    };
    let nonce: [u8; aead::NONCE_LEN] = field("nonce")?.try_into().map_err(|_| not_a_set())?;
    let mut data = field("ciphertext")?;
    let opened = key
        .aead()?
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(SEALED_FORMAT),
            &mut data,
        )
        .map(|plain| std::str::from_utf8(plain).map(TokenSet::from_json));
    let result = match opened {
        Ok(Ok(Ok(tokens))) => Ok(tokens),
        Ok(_) => Err(not_a_set()),
        Err(_) => Err(Error::store(format!(
            "the key does not match {place} (it was encrypted with another key, or altered): \
             use the key it was saved with, or clear it and sign in again"
        ))),
    };
    data.zeroize();
    result
}

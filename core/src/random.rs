//! Random values (state, nonce, PKCE verifier, file names) from the operating system's
//! source, read when needed: never from a generator seeded once, whose state a `fork()`ed
//! POS process would share with its parent.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};

/// Up to 64 bytes read from the OS random source at once, handed out in pieces.
pub(crate) struct RandomBytes {
    bytes: [u8; 64],
    used: usize,
}

impl RandomBytes {
    /// Reads `n` bytes (at most 64) in one call to the OS source.
    pub(crate) fn read(n: usize) -> Result<RandomBytes> {
        let mut bytes = [0u8; 64];
        if n > 0 {
            SystemRandom::new()
                .fill(&mut bytes[..n.min(64)])
                .map_err(|_| Error::Config("the OS random source failed".into()))?;
        }
        Ok(RandomBytes { bytes, used: 0 })
    }

    /// The next `n` bytes, base64url-encoded without padding.
    pub(crate) fn token(&mut self, n: usize) -> String {
        let piece = &self.bytes[self.used..self.used + n];
        self.used += n;
        URL_SAFE_NO_PAD.encode(piece)
    }
}

impl Drop for RandomBytes {
    fn drop(&mut self) {
        // They became a state and a PKCE verifier: no copy stays behind.
        zeroize::zeroize_bytes(&mut self.bytes);
    }
}

/// `n` random bytes (at most 64) from the OS source, base64url-encoded without padding.
pub(crate) fn random_token(n: usize) -> Result<String> {
    let n = n.min(64);
    Ok(RandomBytes::read(n)?.token(n))
}

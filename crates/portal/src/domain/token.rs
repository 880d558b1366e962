//! Secrets handed to users once (links, session ids) and the hashes that are stored
//! instead of them.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A secret handed to a user once (recovery and confirmation links, session ids):
/// 256 bits from the operating system's CSPRNG, base64url. It never prints; only its
/// [`TokenHash`] is ever stored.
pub struct SecretToken(SecretString);

impl SecretToken {
    /// Draws a new token from `OsRng`.
    pub fn generate() -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| anyhow::anyhow!("the OS random number generator failed: {e}"))?;
        Ok(Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// Wraps a token received from a client. Anything is accepted: an unknown token
    /// simply has no matching hash.
    pub fn from_client(s: &str) -> Self {
        Self(SecretString::from(s.trim().to_owned()))
    }

    /// The text to put in a link or a cookie.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The SHA-256 of the token, the only form that is stored.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(
            self.0.expose_secret().as_bytes(),
        )))
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken([REDACTED])")
    }
}

/// Hex SHA-256 of a [`SecretToken`]: what the database holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(String);

impl TokenHash {
    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_differ() {
        let a = SecretToken::generate().unwrap();
        let b = SecretToken::generate().unwrap();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn only_the_hash_is_derived_and_it_is_stable() {
        let t = SecretToken::generate().unwrap();
        let again = SecretToken::from_client(t.expose());
        assert_eq!(t.hash(), again.hash());
        assert_eq!(t.hash().as_str().len(), 64);
        assert!(!t.hash().as_str().contains(t.expose()));
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let t = SecretToken::generate().unwrap();
        assert!(!format!("{t:?}").contains(t.expose()));
    }
}

//! A stored password hash, and what can go wrong computing one.

use std::fmt;

/// An Argon2id hash as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Accepts a stored PHC string.
    pub fn parse(s: &str) -> Result<Self, HashError> {
        argon2::PasswordHash::new(s).map_err(|e| HashError::Invalid(e.to_string()))?;
        Ok(Self(s.to_owned()))
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hash is not the password but still an offline-cracking target: keep it out
        // of logs.
        f.write_str("PasswordHash([REDACTED])")
    }
}

/// Failures of hashing itself (not a wrong password).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// A stored hash is not a PHC string.
    #[error("stored password hash is not a valid PHC string: {0}")]
    Invalid(String),
    /// Argon2 refused the input or parameters.
    #[error("argon2: {0}")]
    Argon2(String),
    /// A hashing thread failed (the job panicked) or the pool has stopped.
    #[error("hashing task failed: {0}")]
    Join(String),
    /// Too many hashes are waiting for a thread: try again in a moment.
    #[error("too many password hashes are waiting")]
    Busy,
}

impl PasswordHash {
    /// A PHC string this process has just computed (not parsed from storage).
    pub(crate) fn computed(phc: String) -> Self {
        Self(phc)
    }
}

use std::fmt;
use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::Password;

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
    /// The blocking task died.
    #[error("hashing task failed: {0}")]
    Join(String),
}

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Wrong password, or no such account (checked against a dummy hash).
    Mismatch,
    /// Right password; `needs_rehash` when the stored hash used other parameters.
    Match {
        /// The stored hash should be replaced by one with the current parameters.
        needs_rehash: bool,
    },
}

/// Hashes and verifies passwords with Argon2id off the async runtime
/// (`spawn_blocking`), at most `max_concurrent` at a time so that a burst of log-ins
/// queues instead of exhausting memory (each hash takes `m` KiB).
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: PasswordHash,
}

impl PasswordHasher {
    /// Builds the hasher and computes the dummy hash verified for unknown accounts, so
    /// that a log-in costs the same whether the account exists or not.
    pub async fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        max_concurrent: usize,
    ) -> Result<Self, HashError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        let mut hasher = Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: PasswordHash(String::new()),
        };
        let dummy_password =
            super::SecretToken::generate().map_err(|e| HashError::Argon2(e.to_string()))?;
        hasher.dummy = hasher
            .hash(&Password::for_verification(dummy_password.expose()))
            .await?;
        Ok(hasher)
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Runs `work` on a blocking thread once a hashing permit is free: Argon2 never runs
    /// on the async workers, and at most `max_concurrent` hashes hold their memory.
    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError::Join(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError::Join(e.to_string()))?
    }

    /// Hashes with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let secret = SecretString::from(password.expose().to_owned());
        let params = self.params.clone();
        self.bounded(move || {
            Self::argon2(params)
                .hash_password(secret.expose_secret().as_bytes())
                .map(|h| PasswordHash(h.to_string()))
                .map_err(|e| HashError::Argon2(e.to_string()))
        })
        .await
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no
    /// account (same cost, always [`Verification::Mismatch`]).
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&PasswordHash>,
    ) -> Result<Verification, HashError> {
        let exists = stored.is_some();
        let phc = stored.unwrap_or(&self.dummy).0.clone();
        let secret = SecretString::from(password.expose().to_owned());
        let current = self.params.clone();
        self.bounded(move || {
            let parsed =
                argon2::PasswordHash::new(&phc).map_err(|e| HashError::Invalid(e.to_string()))?;
            let ok = Self::argon2(current.clone())
                .verify_password(secret.expose_secret().as_bytes(), &parsed)
                .is_ok();
            if !(ok && exists) {
                return Ok(Verification::Mismatch);
            }
            let same_params = parsed.algorithm.as_str() == "argon2id"
                && Params::try_from(&parsed).is_ok_and(|p| {
                    p.m_cost() == current.m_cost()
                        && p.t_cost() == current.t_cost()
                        && p.p_cost() == current.p_cost()
                });
            Ok(Verification::Match {
                needs_rehash: !same_params,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_with_owasp_parameters() {
        let h = PasswordHasher::new(19456, 2, 1, 2).await.unwrap();
        let hash = h
            .hash(&Password::for_verification("velvet-tundra-orbit"))
            .await
            .unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_str()
        );
        assert!(PasswordHash::parse(hash.as_str()).is_ok());
    }

    #[tokio::test]
    async fn verification_matches_only_the_right_password() {
        let h = PasswordHasher::new(19456, 2, 1, 2).await.unwrap();
        let hash = h
            .hash(&Password::for_verification("velvet-tundra-orbit"))
            .await
            .unwrap();
        let right = h
            .verify(
                &Password::for_verification("velvet-tundra-orbit"),
                Some(&hash),
            )
            .await
            .unwrap();
        assert_eq!(
            right,
            Verification::Match {
                needs_rehash: false
            }
        );
        let wrong = h
            .verify(
                &Password::for_verification("velvet-tundra-orbiT"),
                Some(&hash),
            )
            .await
            .unwrap();
        assert_eq!(wrong, Verification::Mismatch);
        let none = h
            .verify(&Password::for_verification("velvet-tundra-orbit"), None)
            .await
            .unwrap();
        assert_eq!(none, Verification::Mismatch);
    }

    #[tokio::test]
    async fn a_hash_with_other_parameters_asks_for_a_rehash() {
        let old = PasswordHasher::new(8192, 1, 1, 2).await.unwrap();
        let hash = old
            .hash(&Password::for_verification("velvet-tundra-orbit"))
            .await
            .unwrap();
        let current = PasswordHasher::new(19456, 2, 1, 2).await.unwrap();
        let v = current
            .verify(
                &Password::for_verification("velvet-tundra-orbit"),
                Some(&hash),
            )
            .await
            .unwrap();
        assert_eq!(v, Verification::Match { needs_rehash: true });
    }
}

//! The server secret and what is signed with it: CSRF tokens and device tokens.
//!
//! One secret (`PORTAL_SECRET_KEY`, or one generated on first start and kept in the
//! database, so that every instance shares it) is never used directly: each use gets its
//! own key derived from it (HMAC-SHA256 of the purpose), so a value signed for one
//! purpose is worthless for another.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

type HmacSha256 = Hmac<Sha256>;

/// Name of the generated secret in the `server_secrets` table.
pub const GENERATED_SECRET: &str = "portal_secret_key";

/// Keys derived from the server secret. Cheap to clone; never prints.
#[derive(Clone)]
pub struct Keys {
    csrf: [u8; 32],
    device: [u8; 32],
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys([REDACTED])")
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            m.update(b"\x1f");
        }
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// A device token's content once its signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Random id of the device (its own failure budget).
    pub id: String,
    /// The account it logged into.
    pub account_id: String,
}

impl Keys {
    /// Derives the keys from the server secret.
    pub fn derive(secret: &str) -> Self {
        Self {
            csrf: mac(secret.as_bytes(), &[b"portal csrf v1"]),
            device: mac(secret.as_bytes(), &[b"portal device v1"]),
        }
    }

    /// The CSRF token for a pre-session id (the CSRF cookie) and the session cookie as
    /// sent (empty when none): a client cannot make one without the key, and a token is
    /// worth nothing with other cookies.
    pub fn csrf_token(&self, pre_session: &str, session: &str) -> String {
        URL_SAFE_NO_PAD.encode(mac(
            &self.csrf,
            &[pre_session.as_bytes(), session.as_bytes()],
        ))
    }

    /// Whether `token` is the CSRF token of these cookies (constant time).
    pub fn csrf_ok(&self, pre_session: &str, session: &str, token: &str) -> bool {
        if pre_session.is_empty() || token.is_empty() {
            return false;
        }
        let expected = self.csrf_token(pre_session, session);
        expected.as_bytes().ct_eq(token.as_bytes()).into()
    }

    /// A new device token for an account: `v1.<device id>.<account id>.<signature>`.
    pub fn issue_device(&self, account_id: &str) -> String {
        let id = hex::encode(rand::random::<[u8; 16]>());
        let sig =
            URL_SAFE_NO_PAD.encode(mac(&self.device, &[id.as_bytes(), account_id.as_bytes()]));
        format!("v1.{id}.{account_id}.{sig}")
    }

    /// The device of a token whose signature is right (`None` for anything else).
    pub fn verify_device(&self, token: &str) -> Option<Device> {
        let mut parts = token.trim().split('.');
        let (Some("v1"), Some(id), Some(account_id), Some(sig), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if id.len() != 32 || account_id.is_empty() || account_id.len() > 64 {
            return None;
        }
        let expected =
            URL_SAFE_NO_PAD.encode(mac(&self.device, &[id.as_bytes(), account_id.as_bytes()]));
        if bool::from(expected.as_bytes().ct_eq(sig.as_bytes())) {
            Some(Device {
                id: id.to_owned(),
                account_id: account_id.to_owned(),
            })
        } else {
            None
        }
    }
}

/// A fresh random secret (for the first start without `PORTAL_SECRET_KEY`).
pub fn generate_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_need_the_key_and_the_same_cookies() {
        let k = Keys::derive("a server secret of some length");
        let t = k.csrf_token("pre", "sess");
        assert!(k.csrf_ok("pre", "sess", &t));
        assert!(!k.csrf_ok("pre", "other", &t));
        assert!(!k.csrf_ok("other", "sess", &t));
        // The old double-submit forgery: cookie and field with the same chosen value.
        assert!(!k.csrf_ok("a", "", "a"));
        assert!(!k.csrf_ok("", "", ""));
        let other = Keys::derive("another secret entirely");
        assert!(!other.csrf_ok("pre", "sess", &t));
    }

    #[test]
    fn device_tokens_are_bound_to_their_account_and_unforgeable() {
        let k = Keys::derive("a server secret of some length");
        let t = k.issue_device("acc1");
        let d = k.verify_device(&t).unwrap();
        assert_eq!(d.account_id, "acc1");
        // Changing the account invalidates the signature.
        let forged = t.replace(".acc1.", ".acc2.");
        assert_eq!(k.verify_device(&forged), None);
        assert_eq!(k.verify_device("v1.x.y.z"), None);
        assert_eq!(k.verify_device(""), None);
        assert_eq!(Keys::derive("other").verify_device(&t), None);
    }

    #[test]
    fn keys_never_print() {
        let k = Keys::derive("s3cr3t");
        assert!(!format!("{k:?}").contains("s3cr3t"));
    }
}

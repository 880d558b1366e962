//! The lifetimes and limits that the use cases and the background work apply, as
//! configured.

use std::time::Duration;

use crate::i18n::Languages;
use crate::limits::Limits;

/// Limits and lifetimes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Product name (emails, pages, refused in passwords).
    pub product_name: String,
    /// Public base URL without trailing slash: the only base of emailed links.
    pub public_base: String,
    /// Recovery link lifetime.
    pub recovery_ttl: Duration,
    /// Confirmation link lifetime.
    pub confirmation_ttl: Duration,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// A session unused for this long ends.
    pub session_idle_timeout: Duration,
    /// Unconfirmed accounts older than this are deleted.
    pub unconfirmed_account_ttl: Duration,
    /// Every rate limit.
    pub limits: Limits,
    /// The languages offered, and the default one (emails of accounts without one).
    pub languages: Languages,
}

/// Whole seconds of `d`, for Unix-second arithmetic.
pub fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4)
}

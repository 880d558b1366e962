//! The security events the audit trail records (table `audit_events`, and the log
//! target `audit`). Never with a secret: events name accounts by id and clients by
//! address.

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// An address was confirmed with its emailed link.
    AccountConfirmed,
    /// A sign-up created an account (not yet confirmed).
    AccountCreated,
    /// A session was ended by its owner.
    LoggedOut,
    /// A wrong password (or no such account).
    LoginFailed,
    /// A log-in refused because its budget was spent.
    LoginRateLimited,
    /// The right password for an account whose address is not confirmed (answered like a wrong one).
    LoginRefusedUnconfirmed,
    /// A session was opened.
    LoginSucceeded,
    /// A password change refused because its budget was spent.
    PasswordChangeRateLimited,
    /// A password change with a wrong current password.
    PasswordChangeRefused,
    /// The password was changed by its owner.
    PasswordChanged,
    /// A stored hash was replaced by one with the current parameters.
    PasswordRehashed,
    /// A new password was set with a recovery link.
    RecoveryCompleted,
    /// A recovery request for an account past its hourly limit (no email).
    RecoveryRateLimitedAccount,
    /// Recovery requests dropped past the client's hourly limit.
    RecoveryRateLimitedIp,
    /// A recovery email was queued.
    RecoveryRequested,
    /// A recovery request for an address without an account (no email).
    RecoveryRequestedUnknownAddress,
    /// An unknown, used or expired recovery token.
    RecoveryTokenRefused,
    /// Every session of an account ended (after a password change).
    SessionsRevoked,
    /// A sign-up for an address past its hourly email limit (no email).
    SignupRateLimitedAddress,
    /// A sign-up dropped past the client's hourly limit.
    SignupRateLimitedIp,
    /// A sign-up with a registered address (its owner was told).
    SignupWithExistingAddress,
    /// A token check refused because the client's budget was spent.
    TokenGuessesRateLimited,
}

impl Event {
    /// The name stored and logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountConfirmed => "account_confirmed",
            Self::AccountCreated => "account_created",
            Self::LoggedOut => "logged_out",
            Self::LoginFailed => "login_failed",
            Self::LoginRateLimited => "login_rate_limited",
            Self::LoginRefusedUnconfirmed => "login_refused_unconfirmed",
            Self::LoginSucceeded => "login_succeeded",
            Self::PasswordChangeRateLimited => "password_change_rate_limited",
            Self::PasswordChangeRefused => "password_change_refused",
            Self::PasswordChanged => "password_changed",
            Self::PasswordRehashed => "password_rehashed",
            Self::RecoveryCompleted => "recovery_completed",
            Self::RecoveryRateLimitedAccount => "recovery_rate_limited_account",
            Self::RecoveryRateLimitedIp => "recovery_rate_limited_ip",
            Self::RecoveryRequested => "recovery_requested",
            Self::RecoveryRequestedUnknownAddress => "recovery_requested_unknown_address",
            Self::RecoveryTokenRefused => "recovery_token_refused",
            Self::SessionsRevoked => "sessions_revoked",
            Self::SignupRateLimitedAddress => "signup_rate_limited_address",
            Self::SignupRateLimitedIp => "signup_rate_limited_ip",
            Self::SignupWithExistingAddress => "signup_with_existing_address",
            Self::TokenGuessesRateLimited => "token_guesses_rate_limited",
        }
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

//! The four emails, each with a plain-text and an HTML part rendered from
//! `templates/email/*.{txt,html}`.

use std::time::Duration;

use askama::Template;

use crate::settings::Settings;
use crate::store::NewEmail;

/// Subject of the password recovery email.
pub const RECOVERY_SUBJECT: &str = "Password recovery";
/// Subject of the account confirmation email.
pub const CONFIRMATION_SUBJECT: &str = "Confirm your email address";
/// Subject of the notice sent after a password reset or change.
pub const PASSWORD_CHANGED_SUBJECT: &str = "Your password was changed";
/// Subject of the notice sent when someone signs up with an address already registered.
pub const SIGNUP_ATTEMPT_SUBJECT: &str = "Someone tried to sign up with your email address";

/// Which email it is (stored with the outbox row, counted in metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailKind {
    /// The password recovery link.
    Recovery,
    /// The account confirmation link.
    Confirmation,
    /// "Your password was changed".
    PasswordChanged,
    /// "Someone tried to sign up with your email address".
    SignupAttempt,
}

impl EmailKind {
    /// The name stored in the outbox and used as a metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recovery => "recovery",
            Self::Confirmation => "confirmation",
            Self::PasswordChanged => "password_changed",
            Self::SignupAttempt => "signup_attempt",
        }
    }
}

/// A rendered email, ready for the outbox.
#[derive(Clone)]
pub struct RenderedEmail {
    /// Which email this is.
    pub kind: EmailKind,
    /// Subject line.
    pub subject: &'static str,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

impl RenderedEmail {
    /// The outbox row that sends this email to `to` (the stored address, never a typed
    /// one).
    pub fn into_outbox(self, to: &str, now: i64) -> NewEmail {
        NewEmail {
            kind: self.kind.as_str().to_owned(),
            recipient: to.to_owned(),
            subject: self.subject.to_owned(),
            text_body: self.text,
            html_body: self.html,
            created_at: now,
        }
    }
}

impl std::fmt::Debug for RenderedEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bodies may hold a link with a token.
        f.debug_struct("RenderedEmail")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What the templates can show.
#[derive(Debug, Clone, Default)]
pub struct EmailContext {
    /// Product name.
    pub product: String,
    /// Public base URL of the portal, without a trailing slash.
    pub base_url: String,
    /// The link the email is about (recovery or confirmation), if any.
    pub link: String,
    /// How long the link stays valid, in words ("30 minutes").
    pub valid_for: String,
    /// The recipient's address.
    pub email: String,
}

impl EmailContext {
    /// The context of an email to `to` about `link` (empty for none), valid for
    /// `valid_for`.
    pub fn new(settings: &Settings, to: &str, link: String, valid_for: Duration) -> Self {
        Self {
            product: settings.product_name.clone(),
            base_url: settings.public_base.clone(),
            link,
            valid_for: words(valid_for),
            email: to.to_owned(),
        }
    }
}

/// A lifetime in words, as the emails say it ("30 minutes", "24 hours", "2 days").
pub fn words(d: Duration) -> String {
    let m = d.as_secs() / 60;
    match m {
        0 => format!("{} seconds", d.as_secs()),
        1 => "1 minute".into(),
        m if m % 1440 == 0 => match m / 1440 {
            1 => "24 hours".into(),
            n => format!("{n} days"),
        },
        m if m % 60 == 0 => match m / 60 {
            1 => "1 hour".into(),
            n => format!("{n} hours"),
        },
        m => format!("{m} minutes"),
    }
}

macro_rules! email {
    ($text:ident, $html:ident, $tpath:literal, $hpath:literal) => {
        #[derive(Template)]
        #[template(path = $tpath)]
        struct $text<'a> {
            c: &'a EmailContext,
        }
        #[derive(Template)]
        #[template(path = $hpath)]
        struct $html<'a> {
            c: &'a EmailContext,
        }
    };
}

email!(
    RecoveryText,
    RecoveryHtml,
    "email/recovery.txt",
    "email/recovery.html"
);
email!(
    ConfirmationText,
    ConfirmationHtml,
    "email/confirmation.txt",
    "email/confirmation.html"
);
email!(
    ChangedText,
    ChangedHtml,
    "email/password_changed.txt",
    "email/password_changed.html"
);
email!(
    AttemptText,
    AttemptHtml,
    "email/signup_attempt.txt",
    "email/signup_attempt.html"
);

/// The password recovery email with its link.
pub fn recovery(c: &EmailContext) -> Result<RenderedEmail, askama::Error> {
    Ok(RenderedEmail {
        kind: EmailKind::Recovery,
        subject: RECOVERY_SUBJECT,
        text: RecoveryText { c }.render()?,
        html: RecoveryHtml { c }.render()?,
    })
}

/// The account confirmation email with its link.
pub fn confirmation(c: &EmailContext) -> Result<RenderedEmail, askama::Error> {
    Ok(RenderedEmail {
        kind: EmailKind::Confirmation,
        subject: CONFIRMATION_SUBJECT,
        text: ConfirmationText { c }.render()?,
        html: ConfirmationHtml { c }.render()?,
    })
}

/// "Your password was changed".
pub fn password_changed(c: &EmailContext) -> Result<RenderedEmail, askama::Error> {
    Ok(RenderedEmail {
        kind: EmailKind::PasswordChanged,
        subject: PASSWORD_CHANGED_SUBJECT,
        text: ChangedText { c }.render()?,
        html: ChangedHtml { c }.render()?,
    })
}

/// "Someone tried to sign up with your email address".
pub fn signup_attempt(c: &EmailContext) -> Result<RenderedEmail, askama::Error> {
    Ok(RenderedEmail {
        kind: EmailKind::SignupAttempt,
        subject: SIGNUP_ATTEMPT_SUBJECT,
        text: AttemptText { c }.render()?,
        html: AttemptHtml { c }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(words(Duration::from_secs(1800)), "30 minutes");
        assert_eq!(words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(words(Duration::from_secs(86400)), "24 hours");
        assert_eq!(words(Duration::from_secs(2 * 86400)), "2 days");
    }

    fn ctx() -> EmailContext {
        EmailContext {
            product: "Wallbox portal".into(),
            base_url: "https://portal.example".into(),
            link: "https://portal.example/recover?token=abc&x=<y>".into(),
            valid_for: "30 minutes".into(),
            email: "a@b.io".into(),
        }
    }

    #[test]
    fn recovery_email_has_the_link_in_both_parts_escaped_in_html() {
        let e = recovery(&ctx()).unwrap();
        assert!(
            e.text
                .contains("https://portal.example/recover?token=abc&x=<y>")
        );
        assert!(e.html.contains("https://portal.example/recover?token=abc&"));
        assert!(!e.html.contains("<y>"), "HTML part is escaped");
        assert!(e.text.contains("30 minutes"));
    }

    #[test]
    fn every_email_renders() {
        for e in [
            confirmation(&ctx()).unwrap(),
            password_changed(&ctx()).unwrap(),
            signup_attempt(&ctx()).unwrap(),
        ] {
            assert!(!e.text.is_empty() && e.html.contains("<html"));
        }
    }
}

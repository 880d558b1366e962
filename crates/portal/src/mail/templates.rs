//! The four emails, each with a plain-text and an HTML part rendered from
//! `templates/email/*.{txt,html}`, in the language of the account they are sent to: the
//! sentences come from `locales/<language>/portal.ftl`.

use std::time::Duration;

use askama::Template;
use fluent_bundle::FluentValue;

use crate::i18n::Lang;
use crate::settings::Settings;
use crate::store::NewEmail;

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
    pub subject: String,
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
            subject: self.subject,
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

/// What the templates can show, and their sentences in the email's language.
#[derive(Debug, Clone)]
pub struct EmailContext {
    /// The language the email is written in.
    pub lang: Lang,
    /// Product name.
    pub product: String,
    /// Public base URL of the portal, without a trailing slash.
    pub base_url: String,
    /// The link the email is about (recovery or confirmation), if any.
    pub link: String,
    /// How long the link stays valid, in words of the email's language ("30 minutes").
    pub valid_for: String,
    /// The recipient's address.
    pub email: String,
}

impl EmailContext {
    /// The context of an email in `lang` to `to` about `link` (empty for none), valid
    /// for `valid_for`.
    pub fn new(
        settings: &Settings,
        to: &str,
        link: String,
        valid_for: Duration,
        lang: Lang,
    ) -> Self {
        Self {
            lang,
            product: settings.product_name.clone(),
            base_url: settings.public_base.clone(),
            link,
            valid_for: lang.duration(valid_for),
            email: to.to_owned(),
        }
    }

    /// The language's code, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The variables every email message may use.
    fn args(&self) -> Vec<(&'static str, FluentValue<'_>)> {
        vec![
            ("product", self.product.as_str().into()),
            ("email", self.email.as_str().into()),
            ("url", self.link.as_str().into()),
            ("valid-for", self.valid_for.as_str().into()),
            ("login-url", format!("{}/login", self.base_url).into()),
            (
                "reset-url",
                format!("{}/forgot-password", self.base_url).into(),
            ),
        ]
    }

    /// Message `id`, as written (line breaks kept, for the text part).
    pub fn t(&self, id: &str) -> String {
        self.lang.fmt(id, &self.args())
    }

    /// Message `id` on one line (for the HTML part).
    pub fn line(&self, id: &str) -> String {
        self.t(id).replace('\n', " ")
    }

    /// Message `id` as HTML, its `$link` a link to `path` on the portal (use with
    /// `|safe`).
    pub fn linked(&self, id: &str, path: &str) -> String {
        self.lang
            .linked(id, &self.args(), &format!("{}{path}", self.base_url))
            .replace('\n', " ")
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
        subject: c.t("recovery-subject"),
        text: RecoveryText { c }.render()?,
        html: RecoveryHtml { c }.render()?,
    })
}

/// The account confirmation email with its link.
pub fn confirmation(c: &EmailContext) -> Result<RenderedEmail, askama::Error> {
    Ok(RenderedEmail {
        kind: EmailKind::Confirmation,
        subject: c.t("confirmation-subject"),
        text: ConfirmationText { c }.render()?,
        html: ConfirmationHtml { c }.render()?,
    })
}

/// "Your password was changed".
pub fn password_changed(c: &EmailContext) -> Result<RenderedEmail, askama::Error> {
    Ok(RenderedEmail {
        kind: EmailKind::PasswordChanged,
        subject: c.t("password-changed-subject"),
        text: ChangedText { c }.render()?,
        html: ChangedHtml { c }.render()?,
    })
}

/// "Someone tried to sign up with your email address".
pub fn signup_attempt(c: &EmailContext) -> Result<RenderedEmail, askama::Error> {
    Ok(RenderedEmail {
        kind: EmailKind::SignupAttempt,
        subject: c.t("signup-attempt-subject"),
        text: AttemptText { c }.render()?,
        html: AttemptHtml { c }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(lang: Lang) -> EmailContext {
        EmailContext {
            lang,
            product: "Wallbox portal".into(),
            base_url: "https://portal.example".into(),
            link: "https://portal.example/recover?token=abc&x=<y>".into(),
            valid_for: lang.duration(Duration::from_secs(1800)),
            email: "a@b.io".into(),
        }
    }

    #[test]
    fn recovery_email_has_the_link_in_both_parts_escaped_in_html() {
        let e = recovery(&ctx(Lang::SOURCE)).unwrap();
        assert!(
            e.text
                .contains("https://portal.example/recover?token=abc&x=<y>")
        );
        assert!(e.html.contains("https://portal.example/recover?token=abc&"));
        assert!(!e.html.contains("<y>"), "HTML part is escaped");
        assert!(e.text.contains("30 minutes"));
        assert_eq!(e.subject, "Password recovery");
    }

    #[test]
    fn every_email_renders_in_every_language() {
        for lang in Lang::all() {
            for e in [
                recovery(&ctx(lang)).unwrap(),
                confirmation(&ctx(lang)).unwrap(),
                password_changed(&ctx(lang)).unwrap(),
                signup_attempt(&ctx(lang)).unwrap(),
            ] {
                assert!(!e.text.is_empty() && e.html.contains("<html"));
                assert!(
                    e.html.contains(&format!("<html lang=\"{}\">", lang.code())),
                    "{lang:?}"
                );
                assert!(!e.subject.is_empty());
            }
        }
        let de = password_changed(&ctx(Lang::from_code("de").unwrap())).unwrap();
        assert_eq!(de.subject, "Ihr Passwort wurde geändert");
        assert!(
            de.html
                .contains("<a href=\"https://portal.example/forgot-password\">setzen Sie Ihr Passwort jetzt zurück</a>"),
            "{}",
            de.html
        );
    }
}

//! `[texts.<language>]`: the words of a target's pages in one language, and the
//! look-up of the key a text stands for (the vocabulary's side of a translation).

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// `[texts.<language>]`: the words of the target's pages in one language. Required keys
/// are those the suite's own gestures use; a click on a key given as `""` is skipped
/// (the target has no such step). Optional keys are needed only by the scenarios that
/// quote them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    /// The language code (the table's name), sent as `Accept-Language`.
    #[serde(skip)]
    pub code: String,
    /// The landing page's way to the email log-in.
    pub continue_with_email: String,
    /// The sign-up link and button.
    pub create_account: String,
    /// The address field (sign-up and recovery forms).
    pub email: String,
    /// The password field of the log-in and sign-up forms.
    pub password: String,
    /// The sign-up form's confirmation field (skipped when the form has none).
    pub confirm_password: String,
    /// The log-in button.
    pub log_in: String,
    /// The log-out button (its presence also means "logged in").
    pub log_out: String,
    /// The confirmation page's button (skipped when the page has none).
    pub confirm_account: String,
    /// What the page says once the account is confirmed.
    pub account_confirmed: String,
    /// The way to the account's settings (its presence also means "logged in").
    pub settings: String,
    /// The settings tab of the password.
    pub security: String,
    /// The password panel's title.
    pub password_panel: String,
    /// The password panel's button.
    pub edit: String,
    /// The change form's current-password field.
    pub current_password: String,
    /// The new password field (change and recovery forms).
    pub new_password: String,
    /// Its confirmation (recovery form; change form too unless
    /// `change_confirm_new_password`).
    pub confirm_new_password: String,
    /// The change form's button.
    pub update_password: String,
    /// The recovery form's button.
    pub validate: String,
    /// The log-in page's link to recovery.
    pub forgot_password: String,
    /// The recovery request's button.
    pub restore_password: String,
    /// The answer to every recovery request.
    pub neutral_answer: String,
    /// The sentence after a reset (and after a change, unless `change_success`).
    pub success: String,
    /// The log-in form's identifier field, when not `email` (e.g. "Username").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_in_email: Option<String>,
    /// The change form's confirmation field, when its label is not
    /// `confirm_new_password` (Django: "New password confirmation" there, "Confirm
    /// password" on the recovery form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_confirm_new_password: Option<String>,
    /// The sentence after a change, when not `success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_success: Option<String>,
    /// The answer to every sign-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_up_answer: Option<String>,
    /// The answer to a wrong log-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrong_credentials: Option<String>,
    /// The answer past a rate limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub too_many_attempts: Option<String>,
    /// What the page says for a recovery link it refuses, when that is not shown as
    /// an error (`pages.errors`) or with a 4xx status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_link: Option<String>,
    /// The answer to a forged or expired form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_refused: Option<String>,
    /// The refusal of an address typed with look-alike characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookalike_address: Option<String>,
    /// Words of the subject of "someone tried to sign up with your address".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_up_attempt_subject: Option<String>,
    /// A refused password's reasons: too common.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub too_common: Option<String>,
    /// It contains the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains_email: Option<String>,
    /// It contains the product's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains_product: Option<String>,
    /// The confirmation differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    /// Too short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub too_short: Option<String>,
    /// Too long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub too_long: Option<String>,
    /// Every key with its text (filled by [`Profile::parse`]).
    #[serde(skip)]
    by_key: BTreeMap<String, String>,
}

impl Texts {
    /// The text of `key`, or an error naming the key and the table.
    pub fn text(&self, key: &str) -> anyhow::Result<&str> {
        self.by_key.get(key).map(String::as_str).with_context(|| {
            format!(
                "the profile's [texts.{}] has no `{key}`, which this step needs",
                self.code
            )
        })
    }

    /// The label of the change form's confirmation field.
    pub fn change_confirmation(&self) -> &str {
        self.change_confirm_new_password
            .as_deref()
            .unwrap_or(&self.confirm_new_password)
    }

    /// The label of the log-in form's identifier field.
    pub fn log_in_email(&self) -> &str {
        self.log_in_email.as_deref().unwrap_or(&self.email)
    }

    /// The key whose text is `words` (the vocabulary's side of a translation).
    pub(crate) fn key_of(&self, words: &str) -> Option<&str> {
        let words = normalize(words);
        self.by_key
            .iter()
            .find(|(_, t)| normalize(t) == words)
            .map(|(k, _)| k.as_str())
    }

    pub(super) fn index(&mut self, code: &str) -> anyhow::Result<()> {
        self.code = code.to_owned();
        let value = serde_json::to_value(&*self).context("indexing the texts")?;
        let serde_json::Value::Object(map) = value else {
            bail!("texts are a table");
        };
        self.by_key = map
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
            .collect();
        Ok(())
    }
}

/// Spaces of any kind read as one.
fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

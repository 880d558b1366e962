//! The portal's JSON API (`/api/v1`), as an app or a script calls it: the rules the
//! pages keep hold there too (recovery answers that do not tell accounts apart, the
//! password policy at its edges, no log-in before the address is confirmed).

use anyhow::{Context as _, bail, ensure};

use super::{Answer, PortalWorld, UnconfirmedPassword};

use crate::mail;

/// Where the JSON API lives under the portal's public URL.
const API: &str = "api/v1/";

impl PortalWorld {
    /// `POST /api/v1/<path>` with `body`; keeps the answer (status, body, headers) with
    /// the page answers, so "both answers are the same" compares the last two.
    async fn post_api(&mut self, path: &str, body: serde_json::Value) -> anyhow::Result<()> {
        let url = self.base_url().join(API)?.join(path)?;
        let answer = reqwest::Client::builder()
            .no_proxy()
            .build()?
            .post(url.clone())
            .header(reqwest::header::ACCEPT_LANGUAGE, &self.words.code)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = answer.status().as_u16();
        let headers = htmlform::header_shape(answer.headers());
        let text = answer.text().await?;
        self.answers.push(Answer {
            text,
            status: Some(status),
            headers: Some(headers),
        });
        Ok(())
    }

    fn last_api_answer(&self) -> anyhow::Result<&Answer> {
        self.answers.last().context("the API was not called")
    }

    /// `POST /api/v1/password-recovery` for the account's address.
    pub async fn api_ask_recovery_for_mine(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        self.post_api("password-recovery", serde_json::json!({ "email": email }))
            .await
    }

    /// `POST /api/v1/password-recovery` for an address that has no account.
    pub async fn api_ask_recovery_for_unknown(&mut self) -> anyhow::Result<()> {
        let email = self.suite.unique_email("nobody");
        self.unknown_email = Some(email.clone());
        self.post_api("password-recovery", serde_json::json!({ "email": email }))
            .await
    }

    /// `POST /api/v1/password-recovery/complete` with the token of the recovery link
    /// and a new password of `length` characters.
    pub async fn api_complete_recovery_with_length(&mut self, length: usize) -> anyhow::Result<()> {
        let link = self
            .current_link
            .clone()
            .context("no recovery link: open the one from the email first")?;
        let token = mail::secrets_in(&link)
            .into_iter()
            .next()
            .with_context(|| format!("no token in the recovery link {link}"))?;
        let (password, _) = self.special_password(super::SpecialPassword::Length(length))?;
        self.post_api(
            "password-recovery/complete",
            serde_json::json!({ "token": token, "new_password": password }),
        )
        .await?;
        match self.last_api_answer()?.status {
            Some(200..=299) => self.password_changed(password),
            _ => {
                self.rejected_password = Some(password);
                Ok(())
            }
        }
    }

    /// The last API answer is a refusal with `status`.
    pub fn api_refused_with(&self, status: u16) -> anyhow::Result<()> {
        let answer = self.last_api_answer()?;
        ensure!(
            answer.status == Some(status),
            "the API answered {:?}, not {status}: {}",
            answer.status,
            answer.text
        );
        Ok(())
    }

    /// The last API answer is a success (2xx).
    pub fn api_accepted(&self) -> anyhow::Result<()> {
        let answer = self.last_api_answer()?;
        let Some(200..=299) = answer.status else {
            bail!("the API refused ({:?}): {}", answer.status, answer.text);
        };
        Ok(())
    }

    /// `POST /api/v1/sessions` for the address signed up and never confirmed, with
    /// the password chosen at sign-up or a wrong one.
    pub async fn api_log_in_to_unconfirmed(
        &mut self,
        password: UnconfirmedPassword,
    ) -> anyhow::Result<()> {
        let (email, password) = self.unconfirmed_attempt(password)?;
        self.post_api(
            "sessions",
            serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Neither of the last two answers opened a session: both are refusals (4xx).
    pub fn last_two_answers_refused(&self) -> anyhow::Result<()> {
        let [.., a, b] = self.answers.as_slice() else {
            bail!("fewer than two answers were recorded");
        };
        for answer in [a, b] {
            ensure!(
                answer.status.is_some_and(|s| (400..500).contains(&s)),
                "an answer was not a refusal ({:?}): {}",
                answer.status,
                answer.text
            );
        }
        Ok(())
    }
}

//! Logging out, and what it must end: the session on the server, not only the cookie
//! in the browser.

use anyhow::{Context as _, ensure};

use super::PortalWorld;
use super::account::is_logged_in;
use crate::browser::{Browser, HttpBrowser};

impl PortalWorld {
    /// Keeps a copy of the cookies the scenario's browser sends to the page it is on
    /// (its session among them), as someone who read them off the wire would.
    pub async fn copy_session_cookies(&mut self) -> anyhow::Result<()> {
        let cookies = self.browser.cookie_header().await?;
        ensure!(
            !cookies.is_empty(),
            "the browser holds no cookie for this page"
        );
        self.copied_cookies = Some(cookies);
        Ok(())
    }

    /// Presses the target's "Log out".
    pub async fn log_out(&mut self) -> anyhow::Result<()> {
        let log_out = self.words.log_out.clone();
        self.click(&log_out).await
    }

    /// The copied cookies, sent again from another client after the log-out, do not
    /// reach the account: the session ended on the server, not only in the browser.
    pub async fn copied_cookies_logged_out(&mut self) -> anyhow::Result<()> {
        let cookies = self
            .copied_cookies
            .clone()
            .context("no cookies were copied")?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::COOKIE, cookies.parse()?);
        let mut replay = Browser::Http(HttpBrowser::with_headers(headers)?);
        replay
            .open(&self.url_of(&self.profile().paths.account)?)
            .await?;
        ensure!(
            !is_logged_in(&mut replay, &self.words).await?,
            "the session cookie still opens the account after logging out: the {}",
            replay.describe().await
        );
        Ok(())
    }
}

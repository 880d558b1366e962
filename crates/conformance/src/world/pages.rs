//! Moving around the portal and reading it: opening it, clicking by visible text, typing
//! by label, and what the page says (sentences, errors).

use anyhow::ensure;
use htmlform::markup;

use super::{Answer, PortalWorld};

impl PortalWorld {
    /// Opens the portal's public URL.
    pub async fn go_to_portal(&mut self) -> anyhow::Result<()> {
        let start = self.start_url()?;
        self.browser.open(&start).await
    }

    /// Clicks a link or button by its visible text (the target's words).
    pub async fn click(&mut self, name: &str) -> anyhow::Result<()> {
        self.browser.click(name).await
    }

    /// Clicks what a feature names in the article's words, in the target's words.
    pub async fn click_said(&mut self, article_words: &str) -> anyhow::Result<()> {
        let name = self.say(article_words)?;
        self.click(&name).await
    }

    /// The article's "click the Settings icon".
    pub async fn click_settings(&mut self) -> anyhow::Result<()> {
        let settings = self.words.settings.clone();
        self.click(&settings).await
    }

    /// The article's "in the Password panel click ..." (`name` in its words).
    pub async fn click_in_password_panel(&mut self, article_words: &str) -> anyhow::Result<()> {
        let (panel, name) = (self.words.password_panel.clone(), self.say(article_words)?);
        self.click_in_panel(&panel, &name).await
    }

    /// Clicks inside a named panel (the page must show the panel's title).
    pub async fn click_in_panel(&mut self, panel: &str, name: &str) -> anyhow::Result<()> {
        if !panel.is_empty() {
            let text = self.browser.text().await?;
            ensure!(text.contains(panel), "the page has no {panel:?} panel");
        }
        self.click(name).await
    }

    /// Types into the field labelled `label`.
    pub async fn fill(&mut self, label: &str, value: &str) -> anyhow::Result<()> {
        self.browser.fill(label, value).await
    }

    /// Keeps what the page shows as the answer to the last request.
    pub(super) async fn record_answer(&mut self) -> anyhow::Result<()> {
        let answer = Answer::of(&mut self.browser).await?;
        self.answers.push(answer);
        Ok(())
    }

    /// The page shows `sentence` (the article's words, said in the target's).
    pub async fn see(&mut self, sentence: &str) -> anyhow::Result<()> {
        let sentence = self.say(sentence)?;
        self.see_text(&sentence).await
    }

    /// The page shows `sentence` (the target's words).
    pub(super) async fn see_text(&mut self, sentence: &str) -> anyhow::Result<()> {
        let text = self.browser.text().await?;
        let want = markup::normalize(sentence);
        ensure!(text.contains(&want), "expected the page to say {want:?}");
        Ok(())
    }

    /// The page shows an error (the profile's `pages.errors`), containing `words` if given.
    pub async fn see_error(&mut self, words: Option<&str>) -> anyhow::Result<()> {
        let alerts = self.alerts().await?;
        ensure!(
            !alerts.is_empty(),
            "expected an error message ({}) on the page",
            self.profile().pages.errors
        );
        ensure!(
            !self.says_password_set().await?,
            "the page says the password was changed"
        );
        if let Some(words) = words {
            let words = self.say(words)?;
            let all = alerts.join(" | ");
            ensure!(
                all.to_lowercase().contains(&words.to_lowercase()),
                "expected the error to mention {words:?}; it says {all:?}"
            );
        }
        Ok(())
    }

    /// The texts of the page's error messages (the profile's `pages.errors`,
    /// `role="alert"` elements by default).
    pub(super) async fn alerts(&mut self) -> anyhow::Result<Vec<String>> {
        let html = self.browser.html().await?;
        markup::texts_of(&html, &self.profile().pages.errors).map_err(anyhow::Error::msg)
    }
}

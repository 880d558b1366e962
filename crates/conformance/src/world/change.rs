//! "I know my password and want to change it": the change form, from the account page.

use super::{PortalWorld, new_password};

impl PortalWorld {
    /// The article's "Enter your current password, define a new one, and click Update
    /// password".
    pub async fn enter_current_and_new_password(&mut self, button: &str) -> anyhow::Result<()> {
        let (current, button) = (self.password()?, self.say(button)?);
        let new = new_password("Changed");
        self.change_password_form(&current, &new, &new, &button)
            .await
    }

    /// The whole change journey from the account page, giving `current` as the current
    /// password (the account's own when `None`).
    pub async fn change_password_in_settings(
        &mut self,
        current: Option<&str>,
    ) -> anyhow::Result<()> {
        let current = match current {
            Some(c) => c.to_owned(),
            None => self.password()?,
        };
        let new = new_password("Changed");
        self.change_in_settings(&current, &new, &new).await
    }

    /// The change journey with the right current password and a confirmation that
    /// differs from the new password.
    pub async fn change_password_in_settings_confirming_another(&mut self) -> anyhow::Result<()> {
        let (current, new) = (self.password()?, new_password("Changed"));
        self.change_in_settings(&current, &new, &format!("{new}-other"))
            .await
    }

    /// From the account page: Settings, Security, the password panel's Edit, then the
    /// form.
    async fn change_in_settings(
        &mut self,
        current: &str,
        new: &str,
        confirmation: &str,
    ) -> anyhow::Result<()> {
        let w = self.words.clone();
        self.click(&w.settings).await?;
        self.click(&w.security).await?;
        self.click_in_panel(&w.password_panel, &w.edit).await?;
        self.change_password_form(current, new, confirmation, &w.update_password)
            .await
    }

    async fn change_password_form(
        &mut self,
        current: &str,
        new: &str,
        confirmation: &str,
        button: &str,
    ) -> anyhow::Result<()> {
        let w = self.words.clone();
        self.fill(&w.current_password, current).await?;
        self.fill(&w.new_password, new).await?;
        self.fill(w.change_confirmation(), confirmation).await?;
        self.click(button).await?;
        self.changed_in_settings = true;
        self.settle_password(new).await
    }
}

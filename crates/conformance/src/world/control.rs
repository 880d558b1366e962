//! Control over the in-process stack: the portal's clock and the mail server between the
//! portal and the sink (`@in-process` scenarios only).

use std::time::Duration;

use anyhow::Context as _;

use super::PortalWorld;

/// The state the mail server is put in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailServer {
    /// Every connection from the portal is cut.
    Down,
    /// The portal's mail goes through again.
    Up,
}

impl PortalWorld {
    /// Moves the portal's clock.
    pub fn time_passes(&mut self, by: Duration) -> anyhow::Result<()> {
        self.stack()?.advance_clock(by)
    }

    /// Switches the SMTP relay between the portal and the sink.
    pub fn mail_server(&mut self, state: MailServer) -> anyhow::Result<()> {
        self.stack()?.relay().set_up(state == MailServer::Up);
        Ok(())
    }

    /// Opens the account page every `every` for `total`; the session must hold each time.
    pub async fn use_portal_every(
        &mut self,
        every: Duration,
        total: Duration,
    ) -> anyhow::Result<()> {
        let mut elapsed = Duration::ZERO;
        while elapsed + every <= total {
            self.time_passes(every)?;
            elapsed += every;
            self.assert_logged_in()
                .await
                .with_context(|| format!("{} minutes after logging in", elapsed.as_secs() / 60))?;
        }
        Ok(())
    }
}

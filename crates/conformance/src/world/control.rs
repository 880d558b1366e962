//! Control over the target: the portal's clock (`@in-process` scenarios only) and the
//! mail server, through fault rules on the sink (any target whose mail goes to our sink).

use std::time::Duration;

use anyhow::{Context as _, bail};

use super::PortalWorld;

/// The state the mail server is put in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailServer {
    /// The sink refuses mail to the scenario's address (451 at `RCPT TO`).
    Down,
    /// The portal's mail goes through again.
    Up,
}

impl PortalWorld {
    /// Moves the portal's clock.
    pub fn time_passes(&mut self, by: Duration) -> anyhow::Result<()> {
        self.stack()?.advance_clock(by)
    }

    /// Down: adds a fault rule on the sink refusing mail to the scenario's account (its
    /// address is unique, so scenarios running at the same time are not affected). Up:
    /// removes the rules added, by their IDs.
    pub async fn mail_server(&mut self, state: MailServer) -> anyhow::Result<()> {
        match state {
            MailServer::Down => {
                let to = self.email()?;
                let id = self.mailbox.refuse_mail_to(&to).await?;
                self.outage_rules.push(id);
            }
            MailServer::Up => {
                if self.outage_rules.is_empty() {
                    bail!(
                        "the mail server is not down: say \"Given the mail server is down\" first"
                    );
                }
                while let Some(id) = self.outage_rules.last() {
                    self.mailbox.remove_fault(id).await?;
                    self.outage_rules.pop();
                }
            }
        }
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

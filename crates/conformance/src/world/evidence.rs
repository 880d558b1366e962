//! What the World keeps for the evidence report (the emails it read, the timings it
//! measured, the last page in Chromium), and the one check that measures rather than
//! looks: a recovery request takes the same time for a known and an unknown address
//! ([`crate::timing`]).

use anyhow::{Context as _, ensure};

use super::PortalWorld;
use crate::browser::{Browser, HttpBrowser};
use crate::results::Evidence;
use crate::timing::{self, TimingFigures};

impl PortalWorld {
    /// Sends the forgot-password form for the account's address and for an address
    /// without an account, in interleaved pairs over one kept-alive connection (as many
    /// as the profile's `timing.pairs`), and keeps the figures.
    pub async fn time_recovery_requests(&mut self) -> anyhow::Result<()> {
        let (known, w) = (self.email()?, self.words.clone());
        let unknown = self.suite.unique_email("nobody");
        let settings = self.profile().timing.clone();
        let mut b = Browser::Http(HttpBrowser::speaking(&w.code)?);
        b.open(&self.start_url()?).await?;
        b.click(&w.continue_with_email).await?;
        b.click(&w.forgot_password).await?;
        b.fill(&w.email, &known).await?;
        let Browser::Http(http) = b else {
            unreachable!("built as an HTTP browser above")
        };
        let form = http.planned(&w.restore_password)?;
        let (k, u) = timing::measure(
            http.client(),
            &form,
            &known,
            &unknown,
            settings.pairs,
            settings.warm_up,
        )
        .await?;
        let figures = TimingFigures::of(
            "recovery request, known − unknown address",
            &k,
            &u,
            settings.threshold_ms,
        );
        println!("  timing: {figures}");
        self.evidence.timings.push(figures);
        Ok(())
    }

    /// The last timing shows no gap beyond the profile's threshold (see
    /// [`TimingFigures::leaks`] for the rule).
    pub fn same_time(&self) -> anyhow::Result<()> {
        let figures = self
            .evidence
            .timings
            .last()
            .context("nothing was timed: time the requests first")?;
        ensure!(
            !figures.leaks(),
            "the answers do not take the same time: {figures}; the whole 95% interval is \
             beyond ±{} ms (timing.threshold_ms)",
            figures.threshold_ms
        );
        Ok(())
    }

    /// What the report shows of this scenario: the emails read, the timings measured,
    /// and in Chromium the page it ended on.
    pub async fn take_evidence(&mut self) -> Evidence {
        let mut evidence = std::mem::take(&mut self.evidence);
        evidence.emails = self.mailbox.take_read();
        if matches!(self.browser, Browser::Web(_)) {
            evidence.screenshot = self.browser.screenshot().await;
        }
        evidence
    }
}

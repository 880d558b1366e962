//! The in-process target: the portal on a random port with a fresh SQLite file, our own
//! mail sink, and between them a [`Relay`] a scenario can switch off ("the mail server is
//! down"). A stack started for one scenario also gets a [`ManualClock`].

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use mailsink::{MailSink, SinkConfig, SinkHandle};
use portal::clock::{Clock, ManualClock, SystemClock};
use portal::config::Config;
use portal::startup::Application;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::relay::Relay;

/// What a stack is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackKind {
    /// One stack for every scenario that needs no control over it: wall clock, and
    /// per-client limits raised (every scenario comes from 127.0.0.1).
    Shared,
    /// A stack for one `@in-process` scenario: a manual clock, the relay, the portal's
    /// default limits.
    Private,
}

/// A running portal + sink.
pub struct Stack {
    base_url: Url,
    sink: SinkHandle,
    relay: Relay,
    clock: Option<ManualClock>,
    stop: CancellationToken,
    server: JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("base_url", &self.base_url.as_str())
            .field("sink", &self.sink.http_url())
            .field("relay", &self.relay.addr())
            .field("manual_clock", &self.clock.is_some())
            .finish()
    }
}

impl Stack {
    /// Starts a sink, a relay in front of it, and a portal sending through the relay.
    pub async fn start(kind: StackKind) -> anyhow::Result<Self> {
        let sink = MailSink::start(SinkConfig::ephemeral())
            .await
            .context("starting the mail sink")?;
        let relay = Relay::start(sink.smtp_addr())
            .await
            .context("starting the SMTP relay")?;
        let dir = tempfile::Builder::new()
            .prefix("conformance-")
            .tempdir()
            .context("creating a directory for the database")?;
        let db = dir.path().join("portal.db");
        let mut config = Config::for_tests(format!("sqlite://{}", db.display()));
        config.smtp_url = Some(format!("smtp://{}", relay.addr()));
        let (clock, manual): (Arc<dyn Clock>, _) = match kind {
            StackKind::Shared => {
                // Every scenario runs from 127.0.0.1: per-client limits would make them
                // trip over each other. The per-account limits stay as configured.
                config.recovery_per_ip_per_hour = 100_000;
                config.login_failures_per_ip = 100_000;
                config.token_guesses_per_ip = 100_000;
                (Arc::new(SystemClock), None)
            }
            StackKind::Private => {
                let clock = ManualClock::starting_now();
                (Arc::new(clock.clone()), Some(clock))
            }
        };
        let app = Application::build(config, clock)
            .await
            .context("starting the portal")?;
        let base_url = Url::parse(&app.base_url()).context("the portal's base URL")?;
        let stop = app.shutdown_handle();
        let server = tokio::spawn(app.run_until_stopped());
        Ok(Self {
            base_url,
            sink,
            relay,
            clock: manual,
            stop,
            server,
            _dir: dir,
        })
    }

    /// The portal's public URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The sink's HTTP API.
    pub fn sink_url(&self) -> String {
        self.sink.http_url()
    }

    /// The relay between portal and sink.
    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// Moves the portal's clock forward (private stacks only).
    pub fn advance_clock(&self, by: Duration) -> anyhow::Result<()> {
        let clock = self
            .clock
            .as_ref()
            .context("this stack runs on the wall clock: tag the scenario @in-process")?;
        clock.advance(by);
        Ok(())
    }

    /// Stops the portal (gracefully) and the sink.
    pub async fn stop(self) {
        self.stop.cancel();
        if tokio::time::timeout(Duration::from_secs(10), self.server)
            .await
            .is_err()
        {
            tracing::warn!("the portal did not stop within 10 s");
        }
        self.sink.shutdown().await;
    }
}

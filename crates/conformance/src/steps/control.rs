//! Control over the target: time (`@in-process` only) and the mail server (fault rules on
//! the sink, any target whose mail goes to our sink).

use std::time::Duration;

use cucumber::{given, when};

use crate::world::{MailServer, PortalWorld, StepFailure};

type Outcome = Result<(), StepFailure>;

#[given(expr = "the recovery link is {int} minutes old")]
async fn link_is_old(w: &mut PortalWorld, minutes: u64) -> Outcome {
    step!(w, w.time_passes(Duration::from_secs(minutes * 60)))
}

#[given("an hour has passed")]
#[when("an hour has passed")]
async fn an_hour_passes(w: &mut PortalWorld) -> Outcome {
    step!(w, w.time_passes(Duration::from_secs(61 * 60)))
}

#[when(expr = "{int} days have passed")]
async fn days_pass(w: &mut PortalWorld, days: u64) -> Outcome {
    step!(w, w.time_passes(Duration::from_secs(days * 24 * 3600)))
}

#[when(expr = "{int} minutes pass without my using the portal")]
async fn idle_minutes(w: &mut PortalWorld, minutes: u64) -> Outcome {
    step!(w, w.time_passes(Duration::from_secs(minutes * 60)))
}

#[when(expr = "I use the portal every {int} minutes for an hour")]
async fn use_every(w: &mut PortalWorld, minutes: u64) -> Outcome {
    step!(w, {
        w.use_portal_every(Duration::from_secs(minutes * 60), Duration::from_secs(3600))
            .await
    })
}

#[given("the mail server is down")]
async fn mail_down(w: &mut PortalWorld) -> Outcome {
    step!(w, w.mail_server(MailServer::Down).await)
}

/// The portal retries delivery on the wall clock (2 s after the failed attempt, then
/// doubling), so the email comes within the mailbox's wait once the sink accepts it again.
#[when("the mail server is back")]
async fn mail_back(w: &mut PortalWorld) -> Outcome {
    step!(w, w.mail_server(MailServer::Up).await)
}

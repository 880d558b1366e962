//! Control over the in-process stack: time and the mail server (`@in-process` only).

use std::time::Duration;

use cucumber::{given, when};

use crate::world::{PortalWorld, StepFailure};

type Outcome = Result<(), StepFailure>;

#[given(expr = "the recovery link is {int} minutes old")]
async fn link_is_old(w: &mut PortalWorld, minutes: u64) -> Outcome {
    step!(w, w.time_passes(Duration::from_secs(minutes * 60)))
}

#[when("an hour has passed")]
async fn an_hour_passes(w: &mut PortalWorld) -> Outcome {
    step!(w, w.time_passes(Duration::from_secs(61 * 60)))
}

#[given("the mail server is down")]
async fn mail_down(w: &mut PortalWorld) -> Outcome {
    step!(w, w.mail_server_up(false))
}

/// The portal retries on its own clock (5 s, then doubling): a minute later the retry is
/// due, well inside the recovery link's 30 minutes.
#[when("the mail server is back a minute later")]
async fn mail_back(w: &mut PortalWorld) -> Outcome {
    step!(w, {
        w.mail_server_up(true)
            .and_then(|()| w.time_passes(Duration::from_secs(60)))
    })
}

//! The JSON API, called as an app or a script does.

use cucumber::{then, when};

use crate::world::{PortalWorld, StepFailure, UnconfirmedPassword};

type Outcome = Result<(), StepFailure>;

#[when("I ask to restore the password of my account through the API")]
async fn api_recovery_mine(w: &mut PortalWorld) -> Outcome {
    step!(w, w.api_ask_recovery_for_mine().await)
}

#[when("I ask to restore the password of an address that has no account through the API")]
async fn api_recovery_unknown(w: &mut PortalWorld) -> Outcome {
    step!(w, w.api_ask_recovery_for_unknown().await)
}

#[when(expr = "I send a/an {int}-character new password with my recovery token through the API")]
async fn api_complete(w: &mut PortalWorld, length: usize) -> Outcome {
    step!(w, w.api_complete_recovery_with_length(length).await)
}

#[then(expr = "the API refuses it with status {int}")]
async fn api_refused(w: &mut PortalWorld, status: u16) -> Outcome {
    step!(w, w.api_refused_with(status))
}

#[then("the API accepts it")]
async fn api_accepted(w: &mut PortalWorld) -> Outcome {
    step!(w, w.api_accepted())
}

#[when("I try to log in through the API with that address and the password I chose")]
async fn api_log_in_unconfirmed_right(w: &mut PortalWorld) -> Outcome {
    step!(
        w,
        w.api_log_in_to_unconfirmed(UnconfirmedPassword::Chosen)
            .await
    )
}

#[when("I try to log in through the API with that address and a wrong password")]
async fn api_log_in_unconfirmed_wrong(w: &mut PortalWorld) -> Outcome {
    step!(
        w,
        w.api_log_in_to_unconfirmed(UnconfirmedPassword::Wrong)
            .await
    )
}

#[then("both answers are refusals")]
async fn both_refused(w: &mut PortalWorld) -> Outcome {
    step!(w, w.last_two_answers_refused())
}

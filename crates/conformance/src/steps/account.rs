//! The scenario's own account, logging in and sessions.

use cucumber::{given, then, when};

use crate::world::{PortalWorld, StepFailure};

type Outcome = Result<(), StepFailure>;

#[given("I have an account on the portal")]
async fn have_account(w: &mut PortalWorld) -> Outcome {
    step!(w, w.create_account().await)
}

#[given("I log in to the portal")]
#[when("I log in to the portal")]
async fn log_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.log_in().await)
}

#[given("I am logged in on another device")]
async fn other_device(w: &mut PortalWorld) -> Outcome {
    step!(w, w.log_in_on_other_device().await)
}

#[then("I can log in using the new password I defined")]
async fn can_log_in_new(w: &mut PortalWorld) -> Outcome {
    step!(w, w.can_log_in_with_new_password().await)
}

#[then("I can no longer log in using my old password")]
async fn cannot_log_in_old(w: &mut PortalWorld) -> Outcome {
    step!(w, w.cannot_log_in_with_old_password().await)
}

#[then("I can still log in using my password")]
async fn can_still_log_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.can_still_log_in().await)
}

#[then("I can no longer log in using the password I tried to set")]
async fn cannot_log_in_rejected(w: &mut PortalWorld) -> Outcome {
    step!(w, w.cannot_log_in_with_rejected_password().await)
}

#[then("I am not logged in")]
async fn not_logged_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.assert_logged_out(false).await)
}

#[then("I am still logged in")]
async fn still_logged_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.assert_logged_in().await)
}

#[then("the other device is logged out")]
async fn other_device_logged_out(w: &mut PortalWorld) -> Outcome {
    step!(w, w.assert_logged_out(true).await)
}

#[when(expr = "I sign up again with the email linked to my account")]
async fn sign_up_again(w: &mut PortalWorld) -> Outcome {
    step!(w, w.sign_up_again().await)
}

#[then("the answer is the one a new address gets")]
async fn sign_up_answer_neutral(w: &mut PortalWorld) -> Outcome {
    step!(w, w.sign_up_answers_identical())
}

#[when(expr = "I try to log in with a wrong password {int} times")]
async fn wrong_log_ins(w: &mut PortalWorld, times: usize) -> Outcome {
    step!(w, w.wrong_log_ins(times).await)
}

#[then("log-in is refused even with my password")]
async fn log_in_refused(w: &mut PortalWorld) -> Outcome {
    step!(w, w.log_in_refused_with_my_password().await)
}

//! The scenario's own account, logging in and sessions.

use cucumber::{given, then, when};

use crate::world::{Device, PortalWorld, StepFailure, UnconfirmedPassword};

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
    step!(w, w.can_log_in_with_current_password().await)
}

#[then("I can no longer log in using my old password")]
async fn cannot_log_in_old(w: &mut PortalWorld) -> Outcome {
    step!(w, w.cannot_log_in_with_old_password().await)
}

#[then("I can still log in using my password")]
async fn can_still_log_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.can_log_in_with_current_password().await)
}

#[then("I can no longer log in using the password I tried to set")]
async fn cannot_log_in_rejected(w: &mut PortalWorld) -> Outcome {
    step!(w, w.cannot_log_in_with_rejected_password().await)
}

#[then("I am not logged in")]
async fn not_logged_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.assert_logged_out(Device::This).await)
}

#[then("I am still logged in")]
async fn still_logged_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.assert_logged_in().await)
}

#[then("the other device is logged out")]
async fn other_device_logged_out(w: &mut PortalWorld) -> Outcome {
    step!(w, w.assert_logged_out(Device::Other).await)
}

#[given(expr = "I have an account on the portal with an address starting with {string}")]
async fn have_account_starting_with(w: &mut PortalWorld, initial: String) -> Outcome {
    step!(w, w.create_account_starting_with(&initial).await)
}

#[given("I logged in to the portal from my browser before")]
async fn logged_in_before(w: &mut PortalWorld) -> Outcome {
    step!(w, w.logged_in_before().await)
}

#[then("I can log in to the portal from my browser at once")]
async fn log_in_at_once(w: &mut PortalWorld) -> Outcome {
    step!(w, w.log_in().await)
}

#[then("I can log in using my password")]
async fn can_log_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.can_log_in_with_current_password().await)
}

#[when("I sign up again with the email linked to my account")]
async fn sign_up_again(w: &mut PortalWorld) -> Outcome {
    step!(w, w.sign_up_again(1).await)
}

#[when(expr = "I sign up again with the email linked to my account {int} times")]
async fn sign_up_again_n(w: &mut PortalWorld, times: usize) -> Outcome {
    step!(w, w.sign_up_again(times).await)
}

#[then("the answer is the one a new address gets")]
#[then("every answer is the one a new address gets")]
async fn sign_up_answer_neutral(w: &mut PortalWorld) -> Outcome {
    step!(w, w.sign_up_answers_identical())
}

#[when("I sign up with my address typed with a Kelvin sign instead of its first letter")]
async fn sign_up_kelvin(w: &mut PortalWorld) -> Outcome {
    step!(w, w.sign_up_with_kelvin_sign().await)
}

#[given("someone signed up with an address and never confirmed it")]
#[given("I signed up with a new address and did not confirm it")]
async fn signed_up_unconfirmed(w: &mut PortalWorld) -> Outcome {
    step!(w, w.sign_up_without_confirming().await)
}

#[when("I try to log in with that address and the password I chose")]
async fn log_in_unconfirmed_right(w: &mut PortalWorld) -> Outcome {
    step!(
        w,
        w.log_in_to_unconfirmed(UnconfirmedPassword::Chosen).await
    )
}

#[when("I try to log in with that address and a wrong password")]
async fn log_in_unconfirmed_wrong(w: &mut PortalWorld) -> Outcome {
    step!(w, w.log_in_to_unconfirmed(UnconfirmedPassword::Wrong).await)
}

#[when("I sign up with that address")]
async fn sign_up_with_that_address(w: &mut PortalWorld) -> Outcome {
    step!(w, w.sign_up_with_unconfirmed_address().await)
}

#[when("I confirm my account with the link in that email")]
async fn confirm_with_link(w: &mut PortalWorld) -> Outcome {
    step!(w, w.confirm_with_link().await)
}

#[then("the password of whoever signed up first does not work")]
async fn first_password_fails(w: &mut PortalWorld) -> Outcome {
    step!(w, w.unconfirmed_password_fails().await)
}

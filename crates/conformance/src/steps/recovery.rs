//! "I forgot my password": asking, the link, the new password.

use cucumber::{given, then, when};

use crate::world::{PortalWorld, SpecialPassword, StepFailure, Tamper};

type Outcome = Result<(), StepFailure>;

#[when(expr = "I enter the email linked to my account and click {string}")]
async fn enter_email_and_click(w: &mut PortalWorld, button: String) -> Outcome {
    step!(w, w.enter_email_and_click(&button).await)
}

#[given("I asked to restore my password")]
#[given("I asked to restore my password again")]
async fn asked_recovery(w: &mut PortalWorld) -> Outcome {
    step!(w, w.asked_recovery().await)
}

#[when("I ask to restore the password of an address that has no account")]
async fn ask_for_unknown(w: &mut PortalWorld) -> Outcome {
    step!(w, w.ask_recovery_for_unknown().await)
}

#[when("I ask to restore the password of my account")]
async fn ask_for_mine(w: &mut PortalWorld) -> Outcome {
    step!(w, w.ask_recovery_for_mine(1).await)
}

#[when(expr = "I ask to restore the password of my account {int} times")]
async fn ask_for_mine_n(w: &mut PortalWorld, times: usize) -> Outcome {
    step!(w, w.ask_recovery_for_mine(times).await)
}

#[given("I go to my emails and click the recovery link")]
#[when("I go to my emails and click the recovery link")]
#[then("I go to my emails and click the recovery link")]
async fn click_recovery_link(w: &mut PortalWorld) -> Outcome {
    step!(w, w.click_recovery_link().await)
}

#[when("I go to my emails and click the newest recovery link")]
async fn click_newest(w: &mut PortalWorld) -> Outcome {
    step!(w, w.click_newest_recovery_link().await)
}

#[when("I open the first recovery link")]
async fn open_first(w: &mut PortalWorld) -> Outcome {
    step!(w, w.open_first_recovery_link().await)
}

#[when("I open the same recovery link again")]
async fn open_again(w: &mut PortalWorld) -> Outcome {
    step!(w, w.open_same_link_again().await)
}

#[when(
    regex = r"^I open the recovery link (with the last character of its token changed|with its token cut in half|with its token replaced by a made-up one|without its token)$"
)]
async fn open_tampered(w: &mut PortalWorld, how: Tamper) -> Outcome {
    step!(w, w.open_tampered_link(how).await)
}

#[when("a mail scanner opens the recovery link first")]
async fn scanner_first(w: &mut PortalWorld) -> Outcome {
    step!(w, w.scanner_opens_link().await)
}

#[when("I enter a new password and validate")]
#[then("I enter a new password and validate")]
async fn enter_new_password(w: &mut PortalWorld) -> Outcome {
    step!(w, w.enter_new_password_and_validate().await)
}

async fn try_special(w: &mut PortalWorld, which: SpecialPassword) -> Outcome {
    let r = async {
        let (pw, confirm) = w.special_password(which)?;
        w.try_new_password(&pw, &confirm).await
    }
    .await;
    w.explain(r).await
}

#[when(expr = "I enter {string} as my new password and validate")]
async fn enter_literal(w: &mut PortalWorld, pw: String) -> Outcome {
    try_special(w, SpecialPassword::Literal(pw)).await
}

#[when(expr = "I enter my email address followed by {string} as my new password and validate")]
async fn enter_email_based(w: &mut PortalWorld, suffix: String) -> Outcome {
    try_special(w, SpecialPassword::EmailWith(suffix)).await
}

#[when(expr = "I enter a/an {int}-character password as my new password and validate")]
async fn enter_long(w: &mut PortalWorld, n: usize) -> Outcome {
    try_special(w, SpecialPassword::Length(n)).await
}

#[when("I enter a password with a different confirmation as my new password and validate")]
async fn enter_mismatch(w: &mut PortalWorld) -> Outcome {
    try_special(w, SpecialPassword::Mismatch).await
}

#[then("the recovery link is refused")]
async fn link_refused(w: &mut PortalWorld) -> Outcome {
    step!(w, w.recovery_link_refused().await)
}

#[then("both answers are the same")]
async fn answers_same(w: &mut PortalWorld) -> Outcome {
    step!(w, w.answers_identical())
}

#[then(expr = "every answer said {string}")]
async fn every_answer(w: &mut PortalWorld, sentence: String) -> Outcome {
    step!(w, w.every_answer_said(&sentence))
}

#[when(expr = "someone asks to restore my password with the Host header {string}")]
async fn forged_host(w: &mut PortalWorld, host: String) -> Outcome {
    step!(w, w.ask_recovery_with_forged_host(&host).await)
}

#[then("the address bar no longer shows the recovery token")]
async fn token_hidden(w: &mut PortalWorld) -> Outcome {
    step!(w, w.token_out_of_address_bar().await)
}

#[then("the recovery page is neither cached nor sent as a referrer")]
async fn page_private(w: &mut PortalWorld) -> Outcome {
    step!(w, w.recovery_page_private().await)
}

#[when(
    "another site makes my logged-in browser send the password change form without its CSRF token"
)]
async fn forged_change(w: &mut PortalWorld) -> Outcome {
    step!(w, w.forged_cross_site_change().await)
}

#[then("that request is refused")]
async fn forged_refused(w: &mut PortalWorld) -> Outcome {
    step!(w, w.forged_request_refused())
}

#[when("I ask to restore the password of my account typing my address in capitals")]
async fn ask_in_capitals(w: &mut PortalWorld) -> Outcome {
    step!(w, w.ask_recovery_for_mine_in_capitals().await)
}

#[when(
    "I ask to restore the password of my account typed with a Kelvin sign instead of its first letter"
)]
async fn ask_kelvin(w: &mut PortalWorld) -> Outcome {
    step!(w, w.ask_recovery_with_kelvin_sign().await)
}

#[when("I ask to restore the password of an address that has no account, typed the same way")]
async fn ask_unknown_kelvin(w: &mut PortalWorld) -> Outcome {
    step!(w, w.ask_recovery_for_unknown_with_kelvin_sign().await)
}

#[when(
    "I ask to restore the password of my account and of an address that has no account, one after the other, many times"
)]
async fn time_requests(w: &mut PortalWorld) -> Outcome {
    step!(w, w.time_recovery_requests().await)
}

#[then("both kinds of request take the same time")]
async fn same_time(w: &mut PortalWorld) -> Outcome {
    step!(w, w.same_time())
}

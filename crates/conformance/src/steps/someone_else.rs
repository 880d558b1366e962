//! What someone else does with the account (guesses, sign-ups, forged forms, probes),
//! and what the portal answered.

use cucumber::{then, when};

use crate::world::{PortalWorld, ScriptedForm, StepFailure};

type Outcome = Result<(), StepFailure>;

#[when(expr = "someone else tries to log in to my account with a wrong password {int} times")]
async fn wrong_log_ins(w: &mut PortalWorld, times: usize) -> Outcome {
    step!(w, w.someone_else_wrong_log_ins(times).await)
}

#[then("log-in from the other client is refused even with my password")]
async fn other_client_refused(w: &mut PortalWorld) -> Outcome {
    step!(w, w.other_client_refused().await)
}

#[then("the other client can log in using my password again")]
async fn other_client_logs_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.other_client_logs_in().await)
}

#[when(
    expr = "someone else sends {int} wrong passwords for my account at once, each from a new client"
)]
async fn wrong_at_once(w: &mut PortalWorld, n: usize) -> Outcome {
    step!(w, w.wrong_passwords_at_once(n).await)
}

#[when(expr = "someone else signs up {int} new addresses from one client")]
async fn many_sign_ups(w: &mut PortalWorld, n: usize) -> Outcome {
    step!(w, w.someone_else_signs_up(n).await)
}

#[then(expr = "no more than {int} of those addresses get a confirmation email")]
async fn at_most_n_confirmations(w: &mut PortalWorld, n: usize) -> Outcome {
    step!(w, w.at_most_n_crowd_confirmations(n).await)
}

#[then("the other client can sign up a new address again")]
async fn other_client_signs_up(w: &mut PortalWorld) -> Outcome {
    step!(w, w.other_client_signs_up().await)
}

#[then(expr = "at most {int} answers say {string}")]
async fn at_most_n_say(w: &mut PortalWorld, n: usize, sentence: String) -> Outcome {
    step!(w, w.at_most_n_answers_say(n, &sentence))
}

#[then(expr = "every other answer says {string}")]
async fn every_other_says(w: &mut PortalWorld, sentence: String) -> Outcome {
    step!(w, w.every_other_answer_says(&sentence))
}

#[when("someone sends the log-in form with my password and a CSRF cookie and token they made up")]
async fn made_up_csrf_log_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.send_form_with_made_up_csrf(ScriptedForm::LogIn).await)
}

#[when(
    "someone sends the password recovery form for my address with a CSRF cookie and token they made up"
)]
async fn made_up_csrf_recovery(w: &mut PortalWorld) -> Outcome {
    step!(
        w,
        w.send_form_with_made_up_csrf(ScriptedForm::Recovery).await
    )
}

#[then(expr = "that request is refused saying {string}")]
async fn refused_saying(w: &mut PortalWorld, sentence: String) -> Outcome {
    step!(w, w.scripted_request_refused_saying(&sentence))
}

#[when(expr = "someone opens {string} on the portal")]
async fn opens(w: &mut PortalWorld, path: String) -> Outcome {
    step!(w, w.someone_opens(&path).await)
}

#[then("the page is not found")]
async fn not_found(w: &mut PortalWorld) -> Outcome {
    step!(w, w.scripted_page_not_found())
}

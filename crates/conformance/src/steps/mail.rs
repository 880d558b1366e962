//! What arrives in the mailbox (and what must not).

use cucumber::then;

use crate::world::{PortalWorld, StepFailure};

type Outcome = Result<(), StepFailure>;

#[then("a password recovery email is sent to this email address")]
async fn recovery_email(w: &mut PortalWorld) -> Outcome {
    step!(w, w.recovery_email_arrives().await)
}

#[then("no email is sent to the address that has no account")]
async fn none_to_unknown(w: &mut PortalWorld) -> Outcome {
    step!(w, w.no_email_to_unknown().await)
}

#[then("no email is sent to this email address while the mail server is down")]
async fn none_while_down(w: &mut PortalWorld) -> Outcome {
    step!(w, w.no_recovery_email_while_down().await)
}

#[then(expr = "only {int} password recovery emails are sent to this email address")]
async fn only_n(w: &mut PortalWorld, n: usize) -> Outcome {
    step!(w, w.exactly_n_recovery_emails(n).await)
}

#[then(expr = "only {int} emails tell me someone tried to sign up with my address")]
async fn only_n_signup_attempts(w: &mut PortalWorld, n: usize) -> Outcome {
    step!(w, w.exactly_n_signup_attempt_emails(n).await)
}

#[then("no email is sent to this email address")]
async fn none_to_me(w: &mut PortalWorld) -> Outcome {
    step!(w, w.no_email_to_account().await)
}

#[then("no password recovery email is sent to this email address")]
async fn no_recovery_email(w: &mut PortalWorld) -> Outcome {
    step!(w, w.no_recovery_email().await)
}

#[then("a confirmation email is sent to that address")]
async fn confirmation_email(w: &mut PortalWorld) -> Outcome {
    step!(w, w.confirmation_email_to_account().await)
}

#[then("an email tells me someone tried to sign up with my address")]
#[then("an email tells me my password was changed")]
async fn notification(w: &mut PortalWorld) -> Outcome {
    step!(w, w.notification_arrives().await)
}

#[then("the recovery email is addressed to me with a subject about my password")]
async fn recovery_addressed(w: &mut PortalWorld) -> Outcome {
    step!(w, w.recovery_email_addressed())
}

#[then("its recovery link points to the portal's public address")]
async fn link_public(w: &mut PortalWorld) -> Outcome {
    step!(w, w.recovery_link_is_public())
}

#[then("it does not contain my password")]
async fn no_password(w: &mut PortalWorld) -> Outcome {
    step!(w, w.recovery_email_has_no_password())
}

#[then("that email is addressed to me with a subject about my password")]
async fn notification_addressed(w: &mut PortalWorld) -> Outcome {
    step!(w, w.notification_addressed())
}

#[then("that email contains neither password nor the token of another link")]
async fn notification_no_secret(w: &mut PortalWorld) -> Outcome {
    step!(w, w.notification_has_no_secret())
}

#[then("any recovery email sent links only to the portal's public address")]
async fn forged_host_links(w: &mut PortalWorld) -> Outcome {
    step!(w, w.forged_host_links_public().await)
}

#[then("it is addressed exactly as my account's address is stored")]
async fn to_stored_address(w: &mut PortalWorld) -> Outcome {
    step!(w, w.recovery_email_to_stored_address())
}

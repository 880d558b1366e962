//! Moving around the portal and reading it.

use cucumber::{given, then, when};

use crate::world::{PortalWorld, StepFailure};

type Outcome = Result<(), StepFailure>;

#[given("I go to the portal")]
#[when("I go to the portal")]
async fn go_to_portal(w: &mut PortalWorld) -> Outcome {
    step!(w, w.go_to_portal().await)
}

#[given(expr = "I click {string}")]
#[when(expr = "I click {string}")]
async fn click(w: &mut PortalWorld, name: String) -> Outcome {
    step!(w, w.click_said(&name).await)
}

#[when("I click the Settings icon")]
async fn click_settings(w: &mut PortalWorld) -> Outcome {
    step!(w, w.click_settings().await)
}

#[when(expr = "in the Password panel I click {string}")]
async fn click_in_password_panel(w: &mut PortalWorld, name: String) -> Outcome {
    step!(w, w.click_in_password_panel(&name).await)
}

#[then(expr = "I see {string}")]
async fn see(w: &mut PortalWorld, sentence: String) -> Outcome {
    step!(w, w.see(&sentence).await)
}

#[then("I see an error")]
async fn see_error(w: &mut PortalWorld) -> Outcome {
    step!(w, w.see_error(None).await)
}

#[then(expr = "I see an error saying {string}")]
async fn see_error_saying(w: &mut PortalWorld, words: String) -> Outcome {
    step!(w, w.see_error(Some(&words)).await)
}

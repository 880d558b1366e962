//! "I know my password and want to change it".

use cucumber::when;

use crate::world::{PortalWorld, StepFailure};

type Outcome = Result<(), StepFailure>;

#[when(expr = "I enter my current password, define a new one, and click {string}")]
async fn enter_current_and_new(w: &mut PortalWorld, button: String) -> Outcome {
    step!(w, w.enter_current_and_new_password(&button).await)
}

#[when("I change my password in the settings")]
async fn change_in_settings(w: &mut PortalWorld) -> Outcome {
    step!(w, w.change_password_in_settings(None).await)
}

#[when(expr = "I change my password in the settings giving {string} as the current password")]
async fn change_with_wrong_current(w: &mut PortalWorld, current: String) -> Outcome {
    step!(w, w.change_password_in_settings(Some(&current)).await)
}

#[when("I change my password in the settings confirming a different new password")]
async fn change_with_other_confirmation(w: &mut PortalWorld) -> Outcome {
    step!(w, w.change_password_in_settings_confirming_another().await)
}

//! Logging out, and the session it ends on the server.

use cucumber::{given, then, when};

use crate::world::{PortalWorld, StepFailure};

type Outcome = Result<(), StepFailure>;

#[given("I keep a copy of the cookies my browser sends")]
async fn copy_cookies(w: &mut PortalWorld) -> Outcome {
    step!(w, w.copy_session_cookies().await)
}

#[when("I log out")]
async fn log_out(w: &mut PortalWorld) -> Outcome {
    step!(w, w.log_out().await)
}

#[then("that copy of my cookies, sent again, does not reach my account")]
async fn copied_cookies_logged_out(w: &mut PortalWorld) -> Outcome {
    step!(w, w.copied_cookies_logged_out().await)
}

//! "Forgot your password?" requests: [`intake`] writes them in groups before answering,
//! doing the same for every address; [`batch`] turns queued ones into tokens and emails
//! (or nothing, for an address without an account), run by the background loop.

pub mod batch;
pub mod intake;

pub use batch::process_batch;
pub use intake::RecoveryIntake;

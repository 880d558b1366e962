//! Email: templates ([`templates`]), written to the outbox in the same transaction as the
//! change that caused them, and delivered by [`outbox::Outbox`] over SMTP.

pub mod outbox;
pub mod templates;

pub use outbox::{Mailer, Outbox};
pub use templates::RenderedEmail;

//! Email: templates ([`templates`]), written to the outbox in the same transaction as the
//! change that caused them, and delivered by [`worker::DeliveryWorker`] over SMTP.

pub mod templates;
pub mod worker;

pub use templates::RenderedEmail;
pub use worker::{DeliveryWorker, Mailer};

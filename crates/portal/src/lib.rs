//! `portal`: a self-hostable account portal whose "forgot password" and "change password"
//! journeys work exactly as the help article documents, over HTML pages and a JSON API.
//!
//! Layout (see ARCHITECTURE.md): [`config`] (flags + env), [`clock`] (injected time),
//! [`domain`] (parse-don't-validate newtypes), [`hashing`] (the Argon2 pool), [`i18n`] (the languages), [`store`] (sqlx, portable SQL),
//! [`mail`] (templates, outbox delivery), [`recovery`] (group commit of recovery
//! requests, and the batch that turns them into emails), [`background`] (the loop
//! beside the HTTP server), [`settings`], [`limits`] (every rate limit), [`keys`] (the server secret:
//! CSRF and device tokens), [`accounts`] (the use cases shared by
//! the HTML pages and the API), [`web`] (axum), [`startup`] (`Application`).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
pub mod audit;
pub mod background;
pub mod clock;
pub mod config;
pub mod domain;
pub mod hashing;
pub mod i18n;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod recovery;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;

pub use config::Config;
pub use startup::Application;

//! Process-level tests of the scale-out model: real `portal` processes on one
//! PostgreSQL database and one mail sink, with faults injected (SMTP relay cut or hung,
//! database cut, SIGKILL).
//!
//! They need a PostgreSQL server: `PORTAL_TEST_DATABASE_URL=postgres://user@host:port/db`
//! (an account allowed to create databases; each test creates and drops its own). They
//! are ignored by a plain `cargo test`; `cargo xtask ci` runs them with
//! `cargo test -p portal --test cluster -- --include-ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod database_outage;
mod harness;
mod mail_faults;
mod scale_out;

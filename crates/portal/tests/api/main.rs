//! The portal's integration tests: one binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod attacks;
#[path = "../common/mod.rs"]
mod common;
mod csrf_and_headers;
mod enumeration;
mod flood;
mod helpers;
mod journeys_api;
mod journeys_html;
mod languages;
mod operations;
mod password_policy;
mod sessions;
mod storage;
mod tokens;

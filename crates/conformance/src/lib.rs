//! The Gherkin conformance suite: `features/*.feature` (the help article's steps, word for
//! word, then the security and failure rules) run against the portal.
//!
//! - [`world`]: the cucumber World, a small browser plus a mailbox, one account per
//!   scenario; [`steps`]: one-line step definitions grouped by concept, each file
//!   mirrored by the World's module of the same name.
//! - [`browser`]: the same gestures over HTTP ([`htmlform`] reads the pages) or in
//!   Chromium through WebDriver ([`chromedriver`] starts the driver).
//! - [`stack`]: the in-process target (portal + sink + manual clock);
//!   [`mail`]: waiting on the sink.
//! - [`profile`]: a target's texts, paths, accounts, mail, claimed rules and expected
//!   failures (`profiles/<name>.toml`).
//! - [`results`]: each scenario's steps and evidence, judged against the expected
//!   failures; [`report`]: the evidence report (HTML); [`timing`] and [`stats`]: the
//!   known/unknown address timing and its statistics.
//! - [`runner`]: console, JUnit XML and cucumber JSON reports, the exit status.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod browser;
pub mod chromedriver;
pub mod cli;
pub mod mail;
pub mod profile;
pub mod report;
pub mod results;
pub mod runner;
pub mod stack;
pub mod stats;
mod steps;
pub mod timing;
pub mod world;

pub use cli::Options;
pub use runner::{Report, run};

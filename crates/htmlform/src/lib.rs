//! A small browser for tests, over HTTP: it follows links and presses buttons by their
//! visible text (or accessible name), fills fields by their label, submits forms with
//! their hidden fields, and keeps cookies. No JavaScript, no CSS: what the markup says is
//! what a user could do.
//!
//! - [`Browser`]: one user agent with its own cookie jar; each gesture returns the new
//!   [`Page`], so a test can keep a page and press its buttons again.
//! - [`Page`]: a fetched page (address, status, headers, markup) and what a user reads
//!   and finds on it.
//! - [`markup`]: the same reading as pure functions over the markup.
//!
//! ```no_run
//! # async fn journey(base: url::Url) -> Result<(), htmlform::Error> {
//! let browser = htmlform::Browser::new()?.with_base(base);
//! let home = browser.get("/").await?;
//! let login = browser.click(&home, "Continue with email").await?;
//! let account = browser
//!     .submit(&login, "Log in", &[("Email", "alice@example.com"), ("Password", "…")])
//!     .await?;
//! assert!(account.link("Settings").is_some());
//! # Ok(()) }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod browser;
pub mod markup;
mod page;

pub use browser::{Browser, Error};
pub use markup::{Action, PageError, Submission};
pub use page::{Page, header_shape};

//! Step definitions, grouped by concept. Each step is one call into a
//! [`PortalWorld`](crate::world::PortalWorld) method; [`step!`] adds what the page
//! showed to a failure.

/// Runs a World call and turns its error into a step failure that shows the page.
macro_rules! step {
    ($w:ident, $e:expr) => {{
        let result: anyhow::Result<()> = $e;
        $w.explain(result).await
    }};
}

mod account;
mod api;
mod change;
mod control;
mod mail;
mod pages;
mod recovery;
mod session;
mod someone_else;
mod translated;

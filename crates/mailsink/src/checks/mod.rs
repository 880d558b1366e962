//! Mailpit's message checks: links ([`links`], `GET /api/v1/message/{ID}/link-check`)
//! and HTML/CSS support in mail clients ([`html`], `GET /api/v1/message/{ID}/html-check`,
//! from the table in [`caniemail`]).

pub(crate) mod caniemail;
pub(crate) mod html;
pub(crate) mod links;

//! A fetched page, and what a user reads and finds on it.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use url::Url;

use crate::markup::{self, Action, PageError, Submission};

/// A page as the browser received it (after redirects).
#[derive(Debug, Clone)]
pub struct Page {
    /// Where the page is: the address bar, after redirects.
    pub url: Url,
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The markup.
    pub html: String,
}

impl Page {
    /// The text a user reads (body only, hidden elements left out), whitespace collapsed.
    pub fn text(&self) -> String {
        markup::visible_text(&self.html)
    }

    /// Whether the page shows `sentence` (whitespace collapsed on both sides).
    pub fn says(&self, sentence: &str) -> bool {
        self.text().contains(&markup::normalize(sentence))
    }

    /// The texts of the page's `role="alert"` elements (where errors are shown).
    pub fn alerts(&self) -> Vec<String> {
        markup::alerts(&self.html)
    }

    /// The text of the first `role="alert"` element.
    pub fn alert(&self) -> Option<String> {
        self.alerts().into_iter().next()
    }

    /// The page title.
    pub fn title(&self) -> Option<String> {
        markup::title(&self.html)
    }

    /// A response header, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Where the link named `name` (its text or accessible name) leads.
    pub fn link(&self, name: &str) -> Option<Url> {
        match self.plan(name, &[]) {
            Ok(Action::Get(url)) => Some(url),
            _ => None,
        }
    }

    /// What pressing the button `button` sends when nothing was typed: the form's
    /// address, method and fields (hidden ones and defaults included).
    pub fn form(&self, button: &str) -> Option<Submission> {
        match self.plan(button, &[]) {
            Ok(Action::Submit(submission)) => Some(submission),
            _ => None,
        }
    }

    /// Whether the page has a link or button named `name`.
    pub fn has_clickable(&self, name: &str) -> bool {
        self.plan(name, &[]).is_ok()
    }

    /// The `name` of the field labelled `label`.
    pub fn field_name(&self, label: &str) -> Result<String, PageError> {
        markup::field_name(&self.html, label)
    }

    /// Whether the page has a field labelled `label`.
    pub fn has_field(&self, label: &str) -> bool {
        markup::has_field(&self.html, label)
    }

    /// What clicking the link or button named `name` does, with `typed` (field name,
    /// value) applied to the form it submits.
    pub fn plan(&self, name: &str, typed: &[(String, String)]) -> Result<Action, PageError> {
        markup::plan_click(&self.url, &self.html, name, typed)
    }
}

/// Response headers as a comparable list: every header but `Date`, cookies by name and
/// attributes without their value, sorted. Enumeration-safe answers have the same.
pub fn header_shape(headers: &reqwest::header::HeaderMap) -> Vec<String> {
    let mut shape: Vec<String> = headers
        .iter()
        .filter(|(name, _)| *name != reqwest::header::DATE)
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or("<binary>");
            if *name == reqwest::header::SET_COOKIE {
                let mut parts = value.split(';');
                let cookie = parts.next().unwrap_or_default();
                let cookie_name = cookie.split('=').next().unwrap_or_default();
                let attrs: Vec<&str> = parts.map(str::trim).collect();
                format!("set-cookie: {cookie_name}=…; {}", attrs.join("; "))
            } else {
                format!("{name}: {value}")
            }
        })
        .collect();
    shape.sort();
    shape
}

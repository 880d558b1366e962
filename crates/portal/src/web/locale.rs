//! The language a request is answered in, chosen once per request by [`middleware`] and
//! read by whatever renders the answer ([`current`]):
//!
//! - pages: the `portal_lang` cookie (set by the language switcher's links, `?lang=de`
//!   on any page), else `Accept-Language`, else `PORTAL_DEFAULT_LANGUAGE`;
//! - the API (`/api/`): `Accept-Language`, else the default.
//!
//! It depends on the request only, never on an account: the recovery answer for a given
//! request is the same whether the address has an account or not. Emails are written in
//! the account's own language instead (`accounts`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fluent_bundle::FluentValue;

use super::{AppState, cookies};
use crate::i18n::{Lang, Languages};

/// Remembers the language chosen with the switcher.
pub const COOKIE: &str = "portal_lang";
/// The query parameter of the switcher's links.
pub const PARAMETER: &str = "lang";
/// How long the choice is remembered (a year, in seconds).
const COOKIE_MAX_AGE: i64 = 365 * 24 * 3600;

tokio::task_local! {
    static REQUEST: RequestLocale;
}

#[derive(Clone)]
struct RequestLocale {
    lang: Lang,
    /// The request's path and query without the switcher's parameter.
    here: String,
    /// The enabled languages.
    offered: Vec<Lang>,
}

/// The language of the request being answered (the source language outside a request).
pub fn current() -> Lang {
    REQUEST.try_with(|r| r.lang).unwrap_or(Lang::SOURCE)
}

/// One link of the language switcher.
pub struct SwitchLink {
    /// The language's code (`lang` and `hreflang` of the link).
    pub code: &'static str,
    /// Its name, in itself.
    pub name: String,
    /// This page in that language.
    pub href: String,
    /// Whether the page is in this language.
    pub current: bool,
}

/// The language switcher of the page being answered: this page in each enabled language.
pub fn switch_links() -> Vec<SwitchLink> {
    REQUEST
        .try_with(|r| {
            r.offered
                .iter()
                .map(|l| SwitchLink {
                    code: l.code(),
                    name: l.t("language-name"),
                    href: with_parameter(&r.here, l.code()),
                    current: *l == r.lang,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `here` with `lang=<code>` added to its query.
fn with_parameter(here: &str, code: &str) -> String {
    let sep = if here.contains('?') { '&' } else { '?' };
    format!("{here}{sep}{PARAMETER}={code}")
}

/// The texts of a page in its language, for templates: `t` for a message, `with` for one
/// with a variable, `link` for one with a link in it (HTML). `$product` is always set.
#[derive(Clone)]
pub struct Tr {
    lang: Lang,
    product: String,
}

impl Tr {
    /// The texts of the request being answered.
    pub fn current(product: &str) -> Self {
        Self {
            lang: current(),
            product: product.to_owned(),
        }
    }

    /// The language's code, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// Message `id`.
    pub fn t(&self, id: &str) -> String {
        self.lang
            .fmt(id, &[("product", self.product.as_str().into())])
    }

    /// Message `id` with the variable `name` set to `value`.
    pub fn with<'a>(&self, id: &str, name: &str, value: impl Into<FluentValue<'a>>) -> String {
        self.lang.fmt(
            id,
            &[
                ("product", self.product.as_str().into()),
                (name, value.into()),
            ],
        )
    }

    /// Message `id` as HTML, its `$link` a link to `href` (use with `|safe`).
    pub fn link(&self, id: &str, href: &str) -> String {
        self.lang
            .linked(id, &[("product", self.product.as_str().into())], href)
    }
}

/// Chooses the language of each request (see the module) and answers with it: runs the
/// rest of the request with it, says it in `Content-Language`, and `Vary` names what it
/// was chosen by. A page asked for with `?lang=<code>` (a switcher link) is answered with
/// a redirect to itself without the parameter, remembering the choice in a cookie.
pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let languages = &state.accounts.settings().languages;
    let api = req.uri().path().starts_with("/api/");
    let switching = !api && matches!(*req.method(), Method::GET | Method::HEAD);
    if switching && let Some(code) = parameter(req.uri()) {
        let mut res = (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, location(req.uri()))],
        )
            .into_response();
        if let Some(lang) = languages.get(&code) {
            res.headers_mut().append(
                header::SET_COOKIE,
                cookies::set(
                    COOKIE,
                    lang.code(),
                    "/",
                    Some(COOKIE_MAX_AGE),
                    state.secure_cookies,
                ),
            );
        }
        return res;
    }
    let lang = choose(languages, req.headers(), api);
    let local = RequestLocale {
        lang,
        here: without_parameter(req.uri()),
        offered: languages.enabled().to_vec(),
    };
    let mut res = REQUEST.scope(local, next.run(req)).await;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    headers.append(
        header::VARY,
        HeaderValue::from_static(if api {
            "Accept-Language"
        } else {
            "Accept-Language, Cookie"
        }),
    );
    res
}

/// The language of a request (see the module).
fn choose(languages: &Languages, headers: &HeaderMap, api: bool) -> Lang {
    let chosen = (!api)
        .then(|| cookies::get(headers, COOKIE))
        .flatten()
        .and_then(|code| languages.get(&code));
    chosen.unwrap_or_else(|| {
        languages.from_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    })
}

/// The switcher's parameter, if the query has one.
fn parameter(uri: &Uri) -> Option<String> {
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k == PARAMETER)
        .map(|(_, v)| v.into_owned())
}

/// The path and query of `uri` without the switcher's parameter.
fn without_parameter(uri: &Uri) -> String {
    let path = uri.path();
    // Never `//host/...`: a browser would read it as another site.
    let path = if path.starts_with("//") || path.starts_with("/\\") || !path.starts_with('/') {
        "/"
    } else {
        path
    };
    let rest: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k != PARAMETER)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    if rest.is_empty() {
        return path.to_owned();
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(rest)
        .finish();
    format!("{path}?{query}")
}

/// Where a switcher link redirects: the page without the parameter.
fn location(uri: &Uri) -> HeaderValue {
    HeaderValue::from_str(&without_parameter(uri)).unwrap_or(HeaderValue::from_static("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn the_parameter_is_taken_off_and_the_rest_kept() {
        assert_eq!(without_parameter(&uri("/login?lang=de")), "/login");
        assert_eq!(
            without_parameter(&uri("/confirm?token=abc_-1&lang=fr")),
            "/confirm?token=abc_-1"
        );
        assert_eq!(parameter(&uri("/x?a=1&lang=es")).as_deref(), Some("es"));
        assert_eq!(parameter(&uri("/x?a=1")), None);
    }

    #[test]
    fn a_switcher_link_never_leads_to_another_site() {
        assert_eq!(without_parameter(&uri("//evil.example/?lang=de")), "/");
        assert_eq!(without_parameter(&uri("/\\evil.example/?lang=de")), "/");
        assert_eq!(
            without_parameter(&uri("http://evil.example/next?lang=de")),
            "/next"
        );
    }

    #[test]
    fn links_add_the_parameter() {
        assert_eq!(with_parameter("/login", "de"), "/login?lang=de");
        assert_eq!(
            with_parameter("/confirm?token=x", "es"),
            "/confirm?token=x&lang=es"
        );
    }

    #[test]
    fn pages_prefer_the_cookie_and_the_api_the_header() {
        let l = Languages::all();
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("fr, en"));
        h.insert(header::COOKIE, HeaderValue::from_static("portal_lang=de"));
        assert_eq!(choose(&l, &h, false).code(), "de");
        assert_eq!(choose(&l, &h, true).code(), "fr");
        h.insert(header::COOKIE, HeaderValue::from_static("portal_lang=xx"));
        assert_eq!(choose(&l, &h, false).code(), "fr");
        assert_eq!(choose(&l, &HeaderMap::new(), false).code(), "en");
    }
}

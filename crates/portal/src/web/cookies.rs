//! Reading and writing cookies, and the CSRF double-submit token.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq as _;

/// Session cookie of the HTML portal (its value is the session id).
pub const SESSION: &str = "portal_session";
/// CSRF double-submit cookie.
pub const CSRF: &str = "portal_csrf";
/// Holds the recovery token after the emailed link was opened, so that the token leaves
/// the address bar.
pub const RECOVERY: &str = "portal_recovery";

/// The value of cookie `name`, if sent.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: always `HttpOnly` and `SameSite=Lax`, `Secure` when the public
/// URL is https. `max_age` `Some(0)` deletes the cookie.
pub fn set(name: &str, value: &str, path: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut s = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        s.push_str("; Secure");
    }
    // Values are base64url or empty, names constant: always a valid header value.
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The CSRF token for this client: the cookie's value, or a new one with the
/// `Set-Cookie` to send.
pub fn csrf_token(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    match get(headers, CSRF).filter(|v| v.len() >= 32 && v.len() <= 64) {
        Some(v) => (v, None),
        None => {
            let v = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
            let cookie = set(CSRF, &v, "/", None, secure);
            (v, Some(cookie))
        }
    }
}

/// Whether the form's token matches the cookie (constant time).
pub fn csrf_ok(headers: &HeaderMap, form_token: &str) -> bool {
    match get(headers, CSRF) {
        Some(cookie) if !form_token.is_empty() => {
            cookie.as_bytes().ct_eq(form_token.as_bytes()).into()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; portal_csrf=xyz; b=2"),
        );
        assert_eq!(get(&h, CSRF).as_deref(), Some("xyz"));
        assert_eq!(get(&h, SESSION), None);
    }

    #[test]
    fn csrf_needs_the_cookie_and_the_same_value() {
        let mut h = HeaderMap::new();
        assert!(!csrf_ok(&h, "abc"));
        h.insert(header::COOKIE, HeaderValue::from_static("portal_csrf=abc"));
        assert!(csrf_ok(&h, "abc"));
        assert!(!csrf_ok(&h, "abd"));
        assert!(!csrf_ok(&h, ""));
    }

    #[test]
    fn set_cookie_has_the_safe_attributes() {
        let v = set(SESSION, "x", "/", Some(60), true);
        let s = v.to_str().unwrap();
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax") && s.contains("Secure"));
        assert!(
            !set(SESSION, "x", "/", None, false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }
}

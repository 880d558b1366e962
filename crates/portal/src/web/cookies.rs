//! Reading and writing cookies, and the CSRF token pair.
//!
//! CSRF: the `portal_csrf` cookie holds a random pre-session id; the form token is an
//! HMAC, under a key derived from the server secret, of that id and the session cookie
//! (see [`crate::keys::Keys::csrf_token`]). A client cannot make a token for cookies of
//! its choosing, and a token stops working when the session changes. On https the cookie
//! is `__Host-portal_csrf`, which a sibling subdomain cannot set.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};

use crate::keys::Keys;

/// Session cookie of the HTML portal (its value is the session id).
pub const SESSION: &str = "portal_session";
/// Holds the recovery token after the emailed link was opened, so that the token leaves
/// the address bar.
pub const RECOVERY: &str = "portal_recovery";
/// How long a device cookie lasts (a year, in seconds).
pub const DEVICE_MAX_AGE: i64 = 365 * 24 * 3600;

/// Name of the CSRF pre-session cookie (`__Host-` prefixed on https).
pub fn csrf_name(secure: bool) -> &'static str {
    if secure {
        "__Host-portal_csrf"
    } else {
        "portal_csrf"
    }
}

/// Name of the device cookie (`__Host-` prefixed on https).
pub fn device_name(secure: bool) -> &'static str {
    if secure {
        "__Host-portal_device"
    } else {
        "portal_device"
    }
}

/// The value of cookie `name`, if sent (the first one, as browsers send the most
/// specific first). Malformed pairs are skipped.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value_trimmed().to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: always `HttpOnly`, `SameSite=Lax` and `Path`, `Secure` when the
/// public URL is https. `max_age` `Some(0)` deletes the cookie.
pub fn set(name: &str, value: &str, path: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = Cookie::build((name.to_owned(), value.to_owned()))
        .path(path.to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(age) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(age));
    }
    // Values are base64url, hex, dots or empty, names constant: a valid header value.
    HeaderValue::from_str(&c.build().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A pre-session id as sent, if it has the right shape.
fn pre_session(headers: &HeaderMap, secure: bool) -> Option<String> {
    get(headers, csrf_name(secure)).filter(|v| {
        (32..=64).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The CSRF token for this client's forms: bound to its pre-session cookie (made now,
/// with the `Set-Cookie` to send, when it has none) and to `session`, the session id
/// its next request will carry (`None`: the one it sent).
pub fn csrf_token(
    headers: &HeaderMap,
    keys: &Keys,
    secure: bool,
    session: Option<&str>,
) -> (String, Option<HeaderValue>) {
    let sent_session = get(headers, SESSION).unwrap_or_default();
    let session = session.unwrap_or(&sent_session);
    match pre_session(headers, secure) {
        Some(p) => (keys.csrf_token(&p, session), None),
        None => {
            let p = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
            let cookie = set(csrf_name(secure), &p, "/", None, secure);
            (keys.csrf_token(&p, session), Some(cookie))
        }
    }
}

/// Whether the form's token is the one of this request's cookies (constant time).
pub fn csrf_ok(headers: &HeaderMap, keys: &Keys, secure: bool, form_token: &str) -> bool {
    let Some(p) = pre_session(headers, secure) else {
        return false;
    };
    let session = get(headers, SESSION).unwrap_or_default();
    keys.csrf_ok(&p, &session, form_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::derive("a test secret that is long enough")
    }

    fn with_cookie(c: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static(c));
        h
    }

    #[test]
    fn cookies_are_found_among_others() {
        let h = with_cookie("a=1; portal_csrf=xyz; b=2");
        assert_eq!(get(&h, "portal_csrf").as_deref(), Some("xyz"));
        assert_eq!(get(&h, SESSION), None);
    }

    #[test]
    fn a_token_made_for_the_cookies_is_accepted() {
        let h = with_cookie("portal_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        let (t, set_cookie) = csrf_token(&h, &keys(), false, None);
        assert!(set_cookie.is_none());
        assert!(csrf_ok(&h, &keys(), false, &t));
        assert!(!csrf_ok(
            &h,
            &keys(),
            false,
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        ));
        assert!(!csrf_ok(&h, &keys(), false, ""));
        // On https only the __Host- cookie counts.
        assert!(!csrf_ok(&h, &keys(), true, &t));
    }

    #[test]
    fn a_client_chosen_pair_is_refused() {
        let h = with_cookie("portal_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert!(!csrf_ok(
            &h,
            &keys(),
            false,
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ));
        let h = with_cookie("portal_csrf=a");
        assert!(!csrf_ok(&h, &keys(), false, "a"));
    }

    #[test]
    fn a_token_stops_working_when_the_session_changes() {
        let h = with_cookie(
            "portal_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; portal_session=one",
        );
        let (t, _) = csrf_token(&h, &keys(), false, None);
        assert!(csrf_ok(&h, &keys(), false, &t));
        let other = with_cookie(
            "portal_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; portal_session=two",
        );
        assert!(!csrf_ok(&other, &keys(), false, &t));
        let (next, _) = csrf_token(&h, &keys(), false, Some("two"));
        assert!(csrf_ok(&other, &keys(), false, &next));
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

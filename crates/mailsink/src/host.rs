//! Which `Host` headers the HTTP server answers: the defence against DNS rebinding.
//!
//! A web page whose name is rebound to 127.0.0.1 reaches the sink with the page's own
//! name in `Host` (a browser always sends the name it resolved), and would otherwise
//! read every captured email, recovery links included. So the sink answers only:
//! - IP literals (`127.0.0.1:8025`, `[::1]:8025`, ...) and `localhost`, on the port it
//!   listens on: no DNS is involved, there is nothing to rebind;
//! - the names given in `allowed_hosts` (`--allowed-hosts`), on any port (a reverse
//!   proxy may publish the sink on another one); `name:port` only on that port, and
//!   `.example.com` also covers its subdomains. `*` turns the check off.
//!
//! A request without `Host` is refused as well: HTTP/1.1 requires it, and no browser
//! leaves it out.

use std::net::{Ipv4Addr, Ipv6Addr};

use anyhow::bail;
use axum::http::{HeaderMap, Uri, header};

/// Longest `Host` value echoed in a refusal.
const MAX_ECHO: usize = 100;

/// One `--allowed-hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    /// Lower case, no trailing dot, IPv6 without brackets.
    host: String,
    /// `.example.com`: the name and its subdomains.
    subdomains: bool,
    /// Only this port (`name:port`); `None`: any.
    port: Option<u16>,
}

/// The `Host` rule of one HTTP listener.
#[derive(Debug, Clone)]
pub(crate) struct AllowedHosts {
    any: bool,
    port: u16,
    names: Vec<Allowed>,
}

/// `host[:port]` or `[v6][:port]`: the host in lower case without a trailing dot, and
/// the port if one was given (an empty port counts as none). `None` when malformed.
fn split_authority(s: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        // In its canonical form, so `[0::1]` and `[::1]` compare equal.
        (v6.parse::<Ipv6Addr>().ok()?.to_string(), port)
    } else {
        let (name, port) = match s.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (s, None),
        };
        let name = name.strip_suffix('.').unwrap_or(name);
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !valid {
            return None;
        }
        (name.to_ascii_lowercase(), port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().ok()?),
        Some(_) => return None,
    };
    Some((host, port))
}

fn is_ip_literal(host: &str) -> bool {
    host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok()
}

impl AllowedHosts {
    /// Parses the `allowed_hosts` entries (empty ones are skipped); the port is set by
    /// [`AllowedHosts::on_port`] once the listener is bound.
    pub(crate) fn new(entries: &[String]) -> anyhow::Result<Self> {
        let mut hosts = Self {
            any: false,
            port: 0,
            names: Vec::new(),
        };
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if entry == "*" {
                hosts.any = true;
                continue;
            }
            let (subdomains, name) = match entry.strip_prefix('.') {
                Some(domain) => (true, domain),
                None => (false, entry),
            };
            // A bare IPv6 address is taken as it is meant, without brackets.
            let parsed = match name.parse::<Ipv6Addr>() {
                Ok(v6) => Some((v6.to_string(), None)),
                Err(_) => split_authority(name),
            };
            let Some((host, port)) = parsed else {
                bail!(
                    "allowed hosts: {entry:?} is not a host name (e.g. mail.example or mail.example:8025)"
                );
            };
            hosts.names.push(Allowed {
                host,
                subdomains,
                port,
            });
        }
        Ok(hosts)
    }

    /// The port the listener is bound to.
    pub(crate) fn on_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether a `Host` value (`host[:port]`) may be answered.
    pub(crate) fn allows(&self, value: &str) -> bool {
        if self.any {
            return true;
        }
        let Some((host, port)) = split_authority(value) else {
            return false;
        };
        // No port in `Host` means the scheme's default: plain HTTP here.
        let port = port.unwrap_or(80);
        if port == self.port && (host == "localhost" || is_ip_literal(&host)) {
            return true;
        }
        self.names.iter().any(|a| {
            let name_matches = host == a.host
                || (a.subdomains
                    && host
                        .strip_suffix(a.host.as_str())
                        .is_some_and(|sub| sub.ends_with('.')));
            name_matches && a.port.is_none_or(|p| p == port)
        })
    }

    /// Checks a request: exactly one `Host` header that is allowed, and, for a request
    /// in absolute form (`GET http://name/ HTTP/1.1`), an allowed authority as well.
    /// `Err` holds the plain-text reason for the 403.
    pub(crate) fn check(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), String> {
        if self.any {
            return Ok(());
        }
        let mut values = headers.get_all(header::HOST).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err("Blocked request: it needs exactly one Host header.\n".into());
        };
        let value = String::from_utf8_lossy(value.as_bytes());
        let authority = uri.authority().map(|a| a.as_str());
        for host in std::iter::once(value.as_ref()).chain(authority) {
            if !self.allows(host) {
                let shown: String = host.chars().take(MAX_ECHO).collect();
                return Err(format!(
                    "Blocked request: Host {shown:?} is not allowed (DNS rebinding protection). \
                     To allow it, start the sink with --allowed-hosts NAME \
                     (MAILSINK_ALLOWED_HOSTS, or SinkConfig::allowed_hosts).\n"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str], port: u16) -> AllowedHosts {
        let entries: Vec<String> = entries.iter().map(|&e| e.to_owned()).collect();
        AllowedHosts::new(&entries).unwrap().on_port(port)
    }

    #[test]
    fn ip_literals_and_localhost_on_the_listening_port_are_allowed() {
        let h = hosts(&[], 8025);
        for ok in [
            "127.0.0.1:8025",
            "localhost:8025",
            "LocalHost.:8025",
            "[::1]:8025",
            "10.1.2.3:8025",
            "[fe80::1]:8025",
        ] {
            assert!(h.allows(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:8025",
            "127.0.0.1:8026",
            "localhost",
            "127.0.0.1",
            "localhost.evil.example:8025",
            "127.0.0.1.evil.example:8025",
            "::1:8025",
            "[::1",
            "[::1]8025",
            "2130706433:8025",
            "0177.0.0.1:8025",
            "user@127.0.0.1:8025",
            "127.0.0.1:8025:8025",
            "127.0.0.1:+8025",
            "127.0.0.1:80250",
            "",
            ":8025",
            "évil.example:8025",
            "evil example:8025",
        ] {
            assert!(!h.allows(refused), "{refused}");
        }
        // No port means port 80.
        assert!(hosts(&[], 80).allows("127.0.0.1"));
        assert!(hosts(&[], 80).allows("localhost"));
    }

    #[test]
    fn allowed_names_match_any_port_unless_one_is_given() {
        let h = hosts(
            &[
                " mail.example ",
                "Other.Example:9000",
                ".corp.example",
                "",
                "[::2]",
            ],
            8025,
        );
        assert!(h.allows("mail.example"));
        assert!(h.allows("MAIL.example.:443"));
        assert!(!h.allows("sub.mail.example"));
        assert!(h.allows("other.example:9000"));
        assert!(!h.allows("other.example:8025"));
        assert!(h.allows("corp.example:1"));
        assert!(h.allows("a.b.corp.example"));
        assert!(!h.allows("evilcorp.example"));
        assert!(h.allows("[::2]:1"));
        assert!(!h.allows("evil.example"));
    }

    #[test]
    fn a_star_allows_anything_and_bad_entries_are_refused() {
        let h = hosts(&["mail.example", "*"], 8025);
        assert!(h.allows("evil.example"));
        assert!(h.check(&HeaderMap::new(), &Uri::from_static("/")).is_ok());
        for bad in [
            "a b",
            "x/y",
            "http://mail.example",
            "mail.example:port",
            "é.example",
        ] {
            assert!(AllowedHosts::new(&[bad.to_owned()]).is_err(), "{bad}");
        }
        assert!(AllowedHosts::new(&["::1".to_owned()]).is_ok());
    }

    #[test]
    fn requests_need_one_allowed_host_and_an_allowed_absolute_uri() {
        let h = hosts(&[], 8025);
        let with = |values: &[&str]| {
            let mut map = HeaderMap::new();
            for v in values {
                map.append(header::HOST, v.parse().unwrap());
            }
            map
        };
        let path = Uri::from_static("/api/v1/messages");
        assert!(h.check(&with(&["127.0.0.1:8025"]), &path).is_ok());
        assert!(h.check(&with(&[]), &path).is_err());
        assert!(
            h.check(&with(&["127.0.0.1:8025", "evil.example"]), &path)
                .is_err()
        );
        let reason = h.check(&with(&["evil.example"]), &path).unwrap_err();
        assert!(reason.contains("\"evil.example\""), "{reason}");
        let absolute = Uri::from_static("http://evil.example/api/v1/messages");
        assert!(h.check(&with(&["127.0.0.1:8025"]), &absolute).is_err());
    }
}

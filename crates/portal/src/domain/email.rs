use std::fmt;

/// A syntactically valid email address, trimmed. The original case is kept for
/// sending; [`EmailAddress::lookup_key`] is what accounts are found by.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

/// Why a text is not an email address (shown to the user as is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing was entered.
    #[error("Enter your email address.")]
    Empty,
    /// The text does not have the shape name@domain.
    #[error("Enter a valid email address, like name@example.com.")]
    Invalid,
}

impl EmailAddress {
    /// Parses a typed address: one `@`, a local part of 1..=64 and a domain of
    /// 1..=253 characters with a dot, no spaces or control characters, 254 in all.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.chars().count() > 254 {
            return Err(EmailError::Invalid);
        }
        let (local, domain) = s.split_once('@').ok_or(EmailError::Invalid)?;
        let forbidden = |c: char| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '(' | ')' | ',' | ';' | '\\' | '"' | '[' | ']' | '@'
                )
        };
        let local_ok =
            !local.is_empty() && local.chars().count() <= 64 && !local.contains(forbidden);
        let domain_ok = !domain.is_empty()
            && domain.chars().count() <= 253
            && !domain.contains(forbidden)
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local_ok && domain_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(EmailError::Invalid)
        }
    }

    /// The address as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Case-insensitive key accounts are looked up by.
    pub fn lookup_key(&self) -> String {
        self.0.to_lowercase()
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(self.0.as_str(), |(l, _)| l)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_addresses_are_accepted_and_trimmed() {
        let e = EmailAddress::parse("  Alice.Smith+tag@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Alice.Smith+tag@Example.COM");
        assert_eq!(e.lookup_key(), "alice.smith+tag@example.com");
        assert_eq!(e.local_part(), "Alice.Smith+tag");
    }

    #[test]
    fn invalid_addresses_are_refused() {
        for bad in [
            "",
            " ",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@example.com",
            "alice@@example.com",
            "alice@example..com",
            "alice@.example.com",
            "<a@b.c>",
            "alice@exa\nmple.com",
            "a@b.c\u{0}",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn unicode_addresses_do_not_panic() {
        for s in ["é@é.é", "🦀@🦀.io", "\u{202e}@x.y"] {
            let _ = EmailAddress::parse(s);
        }
    }
}

//! An email address as the portal accepts it: valid, deliverable, and free of look-alike
//! or invisible characters, with the one key accounts are found by.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// A valid email address, trimmed, that the mail transport accepts as it is. The
/// original case is kept for sending; [`EmailAddress::lookup_key`] is what accounts are
/// found by.
///
/// Text that Unicode compatibility normalisation (NFKC) would change is refused rather
/// than silently rewritten: `\u{212A}ate@example.org` (a Kelvin sign, not a K) lower-cases
/// to `kate@example.org`, and would otherwise squat Kate's address.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

/// Why a text is not an email address (the web layer words it in the reader's language;
/// `Display` is for logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing was entered.
    #[error("no email address")]
    Empty,
    /// The text does not have the shape name@domain.
    #[error("not an email address")]
    Invalid,
    /// The text holds characters that stand for others (compatibility forms such as the
    /// Kelvin sign for K, full-width letters, ligatures) or that do not show (zero-width
    /// and bidirectional control characters).
    #[error("look-alike or invisible characters in an email address")]
    LookAlike,
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
        if !(local_ok && domain_ok) {
            return Err(EmailError::Invalid);
        }
        if !s.chars().eq(s.nfkc()) || s.chars().any(invisible) {
            return Err(EmailError::LookAlike);
        }
        // What is accepted here must be deliverable: the transport's own address type
        // has the last word.
        if s.parse::<lettre::Address>().is_err() {
            return Err(EmailError::Invalid);
        }
        Ok(Self(s.to_owned()))
    }

    /// The address as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key accounts are looked up by: the local part case-folded, the domain in its
    /// ASCII (IDNA) form, lower case; the same mailbox always gives the same key.
    pub fn lookup_key(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let local: String = local.to_lowercase().nfkc().collect();
        let domain = match url::Host::parse(domain) {
            Ok(url::Host::Domain(d)) => d,
            _ => domain.to_lowercase(),
        };
        format!("{local}@{domain}")
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(self.0.as_str(), |(l, _)| l)
    }
}

/// Characters that show as nothing (zero-width spaces and joiners, soft hyphens,
/// variation selectors, tags) or reorder what is shown (bidirectional controls): an
/// address holding one displays as another.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
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
    fn look_alike_characters_are_refused_not_folded() {
        // KELVIN SIGN + "ate": lower-cases to "kate", so it must never be accepted.
        assert_eq!(
            EmailAddress::parse("\u{212A}ate@example.org"),
            Err(EmailError::LookAlike)
        );
        // Full-width letters and ligatures too.
        assert_eq!(
            EmailAddress::parse("\u{FF4B}ate@example.org"),
            Err(EmailError::LookAlike)
        );
        assert_eq!(
            EmailAddress::parse("kate@exa\u{FB03}.org"),
            Err(EmailError::LookAlike)
        );
        assert_eq!(
            EmailAddress::parse("Kate@Example.org")
                .unwrap()
                .lookup_key(),
            "kate@example.org"
        );
    }

    #[test]
    fn no_accepted_non_ascii_character_folds_into_ascii() {
        // Whatever passes the NFKC check, lower-casing a non-ASCII character never
        // yields plain ASCII (which would collide with an ordinary address).
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if c.is_ascii() || !std::iter::once(c).eq(std::iter::once(c).nfkc()) {
                continue;
            }
            let lower: String = c.to_lowercase().collect::<String>().nfkc().collect();
            assert!(!lower.is_ascii(), "{c:?} folds to {lower:?}");
        }
    }

    #[test]
    fn international_domains_have_one_key() {
        let a = EmailAddress::parse("anna@m\u{fc}nchen.de").unwrap();
        let b = EmailAddress::parse("anna@xn--mnchen-3ya.de").unwrap();
        assert_eq!(a.lookup_key(), b.lookup_key());
    }

    #[test]
    fn accepted_addresses_are_accepted_by_the_transport() {
        for s in [
            "alice@example.com",
            "Alice.Smith+tag@Example.COM",
            "o'brien@example.ie",
            "anna@m\u{fc}nchen.de",
        ] {
            let e = EmailAddress::parse(s).unwrap();
            assert!(e.as_str().parse::<lettre::Address>().is_ok(), "{s}");
        }
        // Shapes the transport refuses are refused here too.
        for s in ["a..b@example.com", ".a@example.com", "a.@example.com"] {
            assert!(EmailAddress::parse(s).is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn international_addresses_are_accepted_and_invisible_controls_refused() {
        // An internationalised address is a real one, sent to as typed.
        let e = EmailAddress::parse("jos\u{e9}@caf\u{e9}.example").unwrap();
        assert_eq!(e.as_str(), "jos\u{e9}@caf\u{e9}.example");
        assert_eq!(e.lookup_key(), "jos\u{e9}@xn--caf-dma.example");
        // A right-to-left override (or any other invisible format character) makes an
        // address display as something it is not.
        for bad in [
            "\u{202e}@x.y",
            "ali\u{200b}ce@example.com",
            "alice@exa\u{202e}mple.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}

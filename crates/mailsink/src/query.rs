//! The search syntax shared by `/api/v1/search`, `/api/v1/wait`, the UI and
//! [`crate::SinkHandle::wait_for`]: `to:addr`, `from:addr`, `cc:`, `bcc:`,
//! `subject:word` or `subject:"a phrase"`, `message-id:`, `tag:name` (a whole tag,
//! `tag:"two words"`), quoted phrases and plain words. A leading `-` or `!` negates a term. Terms are AND-ed and case-insensitive.
//!
//! `to:` also matches Cc, Bcc and the envelope recipients, and `from:` the envelope
//! sender, so a Bcc-only recipient (who exists only in the envelope) can be waited for.

use crate::model::{Address, Envelope};
use crate::parse::Summary;

/// Which fields a term looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Subject, addresses, names, envelope and body text.
    Any,
    /// To, Cc, Bcc headers and envelope recipients.
    To,
    /// From header and envelope sender.
    From,
    /// Cc header.
    Cc,
    /// Bcc header and envelope recipients.
    Bcc,
    /// Subject header.
    Subject,
    /// Message-ID header.
    MessageId,
    /// One of the message's tags, whole.
    Tag,
}

/// One search term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Where to look.
    pub field: Field,
    /// What to look for, lower-cased.
    pub value: String,
    /// The term must *not* match.
    pub negated: bool,
}

/// A parsed query: every term must hold. The empty query matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The terms, AND-ed.
    pub terms: Vec<Term>,
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A `field:` prefix with nothing after it.
    #[error("`{0}:` needs a value")]
    EmptyValue(String),
}

fn field_of(prefix: &str) -> Option<Field> {
    Some(match prefix.to_ascii_lowercase().as_str() {
        "to" => Field::To,
        "from" => Field::From,
        "cc" => Field::Cc,
        "bcc" => Field::Bcc,
        "subject" => Field::Subject,
        "message-id" | "messageid" => Field::MessageId,
        "tag" => Field::Tag,
        _ => return None,
    })
}

/// Splits on whitespace, keeping `"quoted phrases"` (also after a `field:`) together.
/// An unterminated quote runs to the end: the user meant a phrase.
fn tokens(input: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut token = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                quoted = true;
                chars.next();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    token.push(c);
                }
            } else if c.is_whitespace() {
                break;
            } else {
                token.push(c);
                chars.next();
            }
        }
        out.push((token, quoted));
    }
    out
}

impl Query {
    /// Parses the search syntax described in the module docs.
    pub fn parse(input: &str) -> Result<Self, QueryError> {
        let mut terms = Vec::new();
        for (token, quoted) in tokens(input) {
            let (negated, rest) = match token.strip_prefix(['-', '!']) {
                Some(rest) if !rest.is_empty() || quoted => (true, rest.to_owned()),
                _ => (false, token),
            };
            let (field, value) = match rest.split_once(':') {
                Some((prefix, value)) => match field_of(prefix) {
                    Some(field) => {
                        if value.is_empty() && !quoted {
                            return Err(QueryError::EmptyValue(prefix.to_owned()));
                        }
                        (field, value.to_owned())
                    }
                    // `http://…` or `a:b` is just a word.
                    None => (Field::Any, rest),
                },
                None => (Field::Any, rest),
            };
            if value.is_empty() {
                continue;
            }
            terms.push(Term {
                field,
                value: value.to_lowercase(),
                negated,
            });
        }
        Ok(Self { terms })
    }

    /// Whether the query has no terms (matches everything).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether a stored message without tags matches.
    pub(crate) fn matches(&self, s: &Summary) -> bool {
        self.matches_tagged(s, &[])
    }

    /// Whether a stored message with these tags matches.
    pub(crate) fn matches_tagged(&self, s: &Summary, tags: &[String]) -> bool {
        self.terms
            .iter()
            .all(|t| term_matches(t, s, tags) != t.negated)
    }

    /// Whether a term looks at tags (so the caller reads them only then).
    pub(crate) fn has_tag_terms(&self) -> bool {
        self.terms.iter().any(|t| t.field == Field::Tag)
    }

    /// Whether an SMTP envelope matches, before there is a message (fault rules).
    pub(crate) fn matches_envelope(&self, env: &Envelope) -> bool {
        self.terms
            .iter()
            .all(|t| envelope_matches(t, env) != t.negated)
    }
}

fn contains(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    // Fast path for the common ASCII case avoids allocating per comparison.
    if haystack.is_ascii() && needle.is_ascii() {
        haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

fn addr_matches(addrs: &[Address], needle: &str) -> bool {
    addrs
        .iter()
        .any(|a| contains(&a.address, needle) || contains(&a.name, needle))
}

/// A term against the SMTP envelope alone (what fault rules see: no headers yet).
fn envelope_matches(t: &Term, env: &Envelope) -> bool {
    let v = t.value.as_str();
    let to = || env.to.iter().any(|a| contains(a, v));
    match t.field {
        Field::To | Field::Bcc => to(),
        Field::From => contains(&env.from, v),
        Field::Any => contains(&env.from, v) || to(),
        Field::Cc | Field::Subject | Field::MessageId | Field::Tag => false,
    }
}

fn term_matches(t: &Term, s: &Summary, tags: &[String]) -> bool {
    let v = t.value.as_str();
    let from_header = || {
        s.from
            .as_ref()
            .is_some_and(|a| addr_matches(std::slice::from_ref(a), v))
    };
    match t.field {
        Field::To => {
            addr_matches(&s.to, v)
                || addr_matches(&s.cc, v)
                || addr_matches(&s.bcc, v)
                || envelope_matches(t, &s.envelope)
        }
        Field::From => from_header() || envelope_matches(t, &s.envelope),
        Field::Cc => addr_matches(&s.cc, v),
        Field::Bcc => addr_matches(&s.bcc, v) || envelope_matches(t, &s.envelope),
        Field::Subject => contains(&s.subject, v),
        Field::MessageId => contains(&s.message_id, v),
        Field::Tag => tags.iter().any(|tag| tag.to_lowercase() == v),
        Field::Any => {
            contains(&s.subject, v)
                || from_header()
                || addr_matches(&s.to, v)
                || addr_matches(&s.cc, v)
                || addr_matches(&s.bcc, v)
                || envelope_matches(t, &s.envelope)
                || s.search_body.contains(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: Field, value: &str) -> Term {
        Term {
            field,
            value: value.into(),
            negated: false,
        }
    }

    #[test]
    fn empty_query_has_no_terms() {
        assert!(Query::parse("   ").unwrap().is_empty());
    }

    #[test]
    fn fields_phrases_and_words_are_parsed() {
        let q =
            Query::parse(r#"to:Alice@Example.com subject:"Reset your password" hello "two words""#)
                .unwrap();
        assert_eq!(
            q.terms,
            vec![
                term(Field::To, "alice@example.com"),
                term(Field::Subject, "reset your password"),
                term(Field::Any, "hello"),
                term(Field::Any, "two words"),
            ]
        );
    }

    #[test]
    fn unknown_prefixes_and_urls_are_plain_words() {
        let q = Query::parse("http://x/y foo:bar").unwrap();
        assert_eq!(
            q.terms,
            vec![term(Field::Any, "http://x/y"), term(Field::Any, "foo:bar")]
        );
    }

    #[test]
    fn negation_and_unterminated_quote() {
        let q = Query::parse(r#"-subject:spam !from:bob "open phrase"#).unwrap();
        assert!(q.terms[0].negated && q.terms[0].field == Field::Subject);
        assert!(q.terms[1].negated && q.terms[1].field == Field::From);
        assert_eq!(q.terms[2], term(Field::Any, "open phrase"));
    }

    #[test]
    fn empty_field_value_is_refused() {
        assert_eq!(
            Query::parse("to:"),
            Err(QueryError::EmptyValue("to".into()))
        );
    }

    fn summary() -> Summary {
        Summary {
            subject: "Réinitialiser your Password".into(),
            from: Some(Address {
                name: "Portal".into(),
                address: "noreply@portal.test".into(),
            }),
            to: vec![Address {
                name: "Alice".into(),
                address: "alice@example.com".into(),
            }],
            search_body: "click the link below".into(),
            envelope: Envelope {
                from: "bounce@portal.test".into(),
                to: vec!["alice@example.com".into(), "hidden@example.com".into()],
            },
            ..Summary::default()
        }
    }

    #[test]
    fn matching_is_case_insensitive_and_anded() {
        let s = summary();
        assert!(
            Query::parse("to:ALICE subject:password")
                .unwrap()
                .matches(&s)
        );
        assert!(Query::parse("subject:réinitialiser").unwrap().matches(&s));
        assert!(
            Query::parse(r#""link below" from:portal"#)
                .unwrap()
                .matches(&s)
        );
        assert!(
            !Query::parse("to:alice subject:welcome")
                .unwrap()
                .matches(&s)
        );
        assert!(Query::parse("-subject:welcome").unwrap().matches(&s));
    }

    #[test]
    fn envelope_only_recipients_match_to_and_bcc() {
        let s = summary();
        assert!(Query::parse("to:hidden@example.com").unwrap().matches(&s));
        assert!(Query::parse("bcc:hidden").unwrap().matches(&s));
        assert!(Query::parse("from:bounce@portal.test").unwrap().matches(&s));
    }

    #[test]
    fn tags_match_whole_and_regardless_of_case() {
        let s = summary();
        let tags = ["Sign up".to_owned(), "reset".to_owned()];
        let q = |text: &str| Query::parse(text).unwrap();
        assert!(q("tag:reset").matches_tagged(&s, &tags));
        assert!(q("tag:\"sign up\"").matches_tagged(&s, &tags));
        assert!(!q("tag:rese").matches_tagged(&s, &tags));
        assert!(!q("tag:reset").matches(&s));
        assert!(q("-tag:other").matches_tagged(&s, &tags));
        assert!(q("tag:reset").has_tag_terms() && !q("reset").has_tag_terms());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::{config, hostile_text};

        const QUERY_VOCAB: &[&str] = &[
            "to:",
            "from:",
            "cc:",
            "bcc:",
            "subject:",
            "message-id:",
            "tag:",
            "TO:",
            "-",
            "!",
            "\"",
            ":",
            " ",
            "\t",
            "a",
            "alice@example.com",
            "é",
            "İ",
            "ß",
            "💌",
            "http://x/y",
        ];

        fn address() -> impl Strategy<Value = Address> {
            (hostile_text(QUERY_VOCAB, 4), hostile_text(QUERY_VOCAB, 4))
                .prop_map(|(name, address)| Address { name, address })
        }

        fn summary() -> impl Strategy<Value = Summary> {
            (
                hostile_text(QUERY_VOCAB, 6),
                prop::option::of(address()),
                prop::collection::vec(address(), 0..3),
                hostile_text(QUERY_VOCAB, 6),
                prop::collection::vec(hostile_text(QUERY_VOCAB, 4), 0..3),
            )
                .prop_map(|(subject, from, to, body, envelope_to)| Summary {
                    subject,
                    from,
                    cc: to.clone(),
                    to,
                    search_body: body.to_lowercase(),
                    envelope: Envelope {
                        from: body,
                        to: envelope_to,
                    },
                    ..Summary::default()
                })
        }

        proptest! {
            #![proptest_config(config(512))]

            /// Any text parses (or is refused) and the result matches without panicking.
            #[test]
            fn any_query_parses_and_matches(input in hostile_text(QUERY_VOCAB, 16), s in summary()) {
                match Query::parse(&input) {
                    Ok(q) => {
                        prop_assert!(q.terms.iter().all(|t| !t.value.is_empty()));
                        let _ = q.matches(&s);
                    }
                    Err(QueryError::EmptyValue(prefix)) => {
                        prop_assert!(field_of(&prefix).is_some());
                    }
                }
            }
        }
    }
}

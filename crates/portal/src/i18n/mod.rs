//! The portal's languages: every sentence a person reads (pages, emails, API problem
//! details, password and address refusals) is a Project Fluent message in
//! `locales/<code>/portal.ftl`, one file per language, embedded in the binary. English is
//! the source language: every other file has the same messages (a test checks it), and
//! a message missing from one falls back to English.
//!
//! [`Lang`] formats messages; [`Languages`] is the configured choice (the enabled list
//! and the default) and picks a language from `Accept-Language` ([`negotiate`]).

mod negotiate;

use std::sync::LazyLock;
use std::time::Duration;

pub use fluent_bundle::FluentValue;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast;

pub use negotiate::negotiate;

/// Every language the portal has texts for: its code (a BCP 47 language tag) and its
/// Fluent file. To add one, add its folder under `locales/` and a line here.
const SOURCES: &[(&str, &str)] = &[
    ("en", include_str!("../../locales/en/portal.ftl")),
    ("es", include_str!("../../locales/es/portal.ftl")),
    ("fr", include_str!("../../locales/fr/portal.ftl")),
    ("de", include_str!("../../locales/de/portal.ftl")),
];

/// A language the portal has texts for. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lang(&'static str);

struct Catalog {
    bundles: Vec<FluentBundle<FluentResource>>,
    /// Syntax errors of each file (none in a release: a test checks).
    errors: Vec<(&'static str, String)>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut errors = Vec::new();
    let bundles = SOURCES
        .iter()
        .map(|(code, source)| {
            let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(
                |(resource, parse_errors)| {
                    errors.extend(parse_errors.iter().map(|e| (*code, format!("{e:?}"))));
                    resource
                },
            );
            let id = code.parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Texts go into HTML, plain-text emails and JSON: no invisible isolation marks
            // around variables.
            bundle.set_use_isolating(false);
            if let Err(e) = bundle.add_resource(resource) {
                errors.extend(e.iter().map(|e| (*code, format!("{e:?}"))));
            }
            bundle
        })
        .collect();
    Catalog { bundles, errors }
});

/// Month names are messages `month-1` to `month-12`.
const MONTHS: [&str; 12] = [
    "month-1", "month-2", "month-3", "month-4", "month-5", "month-6", "month-7", "month-8",
    "month-9", "month-10", "month-11", "month-12",
];

/// What stands in for a link inside a message while it is escaped (private-use
/// characters, which no message contains).
const LINK_MARK: &str = "\u{E000}link\u{E001}";

impl Lang {
    /// The source language, which every message exists in.
    pub const SOURCE: Lang = Lang("en");

    /// Every language with texts, in the order of the language switcher.
    pub fn all() -> impl Iterator<Item = Lang> {
        SOURCES.iter().map(|(code, _)| Lang(code))
    }

    /// The language of `code` (`de`, `DE`), if the portal has texts for it.
    pub fn from_code(code: &str) -> Option<Lang> {
        SOURCES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code.trim()))
            .map(|(c, _)| Lang(c))
    }

    /// Its code, as in `<html lang>` and `Content-Language`.
    pub fn code(self) -> &'static str {
        self.0
    }

    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        let i = SOURCES
            .iter()
            .position(|(c, _)| *c == self.0)
            .unwrap_or_default();
        &CATALOG.bundles[i]
    }

    /// Message `id`, without variables.
    pub fn t(self, id: &str) -> String {
        self.format(id, None, &[])
    }

    /// Message `id` with variables.
    pub fn fmt(self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        self.format(id, None, args)
    }

    /// Message `id` as HTML: its text and variables escaped, and its `$link` variable
    /// replaced by a link to `href` whose text is the message's `.link` attribute.
    pub fn linked(self, id: &str, args: &[(&str, FluentValue<'_>)], href: &str) -> String {
        let mut with_mark: Vec<(&str, FluentValue<'_>)> = args.to_vec();
        with_mark.push(("link", LINK_MARK.into()));
        let text = escape(&self.format(id, None, &with_mark));
        let label = escape(&self.format(id, Some("link"), args));
        text.replace(
            LINK_MARK,
            &format!("<a href=\"{}\">{label}</a>", escape(href)),
        )
    }

    /// A day, as this language writes dates (message `date`).
    pub fn date(self, unix: i64) -> String {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix) else {
            return String::new();
        };
        let month = u8::from(t.month());
        let month_name = self.t(MONTHS[usize::from(month - 1)]);
        self.fmt(
            "date",
            &[
                ("year", t.year().into()),
                ("month", month.into()),
                ("day", t.day().into()),
                ("month2", format!("{month:02}").into()),
                ("day2", format!("{:02}", t.day()).into()),
                ("month-name", month_name.into()),
            ],
        )
    }

    /// A lifetime in words ("30 minutes", "24 hours", "2 days"), with the plural the
    /// language needs.
    pub fn duration(self, d: Duration) -> String {
        let minutes = d.as_secs() / 60;
        let (id, count) = match minutes {
            0 => ("duration-seconds", d.as_secs()),
            m if m % 1440 == 0 && m > 1440 => ("duration-days", m / 1440),
            m if m % 60 == 0 => ("duration-hours", m / 60),
            m => ("duration-minutes", m),
        };
        self.fmt(id, &[("count", count.into())])
    }

    fn format(self, id: &str, attribute: Option<&str>, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        for lang in [self, Lang::SOURCE] {
            let bundle = lang.bundle();
            let Some(message) = bundle.get_message(id) else {
                continue;
            };
            let pattern = match attribute {
                Some(a) => message.get_attribute(a).map(|a| a.value()),
                None => message.value(),
            };
            let Some(pattern) = pattern else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(lang = lang.0, id, ?errors, "message formatted with errors");
            }
            return text.into_owned();
        }
        tracing::error!(id, ?attribute, "no such message");
        debug_assert!(false, "no message {id} ({attribute:?})");
        id.to_owned()
    }

    /// This language's `.ftl` source, parsed again (for checks, not for rendering).
    fn resource(self) -> Option<FluentResource> {
        let i = SOURCES
            .iter()
            .position(|(c, _)| *c == self.0)
            .unwrap_or_default();
        FluentResource::try_new(SOURCES[i].1.to_owned()).ok()
    }

    /// The ids of this language's messages, each with its attributes as `id.attribute`.
    pub fn message_ids(self) -> Vec<String> {
        let Some(resource) = self.resource() else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        for entry in resource.entries() {
            if let ast::Entry::Message(m) = entry {
                ids.push(m.id.name.to_owned());
                ids.extend(
                    m.attributes
                        .iter()
                        .map(|a| format!("{}.{}", m.id.name, a.id.name)),
                );
            }
        }
        ids
    }

    /// The variables message `id` uses in this language (`$name` placeables, in
    /// selectors too).
    pub fn variables(self, id: &str) -> Vec<String> {
        let Some(resource) = self.resource() else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for entry in resource.entries() {
            if let ast::Entry::Message(m) = entry
                && m.id.name == id
            {
                let patterns = m.value.iter().chain(m.attributes.iter().map(|a| &a.value));
                for p in patterns {
                    pattern_variables(p, &mut found);
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }
}

fn pattern_variables(p: &ast::Pattern<&str>, out: &mut Vec<String>) {
    for element in &p.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(e: &ast::Expression<&str>, out: &mut Vec<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for v in variants {
                pattern_variables(&v.value, out);
            }
        }
        ast::Expression::Inline(i) => inline_variables(i, out),
    }
}

fn inline_variables(i: &ast::InlineExpression<&str>, out: &mut Vec<String>) {
    match i {
        ast::InlineExpression::VariableReference { id } => out.push(id.name.to_owned()),
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, out),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                inline_variables(a, out);
            }
        }
        _ => {}
    }
}

/// Syntax errors in the Fluent files (`(language, error)`); empty in a release.
pub fn syntax_errors() -> Vec<(&'static str, String)> {
    CATALOG.errors.clone()
}

/// HTML-escapes `text` as the templates do.
fn escape(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html)
        .map(|e| e.to_string())
        .unwrap_or_default()
}

/// The languages this portal offers (`PORTAL_LANGUAGES`) and the one it speaks when
/// nothing says otherwise (`PORTAL_DEFAULT_LANGUAGE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Languages {
    enabled: Vec<Lang>,
    default: Lang,
}

impl Languages {
    /// The languages of `codes` (all with texts when empty), `default` among them.
    pub fn new(codes: &[String], default: &str) -> Result<Self, String> {
        let mut enabled = Vec::new();
        for code in codes.iter().filter(|c| !c.trim().is_empty()) {
            let lang = Lang::from_code(code).ok_or_else(|| {
                format!(
                    "PORTAL_LANGUAGES: there are no texts for {code:?} (there are: {})",
                    Lang::all().map(Lang::code).collect::<Vec<_>>().join(", ")
                )
            })?;
            if !enabled.contains(&lang) {
                enabled.push(lang);
            }
        }
        if enabled.is_empty() {
            enabled = Lang::all().collect();
        }
        let default = Lang::from_code(default)
            .filter(|l| enabled.contains(l))
            .ok_or_else(|| {
                format!(
                    "PORTAL_DEFAULT_LANGUAGE must be one of PORTAL_LANGUAGES ({}), got {default:?}",
                    enabled
                        .iter()
                        .map(|l| l.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        Ok(Self { enabled, default })
    }

    /// Every language with texts, English by default.
    pub fn all() -> Self {
        Self {
            enabled: Lang::all().collect(),
            default: Lang::SOURCE,
        }
    }

    /// The enabled languages, in the switcher's order.
    pub fn enabled(&self) -> &[Lang] {
        &self.enabled
    }

    /// The default language.
    pub fn default_language(&self) -> Lang {
        self.default
    }

    /// The enabled language of `code`, if any.
    pub fn get(&self, code: &str) -> Option<Lang> {
        Lang::from_code(code).filter(|l| self.enabled.contains(l))
    }

    /// The language stored for an account (its code), or the default when none is
    /// stored or it is no longer enabled.
    pub fn of_account(&self, stored: Option<&str>) -> Lang {
        stored.and_then(|c| self.get(c)).unwrap_or(self.default)
    }

    /// The enabled language an `Accept-Language` header prefers, or the default.
    pub fn from_accept_language(&self, header: Option<&str>) -> Lang {
        header
            .and_then(|h| negotiate(h, &self.enabled))
            .unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fluent_files_parse() {
        assert!(syntax_errors().is_empty(), "{:#?}", syntax_errors());
    }

    #[test]
    fn english_durations_read_as_before() {
        let en = Lang::SOURCE;
        assert_eq!(en.duration(Duration::from_secs(1800)), "30 minutes");
        assert_eq!(en.duration(Duration::from_secs(60)), "1 minute");
        assert_eq!(en.duration(Duration::from_secs(3600)), "1 hour");
        assert_eq!(en.duration(Duration::from_secs(86400)), "24 hours");
        assert_eq!(en.duration(Duration::from_secs(2 * 86400)), "2 days");
        assert_eq!(en.duration(Duration::from_secs(7 * 86400)), "7 days");
    }

    #[test]
    fn plurals_follow_each_language() {
        let de = Lang::from_code("de").unwrap();
        assert_eq!(de.duration(Duration::from_secs(60)), "1 Minute");
        assert_eq!(de.duration(Duration::from_secs(1800)), "30 Minuten");
        let fr = Lang::from_code("fr").unwrap();
        assert_eq!(fr.duration(Duration::from_secs(3600)), "1 heure");
        assert_eq!(fr.duration(Duration::from_secs(2 * 86400)), "2 jours");
        let es = Lang::from_code("es").unwrap();
        assert_eq!(es.duration(Duration::from_secs(86400)), "24 horas");
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        // 2026-03-05
        let day = 1_772_668_800;
        assert_eq!(Lang::SOURCE.date(day), "2026-03-05");
        assert_eq!(Lang::from_code("de").unwrap().date(day), "5. März 2026");
        assert_eq!(Lang::from_code("fr").unwrap().date(day), "5 mars 2026");
        assert_eq!(
            Lang::from_code("es").unwrap().date(day),
            "5 de marzo de 2026"
        );
    }

    #[test]
    fn linked_messages_escape_text_and_keep_the_link() {
        let html = Lang::SOURCE.linked("account-settings-hint", &[], "/settings?a=1&b=2");
        assert_eq!(
            html,
            "Use the <a href=\"/settings?a=1&#38;b=2\">Settings</a> icon at the top to change your password."
        );
        let html = Lang::SOURCE.linked(
            "password-changed-not-you-html",
            &[("product", "<b>".into())],
            "/x",
        );
        assert!(
            html.contains("<a href=\"/x\">reset your password now</a>"),
            "{html}"
        );
    }

    #[test]
    fn the_configured_languages_are_checked() {
        let l = Languages::new(&["de".into(), "EN".into()], "en").unwrap();
        assert_eq!(l.enabled(), [Lang("de"), Lang("en")]);
        assert_eq!(l.of_account(Some("fr")), Lang("en"));
        assert_eq!(l.of_account(Some("de")), Lang("de"));
        assert_eq!(l.of_account(None), Lang("en"));
        assert!(Languages::new(&["xx".into()], "en").is_err());
        assert!(Languages::new(&["de".into()], "en").is_err());
        assert_eq!(
            Languages::new(&[], "fr").unwrap().enabled().len(),
            SOURCES.len()
        );
    }
}

//! The HTML check (`GET /api/v1/message/{ID}/html-check`): which HTML and CSS features
//! of the table in [`super::caniemail`] the message's HTML uses, and how well common
//! mail clients support them, in Mailpit's `HTMLCheckResponse` shape.
//!
//! Features are found with patterns on the HTML source: elements and attributes in the
//! markup, CSS properties, functions and at-rules in `<style>` blocks and `style`
//! attributes (no CSS is downloaded, no HTML parser runs). `<script>` is reported as
//! Mailpit does, unsupported everywhere. A warning's score is the share of the 12
//! clients supporting the feature; the totals are weighted by how often features occur
//! against the number of elements, as Mailpit computes them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::Json;
use axum::extract::{Path, State};
use regex::Regex;
use serde::Serialize;

use super::caniemail::{CLIENTS, FEATURES, Feature, Support};
use crate::http::{ApiError, AppState};

/// How a feature is found: a pattern on the markup, or on the CSS.
enum Where {
    Markup,
    Css,
}

/// The patterns of the features in the table (case-insensitive).
const DETECT: &[(&str, Where, &str)] = &[
    ("html-style", Where::Markup, r"<style[\s>]"),
    ("html-svg", Where::Markup, r"<svg[\s>]"),
    ("html-video", Where::Markup, r"<video[\s>]"),
    ("html-form", Where::Markup, r"<form[\s>]"),
    ("html-picture", Where::Markup, r"<picture[\s>]"),
    ("html-srcset", Where::Markup, r"<img\s[^>]*\bsrcset\s*="),
    (
        "html-semantics",
        Where::Markup,
        r"<(?:article|aside|details|figcaption|figure|footer|header|main|mark|nav|section|summary|time)[\s>]",
    ),
    (
        "html-anchor-links",
        Where::Markup,
        r#"<a\s[^>]*\bhref\s*=\s*["']?#"#,
    ),
    (
        "image-base64",
        Where::Markup,
        r#"<img\s[^>]*\bsrc\s*=\s*["']?data:image/"#,
    ),
    (
        "image-webp",
        Where::Markup,
        r#"<img\s[^>]*\bsrc\s*=\s*["']?[^"'\s>]+\.webp["'\s>]"#,
    ),
    (
        "css-display-flex",
        Where::Css,
        r"\bdisplay\s*:\s*(?:inline-)?flex\b",
    ),
    (
        "css-display-grid",
        Where::Css,
        r"\bdisplay\s*:\s*(?:inline-)?grid\b",
    ),
    ("css-display-none", Where::Css, r"\bdisplay\s*:\s*none\b"),
    ("css-position", Where::Css, r"(?:^|[;{\s])position\s*:"),
    ("css-float", Where::Css, r"(?:^|[;{\s])float\s*:"),
    (
        "css-margin",
        Where::Css,
        r"(?:^|[;{\s])margin(?:-(?:top|right|bottom|left))?\s*:",
    ),
    (
        "css-padding",
        Where::Css,
        r"(?:^|[;{\s])padding(?:-(?:top|right|bottom|left))?\s*:",
    ),
    ("css-width", Where::Css, r"(?:^|[;{\s])width\s*:"),
    ("css-height", Where::Css, r"(?:^|[;{\s])height\s*:"),
    ("css-max-width", Where::Css, r"(?:^|[;{\s])max-width\s*:"),
    (
        "css-gap",
        Where::Css,
        r"(?:^|[;{\s])(?:row-|column-)?gap\s*:",
    ),
    (
        "css-overflow",
        Where::Css,
        r"(?:^|[;{\s])overflow(?:-[xy])?\s*:",
    ),
    (
        "css-line-height",
        Where::Css,
        r"(?:^|[;{\s])line-height\s*:",
    ),
    (
        "css-letter-spacing",
        Where::Css,
        r"(?:^|[;{\s])letter-spacing\s*:",
    ),
    (
        "css-font-weight",
        Where::Css,
        r"(?:^|[;{\s])font-weight\s*:",
    ),
    (
        "css-text-shadow",
        Where::Css,
        r"(?:^|[;{\s])text-shadow\s*:",
    ),
    ("css-box-shadow", Where::Css, r"(?:^|[;{\s])box-shadow\s*:"),
    (
        "css-border-radius",
        Where::Css,
        r"(?:^|[;{\s])border-(?:(?:top|bottom)-(?:left|right)-)?radius\s*:",
    ),
    (
        "css-background-color",
        Where::Css,
        r"(?:^|[;{\s])background-color\s*:",
    ),
    (
        "css-background-image",
        Where::Css,
        r"(?:^|[;{\s])background-image\s*:",
    ),
    ("css-linear-gradient", Where::Css, r"\blinear-gradient\s*\("),
    ("css-opacity", Where::Css, r"(?:^|[;{\s])opacity\s*:"),
    ("css-transform", Where::Css, r"(?:^|[;{\s])transform\s*:"),
    ("css-object-fit", Where::Css, r"(?:^|[;{\s])object-fit\s*:"),
    ("css-rgba", Where::Css, r"\brgba\s*\("),
    ("css-unit-calc", Where::Css, r"\bcalc\s*\("),
    (
        "css-variables",
        Where::Css,
        r"\bvar\s*\(\s*--|(?:^|[;{\s])--[\w-]+\s*:",
    ),
    ("css-important", Where::Css, r"!\s*important\b"),
    ("css-at-media", Where::Css, r"@media\b"),
    ("css-at-font-face", Where::Css, r"@font-face\b"),
    ("css-at-import", Where::Css, r"@import\b"),
    ("css-at-keyframes", Where::Css, r"@(?:-webkit-)?keyframes\b"),
    ("css-pseudo-class-hover", Where::Css, r":hover\b"),
];

/// The compiled patterns, with their features.
static TESTS: LazyLock<Vec<(&'static Feature, &'static Where, Regex)>> = LazyLock::new(|| {
    DETECT
        .iter()
        .filter_map(|(slug, place, pattern)| {
            let feature = FEATURES.iter().find(|f| f.slug == *slug)?;
            let re = Regex::new(&format!("(?i){pattern}")).ok()?;
            Some((feature, place, re))
        })
        .collect()
});

/// `<style>` blocks, `style` attributes, start tags and scripts (`None` only if a
/// pattern failed to compile, which the tests rule out).
static STYLE_BLOCK: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?is)<style[^>]*>(.*?)</style>").ok());
static STYLE_ATTR: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?is)\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')"#).ok());
static START_TAG: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)<([a-z][a-z0-9]*)[\s/>]").ok());
static SCRIPT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?i)<script\b([^>]*)>"#).ok());

/// Mailpit's `HTMLCheckResponse`.
#[derive(Debug, Serialize)]
pub(crate) struct HtmlCheck {
    #[serde(rename = "Platforms")]
    platforms: BTreeMap<&'static str, Vec<&'static str>>,
    #[serde(rename = "Total")]
    total: Total,
    #[serde(rename = "Warnings")]
    warnings: Vec<Warning>,
}

#[derive(Debug, Default, Serialize)]
struct Total {
    #[serde(rename = "Nodes")]
    nodes: u64,
    #[serde(rename = "Partial")]
    partial: f32,
    #[serde(rename = "Supported")]
    supported: f32,
    #[serde(rename = "Tests")]
    tests: u64,
    #[serde(rename = "Unsupported")]
    unsupported: f32,
}

#[derive(Debug, Serialize)]
struct Warning {
    #[serde(rename = "Category")]
    category: String,
    #[serde(rename = "Description")]
    description: String,
    #[serde(rename = "Keywords")]
    keywords: String,
    #[serde(rename = "NotesByNumber")]
    notes_by_number: BTreeMap<String, String>,
    #[serde(rename = "Results")]
    results: Vec<CheckResult>,
    #[serde(rename = "Score")]
    score: Score,
    #[serde(rename = "Slug")]
    slug: String,
    #[serde(rename = "Tags")]
    tags: Vec<String>,
    #[serde(rename = "Title")]
    title: String,
    #[serde(rename = "URL")]
    url: String,
}

#[derive(Debug, Serialize)]
struct CheckResult {
    #[serde(rename = "Family")]
    family: &'static str,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "NoteNumber")]
    note_number: String,
    #[serde(rename = "Platform")]
    platform: &'static str,
    #[serde(rename = "Support")]
    support: &'static str,
    /// The table keeps the latest tested result only, not its version.
    #[serde(rename = "Version")]
    version: String,
}

#[derive(Debug, Default, Serialize)]
struct Score {
    #[serde(rename = "Found")]
    found: u64,
    #[serde(rename = "Partial")]
    partial: f32,
    #[serde(rename = "Supported")]
    supported: f32,
    #[serde(rename = "Unsupported")]
    unsupported: f32,
}

/// `GET /api/v1/message/{ID}/html-check`: 404 for an unknown message, 400 for a message
/// without HTML (as Mailpit).
pub(crate) async fn html_check(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<HtmlCheck>, ApiError> {
    let entry = crate::http::entry(&s, &id)?;
    let message = s.store.message(&entry).await?;
    if message.html.trim().is_empty() {
        return Err(ApiError::BadRequest("message does not contain HTML".into()));
    }
    Ok(Json(check(&message.html)))
}

/// Checks an HTML body.
pub(crate) fn check(html: &str) -> HtmlCheck {
    let mut css = String::new();
    for re in [&*STYLE_BLOCK, &*STYLE_ATTR].into_iter().flatten() {
        for c in re.captures_iter(html) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                css.push_str(m.as_str());
                css.push_str(";\n");
            }
        }
    }
    let nodes = START_TAG.as_ref().map_or(0, |re| {
        re.captures_iter(html)
            .filter(|c| !matches!(c[1].to_ascii_lowercase().as_str(), "html" | "head" | "meta"))
            .count() as u64
    });
    let mut warnings: Vec<Warning> = TESTS
        .iter()
        .filter_map(|(feature, place, re)| {
            let source = match place {
                Where::Markup => html,
                Where::Css => &css,
            };
            let found = re.find_iter(source).count() as u64;
            (found > 0).then(|| warning(feature, found))
        })
        .collect();
    let scripts = SCRIPT.as_ref().map_or(0, |re| {
        re.captures_iter(html)
            .filter(|c| !c[1].to_ascii_lowercase().contains("json"))
            .count() as u64
    });
    if scripts > 0 {
        warnings.push(script_warning(scripts));
    }
    let weight = |w: &Warning, share: f32| share * w.score.found as f32 / nodes.max(1) as f32;
    let partial = warnings
        .iter()
        .map(|w| weight(w, w.score.partial))
        .fold(0.0, f32::max)
        .min(100.0);
    let unsupported = warnings
        .iter()
        .map(|w| weight(w, w.score.unsupported))
        .fold(0.0, f32::max)
        .min(100.0 - partial);
    warnings.sort_by(|a, b| {
        let bad = |w: &Warning| weight(w, w.score.partial + w.score.unsupported);
        bad(b).total_cmp(&bad(a))
    });
    HtmlCheck {
        platforms: platforms(),
        total: Total {
            nodes,
            partial,
            supported: 100.0 - partial - unsupported,
            tests: TESTS.len() as u64 + 1,
            unsupported,
        },
        warnings,
    }
}

/// Platform -> the client families tested on it, as Mailpit lists them.
fn platforms() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (_, platform, family, _) in CLIENTS {
        let families = out.entry(platform).or_default();
        if !families.contains(&family) {
            families.push(family);
            families.sort_unstable();
        }
    }
    out
}

/// `code` spans of the table's descriptions as HTML (Mailpit renders its Markdown).
fn markdown(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, piece) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(piece);
            out.push_str("</code>");
        } else {
            out.push_str(piece);
        }
    }
    out
}

fn warning(feature: &Feature, found: u64) -> Warning {
    let mut results = Vec::new();
    let (mut yes, mut no, mut partial) = (0u32, 0u32, 0u32);
    for (cell, (family, platform, family_name, platform_name)) in feature.cells.iter().zip(CLIENTS)
    {
        let Some(cell) = cell else { continue };
        let support = match cell.support {
            Support::Yes => {
                yes += 1;
                "yes"
            }
            Support::No => {
                no += 1;
                "no"
            }
            Support::Partial => {
                partial += 1;
                "partial"
            }
        };
        results.push(CheckResult {
            family,
            name: format!("{family_name} {platform_name}"),
            note_number: cell.notes.first().cloned().unwrap_or_default(),
            platform,
            support,
            version: String::new(),
        });
    }
    let total = (yes + no + partial).max(1) as f32;
    Warning {
        category: feature.category.clone(),
        description: markdown(&feature.description),
        keywords: feature.keywords.clone(),
        notes_by_number: feature
            .notes
            .iter()
            .map(|(n, text)| (n.clone(), markdown(text)))
            .collect(),
        results,
        score: Score {
            found,
            partial: partial as f32 / total * 100.0,
            supported: yes as f32 / total * 100.0,
            unsupported: no as f32 / total * 100.0,
        },
        slug: feature.slug.clone(),
        tags: feature.tags.clone(),
        title: feature.title.clone(),
        url: format!("https://www.caniemail.com/features/{}/", feature.slug),
    }
}

/// Mailpit's own `<script>` warning: no mail client runs scripts.
fn script_warning(found: u64) -> Warning {
    Warning {
        category: "html".into(),
        description: "JavaScript is not supported in any email client.".into(),
        keywords: String::new(),
        notes_by_number: BTreeMap::new(),
        results: Vec::new(),
        score: Score {
            found,
            unsupported: 100.0,
            ..Score::default()
        },
        slug: "html-script".into(),
        tags: Vec::new(),
        title: "<script> element".into(),
        url: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slugs(check: &HtmlCheck) -> Vec<&str> {
        check.warnings.iter().map(|w| w.slug.as_str()).collect()
    }

    #[test]
    fn every_feature_of_the_table_has_a_compiled_pattern() {
        assert_eq!(TESTS.len(), DETECT.len(), "a slug or a pattern is wrong");
        assert_eq!(TESTS.len(), FEATURES.len(), "a feature has no pattern");
        assert!(STYLE_BLOCK.is_some() && STYLE_ATTR.is_some());
        assert!(START_TAG.is_some() && SCRIPT.is_some());
    }

    #[test]
    fn features_are_found_in_markup_style_blocks_and_style_attributes() {
        let html = r#"<html><head><style>@media (max-width:600px){.a{display:flex}}
            .b:hover{color:rgba(0,0,0,.5)}</style></head><body>
            <div style="max-width:600px;margin:0 auto">x</div><svg></svg>
            <script>alert(1)</script><script type="application/ld+json">{}</script>
            <p>display:grid in the text is not CSS</p></body></html>"#;
        let check = check(html);
        let found = slugs(&check);
        for slug in [
            "html-style",
            "html-svg",
            "css-at-media",
            "css-display-flex",
            "css-pseudo-class-hover",
            "css-rgba",
            "css-max-width",
            "css-margin",
            "html-script",
        ] {
            assert!(found.contains(&slug), "{slug} not in {found:?}");
        }
        for slug in ["css-width", "css-display-grid", "html-video"] {
            assert!(!found.contains(&slug), "{slug} in {found:?}");
        }
        let script = check.warnings.iter().find(|w| w.slug == "html-script");
        assert_eq!(script.map(|w| w.score.found), Some(1));
        let t = &check.total;
        assert!((t.supported + t.partial + t.unsupported - 100.0).abs() < 0.01);
        assert!(t.nodes >= 6, "{}", t.nodes);
        // The worst first: <script> is unsupported everywhere.
        assert_eq!(check.warnings[0].slug, "html-script");
    }

    #[test]
    fn a_warning_scores_and_lists_the_twelve_clients() {
        let check = check(r#"<div style="display:grid">x</div>"#);
        let grid = &check.warnings[0];
        assert_eq!(grid.slug, "css-display-grid");
        assert_eq!(grid.results.len(), 12);
        assert_eq!(grid.score.found, 1);
        // y y n n n n n y y n y y
        assert!((grid.score.supported - 50.0).abs() < 0.01);
        assert!((grid.score.unsupported - 50.0).abs() < 0.01);
        assert_eq!(
            check.platforms["macos"],
            ["Apple Mail", "Mozilla Thunderbird", "Outlook"]
        );
    }

    #[test]
    fn descriptions_escape_html_and_render_code() {
        assert_eq!(
            markdown("the `<style>` & co"),
            "the <code>&lt;style&gt;</code> &amp; co"
        );
    }
}

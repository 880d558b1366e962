//! What a user sees and does on an HTML page, computed from the markup alone: the visible
//! text, the accessible name of links and buttons, the field behind a `<label>`, and the
//! request a form sends when one of its buttons is pressed.
//!
//! Pure functions over strings, so pages are read without a server, and a page that
//! drifts from what a test expects fails the way a user would notice ("there is no button
//! named X here", with what the page offers instead).

use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

/// What pressing a link or button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Follow a link.
    Get(Url),
    /// Submit a form.
    Submit(Submission),
}

/// A form submission, as a browser would send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// `GET` or `POST`.
    pub method: String,
    /// Where it goes (the form's `action`, or the button's `formaction`).
    pub url: Url,
    /// Successful controls in document order, the pressed button included.
    pub fields: Vec<(String, String)>,
}

/// Why a page could not be used the way a step says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// No link or button with that name; lists what the page offers instead.
    #[error("no link or button named {name:?} on this page (it offers: {offered})")]
    NoClickable { name: String, offered: String },
    /// No field with that label; lists the labels present.
    #[error("no field labelled {label:?} on this page (labels present: {offered})")]
    NoField { label: String, offered: String },
    /// The button is not inside (or linked to) a form.
    #[error("the button {0:?} belongs to no form")]
    Formless(String),
    /// A link or form points somewhere that is not a URL.
    #[error("bad URL {0:?}")]
    BadUrl(String),
}

/// Collapses runs of whitespace into one space and trims.
pub fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sel(s: &str) -> Selector {
    // Only called with the literal selectors of this module, all valid.
    Selector::parse(s).unwrap_or_else(|e| panic!("invalid built-in selector {s:?}: {e}"))
}

const HIDDEN_TAGS: &[&str] = &["script", "style", "template", "noscript", "head", "title"];
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "form",
    "fieldset",
    "legend",
    "label",
    "br",
    "table",
    "tr",
    "td",
    "th",
    "button",
    "dl",
    "dt",
    "dd",
    "hr",
    "pre",
    "blockquote",
];

fn is_hidden(el: &ElementRef<'_>) -> bool {
    let v = el.value();
    HIDDEN_TAGS.contains(&v.name())
        || v.attr("hidden").is_some()
        || v.attr("aria-hidden") == Some("true")
        || (v.name() == "input" && v.attr("type") == Some("hidden"))
}

fn push_text(el: ElementRef<'_>, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(_) => {
                if let Some(child_el) = ElementRef::wrap(child) {
                    if is_hidden(&child_el) {
                        continue;
                    }
                    let block = BLOCK_TAGS.contains(&child_el.value().name());
                    if block {
                        out.push('\n');
                    }
                    push_text(child_el, out);
                    if block {
                        out.push('\n');
                    }
                }
            }
            _ => {}
        }
    }
}

/// The text a user reads on the page (body only; scripts, styles and hidden elements
/// left out), with whitespace collapsed.
pub fn visible_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    match doc.select(&sel("body")).next() {
        Some(body) => push_text(body, &mut out),
        None => push_text(doc.root_element(), &mut out),
    }
    normalize(&out)
}

/// The page title, if any.
pub fn title(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    doc.select(&sel("title"))
        .next()
        .map(|t| normalize(&t.text().collect::<String>()))
}

/// The text inside elements with `role="alert"` (where the portal puts errors).
pub fn alerts(html: &str) -> Vec<String> {
    texts_in(html, &sel("[role=alert]"))
}

/// The text inside the elements `selector` (CSS) picks, e.g. where another site puts
/// its errors (`.errorlist`); a selector that does not parse is an error saying why.
pub fn texts_of(html: &str, selector: &str) -> Result<Vec<String>, String> {
    let parsed =
        Selector::parse(selector).map_err(|e| format!("bad selector {selector:?}: {e}"))?;
    Ok(texts_in(html, &parsed))
}

fn texts_in(html: &str, selector: &Selector) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(selector)
        .map(|el| {
            let mut s = String::new();
            push_text(el, &mut s);
            normalize(&s)
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The accessible name of a link or button: `aria-label`, else its text (images count by
/// their `alt`), else `value` for input buttons, else `title`.
fn accessible_name(el: &ElementRef<'_>) -> String {
    let v = el.value();
    if let Some(label) = v
        .attr("aria-label")
        .map(normalize)
        .filter(|s| !s.is_empty())
    {
        return label;
    }
    if v.name() == "input" {
        return normalize(v.attr("value").unwrap_or_default());
    }
    let mut text = String::new();
    push_text(*el, &mut text);
    for img in el.select(&sel("img[alt]")) {
        text.push(' ');
        text.push_str(img.value().attr("alt").unwrap_or_default());
    }
    let text = normalize(&text);
    if !text.is_empty() {
        return text;
    }
    normalize(v.attr("title").unwrap_or_default())
}

const CLICKABLE: &str =
    "a[href], button, input[type=submit], input[type=button], input[type=image]";

fn resolve(base: &Url, href: &str) -> Result<Url, PageError> {
    base.join(href.trim())
        .map_err(|_| PageError::BadUrl(href.to_owned()))
}

/// The form a control belongs to: its `form` attribute, else its nearest `<form>` ancestor.
fn owning_form<'a>(doc: &'a Html, el: &ElementRef<'a>) -> Option<ElementRef<'a>> {
    if let Some(id) = el.value().attr("form") {
        return doc
            .select(&sel("form"))
            .find(|f| f.value().attr("id") == Some(id));
    }
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "form")
}

fn find_clickable<'a>(doc: &'a Html, name: &str) -> Result<ElementRef<'a>, PageError> {
    let wanted = normalize(name);
    let candidates: Vec<ElementRef<'a>> = doc
        .select(&sel(CLICKABLE))
        .filter(|el| {
            !el.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| is_hidden(&a))
        })
        .collect();
    let exact = candidates.iter().find(|el| accessible_name(el) == wanted);
    let loose = || {
        candidates
            .iter()
            .find(|el| accessible_name(el).to_lowercase() == wanted.to_lowercase())
    };
    match exact.or_else(loose) {
        Some(el) => Ok(*el),
        None => Err(PageError::NoClickable {
            name: wanted,
            offered: quoted_list(candidates.iter().map(accessible_name)),
        }),
    }
}

fn quoted_list(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items
        .filter(|s| !s.is_empty())
        .map(|s| format!("{s:?}"))
        .collect();
    if v.is_empty() {
        "nothing".to_owned()
    } else {
        v.join(", ")
    }
}

/// What clicking the link or button named `name` does on the page at `base`, with the
/// values typed so far (`fills`, by field name) applied to the form it submits.
pub fn plan_click(
    base: &Url,
    html: &str,
    name: &str,
    fills: &[(String, String)],
) -> Result<Action, PageError> {
    let doc = Html::parse_document(html);
    let el = find_clickable(&doc, name)?;
    let v = el.value();
    if v.name() == "a" {
        return Ok(Action::Get(resolve(
            base,
            v.attr("href").unwrap_or_default(),
        )?));
    }
    let form = owning_form(&doc, &el).ok_or_else(|| PageError::Formless(normalize(name)))?;
    let action = v
        .attr("formaction")
        .or_else(|| form.value().attr("action"))
        .unwrap_or_default();
    let url = if action.trim().is_empty() {
        base.clone()
    } else {
        resolve(base, action)?
    };
    let method = v
        .attr("formmethod")
        .or_else(|| form.value().attr("method"))
        .unwrap_or("get")
        .to_uppercase();
    let mut fields = Vec::new();
    for control in form_controls(&doc, &form) {
        let cv = control.value();
        let Some(field_name) = cv.attr("name").filter(|n| !n.is_empty()) else {
            continue;
        };
        if cv.attr("disabled").is_some() {
            continue;
        }
        let filled = fills.iter().find(|(n, _)| n == field_name).map(|(_, v)| v);
        match cv.name() {
            "input" => {
                let ty = cv.attr("type").unwrap_or("text").to_ascii_lowercase();
                match ty.as_str() {
                    "submit" | "image" | "button" | "reset" if control.id() == el.id() => {
                        fields.push((
                            field_name.to_owned(),
                            cv.attr("value").unwrap_or_default().to_owned(),
                        ));
                    }
                    "submit" | "image" | "button" | "reset" => {}
                    "checkbox" | "radio" => {
                        if cv.attr("checked").is_some() || filled.is_some() {
                            let value = cv.attr("value").unwrap_or("on");
                            fields.push((field_name.to_owned(), value.to_owned()));
                        }
                    }
                    "file" => {}
                    _ => {
                        let value = filled
                            .map(String::as_str)
                            .or(cv.attr("value"))
                            .unwrap_or_default();
                        fields.push((field_name.to_owned(), value.to_owned()));
                    }
                }
            }
            // Only the pressed button is a successful control.
            "button" if control.id() == el.id() => {
                fields.push((
                    field_name.to_owned(),
                    cv.attr("value").unwrap_or_default().to_owned(),
                ));
            }
            "textarea" => {
                let value = match filled {
                    Some(v) => v.clone(),
                    None => control.text().collect(),
                };
                fields.push((field_name.to_owned(), value));
            }
            "select" => {
                let value = filled.cloned().or_else(|| {
                    let options: Vec<_> = control.select(&sel("option")).collect();
                    options
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(options.first())
                        .map(|o| {
                            o.value()
                                .attr("value")
                                .map(str::to_owned)
                                .unwrap_or_else(|| normalize(&o.text().collect::<String>()))
                        })
                });
                if let Some(value) = value {
                    fields.push((field_name.to_owned(), value));
                }
            }
            _ => {}
        }
    }
    Ok(Action::Submit(Submission {
        method,
        url,
        fields,
    }))
}

/// The controls of `form`, in document order: its descendants plus any control that
/// names it with a `form` attribute.
fn form_controls<'a>(doc: &'a Html, form: &ElementRef<'a>) -> Vec<ElementRef<'a>> {
    let form_id = form.value().attr("id");
    doc.select(&sel("input, button, select, textarea"))
        .filter(|c| match c.value().attr("form") {
            Some(id) => Some(id) == form_id,
            None => c
                .ancestors()
                .filter_map(ElementRef::wrap)
                .find(|a| a.value().name() == "form")
                .is_some_and(|f| f.id() == form.id()),
        })
        .collect()
}

/// The `name` of the field labelled `label` (by a `<label for>`, a `<label>` around it,
/// or its `aria-label`). Label text may end in `:` or `*`.
pub fn field_name(html: &str, label: &str) -> Result<String, PageError> {
    let doc = Html::parse_document(html);
    let wanted = normalize(label);
    let label_text = |el: &ElementRef<'_>| {
        let mut s = String::new();
        push_text(*el, &mut s);
        normalize(&s).trim_end_matches(['*', ':', ' ']).to_owned()
    };
    let labels: Vec<ElementRef<'_>> = doc.select(&sel("label")).collect();
    let mut found = labels.iter().find(|l| label_text(l) == wanted);
    if found.is_none() {
        found = labels
            .iter()
            .find(|l| label_text(l).to_lowercase() == wanted.to_lowercase());
    }
    let control = found.and_then(|l| match l.value().attr("for") {
        Some(id) => doc
            .select(&sel("input, select, textarea"))
            .find(|c| c.value().attr("id") == Some(id)),
        None => l.select(&sel("input, select, textarea")).next(),
    });
    let control = control.or_else(|| {
        doc.select(&sel("input, select, textarea"))
            .find(|c| c.value().attr("aria-label").map(normalize).as_deref() == Some(&wanted))
    });
    match control.and_then(|c| c.value().attr("name")) {
        Some(name) => Ok(name.to_owned()),
        None => Err(PageError::NoField {
            label: wanted,
            offered: quoted_list(labels.iter().map(label_text)),
        }),
    }
}

/// Whether the page has a field labelled `label`.
pub fn has_field(html: &str, label: &str) -> bool {
    field_name(html, label).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:8080/login?next=1").unwrap()
    }

    const LOGIN: &str = r#"<!doctype html><html><head><title>Log in</title>
        <style>.x{}</style></head><body>
        <nav><a href="/" aria-label="Home"><svg></svg></a>
             <a href="/settings" aria-label="Settings"><svg><title>gear</title></svg></a></nav>
        <main><h1>Log in</h1>
        <div role="alert">  Wrong   email or password. </div>
        <form method="post" action="/login">
          <input type="hidden" name="csrf_token" value="t0k3n">
          <label for="email">Email</label><input id="email" name="email" type="email" value="old@x">
          <label>Password * <input name="password" type="password"></label>
          <label><input type="checkbox" name="remember"> Remember me</label>
          <button type="submit" name="intent" value="login">Log in</button>
        </form>
        <p><a href="/forgot-password">Forgot your password?</a> <a href="/signup">Create account</a></p>
        <form method="post" action="/logout"><input type="hidden" name="csrf_token" value="t2">
          <input type="submit" value="Log out"></form>
        <script>var hidden = "do not show";</script>
        <p hidden>secret hidden text</p>
        </main></body></html>"#;

    #[test]
    fn visible_text_skips_scripts_styles_and_hidden_elements() {
        let text = visible_text(LOGIN);
        assert!(text.contains("Wrong email or password."), "{text}");
        assert!(
            text.contains("Forgot your password? Create account"),
            "{text}"
        );
        assert!(!text.contains("do not show"));
        assert!(!text.contains("secret hidden text"));
        assert!(!text.contains(".x{}"));
    }

    #[test]
    fn blocks_are_separated_by_spaces() {
        assert_eq!(
            visible_text("<body><p>one</p><p>two</p>three<br>four</body>"),
            "one two three four"
        );
    }

    #[test]
    fn alerts_and_title_are_read() {
        assert_eq!(alerts(LOGIN), vec!["Wrong email or password.".to_owned()]);
        assert_eq!(title(LOGIN).as_deref(), Some("Log in"));
        assert_eq!(
            texts_of(
                "<ul class=\"errorlist\"><li>Too  short.</li></ul>",
                ".errorlist"
            )
            .unwrap(),
            ["Too short."]
        );
        assert!(
            texts_of(LOGIN, "[role=")
                .unwrap_err()
                .contains("bad selector")
        );
    }

    #[test]
    fn links_are_followed_by_their_text_or_aria_label() {
        assert_eq!(
            plan_click(&base(), LOGIN, "Forgot your password?", &[]).unwrap(),
            Action::Get(Url::parse("http://127.0.0.1:8080/forgot-password").unwrap())
        );
        assert_eq!(
            plan_click(&base(), LOGIN, "Settings", &[]).unwrap(),
            Action::Get(Url::parse("http://127.0.0.1:8080/settings").unwrap())
        );
    }

    #[test]
    fn text_match_falls_back_to_case_insensitive() {
        assert!(matches!(
            plan_click(&base(), LOGIN, "create ACCOUNT", &[]),
            Ok(Action::Get(_))
        ));
    }

    #[test]
    fn pressing_a_button_submits_its_form_with_hidden_fields_and_typed_values() {
        let fills = vec![
            ("email".to_owned(), "a@b.test".to_owned()),
            ("password".to_owned(), "pw pw".to_owned()),
        ];
        let Action::Submit(s) = plan_click(&base(), LOGIN, "Log in", &fills).unwrap() else {
            panic!("expected a submission")
        };
        assert_eq!(s.method, "POST");
        assert_eq!(s.url.as_str(), "http://127.0.0.1:8080/login");
        assert_eq!(
            s.fields,
            vec![
                ("csrf_token".to_owned(), "t0k3n".to_owned()),
                ("email".to_owned(), "a@b.test".to_owned()),
                ("password".to_owned(), "pw pw".to_owned()),
                ("intent".to_owned(), "login".to_owned()),
            ]
        );
    }

    #[test]
    fn unfilled_fields_keep_their_default_value() {
        let Action::Submit(s) = plan_click(&base(), LOGIN, "Log in", &[]).unwrap() else {
            panic!("expected a submission")
        };
        assert!(s.fields.contains(&("email".to_owned(), "old@x".to_owned())));
    }

    #[test]
    fn input_buttons_are_named_by_their_value_and_submit_their_own_form() {
        let Action::Submit(s) = plan_click(&base(), LOGIN, "Log out", &[]).unwrap() else {
            panic!("expected a submission")
        };
        assert_eq!(s.url.as_str(), "http://127.0.0.1:8080/logout");
        assert_eq!(s.fields, vec![("csrf_token".to_owned(), "t2".to_owned())]);
    }

    #[test]
    fn a_missing_button_names_what_the_page_offers() {
        let err = plan_click(&base(), LOGIN, "Restore password", &[]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"Restore password\""), "{msg}");
        assert!(msg.contains("\"Log in\""), "{msg}");
        assert!(msg.contains("\"Forgot your password?\""), "{msg}");
    }

    #[test]
    fn fields_are_found_by_label_for_by_wrapping_label_and_by_aria_label() {
        assert_eq!(field_name(LOGIN, "Email").unwrap(), "email");
        assert_eq!(field_name(LOGIN, "Password").unwrap(), "password");
        let html = r#"<form><input aria-label="Search" name="q"></form>"#;
        assert_eq!(field_name(html, "Search").unwrap(), "q");
    }

    #[test]
    fn similar_labels_are_told_apart() {
        let html = r#"<form method="post">
            <label for="a">New password</label><input id="a" name="new_password" type="password">
            <label for="b">Confirm new password</label><input id="b" name="confirm" type="password">
            <button>Validate</button></form>"#;
        assert_eq!(field_name(html, "New password").unwrap(), "new_password");
        assert_eq!(field_name(html, "Confirm new password").unwrap(), "confirm");
        let Action::Submit(s) = plan_click(&base(), html, "Validate", &[]).unwrap() else {
            panic!("expected a submission")
        };
        assert_eq!(
            s.url,
            base(),
            "an empty action posts back to the page itself"
        );
    }

    #[test]
    fn a_missing_label_lists_the_labels_present() {
        let msg = field_name(LOGIN, "Current password")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("\"Email\"") && msg.contains("\"Password\""),
            "{msg}"
        );
        assert!(!has_field(LOGIN, "Current password"));
    }

    #[test]
    fn get_forms_and_formaction_are_honoured() {
        let html = r#"<form action="/search"><input name="q" value="x">
            <button formaction="/other" formmethod="post">Go</button><button>Find</button></form>"#;
        let Action::Submit(find) = plan_click(&base(), html, "Find", &[]).unwrap() else {
            panic!()
        };
        assert_eq!((find.method.as_str(), find.url.path()), ("GET", "/search"));
        let Action::Submit(go) = plan_click(&base(), html, "Go", &[]).unwrap() else {
            panic!()
        };
        assert_eq!((go.method.as_str(), go.url.path()), ("POST", "/other"));
    }

    #[test]
    fn controls_linked_by_the_form_attribute_are_submitted() {
        let html = r#"<form id="f" method="post" action="/x"></form>
            <input form="f" name="outside" value="1"><button form="f">Send</button>"#;
        let Action::Submit(s) = plan_click(&base(), html, "Send", &[]).unwrap() else {
            panic!()
        };
        assert_eq!(s.fields, vec![("outside".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn a_button_outside_any_form_is_reported() {
        let err = plan_click(&base(), "<button>Lonely</button>", "Lonely", &[]).unwrap_err();
        assert_eq!(err, PageError::Formless("Lonely".into()));
    }
}

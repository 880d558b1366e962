//! The evidence report, `report.html` under `--out`: one self-contained file (inline
//! CSS, screenshots as `data:` URIs, no script and nothing fetched) that groups the
//! results by requirement, for an auditor. Each scenario shows its steps with status and
//! time, the emails it read (subject, links), the timings it measured and, in Chromium,
//! the page it ended on. Everything taken from the target is HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;

use crate::profile::is_rule_tag;
use crate::results::{ScenarioRecord, StepStatus, Verdict};

/// What the report is about.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The target, as the banner says.
    pub target: String,
    /// The profile's name and description.
    pub profile: String,
    /// HTTP or Chromium.
    pub mode: String,
    /// When the run ended (RFC 3339).
    pub finished: String,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Whether the run is green.
    pub passed: bool,
}

/// The requirements the features' tags name, with what each asks (in short).
const REQUIREMENTS: &[(&str, &str)] = &[
    (
        "asvs-2.4.1",
        "ASVS 5.0 V2.4.1: anti-automation controls against excessive calls",
    ),
    (
        "asvs-3.5.1",
        "ASVS 5.0 V3.5.1: requests that change state are protected against cross-site request forgery",
    ),
    (
        "asvs-6.2.1",
        "ASVS 5.0 V6.2.1: passwords of at least 8 characters (15 recommended)",
    ),
    (
        "asvs-6.2.3",
        "ASVS 5.0 V6.2.3: a password change requires the current and the new password",
    ),
    (
        "asvs-6.2.4",
        "ASVS 5.0 V6.2.4: new passwords are checked against common passwords",
    ),
    (
        "asvs-6.2.5",
        "ASVS 5.0 V6.2.5: passwords of any composition are accepted",
    ),
    (
        "asvs-6.2.9",
        "ASVS 5.0 V6.2.9: passwords of at least 64 characters are permitted",
    ),
    (
        "asvs-6.2.11",
        "ASVS 5.0 V6.2.11: context-specific words are refused",
    ),
    (
        "asvs-6.3.1",
        "ASVS 5.0 V6.3.1: credential stuffing and brute force are prevented",
    ),
    (
        "asvs-6.3.7",
        "ASVS 5.0 V6.3.7: users are notified after updates to authentication details",
    ),
    (
        "asvs-6.3.8",
        "ASVS 5.0 V6.3.8: valid users cannot be deduced from messages, status codes or response times, recovery and registration included",
    ),
    (
        "asvs-6.4.3",
        "ASVS 5.0 V6.4.3: a secure process for resetting a forgotten password",
    ),
    (
        "asvs-7.3.1",
        "ASVS 5.0 V7.3.1: sessions end after inactivity",
    ),
    (
        "asvs-7.4.1",
        "ASVS 5.0 V7.4.1: a terminated session cannot be used any more",
    ),
    (
        "asvs-7.4.3",
        "ASVS 5.0 V7.4.3: other sessions end after a password change or reset",
    ),
    (
        "asvs-13.4.5",
        "ASVS 5.0 V13.4.5: monitoring endpoints are not exposed",
    ),
    (
        "owasp-fp-consistent-message",
        "OWASP Forgot Password: a consistent message for existent and non-existent accounts",
    ),
    (
        "owasp-fp-consistent-time",
        "OWASP Forgot Password: responses in a consistent amount of time",
    ),
    (
        "owasp-fp-side-channel",
        "OWASP Forgot Password: the reset goes through a side channel (the account's email)",
    ),
    (
        "owasp-fp-automation",
        "OWASP Forgot Password: protections against excessive automated submissions",
    ),
    (
        "owasp-fp-single-use-token",
        "OWASP Forgot Password: tokens are single use and expire",
    ),
    (
        "owasp-fp-host-header",
        "OWASP Forgot Password: reset URLs do not rely on the Host header",
    ),
    (
        "owasp-fp-referrer-policy",
        "OWASP Forgot Password: the reset page leaks no token (Referrer-Policy, caches)",
    ),
    (
        "owasp-fp-password-policy",
        "OWASP Forgot Password: the new password follows the policy and is confirmed",
    ),
    (
        "owasp-fp-no-auto-login",
        "OWASP Forgot Password: no automatic log-in after a reset",
    ),
    (
        "owasp-fp-sessions",
        "OWASP Forgot Password: other sessions are invalidated after a reset",
    ),
    (
        "owasp-fp-notify",
        "OWASP Forgot Password: the user is notified of the reset",
    ),
];

/// Checks without a requirement tag (the journeys, and rules not yet tagged).
const UNTAGGED: &str = "Documented journeys and other checks";

/// HTML-escapes `s`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;\
padding:0 1em;color:#1d1d1f}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid \
#ccc}table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left;vertical-align:top}\
.pass{color:#17692d}.fail{color:#b3261e;font-weight:600}.xfail{color:#8a5a00}.skip{color:#666}\
details{margin:.4em 0;padding:.3em .6em;border:1px solid #ddd;border-radius:4px}\
summary{cursor:pointer}ol{margin:.3em 0}li.fail pre{white-space:pre-wrap;margin:.2em 0}\
code,pre{font:13px ui-monospace,monospace}img{max-width:100%;border:1px solid #ccc}\
.badge{display:inline-block;padding:0 .5em;border-radius:3px;font-size:.85em}";

/// The whole report.
pub fn html(
    info: &RunInfo,
    records: &[ScenarioRecord],
    verdict: &Verdict,
    skipped: &[String],
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Conformance \
         report: {}</title><style>{STYLE}</style></head><body><h1>Conformance report</h1>\
         <table><tr><th>Target</th><td>{}</td></tr><tr><th>Profile</th><td>{}</td></tr>\
         <tr><th>Mode</th><td>{}</td></tr><tr><th>Finished</th><td>{} ({:.1} s)</td></tr>\
         <tr><th>Result</th><td class=\"{}\">{}</td></tr><tr><th>Scenarios</th><td>{} run, \
         {} failed as expected, {} new failure(s), {} now passing, {} skipped</td></tr></table>",
        escape(&info.profile),
        escape(&info.target),
        escape(&info.profile),
        escape(&info.mode),
        escape(&info.finished),
        info.seconds,
        if info.passed { "pass" } else { "fail" },
        if info.passed { "PASSED" } else { "FAILED" },
        records.len(),
        verdict.expected.len(),
        verdict.new_failures.len(),
        verdict.now_passing.len(),
        skipped.len(),
    );
    summary(&mut h, verdict);
    let mut groups: BTreeMap<String, Vec<&ScenarioRecord>> = BTreeMap::new();
    for r in records {
        let rules: Vec<&String> = r.tags.iter().filter(|t| is_rule_tag(t)).collect();
        if rules.is_empty() {
            groups.entry(UNTAGGED.to_owned()).or_default().push(r);
        }
        for t in rules {
            groups.entry(t.clone()).or_default().push(r);
        }
    }
    h.push_str("<h2>By requirement</h2>");
    for (tag, scenarios) in &groups {
        let title = REQUIREMENTS
            .iter()
            .find(|(t, _)| t == tag)
            .map_or(tag.as_str(), |(_, title)| title);
        let failing = scenarios
            .iter()
            .filter(|r| r.failed() && verdict.expected_reason(&r.key).is_none())
            .count();
        let expected = scenarios
            .iter()
            .filter(|r| verdict.expected_reason(&r.key).is_some())
            .count();
        let state = match (failing, expected) {
            (0, 0) => ("pass", "met".to_owned()),
            (0, n) => ("xfail", format!("{n} known failure(s)")),
            (n, _) => ("fail", format!("{n} failure(s)")),
        };
        let _ = write!(
            h,
            "<h3 id=\"{}\">{} <code>@{}</code> <span class=\"{}\">{}</span></h3>",
            escape(tag),
            escape(title),
            escape(tag),
            state.0,
            escape(&state.1)
        );
        for r in scenarios {
            scenario(&mut h, r, verdict);
        }
    }
    if !skipped.is_empty() {
        h.push_str("<h2>Skipped</h2><ul>");
        for s in skipped {
            let _ = write!(h, "<li class=\"skip\">{}</li>", escape(s));
        }
        h.push_str("</ul>");
    }
    h.push_str("</body></html>\n");
    h
}

fn summary(h: &mut String, verdict: &Verdict) {
    if !verdict.new_failures.is_empty() {
        h.push_str("<h2>New failures</h2><ul>");
        for (f, s, l) in &verdict.new_failures {
            let _ = write!(
                h,
                "<li class=\"fail\">{} › {} (line {l})</li>",
                escape(f),
                escape(s)
            );
        }
        h.push_str("</ul>");
    }
    if !verdict.now_passing.is_empty() {
        h.push_str("<h2>Now passing: remove them from the expected failures</h2><ul>");
        for f in &verdict.now_passing {
            let _ = write!(h, "<li class=\"fail\">{}</li>", escape(&f.scenario));
        }
        h.push_str("</ul>");
    }
    if !verdict.expected.is_empty() {
        h.push_str("<h2>Known failures (the profile's expected failures)</h2><ul>");
        for ((f, s, l), reason) in &verdict.expected {
            let _ = write!(
                h,
                "<li class=\"xfail\">{} › {} (line {l}): {}</li>",
                escape(f),
                escape(s),
                escape(reason)
            );
        }
        h.push_str("</ul>");
    }
    if !verdict.not_run.is_empty() {
        h.push_str("<h2>Expected failures not run this time</h2><ul>");
        for f in &verdict.not_run {
            let _ = write!(h, "<li class=\"skip\">{}</li>", escape(&f.scenario));
        }
        h.push_str("</ul>");
    }
}

fn scenario(h: &mut String, r: &ScenarioRecord, verdict: &Verdict) {
    let (class, badge) = match (r.failed(), verdict.expected_reason(&r.key)) {
        (true, Some(_)) => ("xfail", "expected failure"),
        (true, None) => ("fail", "FAILED"),
        (false, _) if verdict.now_passing.iter().any(|f| f.scenario == r.name()) => {
            ("fail", "now passes: remove it from the list")
        }
        (false, _) => ("pass", "passed"),
    };
    let (feature, name, line) = &r.key;
    let _ = write!(
        h,
        "<details{}><summary><span class=\"badge {class}\">{badge}</span> {} \
         <span class=\"skip\">— {} ({}:{line})</span></summary>",
        if class == "pass" { "" } else { " open" },
        escape(name),
        escape(feature),
        escape(&r.file),
    );
    if let Some(reason) = verdict.expected_reason(&r.key) {
        let _ = write!(h, "<p class=\"xfail\">Known: {}</p>", escape(reason));
    }
    let _ = write!(
        h,
        "<p class=\"skip\">Tags: {}</p><ol>",
        escape(
            &r.tags
                .iter()
                .map(|t| format!("@{t}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    );
    for s in &r.steps {
        let (class, mark) = match s.status {
            StepStatus::Passed => ("pass", "✔"),
            StepStatus::Failed => ("fail", "✘"),
            StepStatus::Skipped => ("skip", "–"),
        };
        let _ = write!(h, "<li class=\"{class}\">{mark} {}", escape(&s.text));
        if let Some(ms) = s.ms {
            let _ = write!(h, " <span class=\"skip\">({ms:.0} ms)</span>");
        }
        if let Some(e) = &s.error {
            let _ = write!(h, "<pre>{}</pre>", escape(e));
        }
        h.push_str("</li>");
    }
    h.push_str("</ol>");
    if let Some(e) = &r.hook_error {
        let _ = write!(h, "<pre class=\"fail\">set-up failed: {}</pre>", escape(e));
    }
    let ev = &r.evidence;
    if !ev.emails.is_empty() {
        h.push_str("<p>Emails read:</p><table><tr><th>To</th><th>Subject</th><th>Links</th></tr>");
        for m in &ev.emails {
            let links = m
                .links
                .iter()
                .map(|l| format!("<code>{}</code>", escape(l)))
                .collect::<Vec<_>>()
                .join("<br>");
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{links}</td></tr>",
                escape(&m.to),
                escape(&m.subject)
            );
        }
        h.push_str("</table>");
    }
    for t in &ev.timings {
        let _ = write!(
            h,
            "<p class=\"{}\">Timing: {}</p>",
            if t.leaks() { "fail" } else { "pass" },
            escape(&t.to_string())
        );
    }
    if let Some(png) = &ev.screenshot {
        let _ = write!(
            h,
            "<p>The page at the end:</p><img alt=\"screenshot\" src=\"data:image/png;base64,{}\">",
            base64::engine::general_purpose::STANDARD.encode(png)
        );
    }
    h.push_str("</details>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{EmailSeen, Evidence, StepRecord};

    #[test]
    fn the_report_escapes_what_the_target_says_and_fetches_nothing() {
        let record = ScenarioRecord::for_test(
            ("F".into(), "<script>x</script>".into(), 3),
            vec!["asvs-6.3.8".into()],
            vec![StepRecord {
                text: "Then I see \"<b>\"".into(),
                status: StepStatus::Failed,
                error: Some("page said <img src=x onerror=alert(1)>".into()),
                ms: Some(12.0),
            }],
            Evidence {
                emails: vec![EmailSeen {
                    to: "a@b".into(),
                    subject: "Reset & <go>".into(),
                    links: vec!["http://x/?a=1&b=<2>".into()],
                }],
                timings: Vec::new(),
                screenshot: Some(vec![1, 2, 3]),
            },
        );
        let verdict = Verdict::of(std::slice::from_ref(&record), &[]);
        let info = RunInfo {
            target: "t".into(),
            profile: "p".into(),
            mode: "HTTP".into(),
            finished: "now".into(),
            seconds: 1.0,
            passed: false,
        };
        let page = html(
            &info,
            &[record],
            &verdict,
            &["s — not claimed: @asvs-6.2.1".into()],
        );
        assert!(!page.contains("<script>") && !page.contains("<img src=x"));
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(page.contains("Reset &amp; &lt;go&gt;"));
        assert!(page.contains("data:image/png;base64,AQID"));
        assert!(page.contains("ASVS 5.0 V6.3.8"));
        assert!(!page.contains("http://x/?a=1&b"), "links are escaped");
        for external in ["<link", "<script", "src=\"http", "href=\"http", "@import"] {
            assert!(!page.contains(external), "{external}");
        }
    }
}

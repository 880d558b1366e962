//! Repository policy, checked rather than remembered (as rust-analyzer's tidy tests do):
//! every module says what it is, the project cites only what it holds, ARCHITECTURE.md
//! names only paths that exist, no dependency is declared for nothing, and production
//! files stay small enough to hold in mind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

/// Lines of production code (before a file's `#[cfg(test)]`) a file may have, unless
/// ARCHITECTURE.md names it under "Large files" with the reason.
const MAX_PRODUCTION_LINES: usize = 500;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every file under `dir` (recursively) whose name ends with one of `exts`.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                if !matches!(name.as_str(), "target" | ".git" | "node_modules" | "data") {
                    stack.push(p);
                }
            } else if exts.iter().any(|x| name.ends_with(x)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rust_sources() -> Vec<PathBuf> {
    let root = root();
    let mut out = files(&root.join("crates"), &[".rs"]);
    out.extend(files(&root.join("xtask"), &[".rs"]));
    out
}

fn relative(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .to_string()
}

#[test]
fn every_module_says_what_it_is() {
    let missing: Vec<String> = rust_sources()
        .into_iter()
        .filter(|p| {
            let text = fs::read_to_string(p).unwrap();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            !first.starts_with("//!")
        })
        .map(|p| relative(&p))
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` line first: {missing:#?}"
    );
}

#[test]
fn the_project_cites_only_what_it_holds() {
    // Documents that are not in the repository (spelled in pieces so that this file
    // does not cite them itself).
    let outside = [
        ["DESIGN", ".md"].concat(),
        ["STYLE", ".md"].concat(),
        ["TOOLCHAIN", ".md"].concat(),
        ["..", "/shared"].concat(),
    ];
    let root = root();
    let mut texts = rust_sources();
    for dir in ["features", "fixtures", ".ci", ".cargo", "xtask"] {
        texts.extend(files(
            &root.join(dir),
            &[".feature", ".md", ".toml", "run", ".py"],
        ));
    }
    texts.extend(files(
        &root.join("crates"),
        &[".toml", ".html", ".txt", ".css", ".js", ".md"],
    ));
    for doc in ["README.md", "ARCHITECTURE.md", "Cargo.toml"] {
        texts.push(root.join(doc));
    }
    let mut found = Vec::new();
    for p in texts {
        let Ok(text) = fs::read_to_string(&p) else {
            continue;
        };
        for needle in &outside {
            if text.contains(needle.as_str()) {
                found.push(format!("{} cites {needle}", relative(&p)));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// Backquoted words of ARCHITECTURE.md that look like paths of this repository.
fn architecture_paths(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::trim)
        .filter(|w| !w.contains(' ') && !w.contains("::") && !w.starts_with('/'))
        // Build output is not in the repository.
        .filter(|w| !w.starts_with("target/"))
        .filter(|w| !w.contains('{') && !w.contains('*') && !w.contains('<'))
        .filter(|w| {
            w.ends_with(".rs")
                || w.ends_with(".md")
                || w.ends_with(".toml")
                || w.ends_with(".html")
                || (w.ends_with('/') && w.len() > 1)
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn architecture_names_only_paths_that_exist() {
    let root = root();
    let text = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    // A path is found from the root, a crate, a crate's sources, or a module folder.
    let mut bases = vec![root.clone()];
    for krate in fs::read_dir(root.join("crates")).unwrap().flatten() {
        let k = krate.path();
        bases.push(k.clone());
        bases.push(k.join("src"));
        for sub in files(&k.join("src"), &["mod.rs"]) {
            bases.push(sub.parent().unwrap().to_path_buf());
        }
    }
    bases.push(root.join("xtask/src"));
    let missing: Vec<String> = architecture_paths(&text)
        .into_iter()
        .filter(|p| !bases.iter().any(|b| b.join(p).exists()))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:#?}"
    );
}

#[test]
fn no_dependency_is_declared_for_nothing() {
    let root = root();
    let mut unused = Vec::new();
    let mut manifests = vec![root.join("xtask/Cargo.toml")];
    for krate in fs::read_dir(root.join("crates")).unwrap().flatten() {
        manifests.push(krate.path().join("Cargo.toml"));
    }
    for manifest in manifests {
        let dir = manifest.parent().unwrap();
        let text = fs::read_to_string(&manifest).unwrap();
        let code: String = files(dir, &[".rs"])
            .iter()
            .map(|p| fs::read_to_string(p).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let mut section = String::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line.to_owned();
                continue;
            }
            if !section.ends_with("dependencies]") {
                continue;
            }
            let Some(name) = line.split(['=', '.']).next().map(str::trim) else {
                continue;
            };
            if name.is_empty() || name.starts_with('#') {
                continue;
            }
            let ident = name.replace('-', "_");
            let used = [
                format!("{ident}::"),
                format!("use {ident}"),
                format!("{ident}!"),
                format!("extern crate {ident}"),
            ]
            .iter()
            .any(|n| code.contains(n.as_str()));
            if !used {
                unused.push(format!("{}: {name}", relative(&manifest)));
            }
        }
    }
    assert!(unused.is_empty(), "declared but never used: {unused:#?}");
}

#[test]
fn production_files_stay_small_or_say_why() {
    let root = root();
    let architecture = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let allowed = architecture
        .split("### Large files")
        .nth(1)
        .unwrap_or("")
        .split("\n#")
        .next()
        .unwrap_or("")
        .to_owned();
    let too_long: Vec<String> = rust_sources()
        .into_iter()
        .filter(|p| !relative(p).contains("/tests/"))
        .filter_map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            let production = text
                .lines()
                .take_while(|l| !l.starts_with("#[cfg(test)]"))
                .count();
            let rel = relative(&p);
            (production > MAX_PRODUCTION_LINES && !allowed.contains(&format!("`{rel}`")))
                .then(|| format!("{rel}: {production} lines"))
        })
        .collect();
    assert!(
        too_long.is_empty(),
        "over {MAX_PRODUCTION_LINES} production lines without a reason in ARCHITECTURE.md (### Large files): {too_long:#?}"
    );
}

#[test]
fn architecture_paths_are_recognised() {
    let found = architecture_paths("see `web/`, `crates/portal/src/limits.rs`, `a b`, `x::y`");
    assert_eq!(found, ["web/", "crates/portal/src/limits.rs"]);
}

/// Portal sources whose strings only operators read (settings errors and `--help`,
/// start-up lines, SQL, delivery errors kept in the outbox): exempt from
/// [`the_portal_speaks_only_through_its_fluent_files`].
const OPERATOR_FACING: &[&str] = &[
    "crates/portal/src/config.rs",
    "crates/portal/src/main.rs",
    "crates/portal/src/startup.rs",
    "crates/portal/src/telemetry.rs",
    "crates/portal/src/background.rs",
    "crates/portal/src/hashing.rs",
    "crates/portal/src/mail/outbox.rs",
    "crates/portal/src/store/",
];

/// Whether `s` reads as an English sentence: three words or more, and a capital first
/// letter or a full stop, question or exclamation mark at the end.
fn is_prose(s: &str) -> bool {
    let words = s
        .split_whitespace()
        .filter(|w| {
            let w = w.trim_end_matches(['.', ',', ':', ';', '!', '?']);
            w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic())
        })
        .count();
    let s = s.trim();
    words >= 3 && (s.starts_with(|c: char| c.is_uppercase()) || s.ends_with(['.', '!', '?']))
}

/// The string literals of Rust source `text` (before its tests) that could reach a
/// person, with their line: not in comments, attributes (except `#[error(...)]`, an
/// error's `Display`) or log macros, and not naming a `PORTAL_` setting.
fn shown_literals(text: &str) -> Vec<(usize, String)> {
    let text = text.split("\n#[cfg(test)]").next().unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    let mut out = Vec::new();
    // Open brackets of an attribute or log macro being skipped: (closer, depth).
    let mut skipping: Option<(char, char, usize)> = None;
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
        }
        if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if at(i, "/*") {
            while i < chars.len() && !at(i, "*/") {
                line += usize::from(chars[i] == '\n');
                i += 1;
            }
            i += 2;
            continue;
        }
        // Character literals ('"', '\'', '\u{..}'), not lifetimes.
        if c == '\'' {
            if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                continue;
            }
            if chars.get(i + 1) == Some(&'\\') {
                let end = (i + 2..chars.len())
                    .find(|&k| chars[k] == '\'')
                    .unwrap_or(i);
                i = end + 1;
                continue;
            }
        }
        let raw = c == 'r'
            && matches!(chars.get(i + 1), Some('"' | '#'))
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if c == '"' || raw {
            let start_line = line;
            let mut s = String::new();
            if raw {
                let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                i += 2 + hashes;
                while i < chars.len() && !at(i, &close) {
                    line += usize::from(chars[i] == '\n');
                    s.push(chars[i]);
                    i += 1;
                }
                i += close.chars().count();
            } else {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    line += usize::from(chars[i] == '\n');
                    if chars[i] == '\\' {
                        s.push(chars[i]);
                        i += 1;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            if skipping.is_none() && !s.contains("PORTAL_") {
                out.push((start_line, s));
            }
            continue;
        }
        if let Some((open, close, depth)) = &mut skipping {
            if c == *open {
                *depth += 1;
            } else if c == *close {
                *depth -= 1;
                if *depth == 0 {
                    skipping = None;
                }
            }
            i += 1;
            continue;
        }
        // An attribute other than `#[error(`.
        if c == '#' && (at(i + 1, "[") || at(i + 1, "![")) && !at(i + 1, "[error(") {
            i = (i..chars.len()).find(|&k| chars[k] == '[').unwrap_or(i) + 1;
            skipping = Some(('[', ']', 1));
            continue;
        }
        // A log macro: `warn!(` (also as `tracing::warn!(`).
        let word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if word_start
            && let Some(name) = ["trace!(", "debug!(", "info!(", "warn!(", "error!("]
                .iter()
                .find(|m| at(i, m))
        {
            i += name.len();
            skipping = Some(('(', ')', 1));
            continue;
        }
        i += 1;
    }
    out
}

/// The words a template shows as they are, outside its `{{ }}`, `{% %}` and `{# #}`
/// blocks, its tags (but the texts of `aria-label`, `title`, `alt` and `placeholder`)
/// and its paths (`/forgot-password`).
fn template_words(text: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(['{']) {
        plain.push_str(&rest[..start]);
        let after = &rest[start..];
        let close = match after.get(..2) {
            Some("{{") => "}}",
            Some("{%") => "%}",
            Some("{#") => "#}",
            _ => {
                plain.push('{');
                rest = &after[1..];
                continue;
            }
        };
        rest = after.find(close).map_or("", |end| &after[end + 2..]);
        plain.push(' ');
    }
    plain.push_str(rest);
    let mut shown = String::new();
    let mut rest = plain.as_str();
    while let Some(start) = rest.find('<') {
        shown.push_str(&rest[..start]);
        let end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
        let tag = &rest[start..end];
        for attr in ["aria-label=\"", "title=\"", "alt=\"", "placeholder=\""] {
            for (k, _) in tag.match_indices(attr) {
                if k > 0 && !tag[..k].ends_with(' ') {
                    continue;
                }
                let value = &tag[k + attr.len()..];
                shown.push(' ');
                shown.push_str(&value[..value.find('"').unwrap_or(value.len())]);
            }
        }
        shown.push(' ');
        rest = rest.get(end + 1..).unwrap_or("");
    }
    shown.push_str(rest);
    shown
        .split_whitespace()
        .filter(|w| !w.starts_with('/') && !w.starts_with('&'))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_portal_speaks_only_through_its_fluent_files() {
    let root = root();
    let mut found = Vec::new();
    for p in files(&root.join("crates/portal/src"), &[".rs"]) {
        let rel = relative(&p);
        if OPERATOR_FACING.iter().any(|o| rel.starts_with(o)) {
            continue;
        }
        let text = fs::read_to_string(&p).unwrap();
        for (line, s) in shown_literals(&text) {
            if is_prose(&s) {
                found.push(format!("{rel}:{line}: {s:?}"));
            }
        }
    }
    for p in files(&root.join("crates/portal/templates"), &[".html", ".txt"]) {
        let words = template_words(&fs::read_to_string(&p).unwrap());
        if !words.is_empty() {
            found.push(format!("{}: {words:?}", relative(&p)));
        }
    }
    assert!(
        found.is_empty(),
        "texts a person reads belong in crates/portal/locales/*/portal.ftl (see README, \
         \"Adding a language\"), not in code or templates: {found:#?}"
    );
}

#[test]
fn english_is_found_in_code_and_templates() {
    let code = r##"
//! A module.
#[error("The link is invalid.")]
Invalid,
#[utoipa::path(post, responses((status = 200, description = "Changed; every session ended")))]
fn f() {
    tracing::warn!(error = %e, "Sending the email failed; will retry");
    let c = '"';
    let msg = "You can now log in.";
    let id = t("login-title");
    let sql = r#"a "quoted" thing"#;
    bail("PORTAL_LISTEN must be an address, got nothing");
}
"##;
    let shown: Vec<String> = shown_literals(code)
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| is_prose(s))
        .collect();
    assert_eq!(shown, ["The link is invalid.", "You can now log in."]);
    assert!(!is_prose("invalid, used or expired token"));
    assert!(!is_prose("text/css; charset=utf-8"));
    let words = template_words(
        r#"<a href="/x" aria-label="Settings" class="icon">{{ t("a") }}</a> · {% if x %}Log out{% endif %} {{ c.base_url }}/login"#,
    );
    assert_eq!(words, ["Settings", "Log", "out"]);
}

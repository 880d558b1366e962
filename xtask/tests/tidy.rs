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

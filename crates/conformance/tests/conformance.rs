//! `cargo test -p conformance`: the whole suite against the in-process portal over HTTP.
//! Options come from `CONFORMANCE_*` variables (e.g. `CONFORMANCE_TAGS=@journey`), or
//! from arguments after `--` (`cargo test -p conformance -- --tags @journey`); a bare
//! word filters scenarios by name, as test names are filtered.

use clap::Parser as _;

/// libtest flags `cargo test` may pass to every test binary; they mean nothing here.
const LIBTEST_FLAGS: &[&str] = &[
    "--nocapture",
    "--show-output",
    "--quiet",
    "-q",
    "--ignored",
    "--include-ignored",
    "--exact",
];
const LIBTEST_OPTIONS: &[&str] = &["--test-threads", "--color", "--format", "-Z"];

fn our_args() -> Vec<String> {
    let mut out = Vec::new();
    let mut args = std::env::args();
    while let Some(a) = args.next() {
        if LIBTEST_FLAGS.contains(&a.as_str())
            || LIBTEST_OPTIONS
                .iter()
                .any(|o| a.starts_with(&format!("{o}=")))
        {
            continue;
        }
        if LIBTEST_OPTIONS.contains(&a.as_str()) {
            args.next();
            continue;
        }
        out.push(a);
    }
    out
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match conformance::Options::try_parse_from(our_args()) {
        Ok(o) => o,
        Err(e) => e.exit(),
    };
    match conformance::run(options).await {
        Ok(report) => report.exit_code(),
        Err(e) => {
            eprintln!("conformance: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

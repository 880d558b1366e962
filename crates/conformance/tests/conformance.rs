//! `cargo test -p conformance`: the whole suite against the in-process portal over HTTP.
//! Options come from `CONFORMANCE_*` variables (e.g. `CONFORMANCE_TAGS=@journey`), or
//! from arguments after `--` (`cargo test -p conformance -- --tags @journey`).

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = std::env::args().filter(|a| !matches!(a.as_str(), "--nocapture" | "--quiet" | "-q"));
    let options = match conformance::Options::try_parse_from(args) {
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

//! `conformance [--base-url URL --sink-url URL] [--browser] [--tags EXPR] [--features DIR]`

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = conformance::Options::parse();
    match conformance::run(options).await {
        Ok(report) => report.exit_code(),
        Err(e) => {
            eprintln!("conformance: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

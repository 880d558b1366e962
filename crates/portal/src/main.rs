//! `portal`: runs the account portal (and, without PORTAL_SMTP_URL, the embedded mail
//! sink). Configuration: `portal --help`.

use std::process::ExitCode;
use std::sync::Arc;

use portal::clock::SystemClock;
use portal::{Application, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::from_args_or_exit();
    portal::telemetry::init_logging();
    if let Err(e) = config.validate() {
        eprintln!("{e}");
        return ExitCode::from(2);
    }
    let app = match Application::build(config, Arc::new(SystemClock)).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("portal: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    println!();
    println!("  Portal        {}", app.base_url());
    println!("  Listening     {}", app.local_addr());
    println!(
        "  Operators     http://{}/metrics  (PORTAL_ADMIN_LISTEN)",
        app.admin_addr()
    );
    if let Some(sink) = app.sink() {
        println!(
            "  Mail sink UI  {}  (SMTP {})",
            sink.http_url(),
            sink.smtp_addr()
        );
    }
    for demo in app.demo_accounts() {
        println!("  Demo account  {}  /  {}", demo.email, demo.password);
    }
    println!("  API docs      {}/api/openapi.json", app.base_url());
    println!();

    let stop = app.shutdown_handle();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        stop.cancel();
    });
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portal: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

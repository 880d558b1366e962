//! `mailsink`: run the sink as a standalone server.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use mailsink::{MailSink, SinkConfig};

/// An SMTP sink that captures every email it receives and shows it over a
/// Mailpit-compatible HTTP API and a web UI. Nothing is ever delivered.
#[derive(Debug, Parser)]
#[command(name = "mailsink", version)]
struct Args {
    /// Address the SMTP server listens on.
    #[arg(long, env = "MAILSINK_SMTP", default_value = "127.0.0.1:1025")]
    smtp: SocketAddr,
    /// Address the HTTP API and web UI listen on.
    #[arg(long, env = "MAILSINK_HTTP", default_value = "127.0.0.1:8025")]
    http: SocketAddr,
    /// Keep messages in this SQLite file across restarts (default: in memory only).
    #[arg(long, env = "MAILSINK_DB")]
    db: Option<PathBuf>,
    /// Largest accepted message (bytes, or with a K/M/G suffix, e.g. 25M; at most
    /// 4G minus 1M); bigger ones are refused with SMTP 552.
    #[arg(long, env = "MAILSINK_MAX_MESSAGE_SIZE", default_value = "25M", value_parser = parse_size)]
    max_message_size: u64,
    /// Keep at most this many messages; the oldest are dropped first (0 = no limit).
    #[arg(long, env = "MAILSINK_MAX_MESSAGES", default_value_t = 1000)]
    max_messages: usize,
    /// Keep at most this many bytes of messages in total (K/M/G suffix allowed;
    /// 0 = no limit).
    #[arg(long, env = "MAILSINK_MAX_TOTAL_SIZE", default_value = "512M", value_parser = parse_size)]
    max_total_size: u64,
    /// Drop messages older than this, at each arrival and each minute: `7d`, `12h`,
    /// `90m` (a bare number is hours; 0 = no age limit).
    #[arg(long, env = "MAILSINK_MAX_AGE", value_parser = mailsink::parse_max_age)]
    max_age: Option<std::time::Duration>,
    /// Turn Mailpit's send API (POST /api/v1/send) off: it answers 403. Without it, any
    /// client of the HTTP API can add messages to the sink.
    #[arg(
        long,
        env = "MAILSINK_NO_SEND_API",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    no_send_api: bool,
    /// Recipients accepted per message; more are answered 452.
    #[arg(long, env = "MAILSINK_MAX_RECIPIENTS", default_value_t = 100)]
    max_recipients: usize,
    /// PEM certificate (chain) to offer STARTTLS with; needs --tls-key. Without it,
    /// STARTTLS is not offered (AUTH is accepted in clear either way).
    #[arg(long, env = "MAILSINK_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "MAILSINK_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Comma-separated host names the web UI and API answer to, besides IP addresses
    /// and localhost on the --http port (DNS rebinding protection: any other Host gets
    /// 403). `mail.example` allows any port, `mail.example:8025` only that one,
    /// `.example.com` also its subdomains; `*` turns the check off.
    #[arg(long, env = "MAILSINK_ALLOWED_HOSTS", value_delimiter = ',')]
    allowed_hosts: Vec<String>,
    /// Turn faults on demand off: the fault rules API (/api/v1/faults) and Mailpit's
    /// chaos API (/api/v1/chaos) answer 403, and no SMTP session is ever failed on
    /// purpose. Without it, any client of the HTTP API can make the sink refuse,
    /// delay or drop mail.
    #[arg(
        long,
        env = "MAILSINK_NO_FAULTS",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    no_faults: bool,
    /// SMTP server that `POST /api/v1/message/{ID}/release` relays captured messages to:
    /// `smtp://user:pass@host:port`, `smtps://…` for TLS from the start, `?tls=required`
    /// for STARTTLS. Without it, release answers 403. Credentials are never logged.
    // `--help` never prints the variable's value: it may hold a password.
    #[arg(long, env = "MAILSINK_RELAY", hide_env_values = true)]
    relay: Option<String>,
    /// Regex every release recipient must match (e.g. `@example\.com$`); others are
    /// refused with 400, so the sink cannot become an open relay.
    #[arg(long, env = "MAILSINK_RELAY_ALLOWED_RECIPIENTS")]
    relay_allowed_recipients: Option<String>,
    /// Also serve the captured messages over POP3 on this address (e.g.
    /// 127.0.0.1:1110); off by default. STLS is offered with --tls-cert/--tls-key.
    #[arg(long, env = "MAILSINK_POP3")]
    pop3: Option<SocketAddr>,
    /// File of `user:password` lines the POP3 server accepts (`#` starts a comment);
    /// without it, any user name and password log in.
    #[arg(long, env = "MAILSINK_POP3_AUTH_FILE", requires = "pop3")]
    pop3_auth_file: Option<PathBuf>,
}

/// `1234`, `64K`, `25M`, `1G` (binary multiples; a trailing `B`/`iB` is allowed).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.trim_end_matches("IB").trim_end_matches('B');
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'K')) => (&t[..i], 1u64 << 10),
        Some((i, 'M')) => (&t[..i], 1 << 20),
        Some((i, 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("not a size: {s:?} (try 25M or 1048576)"))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = SinkConfig {
        smtp_addr: args.smtp,
        http_addr: args.http,
        db: args.db,
        max_message_bytes: usize::try_from(args.max_message_size).unwrap_or(usize::MAX),
        max_messages: args.max_messages,
        max_total_bytes: args.max_total_size,
        max_recipients: args.max_recipients,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        allowed_hosts: args.allowed_hosts,
        faults: !args.no_faults,
        relay: args.relay,
        relay_allowed_recipients: args.relay_allowed_recipients,
        pop3_addr: args.pop3,
        pop3_auth_file: args.pop3_auth_file,
        max_age: args.max_age,
        send_api: !args.no_send_api,
        ..SinkConfig::default()
    };
    let sink = MailSink::start(config).await?;
    println!(
        "mailsink: SMTP on {}, web UI and API on {}",
        sink.smtp_addr(),
        sink.http_url()
    );
    if let Some(pop3) = sink.pop3_addr() {
        println!("mailsink: POP3 on {pop3}");
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    sink.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_are_a_comma_separated_list() {
        let args =
            Args::try_parse_from(["mailsink", "--allowed-hosts", "mail.test,.corp.test"]).unwrap();
        assert_eq!(args.allowed_hosts, ["mail.test", ".corp.test"]);
        assert!(
            Args::try_parse_from(["mailsink"])
                .unwrap()
                .allowed_hosts
                .is_empty()
        );
    }

    #[test]
    fn faults_are_on_unless_turned_off_by_flag_or_environment() {
        assert!(!Args::try_parse_from(["mailsink"]).unwrap().no_faults);
        assert!(
            Args::try_parse_from(["mailsink", "--no-faults"])
                .unwrap()
                .no_faults
        );
    }

    #[test]
    fn max_age_and_no_send_api_are_read() {
        let args = Args::try_parse_from(["mailsink", "--max-age", "7d", "--no-send-api"]).unwrap();
        assert_eq!(
            args.max_age,
            Some(std::time::Duration::from_secs(7 * 86400))
        );
        assert!(args.no_send_api);
        assert!(Args::try_parse_from(["mailsink", "--max-age", "soon"]).is_err());
    }

    #[test]
    fn relay_and_pop3_are_off_unless_asked_for() {
        let args = Args::try_parse_from(["mailsink"]).unwrap();
        assert!(args.relay.is_none() && args.pop3.is_none());
        let args = Args::try_parse_from([
            "mailsink",
            "--relay",
            "smtp://user:secret@127.0.0.1:2525",
            "--relay-allowed-recipients",
            r"@example\.com$",
            "--pop3",
            "127.0.0.1:1110",
            "--pop3-auth-file",
            "users.txt",
        ])
        .unwrap();
        assert_eq!(args.pop3, Some(SocketAddr::from(([127, 0, 0, 1], 1110))));
        assert_eq!(
            args.relay_allowed_recipients.as_deref(),
            Some(r"@example\.com$")
        );
        // `--help` would print MAILSINK_RELAY's value, password included.
        let command = <Args as clap::CommandFactory>::command();
        let relay = command.get_arguments().find(|a| a.get_id() == "relay");
        assert!(relay.is_some_and(clap::Arg::is_hide_env_values_set));
        // An auth file without a POP3 server is a mistake worth saying.
        assert!(Args::try_parse_from(["mailsink", "--pop3-auth-file", "users.txt"]).is_err());
    }

    #[test]
    fn sizes_accept_suffixes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("25M"), Ok(25 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert!(parse_size("lots").is_err());
    }
}

//! Configuration by flags and environment variables (`PORTAL_*`), documented in `--help`.
//!
//! Parsing happens in two steps: clap turns text into typed values, then
//! [`Config::validate`] checks what types cannot express (ranges, Argon2 parameters,
//! URL schemes). Both report one line naming the setting at fault.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ipnet::IpNet;
use url::Url;

/// A path where an empty value means "none" (clap's own path parser refuses it).
fn parse_optional_path(s: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(s))
}

fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not an address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (use e.g. 30m, 2h, 90s)"))
}

/// Everything the portal can be told at start-up.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "portal",
    version,
    about = "Self-hostable account portal: sign-up, log-in, password reset and password change, \
             over HTML pages and a JSON API. With no SMTP relay configured it starts an embedded \
             mail sink that captures every email."
)]
pub struct Config {
    /// Address the HTTP server listens on.
    #[arg(long, env = "PORTAL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Address of the operator listener: `/metrics` (Prometheus), `/healthz`, `/readyz`.
    /// Keep it off the public network: the counters move with per-account activity.
    #[arg(long, env = "PORTAL_ADMIN_LISTEN", default_value = "127.0.0.1:9000")]
    pub admin_listen: SocketAddr,

    /// Server secret under which CSRF tokens and device cookies are signed (use 32 random
    /// characters or more, e.g. `openssl rand -base64 32`; a shorter one is warned about). Unset: one is generated on first start and kept in the database, so
    /// every instance on that database shares it.
    #[arg(long, env = "PORTAL_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Reverse proxies / load balancers whose `X-Forwarded-For` is believed
    /// (comma-separated CIDRs or addresses, e.g. `10.0.0.0/8,192.0.2.1`). From those
    /// peers the client is the right-most untrusted address of the header; from any
    /// other peer the header is ignored. Default: none.
    #[arg(long, env = "PORTAL_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<IpNet>,

    /// Public base URL of the portal (e.g. https://account.example.com). The only base of
    /// links in emails; Host and X-Forwarded-Host are never used. Default: http://<listen>.
    #[arg(long, env = "PORTAL_PUBLIC_URL")]
    pub public_url: Option<Url>,

    /// Database URL: sqlite://path/to/file.db (created and migrated) or postgres://...
    #[arg(
        long,
        env = "PORTAL_DATABASE_URL",
        default_value = "sqlite://data/portal.db"
    )]
    pub database_url: String,

    /// Database pool size. Default: 1 for SQLite (one writer; avoids "database is locked"),
    /// 10 otherwise.
    #[arg(long, env = "PORTAL_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,

    /// How long a request waits for a database connection before it is answered 503
    /// (database unreachable, or every connection busy). `/readyz` fails after as long.
    #[arg(long, env = "PORTAL_DATABASE_ACQUIRE_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub database_acquire_timeout: Duration,

    /// SMTP relay for outgoing mail, e.g. smtp://127.0.0.1:2525 or
    /// smtps://user:pass@mail.example.com. Unset: start the embedded mail sink.
    #[arg(long, env = "PORTAL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// SMTP address of the embedded sink (only when PORTAL_SMTP_URL is unset).
    #[arg(long, env = "PORTAL_SINK_SMTP", default_value = "127.0.0.1:1025")]
    pub sink_smtp: SocketAddr,

    /// HTTP address (web UI + API) of the embedded sink (only when PORTAL_SMTP_URL is unset).
    #[arg(long, env = "PORTAL_SINK_HTTP", default_value = "127.0.0.1:8025")]
    pub sink_http: SocketAddr,

    /// Host names (comma-separated) under which the embedded sink's web UI and API may
    /// be reached besides its own address, `localhost` and IP literals: the sink
    /// refuses other `Host` headers (DNS rebinding). `*` turns the check off.
    #[arg(long, env = "PORTAL_SINK_ALLOWED_HOSTS", value_delimiter = ',')]
    pub sink_allowed_hosts: Vec<String>,

    /// Sender of every email.
    #[arg(
        long,
        env = "PORTAL_MAIL_FROM",
        default_value = "Wallbox portal <no-reply@portal.localhost>"
    )]
    pub mail_from: String,

    /// Product name shown in pages and emails (also refused inside passwords).
    #[arg(long, env = "PORTAL_PRODUCT_NAME", default_value = "Wallbox portal")]
    pub product_name: String,

    /// Languages offered (comma-separated codes, e.g. `en,de`), in the order of the
    /// language switcher. Default: every language the portal has texts for.
    #[arg(long, env = "PORTAL_LANGUAGES", value_delimiter = ',')]
    pub languages: Vec<String>,

    /// Language of pages when the browser asks for none of PORTAL_LANGUAGES, and of the
    /// emails to accounts that never chose one.
    #[arg(long, env = "PORTAL_DEFAULT_LANGUAGE", default_value = "en")]
    pub default_language: String,

    /// How long a password recovery link stays valid.
    #[arg(long, env = "PORTAL_RECOVERY_TTL", default_value = "30m", value_parser = parse_duration)]
    pub recovery_ttl: Duration,

    /// How long an account confirmation link stays valid.
    #[arg(long, env = "PORTAL_CONFIRMATION_TTL", default_value = "24h", value_parser = parse_duration)]
    pub confirmation_ttl: Duration,

    /// How long a log-in session lasts.
    #[arg(long, env = "PORTAL_SESSION_TTL", default_value = "12h", value_parser = parse_duration)]
    pub session_ttl: Duration,

    /// A session not used for this long ends (before its absolute lifetime).
    #[arg(long, env = "PORTAL_SESSION_IDLE_TIMEOUT", default_value = "30m", value_parser = parse_duration)]
    pub session_idle_timeout: Duration,

    /// Accounts whose address was not confirmed within this time are deleted, so that
    /// nobody can hold an address they cannot read.
    #[arg(long, env = "PORTAL_UNCONFIRMED_ACCOUNT_TTL", default_value = "7days", value_parser = parse_duration)]
    pub unconfirmed_account_ttl: Duration,

    /// Minimum password length in characters (8..=128).
    #[arg(long, env = "PORTAL_PASSWORD_MIN_LENGTH", default_value_t = 12)]
    pub password_min_length: usize,

    /// Argon2id memory cost in KiB (OWASP: 19456).
    #[arg(long, env = "PORTAL_ARGON2_MEMORY_KIB", default_value_t = 19456)]
    pub argon2_memory_kib: u32,

    /// Argon2id iterations (OWASP: 2).
    #[arg(long, env = "PORTAL_ARGON2_ITERATIONS", default_value_t = 2)]
    pub argon2_iterations: u32,

    /// Argon2id parallelism (OWASP: 1).
    #[arg(long, env = "PORTAL_ARGON2_PARALLELISM", default_value_t = 1)]
    pub argon2_parallelism: u32,

    /// Password hashes computed at the same time. Default: the number of CPU cores.
    #[arg(long, env = "PORTAL_MAX_CONCURRENT_HASHES")]
    pub max_concurrent_hashes: Option<usize>,

    /// Password hashes waiting for a thread. When that many wait, requests that need a
    /// hash are answered 503 with `Retry-After` instead of queueing without bound.
    #[arg(long, env = "PORTAL_MAX_QUEUED_HASHES", default_value_t = 1024)]
    pub max_queued_hashes: usize,

    /// Recovery emails per account per hour (more requests are answered the same way but
    /// send nothing).
    #[arg(
        long,
        env = "PORTAL_RECOVERY_PER_ACCOUNT_PER_HOUR",
        default_value_t = 5
    )]
    pub recovery_per_account_per_hour: u32,

    /// Recovery requests per client IP per hour (more are answered the same way but
    /// dropped).
    #[arg(long, env = "PORTAL_RECOVERY_PER_IP_PER_HOUR", default_value_t = 100)]
    pub recovery_per_ip_per_hour: u32,

    /// Failed log-ins per account per 15 minutes from clients without a device cookie
    /// of that account; past it they are refused for the rest of the window. Attempts are
    /// counted before the password is checked.
    #[arg(long, env = "PORTAL_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = 10)]
    pub login_failures_per_account: u32,

    /// Failed log-ins per 15 minutes from a browser or app that logged into the account
    /// before (its signed device cookie or token): its own budget, untouched by failures
    /// from elsewhere, so the owner is never locked out by others.
    #[arg(long, env = "PORTAL_LOGIN_FAILURES_PER_DEVICE", default_value_t = 5)]
    pub login_failures_per_device: u32,

    /// Failed log-ins per client IP per 15 minutes.
    #[arg(long, env = "PORTAL_LOGIN_FAILURES_PER_IP", default_value_t = 100)]
    pub login_failures_per_ip: u32,

    /// "Someone tried to sign up with your email address" emails to one address per hour;
    /// more sign-ups with that address get the same answer and send nothing.
    #[arg(
        long,
        env = "PORTAL_SIGNUP_EMAILS_PER_ADDRESS_PER_HOUR",
        default_value_t = 3
    )]
    pub signup_emails_per_address_per_hour: u32,

    /// Sign-ups per client IP per hour (each costs a password hash); more are answered
    /// the same way but do nothing.
    #[arg(long, env = "PORTAL_SIGNUPS_PER_IP_PER_HOUR", default_value_t = 20)]
    pub signups_per_ip_per_hour: u32,

    /// Wrong or expired tokens (recovery, confirmation) per client IP per 15 minutes.
    #[arg(long, env = "PORTAL_TOKEN_GUESSES_PER_IP", default_value_t = 30)]
    pub token_guesses_per_ip: u32,

    /// Delivery attempts per email before it is marked failed (kept, logged, counted).
    #[arg(long, env = "PORTAL_MAIL_MAX_ATTEMPTS", default_value_t = 12)]
    pub mail_max_attempts: u32,

    /// How long an instance's claim on an email lasts. A claim not finished by then (the
    /// instance died mid-delivery) is taken over by another instance. SMTP timeouts are
    /// kept to a quarter of it, so that a live instance finishes before its claim ends.
    #[arg(long, env = "PORTAL_MAIL_CLAIM_TIMEOUT", default_value = "2m", value_parser = parse_duration)]
    pub mail_claim_timeout: Duration,

    /// Demo accounts to create at start (JSON list of {email, password}). Unset or empty:
    /// none. `cargo run` sets it to the repository's demo fixture; a deployment never
    /// gets one unless asked.
    #[arg(long, env = "PORTAL_DEMO_ACCOUNTS", value_parser = parse_optional_path)]
    pub demo_accounts: Option<PathBuf>,
}

/// A setting that cannot be used; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// A configuration for tests: listens on 127.0.0.1:0, the embedded sink on
    /// 127.0.0.1:0 (unless `smtp_url` is set afterwards), no demo accounts, defaults
    /// everywhere else (the same limits and Argon2 parameters as production).
    pub fn for_tests(database_url: impl Into<String>) -> Config {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Config {
            listen: any,
            admin_listen: any,
            secret_key: None,
            trusted_proxies: Vec::new(),
            public_url: None,
            database_url: database_url.into(),
            database_max_connections: None,
            database_acquire_timeout: Duration::from_secs(10),
            smtp_url: None,
            sink_smtp: any,
            sink_http: any,
            sink_allowed_hosts: Vec::new(),
            mail_from: "Wallbox portal <no-reply@portal.localhost>".into(),
            product_name: "Wallbox portal".into(),
            languages: Vec::new(),
            default_language: "en".into(),
            recovery_ttl: Duration::from_secs(30 * 60),
            confirmation_ttl: Duration::from_secs(24 * 3600),
            session_ttl: Duration::from_secs(12 * 3600),
            session_idle_timeout: Duration::from_secs(30 * 60),
            unconfirmed_account_ttl: Duration::from_secs(7 * 86400),
            password_min_length: 12,
            argon2_memory_kib: 19456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            max_concurrent_hashes: None,
            max_queued_hashes: 1024,
            recovery_per_account_per_hour: 5,
            recovery_per_ip_per_hour: 100,
            login_failures_per_account: 10,
            login_failures_per_device: 5,
            login_failures_per_ip: 100,
            signup_emails_per_address_per_hour: 3,
            signups_per_ip_per_hour: 20,
            token_guesses_per_ip: 30,
            mail_max_attempts: 12,
            mail_claim_timeout: Duration::from_secs(120),
            demo_accounts: None,
        }
    }

    /// Parses flags and environment; on a bad value prints one line naming the setting
    /// (flag and environment variable) and exits with status 2. `--help`/`--version`
    /// print and exit 0.
    pub fn from_args_or_exit() -> Config {
        match Config::try_parse() {
            Ok(config) => config,
            Err(e) => {
                use clap::error::ErrorKind;
                if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                    let _ = e.print();
                    std::process::exit(0);
                }
                eprintln!("{}", one_line(&e));
                std::process::exit(2);
            }
        }
    }

    /// Like [`Config::from_args_or_exit`] for given arguments, returning the one-line
    /// message instead of exiting (help and version requests are errors here).
    pub fn try_parse_one_line<I, T>(args: I) -> Result<Config, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Config::try_parse_from(args).map_err(|e| one_line(&e))
    }

    /// Checks what the types cannot: ranges, Argon2 parameters, URL schemes.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |s: String| Err(ConfigError(s));
        if !(8..=128).contains(&self.password_min_length) {
            return bad(format!(
                "PORTAL_PASSWORD_MIN_LENGTH must be between 8 and 128, got {}",
                self.password_min_length
            ));
        }
        if let Some(url) = &self.public_url
            && (!matches!(url.scheme(), "http" | "https") || url.host_str().is_none())
        {
            return bad(format!(
                "PORTAL_PUBLIC_URL must be an http:// or https:// URL with a host, got {url}"
            ));
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return bad(format!(
                "PORTAL_DATABASE_URL must start with sqlite:, postgres:// or postgresql://, got {:?}",
                redact_url(&self.database_url)
            ));
        }
        if let Some(smtp) = &self.smtp_url {
            match Url::parse(smtp) {
                Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some() => {}
                _ => {
                    return bad(format!(
                        "PORTAL_SMTP_URL must look like smtp://host:port or smtps://user:pass@host, got {:?}",
                        redact_url(smtp)
                    ));
                }
            }
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return bad(format!(
                "PORTAL_MAIL_FROM must be an address like \"Name <no-reply@example.com>\", got {:?}",
                self.mail_from
            ));
        }
        if let Err(e) = argon2::Params::new(
            self.argon2_memory_kib,
            self.argon2_iterations,
            self.argon2_parallelism,
            None,
        ) {
            return bad(format!(
                "PORTAL_ARGON2_MEMORY_KIB / PORTAL_ARGON2_ITERATIONS / PORTAL_ARGON2_PARALLELISM are not valid Argon2 parameters: {e}"
            ));
        }
        if self.argon2_memory_kib < 8 * 1024 {
            return bad(format!(
                "PORTAL_ARGON2_MEMORY_KIB must be at least 8192, got {}",
                self.argon2_memory_kib
            ));
        }
        for (name, d) in [
            ("PORTAL_RECOVERY_TTL", self.recovery_ttl),
            ("PORTAL_CONFIRMATION_TTL", self.confirmation_ttl),
            ("PORTAL_SESSION_TTL", self.session_ttl),
        ] {
            if d < Duration::from_secs(60) || d > Duration::from_secs(366 * 24 * 3600) {
                return bad(format!(
                    "{name} must be between 1m and 366days, got {}",
                    humantime::format_duration(d)
                ));
            }
        }
        if self.mail_claim_timeout < Duration::from_secs(4)
            || self.mail_claim_timeout > Duration::from_secs(3600)
        {
            return bad(format!(
                "PORTAL_MAIL_CLAIM_TIMEOUT must be between 4s and 1h, got {}",
                humantime::format_duration(self.mail_claim_timeout)
            ));
        }
        if self.max_concurrent_hashes == Some(0) {
            return bad("PORTAL_MAX_CONCURRENT_HASHES must be at least 1".into());
        }
        if self.database_acquire_timeout < Duration::from_secs(1)
            || self.database_acquire_timeout > Duration::from_secs(300)
        {
            return bad(format!(
                "PORTAL_DATABASE_ACQUIRE_TIMEOUT must be between 1s and 5m, got {}",
                humantime::format_duration(self.database_acquire_timeout)
            ));
        }
        if self.database_max_connections == Some(0) {
            return bad("PORTAL_DATABASE_MAX_CONNECTIONS must be at least 1".into());
        }
        if self
            .secret_key
            .as_ref()
            .is_some_and(|k| k.trim().is_empty())
        {
            return bad(
                "PORTAL_SECRET_KEY must not be empty (unset it to have one generated)".into(),
            );
        }
        for (name, d) in [
            ("PORTAL_SESSION_IDLE_TIMEOUT", self.session_idle_timeout),
            (
                "PORTAL_UNCONFIRMED_ACCOUNT_TTL",
                self.unconfirmed_account_ttl,
            ),
        ] {
            if d < Duration::from_secs(1) {
                return bad(format!(
                    "{name} must be at least 1s, got {}",
                    humantime::format_duration(d)
                ));
            }
        }
        if self.max_queued_hashes == 0 {
            return bad("PORTAL_MAX_QUEUED_HASHES must be at least 1".into());
        }
        if self.product_name.trim().is_empty() {
            return bad("PORTAL_PRODUCT_NAME must not be empty".into());
        }
        self.languages().map_err(ConfigError)?;
        Ok(())
    }

    /// The languages offered and the default one (`PORTAL_LANGUAGES`,
    /// `PORTAL_DEFAULT_LANGUAGE`); the message names the setting at fault.
    pub fn languages(&self) -> Result<crate::i18n::Languages, String> {
        crate::i18n::Languages::new(&self.languages, &self.default_language)
    }

    /// Whether cookies get the `Secure` attribute.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

/// `url` with the password of its user-info replaced by `***`, for messages and logs.
/// Works on text that is not a valid URL too: whatever sits between `scheme://` and the
/// last `@` before the host is treated as credentials.
pub fn redact_url(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let user = rest[..at].split(':').next().unwrap_or_default();
    format!("{}{user}:***{}", &url[..start], &rest[at..])
}

/// clap's first error line plus the environment variable of the setting at fault.
fn one_line(e: &clap::Error) -> String {
    use clap::error::ContextKind;
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid arguments");
    let env = e
        .get(ContextKind::InvalidArg)
        .map(|arg| arg.to_string())
        .and_then(|arg| {
            arg.strip_prefix("--").map(|flag| {
                let name = flag.split([' ', '=']).next().unwrap_or(flag);
                format!(
                    " (setting PORTAL_{})",
                    name.to_uppercase().replace('-', "_")
                )
            })
        })
        .unwrap_or_default();
    format!("{first}{env}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_value_gives_one_line_naming_flag_and_variable() {
        let e = Config::try_parse_one_line(["portal", "--recovery-ttl", "soon"]).unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        assert!(
            e.contains("--recovery-ttl") && e.contains("PORTAL_RECOVERY_TTL"),
            "{e}"
        );
        let e = Config::try_parse_one_line(["portal", "--listen", "nowhere"]).unwrap_err();
        assert!(e.contains("PORTAL_LISTEN"), "{e}");
    }

    #[test]
    fn test_config_is_valid() {
        assert!(Config::for_tests("sqlite://x.db").validate().is_ok());
    }

    #[test]
    fn minimum_length_below_eight_is_refused_naming_the_setting() {
        let mut c = Config::for_tests("sqlite://x.db");
        c.password_min_length = 6;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("PORTAL_PASSWORD_MIN_LENGTH"), "{e}");
    }

    #[test]
    fn bad_smtp_url_is_refused_naming_the_setting() {
        let mut c = Config::for_tests("sqlite://x.db");
        c.smtp_url = Some("localhost:25".into());
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("PORTAL_SMTP_URL")
        );
    }

    #[test]
    fn scale_out_timeouts_are_checked_naming_the_setting() {
        let mut c = Config::for_tests("sqlite://x.db");
        c.mail_claim_timeout = Duration::from_secs(1);
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("PORTAL_MAIL_CLAIM_TIMEOUT"), "{e}");
        let mut c = Config::for_tests("sqlite://x.db");
        c.database_acquire_timeout = Duration::ZERO;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("PORTAL_DATABASE_ACQUIRE_TIMEOUT"), "{e}");
        let c = Config::try_parse_from(["portal", "--mail-claim-timeout", "5s"]).unwrap();
        assert_eq!(c.mail_claim_timeout, Duration::from_secs(5));
    }

    #[test]
    fn credentials_never_appear_in_url_messages() {
        let mut c = Config::for_tests("sqlite://x.db");
        c.smtp_url = Some("smtps://mailer:hunter2-secret@mail example.com:465".into());
        let e = c.validate().unwrap_err().to_string();
        assert!(
            !e.contains("hunter2-secret") && e.contains("PORTAL_SMTP_URL"),
            "{e}"
        );
        let mut c = Config::for_tests("mysql://root:hunter2-secret@db/x");
        c.smtp_url = None;
        let e = c.validate().unwrap_err().to_string();
        assert!(!e.contains("hunter2-secret"), "{e}");
        assert_eq!(
            redact_url("smtps://u:p@ss@host:465/x"),
            "smtps://u:***@host:465/x"
        );
        assert_eq!(redact_url("smtp://host:25"), "smtp://host:25");
        assert_eq!(redact_url("no url here"), "no url here");
    }

    #[test]
    fn the_binary_creates_no_demo_account_by_default() {
        use clap::CommandFactory as _;
        let cmd = Config::command();
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_id() == "demo_accounts")
            .unwrap();
        assert!(arg.get_default_values().is_empty());
        assert_eq!(Config::for_tests("sqlite://x.db").demo_accounts, None);
    }

    #[test]
    fn trusted_proxies_are_cidrs_or_addresses() {
        let c =
            Config::try_parse_from(["portal", "--trusted-proxies", "10.0.0.0/8, 192.0.2.1,::1"])
                .unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert!(
            Config::try_parse_one_line(["portal", "--trusted-proxies", "10.0.0.0/33"]).is_err()
        );
    }

    #[test]
    fn durations_are_humantime() {
        let c = Config::try_parse_from(["portal", "--recovery-ttl", "15m"]);
        assert_eq!(
            c.map(|c| c.recovery_ttl).ok(),
            Some(Duration::from_secs(900))
        );
    }

    #[test]
    fn languages_are_checked_naming_the_setting() {
        let mut c = Config::for_tests("sqlite://x.db");
        c.languages = vec!["en".into(), "it".into()];
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("PORTAL_LANGUAGES"), "{e}");
        let mut c = Config::for_tests("sqlite://x.db");
        c.languages = vec!["de".into()];
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("PORTAL_DEFAULT_LANGUAGE"), "{e}");
        let c =
            Config::try_parse_from(["portal", "--languages", "de,fr", "--default-language", "fr"])
                .unwrap();
        assert!(c.validate().is_ok());
        assert_eq!(c.languages().unwrap().enabled().len(), 2);
    }
}

//! What both test binaries (`api` and `cluster`) need: a database of their own on the
//! PostgreSQL test server, and the sink queries tests make. Included with
//! `#[path = "../common/mod.rs"] mod common;`.

use std::time::Duration;

use mailsink::{Message, SinkHandle};

/// Names a PostgreSQL database to connect to as an administrator (the CI's PostgreSQL
/// leg sets it).
pub const POSTGRES_ENV: &str = "PORTAL_TEST_DATABASE_URL";

/// Creates an empty database `<prefix>_<random>` on the server of `admin_url`; returns
/// its name.
pub async fn create_database(admin_url: &url::Url, prefix: &str) -> String {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let name = format!("{prefix}_{}", portal::store::new_id());
    let mut admin = sqlx::AnyConnection::connect(admin_url.as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV} ({admin_url}): {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    let _ = admin.close().await;
    name
}

/// `admin_url` pointed at the database `name`.
pub fn database_url(admin_url: &url::Url, name: &str) -> url::Url {
    let mut url = admin_url.clone();
    url.set_path(&format!("/{name}"));
    url
}

/// The sink's query for emails to `to` whose subject has `subject`.
fn query(to: &str, subject: &str) -> String {
    format!("to:{to} subject:\"{subject}\"")
}

/// Waits (the sink's long poll) for the newest email to `to` with `subject`.
pub async fn wait_email(sink: &SinkHandle, to: &str, subject: &str, timeout: Duration) -> Message {
    sink.wait_for(&query(to, subject), timeout)
        .await
        .unwrap_or_else(|e| panic!("no email {subject:?} to {to}: {e}"))
}

/// Every stored email to `to` with `subject`.
pub async fn stored_emails(sink: &SinkHandle, to: &str, subject: &str) -> Vec<Message> {
    sink.search(&query(to, subject))
        .await
        .expect("search the sink")
}

//! Accounts: the rows, looked up by address key or id.

use sqlx::any::AnyRow;
use sqlx::{AnyExecutor, Row};

use super::*;

/// A row of `accounts`.
#[derive(Debug, Clone)]
pub struct AccountRow {
    /// Row id.
    pub id: String,
    /// The address as registered (where mail goes).
    pub email: String,
    /// The key it is found by (see `EmailAddress::lookup_key`).
    pub email_lookup: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// When the address was confirmed.
    pub confirmed_at: Option<i64>,
    /// When the account was created.
    pub created_at: i64,
    /// When the password last changed.
    pub password_changed_at: i64,
    /// The language of its emails (a code), if one was chosen.
    pub language: Option<String>,
}

pub(super) const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.email_lookup, a.password_hash, a.confirmed_at, a.created_at, a.password_changed_at, a.language";

pub(super) fn account_from_row(row: &AnyRow) -> sqlx::Result<AccountRow> {
    Ok(AccountRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        email_lookup: row.try_get("email_lookup")?,
        password_hash: row.try_get("password_hash")?,
        confirmed_at: row.try_get("confirmed_at")?,
        created_at: row.try_get("created_at")?,
        password_changed_at: row.try_get("password_changed_at")?,
        language: row.try_get("language")?,
    })
}

/// The account registered with this (lower-cased) address.
pub async fn account_by_email<'e>(
    db: impl AnyExecutor<'e>,
    email_lookup: &str,
) -> sqlx::Result<Option<AccountRow>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email_lookup = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(email_lookup.to_owned())
        .fetch_optional(db)
        .await?
        .map(|r| account_from_row(&r))
        .transpose()
}

/// The accounts registered with these (lower-cased) addresses, in any order; at most
/// [`MAX_ROWS_PER_STATEMENT`] addresses.
pub async fn accounts_by_email<'e>(
    db: impl AnyExecutor<'e>,
    email_lookups: &[&str],
) -> sqlx::Result<Vec<AccountRow>> {
    let rows: Vec<Vec<Param>> = email_lookups
        .iter()
        .map(|l| vec![Param::Text((*l).to_owned())])
        .collect();
    let head = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email_lookup IN (");
    execute_rows(db, &head, &rows, ")")
        .await?
        .iter()
        .map(account_from_row)
        .collect()
}

/// The account with this id.
pub async fn account_by_id<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
) -> sqlx::Result<Option<AccountRow>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(db)
        .await?
        .map(|r| account_from_row(&r))
        .transpose()
}

/// A new row of `accounts`.
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    /// Row id.
    pub id: &'a str,
    /// The address as registered.
    pub email: &'a str,
    /// The key it is found by.
    pub email_lookup: &'a str,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
    /// Confirmed already (demo accounts) or not.
    pub confirmed_at: Option<i64>,
    /// The language of its emails, if chosen.
    pub language: Option<&'a str>,
}

/// Inserts an account; `false` when the address is already registered.
pub async fn insert_account<'e>(
    db: impl AnyExecutor<'e>,
    account: NewAccount<'_>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO accounts (id, email, email_lookup, password_hash, confirmed_at, created_at, password_changed_at, language) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) ON CONFLICT (email_lookup) DO NOTHING",
    )
    .bind(account.id.to_owned())
    .bind(account.email.to_owned())
    .bind(account.email_lookup.to_owned())
    .bind(account.password_hash.to_owned())
    .bind(account.confirmed_at)
    .bind(now)
    .bind(account.language.map(str::to_owned))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the account registered with this address if it was never confirmed and was
/// created at or before `cutoff` (with its tokens): the address is free again.
pub async fn delete_stale_unconfirmed(
    tx: &mut Tx,
    email_lookup: &str,
    cutoff: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM account_tokens WHERE account_id IN (SELECT id FROM accounts \
         WHERE email_lookup = $1 AND confirmed_at IS NULL AND created_at <= $2)",
    )
    .bind(email_lookup.to_owned())
    .bind(cutoff)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM accounts WHERE email_lookup = $1 AND confirmed_at IS NULL AND created_at <= $2")
        .bind(email_lookup.to_owned())
        .bind(cutoff)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces the password hash; `changed_at` is `Some` for a real change (not a re-hash).
pub async fn set_password_hash<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
    password_hash: &str,
    changed_at: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, password_changed_at = COALESCE($2, password_changed_at) WHERE id = $3",
    )
    .bind(password_hash.to_owned())
    .bind(changed_at)
    .bind(account_id.to_owned())
    .execute(db)
    .await?;
    Ok(())
}

/// Sets the language of the account's emails.
pub async fn set_account_language<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
    language: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET language = $1 WHERE id = $2")
        .bind(language.to_owned())
        .bind(account_id.to_owned())
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the address as confirmed (no-op if it already is).
pub async fn confirm_account<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET confirmed_at = COALESCE(confirmed_at, $1) WHERE id = $2")
        .bind(now)
        .bind(account_id.to_owned())
        .execute(db)
        .await?;
    Ok(())
}

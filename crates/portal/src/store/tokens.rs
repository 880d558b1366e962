//! Recovery and confirmation tokens, stored hashed, used once.

use sqlx::{AnyExecutor, Row};

use super::*;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Password recovery link.
    Recovery,
    /// Account confirmation link.
    Confirmation,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Recovery => "recovery",
            Self::Confirmation => "confirmation",
        }
    }
}

/// A token to store (by its hash).
#[derive(Debug, Clone)]
pub struct NewToken {
    /// SHA-256 of the secret.
    pub hash: TokenHash,
    /// Whose it is.
    pub account_id: String,
    /// What it is for.
    pub purpose: TokenPurpose,
    /// Issued at.
    pub created_at: i64,
    /// Unusable from.
    pub expires_at: i64,
}

/// Stores a token by its hash.
pub async fn insert_token<'e>(
    db: impl AnyExecutor<'e>,
    hash: &TokenHash,
    account_id: &str,
    purpose: TokenPurpose,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    let token = NewToken {
        hash: hash.clone(),
        account_id: account_id.to_owned(),
        purpose,
        created_at: now,
        expires_at,
    };
    insert_tokens(db, std::slice::from_ref(&token)).await
}

/// Stores tokens in one statement; at most [`MAX_ROWS_PER_STATEMENT`].
pub async fn insert_tokens<'e>(db: impl AnyExecutor<'e>, tokens: &[NewToken]) -> sqlx::Result<()> {
    let rows: Vec<Vec<Param>> = tokens
        .iter()
        .map(|t| {
            vec![
                Param::Text(t.hash.as_str().to_owned()),
                Param::Text(t.account_id.clone()),
                Param::Text(t.purpose.as_str().to_owned()),
                Param::Int(t.created_at),
                Param::Int(t.expires_at),
            ]
        })
        .collect();
    execute_rows(
        db,
        "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at) VALUES ",
        &rows,
        "",
    )
    .await?;
    Ok(())
}

/// The account a usable (unused, unexpired) token belongs to, without using it.
pub async fn peek_token<'e>(
    db: impl AnyExecutor<'e>,
    hash: &TokenHash,
    purpose: TokenPurpose,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query(
        "SELECT account_id FROM account_tokens \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(hash.as_str().to_owned())
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(db)
    .await?
    .map(|r| r.try_get("account_id"))
    .transpose()
}

/// Uses a token, atomically: of two concurrent calls at most one gets the account id.
pub async fn consume_token<'e>(
    db: impl AnyExecutor<'e>,
    hash: &TokenHash,
    purpose: TokenPurpose,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query(
        "UPDATE account_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING account_id",
    )
    .bind(now)
    .bind(hash.as_str().to_owned())
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await?
    .map(|r| r.try_get("account_id"))
    .transpose()
}

/// Ends every outstanding token of an account (after a password reset or change).
pub async fn revoke_tokens<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
    now: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE account_tokens SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(account_id.to_owned())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

//! Migrations embedded in the binary (no files needed at run time) and applied in order,
//! each in its own transaction, recorded in `portal_migrations`.

use sqlx::Row;

use super::{Backend, Store};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
}];

pub(super) async fn run(store: &Store) -> anyhow::Result<()> {
    let migrations = match store.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => {
            anyhow::bail!("PostgreSQL migrations are not there yet (issue 5): use a sqlite: URL")
        }
    };
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS portal_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(store.pool())
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM portal_migrations")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| r.try_get("version"))
        .collect::<Result<_, _>>()?;
    for m in migrations.iter().filter(|m| !applied.contains(&m.version)) {
        let mut tx = store.begin().await?;
        sqlx::raw_sql(m.sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO portal_migrations (version, name) VALUES ($1, $2)")
            .bind(m.version)
            .bind(m.name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(
            version = m.version,
            name = m.name,
            "applied database migration"
        );
    }
    Ok(())
}

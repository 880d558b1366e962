//! Migrations embedded in the binary (no files needed at run time) and applied in order,
//! each in its own transaction, recorded in `portal_migrations`.

use sqlx::Row;

use super::{Backend, Store};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// The migrations of one folder under `migrations/`: both backends have the same list,
/// each its own SQL.
macro_rules! migrations {
    ($dir:literal) => {
        &[
            Migration {
                version: 1,
                name: "initial",
                sql: include_str!(concat!("../../migrations/", $dir, "/0001_initial.sql")),
            },
            Migration {
                version: 2,
                name: "recovery_queue_order",
                sql: include_str!(concat!(
                    "../../migrations/",
                    $dir,
                    "/0002_recovery_queue_order.sql"
                )),
            },
            Migration {
                version: 3,
                name: "security",
                sql: include_str!(concat!("../../migrations/", $dir, "/0003_security.sql")),
            },
            Migration {
                version: 4,
                name: "languages",
                sql: include_str!(concat!("../../migrations/", $dir, "/0004_languages.sql")),
            },
        ]
    };
}

const SQLITE: &[Migration] = migrations!("sqlite");
const POSTGRES: &[Migration] = migrations!("postgres");

/// Arbitrary key of the PostgreSQL advisory lock that serialises migrations when several
/// instances start at once.
const MIGRATION_LOCK: i64 = 0x706f_7274_616c;

pub(super) async fn run(store: &Store) -> anyhow::Result<()> {
    let migrations = match store.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    // Everything on one connection: the advisory lock belongs to a session.
    let mut conn = store.pool().acquire().await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let result = apply(&mut conn, migrations).await;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply(conn: &mut sqlx::AnyConnection, migrations: &[Migration]) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS portal_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM portal_migrations")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get("version"))
        .collect::<Result<_, _>>()?;
    for m in migrations.iter().filter(|m| !applied.contains(&m.version)) {
        let mut tx = conn.begin().await?;
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

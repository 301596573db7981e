//! Schema migrations: the same numbered steps in `migrations/sqlite` and `migrations/postgres`,
//! embedded in the binary and applied in order at start, each in its own transaction.

use crate::{on_pool, Backend, Result, Store, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "customer_model",
        sqlite: include_str!("../migrations/sqlite/0001_customer_model.sql"),
        postgres: include_str!("../migrations/postgres/0001_customer_model.sql"),
    },
    Migration {
        version: 2,
        name: "tier_models",
        sqlite: include_str!("../migrations/sqlite/0002_tier_models.sql"),
        postgres: include_str!("../migrations/postgres/0002_tier_models.sql"),
    },
    Migration {
        version: 3,
        name: "change_feed",
        sqlite: include_str!("../migrations/sqlite/0003_change_feed.sql"),
        postgres: include_str!("../migrations/postgres/0003_change_feed.sql"),
    },
    Migration {
        version: 4,
        name: "model_fits",
        sqlite: include_str!("../migrations/sqlite/0004_model_fits.sql"),
        postgres: include_str!("../migrations/postgres/0004_model_fits.sql"),
    },
];

/// Applies pending migrations. On PostgreSQL an advisory lock serialises concurrent starts of
/// several servers against one database.
pub(crate) async fn run(store: &Store) -> Result<()> {
    let create = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
    on_pool!(store, p => {
        let mut conn = p.acquire().await.map_err(StoreError::db("connecting for migrations"))?;
        if matches!(store.backend, Backend::Postgres(_)) {
            sqlx::query("SELECT pg_advisory_lock(7403112)").execute(&mut *conn).await.map_err(StoreError::db("locking for migrations"))?;
        }
        let result = async {
            sqlx::query(create).execute(&mut *conn).await.map_err(StoreError::db("creating schema_migrations"))?;
            let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
                .fetch_all(&mut *conn)
                .await
                .map_err(StoreError::db("reading schema_migrations"))?;
            for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
                let sql = if matches!(store.backend, Backend::Postgres(_)) { m.postgres } else { m.sqlite };
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(StoreError::db("starting a migration"))?;
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(StoreError::db("applying a migration"))?;
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version)
                    .bind(m.name)
                    .bind(chrono::Utc::now().to_rfc3339())
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("recording a migration"))?;
                tx.commit().await.map_err(StoreError::db("committing a migration"))?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
            }
            Ok::<(), StoreError>(())
        }
        .await;
        if matches!(store.backend, Backend::Postgres(_)) {
            let _ = sqlx::query("SELECT pg_advisory_unlock(7403112)").execute(&mut *conn).await;
        }
        result
    })
}

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

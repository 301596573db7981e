//! Schema migrations: the same numbered steps in `migrations/sqlite` and `migrations/postgres`,
//! embedded in the binary and applied in order at start, each in its own transaction.

use crate::{on_pool, Backend, Result, Store, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    /// The SQLite step rebuilds a table others refer to: it runs with foreign keys off and is
    /// checked with `PRAGMA foreign_key_check` before it commits.
    sqlite_rebuilds: bool,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "customer_model",
        sqlite: include_str!("../migrations/sqlite/0001_customer_model.sql"),
        postgres: include_str!("../migrations/postgres/0001_customer_model.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 2,
        name: "tier_models",
        sqlite: include_str!("../migrations/sqlite/0002_tier_models.sql"),
        postgres: include_str!("../migrations/postgres/0002_tier_models.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 3,
        name: "change_feed",
        sqlite: include_str!("../migrations/sqlite/0003_change_feed.sql"),
        postgres: include_str!("../migrations/postgres/0003_change_feed.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 4,
        name: "model_fits",
        sqlite: include_str!("../migrations/sqlite/0004_model_fits.sql"),
        postgres: include_str!("../migrations/postgres/0004_model_fits.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 5,
        name: "merges",
        sqlite: include_str!("../migrations/sqlite/0005_merges.sql"),
        postgres: include_str!("../migrations/postgres/0005_merges.sql"),
        sqlite_rebuilds: true,
    },
    Migration {
        version: 6,
        name: "accounts",
        sqlite: include_str!("../migrations/sqlite/0006_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0006_accounts.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 7,
        name: "customer_list_indexes",
        sqlite: include_str!("../migrations/sqlite/0007_customer_list_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0007_customer_list_indexes.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 8,
        name: "completeness",
        sqlite: include_str!("../migrations/sqlite/0008_completeness.sql"),
        postgres: include_str!("../migrations/postgres/0008_completeness.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 9,
        name: "access_rules",
        sqlite: include_str!("../migrations/sqlite/0009_access_rules.sql"),
        postgres: include_str!("../migrations/postgres/0009_access_rules.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 10,
        name: "event_scan_indexes",
        sqlite: include_str!("../migrations/sqlite/0010_event_scan_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0010_event_scan_indexes.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 11,
        name: "tiers_by_model",
        sqlite: include_str!("../migrations/sqlite/0011_tiers_by_model.sql"),
        postgres: include_str!("../migrations/postgres/0011_tiers_by_model.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 12,
        name: "byte_order_keys",
        sqlite: include_str!("../migrations/sqlite/0012_byte_order_keys.sql"),
        postgres: include_str!("../migrations/postgres/0012_byte_order_keys.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 13,
        name: "indexed_days",
        sqlite: include_str!("../migrations/sqlite/0013_indexed_days.sql"),
        postgres: include_str!("../migrations/postgres/0013_indexed_days.sql"),
        sqlite_rebuilds: false,
    },
    Migration {
        version: 14,
        name: "named_order_keys",
        sqlite: include_str!("../migrations/sqlite/0014_named_order_keys.sql"),
        postgres: include_str!("../migrations/postgres/0014_named_order_keys.sql"),
        sqlite_rebuilds: true,
    },
    Migration {
        version: 15,
        name: "named_event_keys",
        sqlite: include_str!("../migrations/sqlite/0015_named_event_keys.sql"),
        postgres: include_str!("../migrations/postgres/0015_named_event_keys.sql"),
        sqlite_rebuilds: true,
    },
    Migration {
        version: 16,
        name: "tiers_by_customer",
        sqlite: include_str!("../migrations/sqlite/0016_tiers_by_customer.sql"),
        postgres: include_str!("../migrations/postgres/0016_tiers_by_customer.sql"),
        sqlite_rebuilds: false,
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
                let postgres = matches!(store.backend, Backend::Postgres(_));
                let sql = if postgres { m.postgres } else { m.sqlite };
                let rebuild = m.sqlite_rebuilds && !postgres;
                if rebuild {
                    sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await.map_err(StoreError::db("pausing foreign keys"))?;
                }
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(StoreError::db("starting a migration"))?;
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(StoreError::db("applying a migration"))?;
                if rebuild {
                    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                        .fetch_all(&mut *tx).await.map_err(StoreError::db("checking foreign keys"))?;
                    if let Some((table,)) = broken.first() {
                        return Err(StoreError::invalid("migration_broke_references", format!(
                            "migration {} would leave {} rows of {table} pointing at missing rows; nothing was changed", m.version, broken.len())));
                    }
                }
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
        } else if sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await.is_err() {
            // A rebuild step paused foreign keys; never hand that connection out again.
            conn.close_on_drop();
        }
        result
    })
}

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

//! Strata's store: the only crate with SQL. One API over two backends, embedded SQLite (the
//! default) and PostgreSQL, using runtime queries. Each method's SQL is written once and compiled
//! for both backends by the [`on_pool!`] / [`on_tx!`] dispatch macros.

mod access_rules;
mod accounts;
mod attribute_scan;
mod audit;
mod bulk_edit;
mod checkpoint;
mod copy_binary;
mod count_cache;
mod customer_filter;
mod customers;
mod dashboard;
mod data_changes;
mod directory;
mod error;
mod event_scan;
mod event_scan_sqlite;
mod export;
mod import;
mod match_keys;
mod merge;
mod merge_undo;
mod migrate;
mod model_fits;
mod sqlite_bulk;
mod statement;
mod stored_tiers;
mod table;
mod tier_changes;
mod tier_changes_sqlite;
mod tiers;
mod undo;
mod value;

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, SqlitePool,
};

/// Page cache of each SQLite connection (`PRAGMA cache_size`; negative = KiB).
pub(crate) const PAGE_CACHE: &str = "-4096";

pub use accounts::ApiToken;
pub use audit::{AuditEntry, AuditFilter, AuditRecord};
pub use bulk_edit::{BulkBefore, BulkEdit, MAX_BULK};
pub use customer_filter::{CustomerFilter, CustomerSort, RecordScope};
pub use customers::CustomerPage;
pub use dashboard::{OwnerCompletenessRow, TierMove, INCOMPLETE_BELOW};
pub use data_changes::{ChangeKind, DataChange, Touched, MAX_LISTED_CUSTOMERS};
pub use directory::UserChange;
pub use error::StoreError;
pub use export::{export_columns, ExportRow};
pub use import::{Chunk, ChunkOutcome, ImportSession, RejectedRow, DUPLICATE_KEYS};
pub use match_keys::{CompletenessRow, CompletenessRows, MatchKeys};
pub use merge::{Merge, MergeUndo, MergeWrite};
pub use migrate::latest_version as schema_version;
pub use model_fits::{ModelFit, NewModelFit};
pub(crate) use statement::{dialect, placeholders};
pub use stored_tiers::StoredTiers;
pub use tier_changes::ModelTierWrites;
pub use tiers::{CustomerTier, ModelVersion, TierHistoryEntry, TierWrite};
pub use undo::{Batch, UndoOutcome};
pub use value::SqlValue;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the backend's pool; the body is compiled once per backend.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($p) => $body,
            $crate::Backend::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later would otherwise fail
/// with "database is locked" when another connection wrote in between, instead of waiting.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// A handle to the database. Cheap to clone; all clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    /// Slow customer-list counts, while the change feed has not moved.
    pub(crate) counts: std::sync::Arc<count_cache::CountCache>,
}

impl Store {
    /// Opens (creating if needed) the database named by `url`: `postgres://…` or `postgresql://…`
    /// for PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a plain file path for SQLite. Pending
    /// migrations run before this returns.
    pub async fn open(url: &str) -> Result<Store> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::config(format!("invalid PostgreSQL URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::config(format!("cannot connect to PostgreSQL: {e}")))?;
            Store { backend: Backend::Postgres(pool), counts: Default::default() }
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            Store::open_sqlite(Path::new(path)).await?
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    async fn open_sqlite(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::config(format!("cannot create data directory {}: {e}", dir.display())))?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // 4 MB of page cache per connection (8 connections at most, 32 MB in all): the
            // operating system caches the file too, and at 16 MB each a busy server held 128 MB
            // of pages beside the tier engine. A large import raises its own connection's
            // cache while it runs.
            .pragma("cache_size", PAGE_CACHE)
            .pragma("wal_autocheckpoint", checkpoint::AUTOCHECKPOINT_PAGES);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::config(format!("cannot open SQLite database {}: {e}", path.display())))?;
        let store = Store { backend: Backend::Sqlite(pool.clone()), counts: Default::default() };
        checkpoint::spawn(pool, std::sync::Arc::downgrade(&store.counts));
        Ok(store)
    }

    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("SELECT 1").execute(p).await.map_err(StoreError::db("ping"))?;
        });
        Ok(())
    }

    /// Closes every connection (SQLite checkpoints its WAL).
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

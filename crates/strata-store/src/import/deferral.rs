//! Large imports: the indexes (and, on PostgreSQL, foreign keys) of a table dropped for the
//! import and rebuilt in one sort each before it commits, and the unique key index of an empty
//! table deferred the same way, all inside the import's transaction.

use super::{on_tx, ImportSession, Tx, DUPLICATE_KEYS};
use crate::{Result, StoreError};

/// The one customers index a large customers import keeps: it reads it to match rows by name.
const KEPT_CUSTOMER_INDEX: &str = "customers_canonical_name";

impl ImportSession {
    /// Tells the session that about `expected_rows` rows will come. When that is at least
    /// 100,000 and more than the table holds, the table's non-unique indexes (and, on
    /// PostgreSQL, its foreign keys) are dropped now and rebuilt at commit (one sort each; one
    /// join validating every row): inside this transaction, so a rollback or a killed process
    /// restores them. On SQLite readers keep using the old ones meanwhile; on PostgreSQL the
    /// table is locked against other sessions until the import commits.
    ///
    /// With `defer_keys`, a large import into an empty event table also drops the unique index
    /// of external ids. Keys repeated across chunks are then found only when
    /// the index is built again ([`ImportSession::check_keys`], or at commit), which fails with
    /// code [`DUPLICATE_KEYS`]; a caller that passes `defer_keys` runs the import again without
    /// it to have those rows rejected one by one.
    pub async fn expect_rows(&mut self, expected_rows: u64, defer_keys: bool) -> Result<()> {
        let table = self.spec.table;
        self.large = expected_rows >= 100_000;
        if let Tx::Sqlite(t) = &mut self.tx {
            if self.large {
                sqlx::query("PRAGMA cache_size = -65536")
                    .execute(&mut **t)
                    .await
                    .map_err(StoreError::db("sizing the import's page cache"))?;
            }
        }
        if !self.large || !self.deferred_indexes.is_empty() || self.deferred_keys.is_some() {
            return Ok(());
        }
        let max_sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
        let max_id: i64 = on_tx!(&mut self.tx, t => sqlx::query_scalar(&max_sql).fetch_one(&mut **t).await)
            .map_err(StoreError::db("sizing the table"))?;
        if (max_id as u64) > expected_rows {
            return Ok(());
        }
        let list = match self.tx {
            Tx::Sqlite(_) => {
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
            }
            Tx::Postgres(_) => {
                "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 \
                 AND indexdef NOT LIKE 'CREATE UNIQUE%'"
            }
        };
        let mut indexes: Vec<(String, String)> = on_tx!(&mut self.tx, t => sqlx::query_as(list).bind(table).fetch_all(&mut **t).await)
            .map_err(StoreError::db("listing indexes"))?;
        // Customers' canonical-name index serves the import's own name matching: keep it.
        indexes.retain(|(name, _)| name != KEPT_CUSTOMER_INDEX);
        // No row at all (ids start at 1): no stored key any row could match. A customers
        // import matches rows on their external ids, so its key index always stays.
        let key_index = if defer_keys && max_id == 0 && table != "customers" { self.key_index().await? } else { None };
        for (name, _) in indexes.iter().chain(&key_index) {
            let drop = format!("DROP INDEX {name}");
            on_tx!(&mut self.tx, t => sqlx::query(&drop).execute(&mut **t).await.map(|r| r.rows_affected()))
                .map_err(StoreError::db("deferring an index"))?;
        }
        let mut deferred: Vec<String> = indexes.into_iter().map(|(_, sql)| sql).collect();
        self.deferred_keys = key_index.map(|(_, sql)| sql);
        if let Tx::Postgres(t) = &mut self.tx {
            // At least 256 MB for the sorts; a server configured for more keeps its setting.
            sqlx::query(
                "SELECT set_config('maintenance_work_mem', CASE WHEN pg_size_bytes(current_setting('maintenance_work_mem')) < 268435456 \
                 THEN '256MB' ELSE current_setting('maintenance_work_mem') END, true)",
            )
            .execute(&mut **t)
            .await
            .map_err(StoreError::db("sizing index builds"))?;
            for (name, def) in constraints(t, table, 'f').await? {
                drop_constraint(t, table, &name).await?;
                deferred.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"));
            }
        }
        if self.deferred_keys.is_some() {
            if let Some((first, rebuild)) = self.defer_primary_key().await? {
                self.next_id = Some(first);
                // The primary key first: the sequence catch-up below reads its maximum.
                deferred.splice(0..0, rebuild);
            }
        }
        self.deferred_indexes = deferred;
        Ok(())
    }

    /// PostgreSQL, rows copied into an empty table: truncates it (for `COPY … FREEZE`), drops
    /// the primary key, to be built again in one sort at commit, and takes the first of the
    /// ids this import gives its rows itself (in order, so no sequence call per row). Returns
    /// that id and the statements that restore the key and move the sequence past the last id
    /// given. None (nothing changed) when another table's foreign key refers to this one's key
    /// or the id has no sequence. Row by row, keeping the key and drawing ids cost PostgreSQL more than half
    /// of an orders import's copy time.
    async fn defer_primary_key(&mut self) -> Result<Option<(i64, Vec<String>)>> {
        let table = self.spec.table;
        let Tx::Postgres(t) = &mut self.tx else { return Ok(None) };
        let referenced: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = $1::regclass)")
            .bind(table)
            .fetch_one(&mut **t)
            .await
            .map_err(StoreError::db("listing foreign keys"))?;
        let key = constraints(t, table, 'p').await?.pop();
        let sequence: Option<String> = sqlx::query_scalar("SELECT pg_get_serial_sequence($1, 'id')")
            .bind(table)
            .fetch_one(&mut **t)
            .await
            .map_err(StoreError::db("finding the id sequence"))?;
        let (false, Some((name, def)), Some(sequence)) = (referenced, key, sequence) else { return Ok(None) };
        // Emptied (it holds no row) in this transaction, so that `COPY … FREEZE` may write the
        // rows already frozen and all-visible: the foreign key check after the load reads the
        // customer index alone instead of every row, and the first queries after it do not
        // rewrite every page to set hint bits.
        sqlx::query(&format!("TRUNCATE {table}")).execute(&mut **t).await.map_err(StoreError::db("emptying the table"))?;
        drop_constraint(t, table, &name).await?;
        let first: i64 = sqlx::query_scalar("SELECT nextval($1::regclass)")
            .bind(&sequence)
            .fetch_one(&mut **t)
            .await
            .map_err(StoreError::db("drawing the first id"))?;
        let rebuild = vec![
            format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"),
            // No row copied: MAX is NULL and setval (strict) leaves the sequence alone.
            format!("SELECT setval('{sequence}'::regclass, (SELECT MAX(id) FROM {table}))"),
        ];
        Ok(Some((first, rebuild)))
    }

    /// The table's named unique index of external ids and its statement (None for a table
    /// whose key is a column constraint).
    async fn key_index(&mut self) -> Result<Option<(String, String)>> {
        let name = format!("{}_external_id", self.spec.table);
        let sql = match self.tx {
            Tx::Sqlite(_) => "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1 AND sql LIKE 'CREATE UNIQUE%'",
            Tx::Postgres(_) => {
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1 AND indexdef LIKE 'CREATE UNIQUE%'"
            }
        };
        let found: Option<String> = on_tx!(&mut self.tx, t => sqlx::query_scalar(sql).bind(&name).fetch_optional(&mut **t).await)
            .map_err(StoreError::db("finding the key index"))?;
        Ok(found.map(|sql| (name, sql)))
    }

    /// Whether rows go in without a key check (see [`ImportSession::expect_rows`]).
    pub fn keys_deferred(&self) -> bool {
        self.deferred_keys.is_some()
    }

    /// Builds the unique index of external ids again if this import dropped it: fails with
    /// code [`DUPLICATE_KEYS`] when the file repeats a key (nothing is lost: the caller rolls
    /// back and imports again with keys checked row by row).
    pub async fn check_keys(&mut self) -> Result<()> {
        let Some(sql) = self.deferred_keys.take() else { return Ok(()) };
        let built = on_tx!(&mut self.tx, t => sqlx::query(&sql).execute(&mut **t).await.map(|r| r.rows_affected()));
        match built {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(StoreError::conflict(
                DUPLICATE_KEYS,
                format!("the file repeats an external id of {}; import it again with keys checked row by row", self.spec.table),
            )),
            Err(e) => Err(StoreError::db("rebuilding the key index")(e)),
        }
    }
}

/// A PostgreSQL table's constraints of one kind (`f` foreign keys, `p` the primary key): name
/// and definition, as `ADD CONSTRAINT` takes them back.
async fn constraints(t: &mut sqlx::PgConnection, table: &str, kind: char) -> Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = $2")
        .bind(table)
        .bind(kind.to_string())
        .fetch_all(t)
        .await
        .map_err(StoreError::db("listing constraints"))
}

/// Drops constraint `name` of `table` (inside the import's transaction, restored at commit).
async fn drop_constraint(t: &mut sqlx::PgConnection, table: &str, name: &str) -> Result<()> {
    sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
        .execute(t)
        .await
        .map(|_| ())
        .map_err(StoreError::db("deferring a constraint"))
}

//! An import in progress: one database transaction that takes validated records chunk by chunk,
//! resolves their references, inserts new rows, updates changed ones (keeping before-images so
//! the batch can be undone) and counts unchanged ones. Nothing is visible until `commit`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use strata_core::{
    customer::{canonical_name, CustomerKind},
    import::{CustomerRef, Entity, Record},
};

mod copy_stream;
mod group;
mod insert;
mod refs;
mod update;

pub(crate) use insert::insert_one;

use crate::{
    data_changes::{note_changes, Touched, MAX_LISTED_CUSTOMERS},
    on_pool, placeholders,
    table::{self, row_of, Resolved, TableSpec},
    undo::Batch,
    value::{self, SqlValue},
    Backend, Result, Store, StoreError,
};

/// The code of the error a large import with deferred keys ends with when its file repeats an
/// external id.
pub const DUPLICATE_KEYS: &str = "duplicate_keys_deferred";

pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$t` bound to the open transaction; compiled once per backend.
macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            $crate::import::Tx::Sqlite($t) => $body,
            $crate::import::Tx::Postgres($t) => $body,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_tx;

/// A row the store refused, with the field at fault.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedRow {
    pub row: u64,
    /// The import field key (e.g. `customer_external_id`, `owner`).
    pub field: String,
    pub raw: String,
    pub code: &'static str,
    pub message: String,
}

/// What one chunk did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ChunkOutcome {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<RejectedRow>,
    /// Event tables: (file row, customer id) of every row inserted, for a caller that applies
    /// new events to its engine directly.
    #[serde(skip)]
    pub inserted_rows: Vec<(u64, i64)>,
    /// Event tables: customers of updated rows (before and after), which must be re-read.
    #[serde(skip)]
    pub changed_customers: Vec<i64>,
}

/// An open import. Drop it (or call [`ImportSession::rollback`]) to discard everything.
pub struct ImportSession {
    tx: Tx,
    entity: Entity,
    file_name: String,
    actor: String,
    spec: &'static TableSpec,
    present: Vec<bool>,
    batch_id: i64,
    now: DateTime<Utc>,
    totals: ChunkOutcome,
    /// Statements that rebuild the indexes (and foreign keys) dropped for this import, run at
    /// commit.
    deferred_indexes: Vec<String>,
    /// The statement that rebuilds the table's unique external-id index, dropped for a large
    /// import into an empty table: rows go in without a key check, and the index, built at
    /// commit, finds any key the file repeats (see [`DUPLICATE_KEYS`]).
    deferred_keys: Option<String>,
    by_external: Option<HashMap<String, i64>>,
    /// Whether `by_external` holds every customer's external id (else only those looked up).
    external_complete: bool,
    /// Announced as large (`expect_rows`): load reference caches whole.
    large: bool,
    by_canonical: Option<HashMap<String, Option<i64>>>,
    /// Whether any merge left external ids behind (None: not asked yet).
    has_aliases: Option<bool>,
    users: Option<HashMap<String, i64>>,
    teams: Option<HashMap<String, i64>>,
    /// Customers whose events this import wrote (noted in the change feed at commit).
    touched: Touched,
    /// Position of `customer_id` among the table's columns (event tables).
    customer_col: Option<usize>,
    /// Who applies this import to its engine itself (noted with the feed entries).
    origin: Option<String>,
}

/// Records a new batch (counts filled in when it finishes) inside `tx`; returns its id.
pub(crate) async fn record_batch(tx: &mut Tx, entity: Entity, file_name: &str, actor: &str, now: DateTime<Utc>) -> Result<i64> {
    let sql = "INSERT INTO import_batches (entity, file_name, file_sha256, actor, started_at, finished_at, rows_total, inserted, updated, unchanged, rejected, status) \
               VALUES ($1, $2, '', $3, $4, $4, 0, 0, 0, 0, 0, 'committed') RETURNING id";
    on_tx!(tx, t => sqlx::query_scalar(sql).bind(entity.name()).bind(file_name).bind(actor).bind(now).fetch_one(&mut **t).await)
        .map_err(StoreError::db("recording an import batch"))
}

/// Which data columns a file supplies, from its mapped field keys.
fn present_columns(entity: Entity, spec: &TableSpec, fields: &[String]) -> Vec<bool> {
    let mut cols: HashSet<&str> = HashSet::new();
    for f in fields {
        match (entity, f.as_str()) {
            (Entity::Customers, "name" | "kind") => {
                cols.insert("name");
                cols.insert("kind");
                cols.insert("canonical_name");
            }
            (_, "customer_external_id" | "customer_name") => {
                cols.insert("customer_id");
            }
            (_, "owner") => {
                cols.insert("owner_id");
            }
            (_, "team") => {
                cols.insert("team_id");
            }
            (_, "user") => {
                cols.insert("user_id");
            }
            (_, "amount") => {
                cols.insert("amount_cents");
                cols.insert("currency");
            }
            (_, "budget") => {
                cols.insert("budget_cents");
            }
            (_, other) => {
                cols.insert(spec.cols.iter().map(|(c, _)| *c).find(|c| *c == other).unwrap_or(""));
            }
        }
    }
    spec.cols.iter().map(|(c, _)| cols.contains(c)).collect()
}

impl Store {
    /// Starts an import of `entity` rows. `fields` are the field keys the file's columns map to
    /// (plus `custom` when it has custom-field columns): on update, only those columns change.
    pub async fn begin_import(&self, entity: Entity, file_name: &str, actor: &str, fields: &[String]) -> Result<ImportSession> {
        let now = Utc::now();
        let mut tx = match &self.backend {
            Backend::Sqlite(p) => Tx::Sqlite(p.begin().await.map_err(StoreError::db("starting an import"))?),
            Backend::Postgres(p) => {
                let mut tx = p.begin().await.map_err(StoreError::db("starting an import"))?;
                // Statistics predate this import (often: an empty table), so the planner would
                // scan tables that grow inside this transaction; every lookup here is indexed.
                sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await.map_err(StoreError::db("configuring an import"))?;
                Tx::Postgres(tx)
            }
        };
        let batch_id = record_batch(&mut tx, entity, file_name, actor, now).await?;
        let spec = table::spec(entity);
        let present = present_columns(entity, spec, fields);
        Ok(ImportSession {
            tx,
            entity,
            file_name: file_name.to_string(),
            actor: actor.to_string(),
            spec,
            present,
            batch_id,
            now,
            totals: ChunkOutcome::default(),
            deferred_indexes: Vec::new(),
            deferred_keys: None,
            by_external: None,
            external_complete: false,
            large: false,
            by_canonical: None,
            has_aliases: None,
            users: None,
            teams: None,
            touched: Touched::default(),
            customer_col: spec.cols.iter().position(|(c, _)| *c == "customer_id"),
            origin: None,
        })
    }
}

struct Pending {
    row: u64,
    key: Option<String>,
    values: Vec<SqlValue>,
}

impl ImportSession {
    pub(crate) fn tx_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }

    pub(crate) fn backend_kind(&self) -> crate::BackendKind {
        match self.tx {
            Tx::Sqlite(_) => crate::BackendKind::Sqlite,
            Tx::Postgres(_) => crate::BackendKind::Postgres,
        }
    }

    pub fn batch_id(&self) -> i64 {
        self.batch_id
    }

    fn kind(&self) -> crate::BackendKind {
        match self.tx {
            Tx::Sqlite(_) => crate::BackendKind::Sqlite,
            Tx::Postgres(_) => crate::BackendKind::Postgres,
        }
    }

    /// Writes one chunk of validated records (row numbers are the file's, for reports).
    pub async fn write(&mut self, records: Vec<(u64, Record)>) -> Result<ChunkOutcome> {
        self.load_caches(&records).await?;
        if self.deferred_keys.is_some() && matches!(self.tx, Tx::Postgres(_)) {
            return self.copy_chunk(records).await;
        }
        let mut out = ChunkOutcome::default();
        let mut pending: Vec<Pending> = Vec::with_capacity(records.len());
        let mut seen: HashMap<String, u64> = HashMap::new();
        let refs = self.ref_maps();
        for (row, rec) in &records {
            let (key, values) = match refs.keyed_row(self.entity, *row, rec) {
                Ok(r) => r,
                Err(e) => {
                    out.rejected.push(e);
                    continue;
                }
            };
            if let Some(k) = &key {
                if let Some(first) = seen.insert(k.clone(), *row) {
                    out.rejected.push(dup_row(*row, k, Some(first)));
                    continue;
                }
            }
            pending.push(Pending { row: *row, key, values });
        }
        let mut candidates: Vec<(u64, i64)> = Vec::new();
        if let Some(c) = self.customer_col {
            for p in &pending {
                if let Some(SqlValue::Int(Some(id))) = p.values.get(c) {
                    self.touched.add(*id);
                    candidates.push((p.row, *id));
                }
            }
        }
        // Customers without an id match an existing one by canonical name + phone.
        let mut matched: Vec<(i64, Pending)> = Vec::new();
        if self.entity == Entity::Customers && pending.iter().any(|p| p.key.is_none()) {
            let (keyless, keyed): (Vec<Pending>, Vec<Pending>) = pending.into_iter().partition(|p| p.key.is_none());
            pending = keyed;
            let names: Vec<String> = keyless.iter().map(|p| p.values[2].to_cell()).collect();
            let existing = self.customers_named(&names).await?;
            let mut taken: HashSet<i64> = HashSet::new();
            for p in keyless {
                let (name, phone) = (p.values[2].to_cell(), p.values[11].clone());
                let hit = existing.iter().find(|(_, n, ph)| *n == name && SqlValue::Text(ph.clone()) == phone).map(|(id, _, _)| *id);
                match hit {
                    Some(id) if !taken.insert(id) => out.rejected.push(dup_row(p.row, &name, None)),
                    Some(id) => matched.push((id, p)),
                    None => pending.push(p),
                }
            }
        }
        // A customer row naming the external id of a customer merged away updates the survivor
        // (who keeps their own external id).
        if self.entity == Entity::Customers && !pending.is_empty() {
            let keys: Vec<String> = pending.iter().filter_map(|p| p.key.clone()).collect();
            let aliases = self.customers_aliased(&keys).await?;
            if !aliases.is_empty() {
                let (aliased, rest): (Vec<Pending>, Vec<Pending>) =
                    pending.into_iter().partition(|p| p.key.as_ref().is_some_and(|k| aliases.contains_key(k)));
                pending = rest;
                for p in aliased {
                    if let Some(id) = p.key.as_ref().and_then(|k| aliases.get(k)) {
                        matched.push((*id, p));
                    }
                }
            }
        }
        // Insert what is new; rows whose key exists come back as conflicts.
        let conflicts = self.insert_new(pending, &mut out).await?;
        let not_inserted: HashSet<u64> = conflicts.iter().map(|p| p.row).collect();
        out.inserted_rows = candidates.into_iter().filter(|(row, _)| !not_inserted.contains(row)).collect();
        let mut existing = self.fetch_existing_by_key(&conflicts).await?;
        let mut to_compare: Vec<(Pending, ExistingRow)> = Vec::new();
        for p in conflicts {
            match p.key.as_ref().and_then(|k| existing.remove(k)) {
                Some(e) => to_compare.push((p, e)),
                None => out.rejected.push(dup_row(p.row, p.key.as_deref().unwrap_or(""), None)),
            }
        }
        if !matched.is_empty() {
            let ids: Vec<i64> = matched.iter().map(|(id, _)| *id).collect();
            let mut by_id = self.fetch_existing_by_id(&ids).await?;
            for (id, p) in matched {
                if let Some(e) = by_id.remove(&id) {
                    to_compare.push((p, e));
                }
            }
        }
        let mut updated_ids: HashSet<i64> = HashSet::new();
        for (p, e) in to_compare {
            if e.batch_id == Some(self.batch_id) || !updated_ids.insert(e.id) {
                out.rejected.push(dup_row(p.row, p.key.as_deref().unwrap_or(&p.values[1].to_cell()), None));
                continue;
            }
            let merged = self.merge(&e.values, p.values);
            if merged == e.values {
                out.unchanged += 1;
            } else {
                if let Some(c) = self.customer_col {
                    for v in [e.values.get(c), merged.get(c)] {
                        if let Some(SqlValue::Int(Some(id))) = v {
                            self.touched.add(*id);
                            out.changed_customers.push(*id);
                        }
                    }
                }
                self.update_row(&e, merged).await?;
                out.updated += 1;
            }
        }
        self.totals.inserted += out.inserted;
        self.totals.updated += out.updated;
        self.totals.unchanged += out.unchanged;
        Ok(out)
    }

    /// Marks the feed entries of this import as applied by `origin` (a server that updates
    /// its own engine from the written rows; other followers still re-read them).
    pub fn set_origin(&mut self, origin: &str) {
        self.origin = Some(origin.to_string());
    }

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
        // Customers' canonical-name index serves the import's own name matching: keep it.
        if table == "customers" || !self.large || !self.deferred_indexes.is_empty() || self.deferred_keys.is_some() {
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
        let indexes: Vec<(String, String)> = on_tx!(&mut self.tx, t => sqlx::query_as(list).bind(table).fetch_all(&mut **t).await)
            .map_err(StoreError::db("listing indexes"))?;
        // No row at all (ids start at 1): no stored key any row could match.
        let key_index = if defer_keys && max_id == 0 { self.key_index().await? } else { None };
        for (name, _) in indexes.iter().chain(&key_index) {
            let drop = format!("DROP INDEX {name}");
            on_tx!(&mut self.tx, t => sqlx::query(&drop).execute(&mut **t).await.map(|r| r.rows_affected()))
                .map_err(StoreError::db("deferring an index"))?;
        }
        let mut deferred: Vec<String> = indexes.into_iter().map(|(_, sql)| sql).collect();
        self.deferred_keys = key_index.map(|(_, sql)| sql);
        if let Tx::Postgres(t) = &mut self.tx {
            sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
                .execute(&mut **t)
                .await
                .map_err(StoreError::db("sizing index builds"))?;
            let keys: Vec<(String, String)> = sqlx::query_as(
                "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'",
            )
            .bind(table)
            .fetch_all(&mut **t)
            .await
            .map_err(StoreError::db("listing foreign keys"))?;
            for (name, def) in keys {
                sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                    .execute(&mut **t)
                    .await
                    .map_err(StoreError::db("deferring a foreign key"))?;
                deferred.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"));
            }
        }
        self.deferred_indexes = deferred;
        Ok(())
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

    /// Records the batch's counts and file hash, and makes everything visible at once.
    pub async fn commit(mut self, rows_total: u64, rejected: u64, file_sha256: &str) -> Result<Batch> {
        let batch = self.finish_batch(rows_total, rejected, file_sha256).await?;
        self.commit_batches().await?;
        Ok(batch)
    }

    /// Records the current batch's counts and file hash and notes its customers in the change
    /// feed, inside the transaction: what [`ImportSession::commit`] does before committing.
    pub async fn finish_batch(&mut self, rows_total: u64, rejected: u64, file_sha256: &str) -> Result<Batch> {
        self.check_keys().await?;
        for sql in std::mem::take(&mut self.deferred_indexes) {
            on_tx!(&mut self.tx, t => sqlx::query(&sql).execute(&mut **t).await.map(|r| r.rows_affected()))
                .map_err(StoreError::db("rebuilding an index"))?;
        }
        if self.entity == Entity::Customers {
            if self.totals.inserted + self.totals.updated > MAX_LISTED_CUSTOMERS as u64 {
                self.touched.set_many();
            } else if self.totals.inserted + self.totals.updated > 0 {
                let ids: Vec<i64> = on_tx!(&mut self.tx, t => sqlx::query_scalar("SELECT id FROM customers WHERE batch_id = $1")
                    .bind(self.batch_id).fetch_all(&mut **t).await)
                .map_err(StoreError::db("listing imported customers"))?;
                ids.into_iter().for_each(|id| self.touched.add(id));
            }
        }
        let entries = self.touched.entries();
        let backend = self.backend_kind();
        let origin = self.origin.clone();
        on_tx!(&mut self.tx, t => { note_changes!(&mut **t, backend, &entries, origin.as_deref()); });
        let sql = "UPDATE import_batches SET finished_at = $1, rows_total = $2, inserted = $3, updated = $4, unchanged = $5, rejected = $6, file_sha256 = $8 WHERE id = $7";
        let finished = Utc::now();
        on_tx!(&mut self.tx, t => sqlx::query(sql)
            .bind(finished).bind(rows_total as i64).bind(self.totals.inserted as i64).bind(self.totals.updated as i64)
            .bind(self.totals.unchanged as i64).bind(rejected as i64).bind(self.batch_id).bind(file_sha256)
            .execute(&mut **t).await.map(|r| r.rows_affected()))
        .map_err(StoreError::db("finishing an import batch"))?;
        if self.large {
            if let Tx::Sqlite(t) = &mut self.tx {
                let sql = format!("PRAGMA cache_size = {}", crate::PAGE_CACHE);
                sqlx::query(&sql).execute(&mut **t).await.map_err(StoreError::db("sizing the page cache"))?;
            }
        }
        Ok(Batch {
            id: self.batch_id,
            entity: self.entity.name().to_string(),
            file_name: self.file_name.clone(),
            file_sha256: file_sha256.to_string(),
            actor: self.actor.clone(),
            started_at: self.now,
            finished_at: finished,
            rows_total: rows_total as i64,
            inserted: self.totals.inserted as i64,
            updated: self.totals.updated as i64,
            unchanged: self.totals.unchanged as i64,
            rejected: rejected as i64,
            status: "committed".into(),
            undone_at: None,
            undone_by: None,
        })
    }

    /// Makes every finished batch of this transaction visible at once.
    pub async fn commit_batches(self) -> Result<()> {
        on_tx!(self.tx, t => t.commit().await).map_err(StoreError::db("committing an import"))
    }

    /// Discards everything this import wrote, including its batch record.
    pub async fn rollback(self) -> Result<()> {
        on_tx!(self.tx, t => t.rollback().await).map_err(StoreError::db("rolling back an import"))
    }

    /// Counts so far.
    pub fn totals(&self) -> &ChunkOutcome {
        &self.totals
    }
}

pub(crate) struct ExistingRow {
    pub id: i64,
    pub external_id: Option<String>,
    pub batch_id: Option<i64>,
    pub values: Vec<SqlValue>,
}

fn record_ref(r: &Record) -> Option<&CustomerRef> {
    match r {
        Record::Customer(_) => None,
        Record::Contact(c, _)
        | Record::Order(c, _)
        | Record::Payment(c, _)
        | Record::Interaction(c, _)
        | Record::Deal(c, _)
        | Record::Ticket(c, _)
        | Record::Feedback(c, _) => Some(c),
    }
}

fn dup_row(row: u64, key: &str, first: Option<u64>) -> RejectedRow {
    let where_ = first.map_or("earlier in this file".to_string(), |f| format!("at row {f}"));
    RejectedRow {
        row,
        field: "external_id".into(),
        raw: key.to_string(),
        code: "duplicate_in_file",
        message: format!("`{key}` already appears {where_}; each record may appear once per file"),
    }
}

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

mod batch;
mod copy_stream;
pub use copy_stream::Chunk;
mod deferral;
mod group;
mod insert;
mod refs;
mod update;

pub(crate) use batch::record_batch;
pub(crate) use insert::insert_one;

use crate::{
    data_changes::Touched,
    on_pool, placeholders,
    table::{self, row_of, Resolved, TableSpec},
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
    /// The message in Chinese.
    pub message_zh: String,
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
    /// The id the next copied row gets, when this import gives ids itself (PostgreSQL, rows
    /// copied into an empty table with its primary key deferred).
    next_id: Option<i64>,
    by_external: Option<refs::CustomerIds>,
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
            next_id: None,
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
        if self.copies() {
            // Loads the caches itself, between its COPYs.
            return self.copy_chunk(records).await;
        }
        self.load_caches(&records).await?;
        let mut out = ChunkOutcome::default();
        let mut pending: Vec<Pending> = Vec::with_capacity(records.len());
        let mut seen = refs::SeenKeys::with_capacity_and_hasher(records.len(), Default::default());
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
    let where_zh = first.map_or("本文件前面".to_string(), |f| format!("第 {f} 行"));
    RejectedRow {
        row,
        field: "external_id".into(),
        raw: key.to_string(),
        code: "duplicate_in_file",
        message: format!("`{key}` already appears {where_}; each record may appear once per file"),
        message_zh: format!("`{key}` 已在{where_zh}出现；每条记录在一个文件里只能出现一次"),
    }
}

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

use crate::{
    on_pool, placeholders,
    table::{self, row_of, Resolved, TableSpec},
    undo::Batch,
    value::{self, SqlValue},
    Backend, Result, Store, StoreError,
};

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
    by_external: Option<HashMap<String, i64>>,
    by_canonical: Option<HashMap<String, Option<i64>>>,
    users: Option<HashMap<String, i64>>,
    teams: Option<HashMap<String, i64>>,
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
        let sql = "INSERT INTO import_batches (entity, file_name, file_sha256, actor, started_at, finished_at, rows_total, inserted, updated, unchanged, rejected, status) \
                   VALUES ($1, $2, '', $3, $4, $4, 0, 0, 0, 0, 0, 'committed') RETURNING id";
        let (tx, batch_id) = match &self.backend {
            Backend::Sqlite(p) => {
                let mut tx = p.begin().await.map_err(StoreError::db("starting an import"))?;
                let id: i64 = sqlx::query_scalar(sql)
                    .bind(entity.name())
                    .bind(file_name)
                    .bind(actor)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::db("recording an import batch"))?;
                (Tx::Sqlite(tx), id)
            }
            Backend::Postgres(p) => {
                let mut tx = p.begin().await.map_err(StoreError::db("starting an import"))?;
                // Statistics predate this import (often: an empty table), so the planner would
                // scan tables that grow inside this transaction; every lookup here is indexed.
                sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await.map_err(StoreError::db("configuring an import"))?;
                let id: i64 = sqlx::query_scalar(sql)
                    .bind(entity.name())
                    .bind(file_name)
                    .bind(actor)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::db("recording an import batch"))?;
                (Tx::Postgres(tx), id)
            }
        };
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
            by_external: None,
            by_canonical: None,
            users: None,
            teams: None,
        })
    }
}

struct Pending {
    row: u64,
    key: Option<String>,
    values: Vec<SqlValue>,
}

impl ImportSession {
    pub fn batch_id(&self) -> i64 {
        self.batch_id
    }

    fn kind(&self) -> crate::BackendKind {
        match self.tx {
            Tx::Sqlite(_) => crate::BackendKind::Sqlite,
            Tx::Postgres(_) => crate::BackendKind::Postgres,
        }
    }

    async fn load_caches(&mut self, records: &[(u64, Record)]) -> Result<()> {
        let needs_user = records.iter().any(|(_, r)| match r {
            Record::Customer(c) => c.owner.is_some(),
            Record::Deal(_, d) => d.owner.is_some(),
            Record::Interaction(_, i) => i.user.is_some(),
            _ => false,
        });
        let needs_team = records.iter().any(|(_, r)| matches!(r, Record::Customer(c) if c.team.is_some()));
        let refs = records.iter().filter_map(|(_, r)| record_ref(r));
        let (mut need_ext, mut need_name) = (false, false);
        for r in refs {
            need_ext |= r.external_id.is_some();
            need_name |= r.external_id.is_none();
        }
        if needs_user && self.users.is_none() {
            let rows: Vec<(i64, String, String)> = on_tx!(&mut self.tx, t => sqlx::query_as("SELECT id, login, display_name FROM users")
                .fetch_all(&mut **t).await)
            .map_err(StoreError::db("loading users"))?;
            let mut m = HashMap::new();
            for (id, login, display) in rows {
                m.entry(display.to_lowercase()).or_insert(id);
                m.insert(login.to_lowercase(), id);
            }
            self.users = Some(m);
        }
        if needs_team && self.teams.is_none() {
            let rows: Vec<(i64, String)> = on_tx!(&mut self.tx, t => sqlx::query_as("SELECT id, name FROM teams")
                .fetch_all(&mut **t).await)
            .map_err(StoreError::db("loading teams"))?;
            self.teams = Some(rows.into_iter().map(|(id, n)| (n, id)).collect());
        }
        if need_ext && self.by_external.is_none() {
            let rows: Vec<(String, i64)> =
                on_tx!(&mut self.tx, t => sqlx::query_as("SELECT external_id, id FROM customers WHERE external_id IS NOT NULL")
                .fetch_all(&mut **t).await)
                .map_err(StoreError::db("loading customer ids"))?;
            self.by_external = Some(rows.into_iter().collect());
        }
        if need_name && self.by_canonical.is_none() {
            let rows: Vec<(String, i64)> = on_tx!(&mut self.tx, t => sqlx::query_as("SELECT canonical_name, id FROM customers")
                .fetch_all(&mut **t).await)
            .map_err(StoreError::db("loading customer names"))?;
            let mut m: HashMap<String, Option<i64>> = HashMap::new();
            for (name, id) in rows {
                m.entry(name).and_modify(|v| *v = None).or_insert(Some(id));
            }
            self.by_canonical = Some(m);
        }
        Ok(())
    }

    fn resolve_customer(&self, r: &CustomerRef) -> std::result::Result<i64, RejectedRow> {
        if let Some(ext) = &r.external_id {
            return self.by_external.as_ref().and_then(|m| m.get(ext).copied()).ok_or_else(|| RejectedRow {
                row: 0,
                field: "customer_external_id".into(),
                raw: ext.clone(),
                code: "unknown_customer",
                message: format!("no customer has 客户编号 `{ext}`; import the customer first or fix the number"),
            });
        }
        let name = r.name.clone().unwrap_or_default();
        let by = self.by_canonical.as_ref();
        let lookup = |k: String| by.and_then(|m| m.get(&k).copied());
        let found = lookup(canonical_name(CustomerKind::Company, &name)).or_else(|| lookup(canonical_name(CustomerKind::Person, &name)));
        match found {
            Some(Some(id)) => Ok(id),
            Some(None) => Err(RejectedRow {
                row: 0,
                field: "customer_name".into(),
                raw: name.clone(),
                code: "ambiguous_customer",
                message: format!("several customers are called `{name}`; add a 客户编号 column to say which"),
            }),
            None => Err(RejectedRow {
                row: 0,
                field: "customer_name".into(),
                raw: name.clone(),
                code: "unknown_customer",
                message: format!("no customer is called `{name}`; import the customer first or fix the name"),
            }),
        }
    }

    fn resolve_user(&self, field: &str, login: &Option<String>) -> std::result::Result<Option<i64>, RejectedRow> {
        let Some(l) = login else { return Ok(None) };
        match self.users.as_ref().and_then(|m| m.get(&l.to_lowercase())) {
            Some(id) => Ok(Some(*id)),
            None => Err(RejectedRow {
                row: 0,
                field: field.into(),
                raw: l.clone(),
                code: "unknown_user",
                message: format!("`{l}` is not a user; add them with `strata user add` or use an existing login"),
            }),
        }
    }

    fn resolve(&self, record: &Record) -> std::result::Result<Resolved, RejectedRow> {
        let mut r = Resolved::default();
        if let Some(cref) = record_ref(record) {
            r.customer_id = Some(self.resolve_customer(cref)?);
        }
        match record {
            Record::Customer(c) => {
                r.user_id = self.resolve_user("owner", &c.owner)?;
                if let Some(team) = &c.team {
                    r.team_id = Some(*self.teams.as_ref().and_then(|m| m.get(team)).ok_or_else(|| RejectedRow {
                        row: 0,
                        field: "team".into(),
                        raw: team.clone(),
                        code: "unknown_team",
                        message: format!("`{team}` is not a team; add it with `strata team add` or fix the name"),
                    })?);
                }
            }
            Record::Deal(_, d) => r.user_id = self.resolve_user("owner", &d.owner)?,
            Record::Interaction(_, i) => r.user_id = self.resolve_user("user", &i.user)?,
            _ => {}
        }
        Ok(r)
    }

    /// Writes one chunk of validated records (row numbers are the file's, for reports).
    pub async fn write(&mut self, records: Vec<(u64, Record)>) -> Result<ChunkOutcome> {
        self.load_caches(&records).await?;
        let mut out = ChunkOutcome::default();
        let mut pending: Vec<Pending> = Vec::with_capacity(records.len());
        let mut seen: HashMap<String, u64> = HashMap::new();
        for (row, rec) in &records {
            let resolved = match self.resolve(rec) {
                Ok(r) => r,
                Err(mut e) => {
                    e.row = *row;
                    out.rejected.push(e);
                    continue;
                }
            };
            let (ext, values) = row_of(rec, resolved);
            let key = match (ext, self.entity) {
                (Some(k), _) => Some(k),
                (None, Entity::Customers) => None,
                (None, _) => Some(table::content_key(&values)),
            };
            if let Some(k) = &key {
                if let Some(first) = seen.insert(k.clone(), *row) {
                    out.rejected.push(dup_row(*row, k, Some(first)));
                    continue;
                }
            }
            pending.push(Pending { row: *row, key, values });
        }
        // Customers without an id match an existing one by canonical name + phone.
        let mut matched: Vec<(i64, Pending)> = Vec::new();
        if self.entity == Entity::Customers && pending.iter().any(|p| p.key.is_none()) {
            let (keyless, keyed): (Vec<Pending>, Vec<Pending>) = pending.into_iter().partition(|p| p.key.is_none());
            pending = keyed;
            let names: Vec<String> = keyless.iter().map(|p| cell_text(&p.values[2])).collect();
            let existing = self.customers_named(&names).await?;
            let mut taken: HashSet<i64> = HashSet::new();
            for p in keyless {
                let (name, phone) = (cell_text(&p.values[2]), p.values[11].clone());
                let hit = existing.iter().find(|(_, n, ph)| *n == name && SqlValue::Text(ph.clone()) == phone).map(|(id, _, _)| *id);
                match hit {
                    Some(id) if !taken.insert(id) => out.rejected.push(dup_row(p.row, &name, None)),
                    Some(id) => matched.push((id, p)),
                    None => pending.push(p),
                }
            }
        }
        // Insert what is new; rows whose key exists come back as conflicts.
        let conflicts = self.insert_new(pending, &mut out).await?;
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
        for (p, e) in to_compare {
            if e.batch_id == Some(self.batch_id) {
                out.rejected.push(dup_row(p.row, p.key.as_deref().unwrap_or(&cell_text(&p.values[1])), None));
                continue;
            }
            let merged = self.merge(&e.values, p.values);
            if merged == e.values {
                out.unchanged += 1;
            } else {
                self.update_row(&e, merged).await?;
                out.updated += 1;
            }
        }
        self.totals.inserted += out.inserted;
        self.totals.updated += out.updated;
        self.totals.unchanged += out.unchanged;
        Ok(out)
    }

    /// New values for columns the file supplies, existing ones elsewhere; custom fields merge.
    fn merge(&self, existing: &[SqlValue], new: Vec<SqlValue>) -> Vec<SqlValue> {
        new.into_iter()
            .enumerate()
            .map(|(i, v)| {
                if !self.present[i] {
                    return existing[i].clone();
                }
                match (self.spec.cols[i].0, &existing[i], v) {
                    ("custom", SqlValue::Json(serde_json::Value::Object(old)), SqlValue::Json(serde_json::Value::Object(add))) => {
                        let mut m = old.clone();
                        m.extend(add);
                        SqlValue::Json(serde_json::Value::Object(m))
                    }
                    (_, _, v) => v,
                }
            })
            .collect()
    }

    async fn customers_named(&mut self, names: &[String]) -> Result<Vec<(i64, String, Option<String>)>> {
        let mut uniq: Vec<&String> = names.iter().collect::<HashSet<_>>().into_iter().collect();
        uniq.sort();
        let sql = format!(
            "SELECT id, canonical_name, phone FROM customers WHERE canonical_name IN ({}) ORDER BY id",
            placeholders(1, uniq.len())
        );
        let sql = crate::dialect(self.kind(), &sql).into_owned();
        on_tx!(&mut self.tx, t => {
            let mut q = sqlx::query_as(&sql);
            for n in &uniq {
                q = q.bind(n.as_str());
            }
            q.fetch_all(&mut **t).await
        })
        .map_err(StoreError::db("matching customers by name"))
    }

    /// PostgreSQL: existing keys are found with one `= ANY($1)` index lookup, then the chunk is
    /// inserted by one `INSERT … SELECT FROM UNNEST(…)` with each column bound as an array.
    async fn insert_new_postgres(&mut self, pending: Vec<Pending>, out: &mut ChunkOutcome) -> Result<Vec<Pending>> {
        let spec = self.spec;
        let (batch_id, now) = (self.batch_id, self.now);
        let Tx::Postgres(t) = &mut self.tx else { return Ok(pending) };
        let keys: Vec<&str> = pending.iter().filter_map(|p| p.key.as_deref()).collect();
        let existing: Vec<String> = sqlx::query_scalar(&format!("SELECT external_id FROM {} WHERE external_id = ANY($1)", spec.table))
            .bind(&keys)
            .fetch_all(&mut **t)
            .await
            .map_err(StoreError::db("finding existing rows"))?;
        let existing: HashSet<String> = existing.into_iter().collect();
        let (old, new): (Vec<Pending>, Vec<Pending>) =
            pending.into_iter().partition(|p| p.key.as_ref().is_some_and(|k| existing.contains(k)));
        if new.is_empty() {
            return Ok(old);
        }
        let cols: Vec<&str> = spec.cols.iter().map(|(c, _)| *c).collect();
        let arrays: Vec<String> =
            spec.cols.iter().enumerate().map(|(i, (_, k))| format!("${}::{}[]", i + 2, crate::value::pg_type(*k))).collect();
        let n = cols.len();
        let sql = format!(
            "INSERT INTO {} (external_id, {}, batch_id, created_at, updated_at) SELECT u.*, ${}::bigint, ${}::timestamptz, ${}::timestamptz \
             FROM UNNEST($1::text[], {}) AS u ON CONFLICT (external_id) DO NOTHING",
            spec.table,
            cols.join(", "),
            n + 2,
            n + 3,
            n + 3,
            arrays.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(new.iter().map(|p| p.key.clone()).collect::<Vec<Option<String>>>());
        for (i, (_, kind)) in spec.cols.iter().enumerate() {
            q = crate::value::bind_pg_column(q, *kind, new.iter().map(|p| &p.values[i]));
        }
        let inserted =
            q.bind(batch_id).bind(now).execute(&mut **t).await.map_err(StoreError::db("inserting imported rows"))?.rows_affected();
        if inserted != new.len() as u64 {
            return Err(StoreError::conflict(
                "concurrent_import",
                format!("another import wrote some of the same {} at the same time; import this file again", self.entity.name()),
            ));
        }
        out.inserted += inserted;
        if self.entity == Entity::Customers {
            self.by_external = None;
            self.by_canonical = None;
        }
        Ok(old)
    }

    /// SQLite: one prepared single-row `INSERT … ON CONFLICT DO NOTHING` on the raw handle,
    /// re-used per row; a row that changed nothing has a key that already exists.
    async fn insert_new_sqlite(&mut self, pending: Vec<Pending>, out: &mut ChunkOutcome) -> Result<Vec<Pending>> {
        let Tx::Sqlite(t) = &mut self.tx else { return Ok(pending) };
        let sql = crate::dialect(crate::BackendKind::Sqlite, &insert_sql(self.spec, 1)).into_owned();
        let mut handle = t.lock_handle().await.map_err(StoreError::db("locking the SQLite connection"))?;
        let fail = |message: String| StoreError::Database { context: "inserting imported rows", source: sqlx::Error::Protocol(message) };
        let mut stmt = crate::sqlite_bulk::RawStatement::prepare(handle.as_raw_handle(), &sql).map_err(fail)?;
        let n = self.spec.cols.len() as i32;
        let now = SqlValue::Time(Some(self.now));
        let mut conflicts = Vec::new();
        for p in pending {
            stmt.bind_opt_text(1, p.key.as_deref()).map_err(fail)?;
            for (i, v) in p.values.iter().enumerate() {
                stmt.bind(i as i32 + 2, v).map_err(fail)?;
            }
            stmt.bind(n + 2, &SqlValue::Int(Some(self.batch_id))).map_err(fail)?;
            stmt.bind(n + 3, &now).map_err(fail)?;
            stmt.bind(n + 4, &now).map_err(fail)?;
            if stmt.execute().map_err(fail)? == 1 {
                out.inserted += 1;
            } else {
                conflicts.push(p);
            }
        }
        drop(stmt);
        drop(handle);
        if self.entity == Entity::Customers && out.inserted > 0 {
            self.by_external = None;
            self.by_canonical = None;
        }
        Ok(conflicts)
    }

    /// Inserts rows whose key is new; returns the rows whose key already exists.
    async fn insert_new(&mut self, pending: Vec<Pending>, out: &mut ChunkOutcome) -> Result<Vec<Pending>> {
        match self.tx {
            Tx::Sqlite(_) => self.insert_new_sqlite(pending, out).await,
            Tx::Postgres(_) => self.insert_new_postgres(pending, out).await,
        }
    }

    async fn fetch_existing_by_key(&mut self, rows: &[Pending]) -> Result<HashMap<String, ExistingRow>> {
        let keys: Vec<&str> = rows.iter().filter_map(|p| p.key.as_deref()).collect();
        let mut out = HashMap::new();
        for part in keys.chunks(500) {
            let sql = format!("{} WHERE external_id IN ({})", select_sql(self.spec), placeholders(1, part.len()));
            for e in self.fetch_existing(&sql, part.iter().map(|k| SqlValue::text(*k)).collect()).await? {
                out.insert(e.external_id.clone().unwrap_or_default(), e);
            }
        }
        Ok(out)
    }

    async fn fetch_existing_by_id(&mut self, ids: &[i64]) -> Result<HashMap<i64, ExistingRow>> {
        let mut out = HashMap::new();
        for part in ids.chunks(500) {
            let sql = format!("{} WHERE id IN ({})", select_sql(self.spec), placeholders(1, part.len()));
            for e in self.fetch_existing(&sql, part.iter().map(|i| SqlValue::Int(Some(*i))).collect()).await? {
                out.insert(e.id, e);
            }
        }
        Ok(out)
    }

    async fn fetch_existing(&mut self, sql: &str, params: Vec<SqlValue>) -> Result<Vec<ExistingRow>> {
        let spec = self.spec;
        on_tx!(&mut self.tx, t => {
            let mut q = sqlx::query(sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            let rows = q.fetch_all(&mut **t).await.map_err(StoreError::db("reading existing rows"))?;
            rows.iter().map(|r| {
                use sqlx::Row;
                let mut values = Vec::with_capacity(spec.cols.len());
                for (i, (_, kind)) in spec.cols.iter().enumerate() {
                    values.push(value::read(r, i + 3, *kind)?);
                }
                Ok(ExistingRow { id: r.try_get(0)?, external_id: r.try_get(1)?, batch_id: r.try_get(2)?, values })
            }).collect::<std::result::Result<Vec<_>, sqlx::Error>>().map_err(StoreError::db("decoding existing rows"))
        })
    }

    async fn update_row(&mut self, e: &ExistingRow, values: Vec<SqlValue>) -> Result<()> {
        let spec = self.spec;
        let n = spec.cols.len();
        let sets: Vec<String> = spec.cols.iter().enumerate().map(|(i, (c, _))| format!("{c} = ${}", i + 1)).collect();
        let sql =
            format!("UPDATE {} SET {}, batch_id = ${}, updated_at = ${} WHERE id = ${}", spec.table, sets.join(", "), n + 1, n + 2, n + 3);
        let change = "INSERT INTO import_changes (batch_id, table_name, row_id, prior_batch_id, before) VALUES ($1, $2, $3, $4, $5)";
        let before = table::image(spec, &e.values);
        let sql = crate::dialect(self.kind(), &sql).into_owned();
        on_tx!(&mut self.tx, t => {
            let mut q = sqlx::query(&sql);
            for v in &values {
                q = value::bind_value!(q, v);
            }
            q.bind(self.batch_id).bind(self.now).bind(e.id).execute(&mut **t).await.map_err(StoreError::db("updating an imported row"))?;
            sqlx::query(change).bind(self.batch_id).bind(spec.table).bind(e.id).bind(e.batch_id).bind(sqlx::types::Json(before))
                .execute(&mut **t).await.map(|r| r.rows_affected()).map_err(StoreError::db("recording a before-image"))
        })?;
        Ok(())
    }

    /// Records the batch's counts and file hash, and makes everything visible at once.
    pub async fn commit(mut self, rows_total: u64, rejected: u64, file_sha256: &str) -> Result<Batch> {
        let sql = "UPDATE import_batches SET finished_at = $1, rows_total = $2, inserted = $3, updated = $4, unchanged = $5, rejected = $6, file_sha256 = $8 WHERE id = $7";
        let finished = Utc::now();
        on_tx!(&mut self.tx, t => sqlx::query(sql)
            .bind(finished).bind(rows_total as i64).bind(self.totals.inserted as i64).bind(self.totals.updated as i64)
            .bind(self.totals.unchanged as i64).bind(rejected as i64).bind(self.batch_id).bind(file_sha256)
            .execute(&mut **t).await.map(|r| r.rows_affected()))
        .map_err(StoreError::db("finishing an import batch"))?;
        on_tx!(self.tx, t => t.commit().await).map_err(StoreError::db("committing an import"))?;
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

fn cell_text(v: &SqlValue) -> String {
    v.to_cell()
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

pub(crate) fn select_sql(spec: &TableSpec) -> String {
    let cols: Vec<&str> = spec.cols.iter().map(|(c, _)| *c).collect();
    format!("SELECT id, external_id, batch_id, {} FROM {}", cols.join(", "), spec.table)
}

fn insert_sql(spec: &TableSpec, rows: usize) -> String {
    let cols: Vec<&str> = spec.cols.iter().map(|(c, _)| *c).collect();
    let per_row = cols.len() + 4;
    let values: Vec<String> = (0..rows).map(|r| format!("({})", placeholders(r * per_row + 1, per_row))).collect();
    format!(
        "INSERT INTO {} (external_id, {}, batch_id, created_at, updated_at) VALUES {} ON CONFLICT (external_id) DO NOTHING",
        spec.table,
        cols.join(", "),
        values.join(", ")
    )
}

/// Used by single-record writes outside imports.
pub(crate) async fn insert_one(store: &Store, entity: Entity, key: Option<String>, values: &[SqlValue]) -> Result<i64> {
    let spec = table::spec(entity);
    let sql = format!("{} RETURNING id", insert_sql(spec, 1));
    let now = Utc::now();
    let row: Option<(i64,)> = on_pool!(store, p => {
        let mut q = sqlx::query_as(&sql).bind(key.clone());
        for v in values {
            q = value::bind_value!(q, v);
        }
        q.bind(None::<i64>).bind(now).bind(now).fetch_optional(p).await
    })
    .map_err(StoreError::db("inserting a row"))?;
    row.map(|r| r.0).ok_or_else(|| {
        StoreError::conflict("duplicate_external_id", format!("a {} with id `{}` already exists", entity.name(), key.unwrap_or_default()))
    })
}

//! Inserting new rows: a prepared statement on the raw handle for SQLite, array-bound
//! `UNNEST` for PostgreSQL (`COPY` while keys are deferred: copy_stream.rs); rows whose key exists come back
//! for the update path.

use super::*;

impl ImportSession {
    /// PostgreSQL: the chunk is inserted by one `INSERT … SELECT FROM UNNEST(…) ON CONFLICT
    /// DO NOTHING` with each column bound as an array; the keys it returns are the rows it
    /// inserted, and every other row (its key exists, or came earlier in the chunk) goes back
    /// for the update path. One unique-index search per row, no separate lookup first. (With
    /// the key index deferred, chunks go in by `COPY` instead: `copy_stream.rs`.)
    pub(super) async fn insert_new_postgres(&mut self, pending: Vec<Pending>, out: &mut ChunkOutcome) -> Result<Vec<Pending>> {
        let spec = self.spec;
        let (batch_id, now) = (self.batch_id, self.now);
        let Tx::Postgres(t) = &mut self.tx else { return Ok(pending) };
        if pending.is_empty() {
            return Ok(pending);
        }
        let cols: Vec<&str> = spec.cols.iter().map(|(c, _)| *c).collect();
        let arrays: Vec<String> =
            spec.cols.iter().enumerate().map(|(i, (_, k))| format!("${}::{}[]", i + 2, crate::value::pg_type(*k))).collect();
        let n = cols.len();
        let sql = format!(
            "INSERT INTO {} (external_id, {}, batch_id, created_at, updated_at) SELECT u.*, ${}::bigint, ${}::timestamptz, ${}::timestamptz \
             FROM UNNEST($1::text[], {}) AS u ON CONFLICT (external_id) DO NOTHING RETURNING external_id",
            spec.table,
            cols.join(", "),
            n + 2,
            n + 3,
            n + 3,
            arrays.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(pending.iter().map(|p| p.key.clone()).collect::<Vec<Option<String>>>());
        for (i, (_, kind)) in spec.cols.iter().enumerate() {
            q = crate::value::bind_pg_column(q, *kind, pending.iter().map(|p| &p.values[i]));
        }
        let returned = q.bind(batch_id).bind(now).fetch_all(&mut **t).await.map_err(StoreError::db("inserting imported rows"))?;
        // Rows without a key are always inserted; of rows sharing a key, the first was.
        let mut inserted: HashSet<String> =
            returned.iter().filter_map(|r| sqlx::Row::try_get::<Option<String>, _>(r, 0).ok().flatten()).collect();
        let mut old = Vec::new();
        for p in pending {
            match &p.key {
                None => out.inserted += 1,
                Some(k) if inserted.remove(k) => out.inserted += 1,
                Some(_) => old.push(p),
            }
        }
        if self.entity == Entity::Customers {
            self.by_external = None;
            self.by_canonical = None;
        }
        Ok(old)
    }

    /// SQLite: one prepared single-row `INSERT … ON CONFLICT DO NOTHING` on the raw handle,
    /// re-used per row; a row that changed nothing has a key that already exists.
    pub(super) async fn insert_new_sqlite(&mut self, pending: Vec<Pending>, out: &mut ChunkOutcome) -> Result<Vec<Pending>> {
        let Tx::Sqlite(t) = &mut self.tx else { return Ok(pending) };
        let sql = crate::dialect(crate::BackendKind::Sqlite, &insert_sql(self.spec, 1, self.deferred_keys.is_none())).into_owned();
        let mut handle = t.lock_handle().await.map_err(StoreError::db("locking the SQLite connection"))?;
        let fail = crate::sqlite_bulk::raw_error("inserting imported rows");
        let mut stmt = crate::sqlite_bulk::RawStatement::prepare(handle.as_raw_handle(), &sql).map_err(fail)?;
        let n = self.spec.cols.len() as i32;
        // The time every row shares, rendered once as binding it would render it per row.
        let now = SqlValue::Text(Some(crate::value::time_text(self.now)));
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
    pub(super) async fn insert_new(&mut self, pending: Vec<Pending>, out: &mut ChunkOutcome) -> Result<Vec<Pending>> {
        match self.tx {
            Tx::Sqlite(_) => self.insert_new_sqlite(pending, out).await,
            Tx::Postgres(_) => self.insert_new_postgres(pending, out).await,
        }
    }
}

/// `checked`: skip rows whose key exists (else the table's key index is deferred).
fn insert_sql(spec: &TableSpec, rows: usize, checked: bool) -> String {
    let cols: Vec<&str> = spec.cols.iter().map(|(c, _)| *c).collect();
    let per_row = cols.len() + 4;
    let values: Vec<String> = (0..rows).map(|r| format!("({})", placeholders(r * per_row + 1, per_row))).collect();
    format!(
        "INSERT INTO {} (external_id, {}, batch_id, created_at, updated_at) VALUES {}{}",
        spec.table,
        cols.join(", "),
        values.join(", "),
        if checked { " ON CONFLICT (external_id) DO NOTHING" } else { "" }
    )
}

/// Used by single-record writes outside imports: inserts the row and notes the customer it
/// belongs to (itself, for a customer) in the change feed, in one transaction.
pub(crate) async fn insert_one(store: &Store, entity: Entity, key: Option<String>, values: &[SqlValue]) -> Result<i64> {
    let spec = table::spec(entity);
    let sql = format!("{} RETURNING id", insert_sql(spec, 1, true));
    let now = Utc::now();
    let owner = spec.cols.iter().position(|(c, _)| *c == "customer_id").and_then(|i| match values.get(i) {
        Some(SqlValue::Int(id)) => *id,
        _ => None,
    });
    let row: Option<(i64,)> = on_pool!(store, p => {
        let mut tx = p.begin().await.map_err(StoreError::db("starting an insert"))?;
        let mut q = sqlx::query_as(&sql).bind(key.clone());
        for v in values {
            q = value::bind_value!(q, v);
        }
        let row: Option<(i64,)> = q.bind(None::<i64>).bind(now).bind(now).fetch_optional(&mut *tx).await.map_err(StoreError::db("inserting a row"))?;
        if let Some((id,)) = row {
            let customer = if entity == Entity::Customers { Some(id) } else { owner };
            crate::data_changes::note_changes!(&mut *tx, store.kind(), &[(crate::data_changes::ChangeKind::Customer, customer)]);
        }
        tx.commit().await.map_err(StoreError::db("committing an insert"))?;
        row
    });
    row.map(|r| r.0).ok_or_else(|| {
        let key = key.unwrap_or_default();
        StoreError::conflict("duplicate_external_id", format!("a {} with id `{key}` already exists", entity.name()))
            .zh(format!("编号为 `{key}` 的{}已存在", entity.label_zh()))
    })
}

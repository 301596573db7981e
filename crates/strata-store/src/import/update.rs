//! Rows whose key already exists: read them, merge the file's columns in, and update the ones
//! that changed, keeping a before-image for undo.

use super::*;

impl ImportSession {
    /// New values for columns the file supplies, existing ones elsewhere; custom fields merge.
    pub(super) fn merge(&self, existing: &[SqlValue], new: Vec<SqlValue>) -> Vec<SqlValue> {
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

    pub(super) async fn fetch_existing_by_key(&mut self, rows: &[Pending]) -> Result<HashMap<String, ExistingRow>> {
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

    pub(super) async fn fetch_existing_by_id(&mut self, ids: &[i64]) -> Result<HashMap<i64, ExistingRow>> {
        let mut out = HashMap::new();
        for part in ids.chunks(500) {
            let sql = format!("{} WHERE id IN ({})", select_sql(self.spec), placeholders(1, part.len()));
            for e in self.fetch_existing(&sql, part.iter().map(|i| SqlValue::Int(Some(*i))).collect()).await? {
                out.insert(e.id, e);
            }
        }
        Ok(out)
    }

    pub(super) async fn fetch_existing(&mut self, sql: &str, params: Vec<SqlValue>) -> Result<Vec<ExistingRow>> {
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

    pub(super) async fn update_row(&mut self, e: &ExistingRow, values: Vec<SqlValue>) -> Result<()> {
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
}

pub(crate) fn select_sql(spec: &TableSpec) -> String {
    let cols: Vec<&str> = spec.cols.iter().map(|(c, _)| *c).collect();
    format!("SELECT id, external_id, batch_id, {} FROM {}", cols.join(", "), spec.table)
}

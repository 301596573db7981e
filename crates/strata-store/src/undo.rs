//! Import batches: the record of every import, and undoing one exactly (rows it inserted are
//! deleted, rows it updated get their before-images back), refusing when later work depends on it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use strata_core::import::Entity;

use crate::{
    data_changes::{note_changes, ChangeKind, MAX_LISTED_CUSTOMERS},
    on_pool, table, value, BeginWrite, Result, Store, StoreError,
};

/// A recorded import.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Batch {
    pub id: i64,
    pub entity: String,
    pub file_name: String,
    pub file_sha256: String,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub rows_total: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub status: String,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by: Option<String>,
}

/// What an undo did.
#[derive(Debug, Clone, Serialize)]
pub struct UndoOutcome {
    pub batch_id: i64,
    pub deleted: u64,
    pub restored: u64,
}

const CHILD_TABLES: [&str; 7] = ["contacts", "orders", "payments", "interactions", "deals", "tickets", "feedback"];

impl Store {
    /// Every import, newest first.
    pub async fn list_batches(&self, limit: i64) -> Result<Vec<Batch>> {
        on_pool!(self, p => sqlx::query_as("SELECT * FROM import_batches ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(p).await)
            .map_err(StoreError::db("listing import batches"))
    }

    pub async fn get_batch(&self, id: i64) -> Result<Batch> {
        let b: Option<Batch> =
            on_pool!(self, p => sqlx::query_as("SELECT * FROM import_batches WHERE id = $1").bind(id).fetch_optional(p).await)
                .map_err(StoreError::db("reading an import batch"))?;
        b.ok_or(StoreError::NotFound { what: "import batch", id: id.to_string() })
    }

    /// Undoes import batch `id` in one transaction. Refused, changing nothing, when the batch is
    /// already undone, when a later batch changed rows it wrote, or when other rows now belong
    /// to customers it created.
    pub async fn undo_batch(&self, id: i64, actor: &str) -> Result<UndoOutcome> {
        let batch = self.get_batch(id).await?;
        if batch.status == "undone" {
            return Err(StoreError::conflict(
                "batch_already_undone",
                format!("import batch {id} was already undone at {}", batch.undone_at.map(|t| t.to_rfc3339()).unwrap_or_default()),
            )
            .zh(format!("导入批次 {id} 已于 {} 撤销过", batch.undone_at.map(|t| t.to_rfc3339()).unwrap_or_default())));
        }
        let entity = Entity::parse(&batch.entity)
            .ok_or_else(|| StoreError::invalid("unknown_entity", format!("batch {id} has unknown entity {}", batch.entity)))?;
        let spec = table::spec(entity);
        let tbl = spec.table;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await.map_err(StoreError::db("starting an undo"))?;
            let later: Option<i64> = sqlx::query_scalar(
                "SELECT c.batch_id FROM import_changes c JOIN import_batches b ON b.id = c.batch_id \
                 WHERE c.prior_batch_id = $1 AND b.status = 'committed' ORDER BY c.batch_id DESC LIMIT 1")
                .bind(id).fetch_optional(&mut *tx).await.map_err(StoreError::db("checking later batches"))?;
            if let Some(later) = later {
                return Err(StoreError::conflict("batch_superseded", format!("import batch {later} changed rows that batch {id} wrote; undo batch {later} first"))
                    .zh(format!("导入批次 {later} 修改过批次 {id} 写入的行；请先撤销批次 {later}")));
            }
            let inserted_filter = format!("batch_id = $1 AND id NOT IN (SELECT row_id FROM import_changes WHERE batch_id = $1 AND table_name = '{tbl}')");
            if entity == Entity::Customers {
                for child in CHILD_TABLES {
                    let sql = format!(
                        "SELECT t.batch_id, COUNT(*) FROM {child} t WHERE t.customer_id IN (SELECT id FROM customers WHERE {inserted_filter}) \
                         AND (t.batch_id IS NULL OR t.batch_id <> $1) GROUP BY t.batch_id ORDER BY COUNT(*) DESC LIMIT 1");
                    let dep: Option<(Option<i64>, i64)> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *tx).await.map_err(StoreError::db("checking dependent rows"))?;
                    if let Some((by, n)) = dep {
                        let how = by.map_or("were added outside imports; delete them first".to_string(), |b| format!("come from import batch {b}; undo it first"));
                        let how_zh = by.map_or("不是通过导入添加的；请先删除它们".to_string(), |b| format!("来自导入批次 {b}；请先撤销该批次"));
                        let child_zh = Entity::parse(child).map_or(child, Entity::label_zh);
                        return Err(StoreError::conflict("batch_has_dependents", format!("{n} {child} belong to customers that batch {id} created and {how}"))
                            .zh(format!("批次 {id} 新建的客户名下有 {n} 条{child_zh}，它们{how_zh}")));
                    }
                }
            }
            // The customers whose data this undo changes, noted in the feed: the batch's rows
            // now, and (below) the rows restored from before-images.
            let owner = if entity == Entity::Customers { "id" } else { "customer_id" };
            let many = batch.inserted + batch.updated > MAX_LISTED_CUSTOMERS as i64;
            if many {
                note_changes!(&mut *tx, self.kind(), &[(ChangeKind::Reload, None)]);
            } else {
                let sql = format!("INSERT INTO data_changes (kind, customer_id, at) SELECT DISTINCT 'customer', {owner}, $1 FROM {tbl} WHERE batch_id = $2");
                sqlx::query(&sql).bind(Utc::now()).bind(id).execute(&mut *tx).await.map_err(StoreError::db("noting undone customers"))?;
            }
            let deleted = sqlx::query(&format!("DELETE FROM {tbl} WHERE {inserted_filter}")).bind(id).execute(&mut *tx).await
                .map_err(StoreError::db("deleting imported rows"))?.rows_affected();
            let changes: Vec<(i64, Option<i64>, sqlx::types::Json<serde_json::Value>)> =
                sqlx::query_as("SELECT row_id, prior_batch_id, before FROM import_changes WHERE batch_id = $1 AND table_name = $2")
                .bind(id).bind(tbl).fetch_all(&mut *tx).await.map_err(StoreError::db("reading before-images"))?;
            let n = spec.cols.len();
            let sets: Vec<String> = spec.cols.iter().enumerate().map(|(i, (c, _))| format!("{c} = ${}", i + 1)).collect();
            let sql = format!("UPDATE {tbl} SET {}, batch_id = ${}, updated_at = ${} WHERE id = ${} AND batch_id = ${}", sets.join(", "), n + 1, n + 2, n + 3, n + 4);
            let mut restored = 0;
            for (row_id, prior, before) in &changes {
                let values = table::from_image(spec, &before.0);
                let mut q = sqlx::query(&sql);
                for v in &values {
                    q = value::bind_value!(q, v);
                }
                restored += q.bind(*prior).bind(Utc::now()).bind(*row_id).bind(id).execute(&mut *tx).await
                    .map_err(StoreError::db("restoring a before-image"))?.rows_affected();
            }
            if !many && !changes.is_empty() {
                let sql = format!("INSERT INTO data_changes (kind, customer_id, at) SELECT DISTINCT 'customer', {owner}, $1 FROM {tbl} \
                                   WHERE id IN (SELECT row_id FROM import_changes WHERE batch_id = $2 AND table_name = '{tbl}')");
                sqlx::query(&sql).bind(Utc::now()).bind(id).execute(&mut *tx).await.map_err(StoreError::db("noting restored customers"))?;
            }
            sqlx::query("UPDATE import_batches SET status = 'undone', undone_at = $1, undone_by = $2 WHERE id = $3")
                .bind(Utc::now()).bind(actor).bind(id).execute(&mut *tx).await.map_err(StoreError::db("marking a batch undone"))?;
            tx.commit().await.map_err(StoreError::db("committing an undo"))?;
            Ok(UndoOutcome { batch_id: id, deleted, restored })
        })
    }
}

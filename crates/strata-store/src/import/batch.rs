//! An import's batches: the batch record written when one starts, its counts and change-feed
//! entries when it finishes, and the commit or rollback of the transaction holding them.

use chrono::{DateTime, Utc};
use strata_core::import::Entity;

use super::{on_tx, ImportSession, Tx};
use crate::{
    data_changes::{note_changes, MAX_LISTED_CUSTOMERS},
    undo::Batch,
    Result, StoreError,
};

/// Records a new batch (counts filled in when it finishes) inside `tx`; returns its id.
pub(crate) async fn record_batch(tx: &mut Tx, entity: Entity, file_name: &str, actor: &str, now: DateTime<Utc>) -> Result<i64> {
    let sql = "INSERT INTO import_batches (entity, file_name, file_sha256, actor, started_at, finished_at, rows_total, inserted, updated, unchanged, rejected, status) \
               VALUES ($1, $2, '', $3, $4, $4, 0, 0, 0, 0, 0, 'committed') RETURNING id";
    on_tx!(tx, t => sqlx::query_scalar(sql).bind(entity.name()).bind(file_name).bind(actor).bind(now).fetch_one(&mut **t).await)
        .map_err(StoreError::db("recording an import batch"))
}

impl ImportSession {
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
}

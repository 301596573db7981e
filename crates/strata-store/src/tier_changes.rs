//! Tier changes found by a live engine, written compare-and-set: each applies only if the
//! stored tier is still its `from`, so several servers re-evaluating the same customer record
//! a change once. Written in a transaction of its own, or inside an open import so that new
//! events and the tier changes they cause commit together. SQLite takes the raw-handle path of
//! tier_changes_sqlite.rs; PostgreSQL the statements below.

use std::collections::HashSet;

use chrono::Utc;

use crate::{
    dialect,
    import::{on_tx, ImportSession},
    on_pool, placeholders,
    tiers::{model_id, write_history, ROWS_PER_STATEMENT},
    Result, Store, StoreError, TierWrite,
};

/// Applies `$changes` of model `$model_id` inside the caller's transaction and evaluates to
/// the changes applied (moves where the stored tier is still `from`, new tiers where none is
/// stored and the customer exists, lost tiers where the stored one is still `from`), with
/// their history rows appended.
macro_rules! compare_and_set {
    ($tx:expr, $backend:expr, $model_id:expr, $version:expr, $changes:expr, $reason:expr, $now:expr) => {{
        let changes: &[TierWrite] = $changes;
        let mut applied: Vec<TierWrite> = Vec::new();
        // Moves: UPDATE … FROM (VALUES …) where the stored tier is still `from`.
        let moves: Vec<&TierWrite> = changes.iter().filter(|c| c.from.is_some() && c.to.is_some()).collect();
        for chunk in moves.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(3 + i * 3, 3))).collect();
            let m = 3 + chunk.len() * 3;
            let sql = format!(
                "UPDATE customer_tiers SET tier = v.column3, version = $1, since = $2 FROM (VALUES {}) AS v \
                 WHERE customer_tiers.customer_id = v.column1 AND customer_tiers.tier = v.column2 AND customer_tiers.model_id = ${m} RETURNING customer_id",
                rows.join(", ")
            );
            let sql = dialect($backend, &sql);
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind($version).bind($now);
            for c in chunk {
                q = q.bind(c.customer_id).bind(c.from.clone()).bind(c.to.clone());
            }
            let done: HashSet<i64> = q.bind($model_id).fetch_all($tx).await.map_err(StoreError::db("moving current tiers"))?.into_iter().collect();
            applied.extend(chunk.iter().filter(|c| done.contains(&c.customer_id)).map(|c| (*c).clone()));
        }
        // New tiers: INSERT where none is stored (and the customer still exists).
        let news: Vec<&TierWrite> = changes.iter().filter(|c| c.from.is_none() && c.to.is_some()).collect();
        for chunk in news.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(4 + i * 2, 2))).collect();
            let sql = format!(
                "INSERT INTO customer_tiers (customer_id, model_id, tier, version, since) SELECT v.column1, $1, v.column2, $2, $3 \
                 FROM (VALUES {}) AS v WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = v.column1) \
                 ON CONFLICT (model_id, customer_id) DO NOTHING RETURNING customer_id",
                rows.join(", ")
            );
            let sql = dialect($backend, &sql);
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind($model_id).bind($version).bind($now);
            for c in chunk {
                q = q.bind(c.customer_id).bind(c.to.clone());
            }
            let done: HashSet<i64> = q.fetch_all($tx).await.map_err(StoreError::db("writing current tiers"))?.into_iter().collect();
            applied.extend(chunk.iter().filter(|c| done.contains(&c.customer_id)).map(|c| (*c).clone()));
        }
        // Lost tiers: DELETE where the stored tier is still `from`.
        let lost: Vec<&TierWrite> = changes.iter().filter(|c| c.from.is_some() && c.to.is_none()).collect();
        for chunk in lost.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(2 + i * 2, 2))).collect();
            let sql = format!("DELETE FROM customer_tiers WHERE model_id = $1 AND (customer_id, tier) IN (VALUES {}) RETURNING customer_id", rows.join(", "));
            let sql = dialect($backend, &sql);
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind($model_id);
            for c in chunk {
                q = q.bind(c.customer_id).bind(c.from.clone());
            }
            let done: HashSet<i64> = q.fetch_all($tx).await.map_err(StoreError::db("clearing current tiers"))?.into_iter().collect();
            applied.extend(chunk.iter().filter(|c| done.contains(&c.customer_id)).map(|c| (*c).clone()));
        }
        write_history!($tx, $backend, $model_id, $version, &applied, $reason, $now);
        applied
    }};
}

impl Store {
    /// Writes tier changes found by one of possibly several servers following the same data,
    /// compare-and-set, in one transaction. Returns the changes applied; customers deleted
    /// meanwhile are skipped.
    pub async fn apply_tier_changes(&self, key: &str, version: i64, changes: &[TierWrite], reason: &str) -> Result<Vec<TierWrite>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        if let crate::Backend::Sqlite(p) = &self.backend {
            let mut tx = p.begin().await.map_err(StoreError::db("starting tier changes"))?;
            let mut handle = tx.lock_handle().await.map_err(StoreError::db("locking the SQLite connection"))?;
            let one = [ModelTierWrites { key, version, changes }];
            let applied = crate::tier_changes_sqlite::apply(handle.as_raw_handle(), &one, reason, now)?.pop().unwrap_or_default();
            drop(handle);
            tx.commit().await.map_err(StoreError::db("committing tier changes"))?;
            return Ok(applied);
        }
        let model_id = self.model_id(key).await?;
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting tier changes"))?;
            let applied = compare_and_set!(&mut *tx, self.kind(), model_id, version, changes, reason, now);
            tx.commit().await.map_err(StoreError::db("committing tier changes"))?;
            Ok(applied)
        })
    }
}

/// One model's tier changes, as [`ImportSession::apply_tier_changes`] takes them.
#[derive(Debug, Clone, Copy)]
pub struct ModelTierWrites<'a> {
    pub key: &'a str,
    pub version: i64,
    pub changes: &'a [TierWrite],
}

impl ImportSession {
    /// [`Store::apply_tier_changes`] for several models inside this import's transaction: the
    /// changes commit (or roll back) with the rows that caused them. Returns the changes applied,
    /// per model in the order given. On SQLite the changes are written in customer order across
    /// models (a customer's tiers share a page).
    pub async fn apply_tier_changes(&mut self, models: &[ModelTierWrites<'_>], reason: &str) -> Result<Vec<Vec<TierWrite>>> {
        if models.iter().all(|m| m.changes.is_empty()) {
            return Ok(models.iter().map(|_| Vec::new()).collect());
        }
        let now = Utc::now();
        let backend = self.backend_kind();
        if let crate::import::Tx::Sqlite(t) = self.tx_mut() {
            let mut handle = t.lock_handle().await.map_err(StoreError::db("locking the SQLite connection"))?;
            return crate::tier_changes_sqlite::apply(handle.as_raw_handle(), models, reason, now);
        }
        let mut out = Vec::with_capacity(models.len());
        for m in models {
            if m.changes.is_empty() {
                out.push(Vec::new());
                continue;
            }
            let applied = on_tx!(self.tx_mut(), t => {
                let model_id = model_id!(&mut **t, m.key)?;
                Ok::<_, StoreError>(compare_and_set!(&mut **t, backend, model_id, m.version, m.changes, reason, now))
            })?;
            out.push(applied);
        }
        Ok(out)
    }
}

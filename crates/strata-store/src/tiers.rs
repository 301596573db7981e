//! Tier models and tiers: model versions (draft → preview → published → retired) with their
//! cut points, each customer's current tier per model, and the append-only history of changes.

use chrono::{DateTime, Utc};

use crate::{
    data_changes::{note_changes, ChangeKind},
    dialect, on_pool, placeholders, BeginWrite, Result, Store, StoreError,
};

/// The id of model `$key` read through `$exec` (a pool or an open transaction), as a
/// `Result`: not found when no model has that key.
macro_rules! model_id {
    ($exec:expr, $key:expr) => {{
        let key: &str = $key;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM tier_models WHERE key = $1")
            .bind(key)
            .fetch_optional($exec)
            .await
            .map_err(StoreError::db("finding a model"))?;
        id.ok_or_else(|| StoreError::NotFound { what: "tier model", id: key.to_string() })
    }};
}
pub(crate) use model_id;

/// One stored version of a tier model.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ModelVersion {
    pub key: String,
    pub name: String,
    pub kind: String,
    pub version: i64,
    /// draft, preview, published or retired.
    pub status: String,
    /// The model file (TOML).
    pub spec: String,
    /// Cut points in force (JSON), for published versions.
    pub calibration: Option<String>,
    /// The last preview's result (JSON).
    pub preview: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A customer's tier in one model moving (None = no tier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierWrite {
    pub customer_id: i64,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A customer's current tier in one model.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct CustomerTier {
    pub model: String,
    pub model_name: String,
    pub tier: String,
    pub version: i64,
    pub since: DateTime<Utc>,
}

/// One recorded tier change.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct TierHistoryEntry {
    pub id: i64,
    pub customer_id: i64,
    pub model: String,
    pub version: i64,
    pub from_tier: Option<String>,
    pub to_tier: Option<String>,
    pub at: DateTime<Utc>,
    /// publish, event, sweep, refresh or merge.
    pub reason: String,
}

const VERSION_COLUMNS: &str =
    "m.key, m.name, m.kind, v.version, v.status, v.spec, v.calibration, v.preview, v.created_by, v.created_at, v.published_at";
pub(crate) const ROWS_PER_STATEMENT: usize = 400;

impl Store {
    /// Stores a new version of model `key` (created on first save) with `status` draft or
    /// preview; returns its version number.
    pub async fn save_model_version(&self, key: &str, name: &str, kind: &str, spec: &str, status: &str, actor: &str) -> Result<i64> {
        let now = Utc::now();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await.map_err(StoreError::db("starting a model save"))?;
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM tier_models WHERE key = $1").bind(key).fetch_optional(&mut *tx).await
                .map_err(StoreError::db("finding a model"))?;
            let model_id = match existing {
                Some(id) => {
                    sqlx::query("UPDATE tier_models SET name = $1, kind = $2 WHERE id = $3").bind(name).bind(kind).bind(id).execute(&mut *tx).await
                        .map_err(StoreError::db("renaming a model"))?;
                    id
                }
                None => sqlx::query_scalar("INSERT INTO tier_models (key, name, kind, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(key).bind(name).bind(kind).bind(now).fetch_one(&mut *tx).await.map_err(StoreError::db("creating a model"))?,
            };
            let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM tier_model_versions WHERE model_id = $1")
                .bind(model_id).fetch_one(&mut *tx).await.map_err(StoreError::db("numbering a model version"))?;
            sqlx::query("INSERT INTO tier_model_versions (model_id, version, status, spec, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(model_id).bind(version).bind(status).bind(spec).bind(actor).bind(now).execute(&mut *tx).await
                .map_err(StoreError::db("saving a model version"))?;
            tx.commit().await.map_err(StoreError::db("committing a model save"))?;
            Ok(version)
        })
    }

    /// Records a preview's result on a version.
    pub async fn set_model_preview(&self, key: &str, version: i64, preview: &str) -> Result<()> {
        let sql = "UPDATE tier_model_versions SET preview = $1, status = CASE WHEN status = 'draft' THEN 'preview' ELSE status END \
                   WHERE version = $2 AND model_id = (SELECT id FROM tier_models WHERE key = $3)";
        let n = on_pool!(self, p => sqlx::query(sql).bind(preview).bind(version).bind(key).execute(p).await.map(|r| r.rows_affected()))
            .map_err(StoreError::db("saving a preview"))?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "model version", id: format!("{key} v{version}") });
        }
        Ok(())
    }

    /// Every version of model `key`, newest first.
    pub async fn model_versions(&self, key: &str) -> Result<Vec<ModelVersion>> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM tier_model_versions v JOIN tier_models m ON m.id = v.model_id WHERE m.key = $1 ORDER BY v.version DESC");
        on_pool!(self, p => sqlx::query_as(&sql).bind(key).fetch_all(p).await).map_err(StoreError::db("listing model versions"))
    }

    /// The latest version of every model (published or not), by key.
    pub async fn latest_model_versions(&self) -> Result<Vec<ModelVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM tier_model_versions v JOIN tier_models m ON m.id = v.model_id \
             WHERE v.version = (SELECT MAX(version) FROM tier_model_versions WHERE model_id = m.id) ORDER BY m.key"
        );
        on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await).map_err(StoreError::db("listing models"))
    }

    /// The published version of every model: the active catalog.
    pub async fn published_models(&self) -> Result<Vec<ModelVersion>> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM tier_model_versions v JOIN tier_models m ON m.id = v.model_id WHERE v.status = 'published' ORDER BY m.id");
        on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await).map_err(StoreError::db("listing published models"))
    }

    /// Publishes `version` of `key` with its cut points, retiring the version in force, and
    /// writes the tier changes of the full re-evaluation: all in one transaction.
    pub async fn publish_model(&self, key: &str, version: i64, calibration: &str, changes: &[TierWrite]) -> Result<()> {
        let now = Utc::now();
        let model_id = self.model_id(key).await?;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await.map_err(StoreError::db("starting a publish"))?;
            let status: Option<String> = sqlx::query_scalar("SELECT status FROM tier_model_versions WHERE model_id = $1 AND version = $2")
                .bind(model_id).bind(version).fetch_optional(&mut *tx).await.map_err(StoreError::db("reading a version"))?;
            match status.as_deref() {
                None => return Err(StoreError::NotFound { what: "model version", id: format!("{key} v{version}") }),
                Some("published") => {
                    return Err(StoreError::conflict("already_published", format!("{key} v{version} is already published"))
                        .zh(format!("{key} v{version} 已经发布")))
                }
                Some("retired") => {
                    return Err(StoreError::conflict("version_retired", format!("{key} v{version} was retired; save it again as a new version"))
                        .zh(format!("{key} v{version} 已停用；请另存为新版本")))
                }
                Some(_) => {}
            }
            sqlx::query("UPDATE tier_model_versions SET status = 'retired' WHERE model_id = $1 AND status = 'published'")
                .bind(model_id).execute(&mut *tx).await.map_err(StoreError::db("retiring a version"))?;
            sqlx::query("UPDATE tier_model_versions SET status = 'published', calibration = $1, published_at = $2 WHERE model_id = $3 AND version = $4")
                .bind(calibration).bind(now).bind(model_id).bind(version).execute(&mut *tx).await.map_err(StoreError::db("publishing a version"))?;
            sqlx::query("UPDATE customer_tiers SET version = $1 WHERE model_id = $2").bind(version).bind(model_id).execute(&mut *tx).await
                .map_err(StoreError::db("moving tiers to the new version"))?;
            write_changes!(&mut *tx, self.kind(), model_id, version, changes, "publish", now);
            note_changes!(&mut *tx, self.kind(), &[(ChangeKind::Models, None)]);
            tx.commit().await.map_err(StoreError::db("committing a publish"))?;
            Ok(())
        })
    }

    /// Replaces the cut points in force of the published version of `key` (a scheduled refresh).
    pub async fn set_model_calibration(&self, key: &str, calibration: &str) -> Result<()> {
        let sql = "UPDATE tier_model_versions SET calibration = $1 WHERE status = 'published' AND model_id = (SELECT id FROM tier_models WHERE key = $2)";
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting a cut-point refresh"))?;
            sqlx::query(sql).bind(calibration).bind(key).execute(&mut *tx).await.map_err(StoreError::db("saving cut points"))?;
            note_changes!(&mut *tx, self.kind(), &[(ChangeKind::Models, None)]);
            tx.commit().await.map_err(StoreError::db("committing a cut-point refresh"))?;
        });
        Ok(())
    }

    /// Writes tier changes of the published version of `key` with their reason (event, sweep,
    /// refresh) in one transaction.
    pub async fn record_tier_changes(&self, key: &str, version: i64, changes: &[TierWrite], reason: &str) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let model_id = self.model_id(key).await?;
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting tier changes"))?;
            write_changes!(&mut *tx, self.kind(), model_id, version, changes, reason, now);
            tx.commit().await.map_err(StoreError::db("committing tier changes"))?;
            Ok(())
        })
    }

    pub(crate) async fn model_id(&self, key: &str) -> Result<i64> {
        on_pool!(self, p => model_id!(p, key))
    }

    /// Current tier of every customer in model `key` (customers without one are absent).
    pub async fn current_tiers(&self, key: &str) -> Result<Vec<(i64, String)>> {
        let sql = "SELECT t.customer_id, t.tier FROM customer_tiers t JOIN tier_models m ON m.id = t.model_id WHERE m.key = $1 ORDER BY t.customer_id";
        on_pool!(self, p => sqlx::query_as(sql).bind(key).fetch_all(p).await).map_err(StoreError::db("reading current tiers"))
    }

    /// Current tiers in model `key` of the given customers (those without one are absent).
    pub async fn tiers_of(&self, key: &str, customer_ids: &[i64]) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::new();
        for chunk in customer_ids.chunks(500) {
            let sql = format!(
                "SELECT t.customer_id, t.tier FROM customer_tiers t JOIN tier_models m ON m.id = t.model_id WHERE m.key = $1 AND t.customer_id IN ({})",
                placeholders(2, chunk.len())
            );
            let sql = dialect(self.kind(), &sql);
            let rows: Vec<(i64, String)> = on_pool!(self, p => {
                let mut q = sqlx::query_as(&sql).bind(key);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await
            })
            .map_err(StoreError::db("reading current tiers"))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Customers per tier in model `key`.
    pub async fn tier_counts(&self, key: &str) -> Result<Vec<(String, i64)>> {
        let sql = "SELECT t.tier, COUNT(*) FROM customer_tiers t JOIN tier_models m ON m.id = t.model_id WHERE m.key = $1 GROUP BY t.tier ORDER BY t.tier";
        on_pool!(self, p => sqlx::query_as(sql).bind(key).fetch_all(p).await).map_err(StoreError::db("counting tiers"))
    }

    /// A customer's tier in every model, with the version and since when.
    pub async fn customer_tiers(&self, customer_id: i64) -> Result<Vec<CustomerTier>> {
        let sql = "SELECT m.key AS model, m.name AS model_name, t.tier, t.version, t.since FROM customer_tiers t \
                   JOIN tier_models m ON m.id = t.model_id WHERE t.customer_id = $1 ORDER BY m.id";
        on_pool!(self, p => sqlx::query_as(sql).bind(customer_id).fetch_all(p).await).map_err(StoreError::db("reading a customer's tiers"))
    }

    /// A customer's tier changes, oldest first.
    pub async fn tier_history(&self, customer_id: i64) -> Result<Vec<TierHistoryEntry>> {
        let sql = "SELECT h.id, h.customer_id, m.key AS model, h.version, h.from_tier, h.to_tier, h.at, h.reason FROM tier_history h \
                   JOIN tier_models m ON m.id = h.model_id WHERE h.customer_id = $1 ORDER BY h.id";
        on_pool!(self, p => sqlx::query_as(sql).bind(customer_id).fetch_all(p).await).map_err(StoreError::db("reading tier history"))
    }

    /// Tier changes after history id `after` (the feed automation reads), at most `limit`.
    pub async fn tier_changes_since(&self, after: i64, limit: i64) -> Result<Vec<TierHistoryEntry>> {
        let sql = "SELECT h.id, h.customer_id, m.key AS model, h.version, h.from_tier, h.to_tier, h.at, h.reason FROM tier_history h \
                   JOIN tier_models m ON m.id = h.model_id WHERE h.id > $1 ORDER BY h.id LIMIT $2";
        on_pool!(self, p => sqlx::query_as(sql).bind(after).bind(limit).fetch_all(p).await).map_err(StoreError::db("reading tier changes"))
    }
}

/// Upserts current tiers, deletes lost ones and appends history, a few hundred rows per
/// statement, inside the caller's transaction.
macro_rules! write_changes {
    ($tx:expr, $backend:expr, $model_id:expr, $version:expr, $changes:expr, $reason:expr, $now:expr) => {{
        for chunk in $changes.chunks(ROWS_PER_STATEMENT) {
            let set: Vec<&TierWrite> = chunk.iter().filter(|c| c.to.is_some()).collect();
            if !set.is_empty() {
                let rows: Vec<String> = (0..set.len()).map(|i| format!("({})", placeholders(i * 5 + 1, 5))).collect();
                let sql = format!(
                    "INSERT INTO customer_tiers (customer_id, model_id, tier, version, since) VALUES {} \
                     ON CONFLICT (model_id, customer_id) DO UPDATE SET tier = excluded.tier, version = excluded.version, since = excluded.since",
                    rows.join(", ")
                );
                let sql = dialect($backend, &sql);
                let mut q = sqlx::query(&sql);
                for c in &set {
                    q = q.bind(c.customer_id).bind($model_id).bind(c.to.clone()).bind($version).bind($now);
                }
                q.execute($tx).await.map_err(StoreError::db("writing current tiers"))?;
            }
            let cleared: Vec<i64> = chunk.iter().filter(|c| c.to.is_none()).map(|c| c.customer_id).collect();
            if !cleared.is_empty() {
                let sql = format!("DELETE FROM customer_tiers WHERE model_id = $1 AND customer_id IN ({})", placeholders(2, cleared.len()));
                let sql = dialect($backend, &sql);
                let mut q = sqlx::query(&sql).bind($model_id);
                for id in &cleared {
                    q = q.bind(*id);
                }
                q.execute($tx).await.map_err(StoreError::db("clearing tiers"))?;
            }
            write_history!($tx, $backend, $model_id, $version, chunk, $reason, $now);
        }
    }};
}
use write_changes;

/// Appends tier history rows inside the caller's transaction.
macro_rules! write_history {
    ($tx:expr, $backend:expr, $model_id:expr, $version:expr, $changes:expr, $reason:expr, $now:expr) => {{
        for chunk in $changes.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(i * 7 + 1, 7))).collect();
            let sql = format!(
                "INSERT INTO tier_history (customer_id, model_id, version, from_tier, to_tier, at, reason) VALUES {}",
                rows.join(", ")
            );
            let sql = dialect($backend, &sql);
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q.bind(c.customer_id).bind($model_id).bind($version).bind(c.from.clone()).bind(c.to.clone()).bind($now).bind($reason);
            }
            q.execute($tx).await.map_err(StoreError::db("appending tier history"))?;
        }
    }};
}
pub(crate) use write_history;

//! Merging duplicate customers in one transaction (child rows re-pointed and recorded, absorbed
//! customers kept as images) and undoing a merge exactly.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use strata_core::{customer::CustomerInput, import::Record};

use crate::{
    data_changes::{note_changes, ChangeKind},
    on_pool, placeholders,
    table::{self, Resolved, CUSTOMERS},
    value::{self, ColKind, SqlValue},
    BeginWrite, Result, Store, StoreError,
};

/// Tables whose rows follow their customer into a merge (and back on undo).
pub(crate) const MOVED_TABLES: [&str; 9] =
    ["contacts", "orders", "payments", "interactions", "deals", "tickets", "feedback", "tier_history", "merged_external_ids"];

/// What a merge writes: the survivor's new master data and who is absorbed.
#[derive(Debug, Clone)]
pub struct MergeWrite<'a> {
    pub survivor: i64,
    pub absorbed: &'a [i64],
    /// The survivor's new master data; owner and team as resolved ids below.
    pub input: &'a CustomerInput,
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
    /// The field decisions, kept with the merge for review.
    pub decisions: Value,
    /// Every customer's `updated_at` when the merge was planned: one changed since is refused.
    pub seen: &'a [(i64, DateTime<Utc>)],
}

/// A recorded merge.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Merge {
    pub id: i64,
    pub survivor_id: i64,
    #[sqlx(json)]
    pub absorbed_ids: Vec<i64>,
    pub actor: String,
    pub merged_at: DateTime<Utc>,
    /// Child rows re-pointed to the survivor.
    pub moved: i64,
    #[sqlx(json)]
    pub decisions: Value,
    /// merged or undone.
    pub status: String,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by: Option<String>,
}

/// What an undo did.
#[derive(Debug, Clone, Serialize)]
pub struct MergeUndo {
    pub merge_id: i64,
    pub restored_customers: usize,
    pub moved_back: u64,
}

const MERGE_COLUMNS: &str = "id, survivor_id, absorbed_ids, actor, merged_at, moved, decisions, status, undone_at, undone_by";

/// Every stored column of a customer, for exact images.
pub(crate) fn full_columns() -> Vec<(&'static str, ColKind)> {
    let mut cols = vec![("id", ColKind::Int), ("external_id", ColKind::Text)];
    cols.extend(CUSTOMERS.cols.iter().copied());
    cols.extend([("batch_id", ColKind::Int), ("created_at", ColKind::Time), ("updated_at", ColKind::Time)]);
    cols
}

pub(crate) fn image_of(cols: &[(&str, ColKind)], values: &[SqlValue]) -> Value {
    Value::Object(cols.iter().zip(values).map(|((c, _), v)| (c.to_string(), v.to_json())).collect())
}

/// The columns where two images differ (for the survivor changed since the merge).
pub(crate) fn differing(cols: &[(&str, ColKind)], a: &Value, b: &Value) -> Vec<String> {
    cols.iter()
        .filter(|(c, k)| {
            let (x, y) = (a.get(*c).unwrap_or(&Value::Null), b.get(*c).unwrap_or(&Value::Null));
            SqlValue::from_json(*k, x) != SqlValue::from_json(*k, y)
        })
        .map(|(c, _)| c.to_string())
        .collect()
}

/// Reads full customer rows as images, by id.
macro_rules! read_images {
    ($tx:expr, $cols:expr, $ids:expr) => {{
        let cols: &[(&str, $crate::value::ColKind)] = $cols;
        let ids: &[i64] = $ids;
        let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
        let sql = format!("SELECT {} FROM customers WHERE id IN ({}) ORDER BY id", names.join(", "), placeholders(1, ids.len()));
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&mut *$tx).await.map_err(StoreError::db("reading customers to merge"))?;
        let mut images: Vec<(i64, Value)> = Vec::new();
        for r in &rows {
            let mut values = Vec::with_capacity(cols.len());
            for (i, (_, k)) in cols.iter().enumerate() {
                values.push(value::read(r, i, *k).map_err(StoreError::db("decoding a customer"))?);
            }
            let id = match values.first() {
                Some(SqlValue::Int(Some(id))) => *id,
                _ => 0,
            };
            images.push((id, $crate::merge::image_of(cols, &values)));
        }
        images
    }};
}

impl Store {
    /// Order revenue (cents, cancelled and refunded orders left out) of each customer, in the
    /// order of `ids`.
    pub async fn customer_revenue(&self, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT customer_id, CAST(SUM(amount_cents) AS BIGINT) FROM orders WHERE customer_id IN ({}) \
             AND status NOT IN ('cancelled', 'refunded') GROUP BY customer_id",
            placeholders(1, ids.len())
        );
        let rows: Vec<(i64, i64)> = on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p).await
        })
        .map_err(StoreError::db("summing revenue"))?;
        Ok(ids.iter().map(|id| rows.iter().find(|(c, _)| c == id).map_or(0, |(_, s)| *s)).collect())
    }

    /// Merges `absorbed` into `survivor` in one transaction: every child row and tier-history
    /// entry re-pointed (and recorded), absorbed customers deleted (their rows and current tiers
    /// kept as images), their external ids kept as aliases of the survivor, the survivor
    /// rewritten from `input`. Refused, changing nothing, when a customer is missing or changed
    /// since the merge was planned.
    pub async fn merge_customers(&self, m: &MergeWrite<'_>, actor: &str) -> Result<Merge> {
        strata_core::dedupe::survivorship::check_ids(m.survivor, m.absorbed).map_err(|e| StoreError::invalid(e.code(), e.to_string()))?;
        let cols = full_columns();
        let mut all = vec![m.survivor];
        all.extend_from_slice(m.absorbed);
        let resolved = Resolved { customer_id: None, user_id: m.owner_id, team_id: m.team_id };
        let (key, values) = table::row_of(&Record::Customer(m.input.clone()), resolved);
        let absorbed_list = placeholders(1, m.absorbed.len());
        let id = on_pool!(self, p => {
            let mut tx = p.begin_write().await.map_err(StoreError::db("starting a merge"))?;
            let images = read_images!(tx, &cols, &all);
            for id in &all {
                let Some((_, img)) = images.iter().find(|(i, _)| i == id) else {
                    return Err(StoreError::NotFound { what: "customer", id: id.to_string() });
                };
                let now = SqlValue::from_json(ColKind::Time, img.get("updated_at").unwrap_or(&Value::Null));
                if let Some((_, seen)) = m.seen.iter().find(|(i, _)| i == id) {
                    if now != SqlValue::Time(Some(*seen)) {
                        return Err(StoreError::conflict("customer_changed", format!("customer {id} changed while the merge was being prepared; review the merge again"))
                            .zh(format!("准备合并期间客户 {id} 被修改了；请重新查看合并方案")));
                    }
                }
            }
            let survivor_before = images.iter().find(|(i, _)| *i == m.survivor).map(|(_, v)| v.clone()).unwrap_or(Value::Null);
            let absorbed_rows: Vec<Value> = images.iter().filter(|(i, _)| *i != m.survivor).map(|(_, v)| v.clone()).collect();
            let tiers_sql = format!("SELECT customer_id, model_id, tier, version, since FROM customer_tiers WHERE customer_id IN ({absorbed_list})");
            let mut q = sqlx::query_as(&tiers_sql);
            for id in m.absorbed {
                q = q.bind(*id);
            }
            let tiers: Vec<(i64, i64, String, i64, DateTime<Utc>)> = q.fetch_all(&mut *tx).await.map_err(StoreError::db("reading absorbed tiers"))?;
            let tiers: Vec<Value> = tiers.iter().map(|(c, mid, t, v, s)| serde_json::json!({"customer_id": c, "model_id": mid, "tier": t, "version": v, "since": s.to_rfc3339()})).collect();
            let now = Utc::now();
            let (merge_id,): (i64,) = sqlx::query_as(
                "INSERT INTO merges (survivor_id, absorbed_ids, actor, merged_at, survivor_before, survivor_after, absorbed_rows, absorbed_tiers, decisions, moved, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 'merged') RETURNING id")
                .bind(m.survivor).bind(Json(m.absorbed)).bind(actor).bind(now).bind(Json(&survivor_before)).bind(Json(Value::Null))
                .bind(Json(&absorbed_rows)).bind(Json(&tiers)).bind(Json(&m.decisions))
                .fetch_one(&mut *tx).await.map_err(StoreError::db("recording a merge"))?;
            let mut moved: i64 = 0;
            for t in MOVED_TABLES {
                let record = format!("INSERT INTO merge_moves (merge_id, table_name, row_id, from_customer) \
                                      SELECT $1, '{t}', id, customer_id FROM {t} WHERE customer_id IN ({})", placeholders(2, m.absorbed.len()));
                let mut q = sqlx::query(&record).bind(merge_id);
                for id in m.absorbed {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await.map_err(StoreError::db("recording moved rows"))?;
                let repoint = format!("UPDATE {t} SET customer_id = $1 WHERE customer_id IN ({})", placeholders(2, m.absorbed.len()));
                let mut q = sqlx::query(&repoint).bind(m.survivor);
                for id in m.absorbed {
                    q = q.bind(*id);
                }
                let n = q.execute(&mut *tx).await.map_err(StoreError::db("re-pointing rows"))?.rows_affected();
                if t != "merged_external_ids" {
                    moved += n as i64;
                }
            }
            let aliases = format!("INSERT INTO merged_external_ids (external_id, customer_id, merge_id) \
                                   SELECT external_id, $1, $2 FROM customers WHERE id IN ({}) AND external_id IS NOT NULL \
                                   AND external_id <> COALESCE($3, '') ON CONFLICT (external_id) DO NOTHING", placeholders(4, m.absorbed.len()));
            let mut q = sqlx::query(&aliases).bind(m.survivor).bind(merge_id).bind(key.clone());
            for id in m.absorbed {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await.map_err(StoreError::db("keeping absorbed external ids"))?;
            let drop_tiers = format!("DELETE FROM customer_tiers WHERE customer_id IN ({absorbed_list})");
            let mut q = sqlx::query(&drop_tiers);
            for id in m.absorbed {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await.map_err(StoreError::db("dropping absorbed tiers"))?;
            let drop_customers = format!("DELETE FROM customers WHERE id IN ({absorbed_list})");
            let mut q = sqlx::query(&drop_customers);
            for id in m.absorbed {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await.map_err(StoreError::db("removing absorbed customers"))?;
            let n = CUSTOMERS.cols.len();
            let sets: Vec<String> = CUSTOMERS.cols.iter().enumerate().map(|(i, (c, _))| format!("{c} = ${}", i + 1)).collect();
            let update = format!("UPDATE customers SET {}, external_id = ${}, batch_id = NULL, updated_at = ${} WHERE id = ${}", sets.join(", "), n + 1, n + 2, n + 3);
            let mut q = sqlx::query(&update);
            for v in &values {
                q = value::bind_value!(q, v);
            }
            q.bind(key.clone()).bind(now).bind(m.survivor).execute(&mut *tx).await.map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::conflict("duplicate_external_id", format!("another customer has external id `{}`", key.clone().unwrap_or_default()))
                    .zh(format!("另一个客户已使用客户编号 `{}`", key.clone().unwrap_or_default())),
                _ => StoreError::db("rewriting the surviving customer")(e),
            })?;
            let after = read_images!(tx, &cols, &[m.survivor]);
            let after = after.into_iter().next().map(|(_, v)| v).unwrap_or(Value::Null);
            sqlx::query("UPDATE merges SET survivor_after = $1, moved = $2 WHERE id = $3").bind(Json(&after)).bind(moved).bind(merge_id)
                .execute(&mut *tx).await.map_err(StoreError::db("recording a merge"))?;
            let entries: Vec<(ChangeKind, Option<i64>)> = all.iter().map(|id| (ChangeKind::Customer, Some(*id))).collect();
            note_changes!(&mut *tx, self.kind(), &entries);
            tx.commit().await.map_err(StoreError::db("committing a merge"))?;
            merge_id
        });
        self.get_merge(id).await
    }

    pub async fn get_merge(&self, id: i64) -> Result<Merge> {
        let sql = format!("SELECT {MERGE_COLUMNS} FROM merges WHERE id = $1");
        let m: Option<Merge> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await).map_err(StoreError::db("reading a merge"))?;
        m.ok_or(StoreError::NotFound { what: "merge", id: id.to_string() })
    }

    /// Merges, newest first; only those touching `customer` (as survivor or absorbed) when given.
    pub async fn list_merges(&self, customer: Option<i64>, limit: i64) -> Result<Vec<Merge>> {
        let sql = format!("SELECT {MERGE_COLUMNS} FROM merges ORDER BY id DESC");
        let all: Vec<Merge> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await).map_err(StoreError::db("listing merges"))?;
        Ok(all
            .into_iter()
            .filter(|m| customer.is_none_or(|c| m.survivor_id == c || m.absorbed_ids.contains(&c)))
            .take(limit.max(0) as usize)
            .collect())
    }
}
pub(crate) use read_images;

//! Bulk edits of customers from the list: a new owner (and their team), a tag added or
//! removed, for many customers in one transaction, each noted in the change feed so the engine
//! re-reads their attributes. Returns what each customer held before, for the audit trail.

use chrono::Utc;
use serde::Serialize;

use crate::{
    data_changes::{note_changes, ChangeKind},
    on_pool, placeholders, BeginWrite, Result, Store, StoreError,
};

/// Most customers one bulk edit may change.
pub const MAX_BULK: usize = 10_000;

/// What to change.
#[derive(Debug, Clone, Default)]
pub struct BulkEdit {
    /// New owner: (user id, their team id); the customer's team follows the owner's.
    pub owner: Option<(i64, Option<i64>)>,
    pub add_tag: Option<String>,
    pub remove_tag: Option<String>,
}

/// One customer before the edit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BulkBefore {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
    pub tags: Vec<String>,
}

impl Store {
    /// Applies `edit` to every customer in `ids` (all of which must exist) in one transaction.
    pub async fn bulk_edit_customers(&self, ids: &[i64], edit: &BulkEdit) -> Result<Vec<BulkBefore>> {
        if ids.is_empty() {
            return Err(StoreError::invalid("bulk_needs_customers", "choose at least one customer").zh("请至少选择一个客户"));
        }
        if ids.len() > MAX_BULK {
            return Err(StoreError::invalid(
                "bulk_too_large",
                format!("{} customers chosen; one bulk edit changes at most {MAX_BULK}: narrow the filter", ids.len()),
            )
            .zh(format!("选中了 {} 个客户；一次批量修改最多 {MAX_BULK} 个：请缩小筛选范围", ids.len())));
        }
        if edit.owner.is_none() && edit.add_tag.is_none() && edit.remove_tag.is_none() {
            return Err(StoreError::invalid("bulk_needs_change", "say what to change: an owner, a tag to add or a tag to remove")
                .zh("请说明要修改什么：负责人、要添加的标签或要移除的标签"));
        }
        let now = Utc::now();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await.map_err(StoreError::db("starting a bulk edit"))?;
            let mut before: Vec<BulkBefore> = Vec::with_capacity(ids.len());
            for part in ids.chunks(500) {
                let sql = format!("SELECT id, owner_id, team_id, tags FROM customers WHERE id IN ({}) ORDER BY id", placeholders(1, part.len()));
                let mut q = sqlx::query_as::<_, (i64, Option<i64>, Option<i64>, sqlx::types::Json<Vec<String>>)>(&sql);
                for id in part {
                    q = q.bind(*id);
                }
                let rows = q.fetch_all(&mut *tx).await.map_err(StoreError::db("reading customers to edit"))?;
                before.extend(rows.into_iter().map(|(id, owner_id, team_id, tags)| BulkBefore { id, owner_id, team_id, tags: tags.0 }));
            }
            let found: std::collections::HashSet<i64> = before.iter().map(|b| b.id).collect();
            if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
                return Err(StoreError::NotFound { what: "customer", id: missing.to_string() });
            }
            for b in &before {
                let mut tags = b.tags.clone();
                if let Some(t) = &edit.add_tag {
                    if !tags.contains(t) {
                        tags.push(t.clone());
                    }
                }
                if let Some(t) = &edit.remove_tag {
                    tags.retain(|x| x != t);
                }
                let (owner_id, team_id) = edit.owner.map_or((b.owner_id, b.team_id), |(o, t)| (Some(o), t));
                sqlx::query("UPDATE customers SET owner_id = $1, team_id = $2, tags = $3, batch_id = NULL, updated_at = $4 WHERE id = $5")
                    .bind(owner_id)
                    .bind(team_id)
                    .bind(sqlx::types::Json(&tags))
                    .bind(now)
                    .bind(b.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("editing a customer"))?;
            }
            let changes: Vec<(ChangeKind, Option<i64>)> = ids.iter().map(|id| (ChangeKind::Customer, Some(*id))).collect();
            note_changes!(&mut *tx, self.kind(), &changes);
            tx.commit().await.map_err(StoreError::db("committing a bulk edit"))?;
            Ok(before)
        })
    }
}

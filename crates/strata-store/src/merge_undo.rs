//! Undoing a merge exactly: absorbed customers back under their own ids with their own rows,
//! tiers and history, every re-pointed row returned, the survivor's earlier master data restored.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::{
    data_changes::{note_changes, ChangeKind},
    merge::{differing, full_columns, read_images, MergeUndo, MOVED_TABLES},
    on_pool, placeholders,
    value::{self, SqlValue},
    BeginWrite, Result, Store, StoreError,
};

type Images = (Json<Value>, Json<Value>, Json<Vec<Value>>, Json<Vec<Value>>);

impl Store {
    /// Undoes merge `id` in one transaction. Refused, changing nothing, when it was already
    /// undone, when the survivor is gone (deleted, or absorbed by a later merge), when the
    /// survivor's master data changed since (unless `force`: those changes are then lost), or
    /// when another customer now holds an absorbed customer's external id.
    pub async fn undo_merge(&self, id: i64, actor: &str, force: bool) -> Result<MergeUndo> {
        let merge = self.get_merge(id).await?;
        if merge.status == "undone" {
            let when = merge.undone_at.map(|t| t.to_rfc3339()).unwrap_or_default();
            let who = merge.undone_by.clone().unwrap_or_default();
            return Err(StoreError::conflict("merge_already_undone", format!("merge {id} was already undone at {when} by {who}"))
                .zh(format!("合并 {id} 已于 {when} 由 {who} 撤销过")));
        }
        let later = self.list_merges(Some(merge.survivor_id), i64::MAX).await?;
        if let Some(l) = later.iter().find(|l| l.id > id && l.status == "merged" && l.absorbed_ids.contains(&merge.survivor_id)) {
            return Err(StoreError::conflict(
                "merge_survivor_merged",
                format!(
                    "customer {} was merged into customer {} by merge {}; undo merge {} first",
                    merge.survivor_id, l.survivor_id, l.id, l.id
                ),
            )
            .zh(format!("客户 {} 已在合并 {} 中并入客户 {}；请先撤销合并 {}", merge.survivor_id, l.id, l.survivor_id, l.id)));
        }
        let cols = full_columns();
        let survivor = merge.survivor_id;
        let absorbed = merge.absorbed_ids.clone();
        let moved_back = on_pool!(self, p => {
            let mut tx = p.begin_write().await.map_err(StoreError::db("starting a merge undo"))?;
            let (before, after, rows, tiers): Images = sqlx::query_as("SELECT survivor_before, survivor_after, absorbed_rows, absorbed_tiers FROM merges WHERE id = $1")
                .bind(id).fetch_one(&mut *tx).await.map_err(StoreError::db("reading a merge"))?;
            let current = read_images!(tx, &cols, &[survivor]);
            let Some((_, current)) = current.into_iter().next() else {
                return Err(StoreError::conflict("merge_survivor_deleted", format!(
                    "customer {survivor}, who absorbed {} in merge {id}, was deleted; there is nothing to restore into", list(&absorbed)))
                    .zh(format!("在合并 {id} 中并入 {} 的客户 {survivor} 已被删除；无处可恢复", list(&absorbed))));
            };
            let mut changed = differing(&cols, &current, &after.0);
            changed.retain(|c| c != "updated_at" && c != "batch_id");
            if !changed.is_empty() && !force {
                return Err(StoreError::conflict("survivor_changed_since_merge", format!(
                    "customer {survivor} changed since merge {id} ({}); undoing would lose those changes: repeat with force to undo anyway", changed.join(", ")))
                    .zh(format!("客户 {survivor} 在合并 {id} 之后被修改过（{}）；撤销会丢失这些修改：如仍要撤销，请加 force 重试", changed.join("、"))));
            }
            let present = read_images!(tx, &cols, &absorbed);
            if let Some((taken, _)) = present.first() {
                return Err(StoreError::conflict("merged_customer_exists", format!("customer id {taken} is in use again; merge {id} cannot be undone"))
                    .zh(format!("客户编号 {taken} 已被重新使用；合并 {id} 无法撤销")));
            }
            let ext: Vec<String> = rows.0.iter().filter_map(|r| r.get("external_id").and_then(Value::as_str).map(str::to_string)).collect();
            if !ext.is_empty() {
                let sql = format!("SELECT id, external_id FROM customers WHERE id <> $1 AND external_id IN ({})", placeholders(2, ext.len()));
                let mut q = sqlx::query_as(&sql).bind(survivor);
                for e in &ext {
                    q = q.bind(e);
                }
                let holders: Vec<(i64, String)> = q.fetch_all(&mut *tx).await.map_err(StoreError::db("checking external ids"))?;
                if let Some((holder, e)) = holders.first() {
                    return Err(StoreError::conflict("external_id_taken", format!(
                        "customer {holder} now has external id `{e}`, which belonged to a customer merge {id} absorbed; change that customer's external id first"))
                        .zh(format!("客户 {holder} 现在使用客户编号 `{e}`，它原属于合并 {id} 并入的客户；请先修改该客户的编号")));
                }
            }
            // The survivor first (it may hold an absorbed customer's external id), then the
            // absorbed customers, then their rows.
            let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
            let sets: Vec<String> = cols.iter().skip(1).enumerate().map(|(i, (c, _))| format!("{c} = ${}", i + 1)).collect();
            let restore = format!("UPDATE customers SET {} WHERE id = ${}", sets.join(", "), cols.len());
            let values: Vec<SqlValue> = cols.iter().skip(1).map(|(c, k)| SqlValue::from_json(*k, before.0.get(*c).unwrap_or(&Value::Null))).collect();
            let mut q = sqlx::query(&restore);
            for v in &values {
                q = value::bind_value!(q, v);
            }
            q.bind(survivor).execute(&mut *tx).await.map_err(StoreError::db("restoring the survivor"))?;
            let insert = format!("INSERT INTO customers ({}) VALUES ({})", names.join(", "), placeholders(1, cols.len()));
            for row in &rows.0 {
                let values: Vec<SqlValue> = cols.iter().map(|(c, k)| SqlValue::from_json(*k, row.get(*c).unwrap_or(&Value::Null))).collect();
                let mut q = sqlx::query(&insert);
                for v in &values {
                    q = value::bind_value!(q, v);
                }
                q.execute(&mut *tx).await.map_err(StoreError::db("restoring an absorbed customer"))?;
            }
            sqlx::query("DELETE FROM merged_external_ids WHERE merge_id = $1").bind(id).execute(&mut *tx).await
                .map_err(StoreError::db("dropping merge aliases"))?;
            let mut moved_back = 0u64;
            for t in MOVED_TABLES {
                let sql = format!("UPDATE {t} SET customer_id = merge_moves.from_customer FROM merge_moves \
                                   WHERE merge_moves.merge_id = $1 AND merge_moves.table_name = '{t}' AND merge_moves.row_id = {t}.id AND {t}.customer_id = $2");
                let n = sqlx::query(&sql).bind(id).bind(survivor).execute(&mut *tx).await.map_err(StoreError::db("moving rows back"))?.rows_affected();
                if t != "merged_external_ids" {
                    moved_back += n;
                }
            }
            for t in &tiers.0 {
                let since = t.get("since").and_then(Value::as_str).and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.with_timezone(&Utc));
                sqlx::query("INSERT INTO customer_tiers (customer_id, model_id, tier, version, since) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                    .bind(t.get("customer_id").and_then(Value::as_i64)).bind(t.get("model_id").and_then(Value::as_i64))
                    .bind(t.get("tier").and_then(Value::as_str)).bind(t.get("version").and_then(Value::as_i64)).bind(since)
                    .execute(&mut *tx).await.map_err(StoreError::db("restoring absorbed tiers"))?;
            }
            let mut entries = vec![(ChangeKind::Customer, Some(survivor))];
            entries.extend(absorbed.iter().map(|a| (ChangeKind::Customer, Some(*a))));
            note_changes!(&mut *tx, self.kind(), &entries);
            sqlx::query("UPDATE merges SET status = 'undone', undone_at = $1, undone_by = $2 WHERE id = $3")
                .bind(Utc::now()).bind(actor).bind(id).execute(&mut *tx).await.map_err(StoreError::db("marking a merge undone"))?;
            tx.commit().await.map_err(StoreError::db("committing a merge undo"))?;
            moved_back
        });
        Ok(MergeUndo { merge_id: id, restored_customers: absorbed.len(), moved_back })
    }
}

fn list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

//! Reading customers' attributes (text attributes, owner and team names, since, tags, custom
//! fields) into the engine's attribute columns, in customer-index order.

use futures_util::TryStreamExt;
use sqlx::Row;
use strata_core::{
    custom_field::CustomFieldDef,
    engine::attributes::{custom_value, AttributeRow, Attributes},
    metrics::{day_of, CustomerIndex},
};

use crate::{on_pool, BackendKind, Result, Store, StoreError};

impl Store {
    /// Attribute columns for every customer of `index` (others are skipped).
    pub async fn customer_attributes(&self, index: &CustomerIndex, defs: &[CustomFieldDef]) -> Result<Attributes> {
        let since = if self.kind() == BackendKind::Postgres { "to_char(c.since, 'YYYY-MM-DD')" } else { "c.since" };
        let json = |c: &str| if self.kind() == BackendKind::Postgres { format!("CAST(c.{c} AS TEXT)") } else { format!("c.{c}") };
        let sql = format!(
            "SELECT c.id, c.kind, c.industry, c.province, c.city, c.source_channel, u.display_name, t.name, c.lifecycle_stage, {since}, {}, {} \
             FROM customers c LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN teams t ON t.id = c.team_id",
            json("tags"),
            json("custom")
        );
        let kinds: Vec<_> = defs.iter().map(|d| d.kind).collect();
        let mut attrs = Attributes::new(&kinds);
        let mut row = AttributeRow::default();
        on_pool!(self, p => {
            let mut rows = sqlx::query(&sql).fetch(p);
            while let Some(r) = rows.try_next().await.map_err(StoreError::db("reading customer attributes"))? {
                let id: i64 = r.try_get(0).map_err(StoreError::db("reading a customer id"))?;
                let Some(pos) = index.position(id) else { continue };
                for (i, slot) in row.text.iter_mut().enumerate() {
                    *slot = r.try_get::<Option<String>, _>(i + 1).ok().flatten();
                }
                row.since = r.try_get::<Option<String>, _>(9).ok().flatten().and_then(|s| s.parse().ok()).map(day_of);
                let tags: Option<String> = r.try_get(10).ok();
                row.tags = tags.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
                let custom: Option<String> = r.try_get(11).ok();
                let custom: serde_json::Map<String, serde_json::Value> = custom.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default();
                row.custom = defs.iter().map(|d| custom_value(d.kind, custom.get(&d.key))).collect();
                attrs.set(pos as usize, &row);
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(attrs)
    }
}

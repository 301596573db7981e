//! Reading customers' attributes (text attributes, owner and team names, since, tags, custom
//! fields) into the engine's attribute columns, in customer-index order.

use futures_util::TryStreamExt;
use sqlx::Row;
use strata_core::{
    custom_field::CustomFieldDef,
    engine::attributes::{custom_value, AttributeRow, Attributes},
    metrics::{day_of, CustomerIndex},
};

use crate::{dialect, on_pool, placeholders, BackendKind, Result, Store, StoreError};

/// The attribute query (a WHERE clause may follow).
fn attributes_sql(backend: BackendKind) -> String {
    let pg = backend == BackendKind::Postgres;
    let since = if pg { "to_char(c.since, 'YYYY-MM-DD')" } else { "c.since" };
    let json = |c: &str| if pg { format!("CAST(c.{c} AS TEXT)") } else { format!("c.{c}") };
    format!(
        "SELECT c.id, c.kind, c.industry, c.province, c.city, c.source_channel, u.display_name, t.name, c.lifecycle_stage, {since}, {}, {} \
         FROM customers c LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN teams t ON t.id = c.team_id",
        json("tags"),
        json("custom"),
    )
}

/// Decodes one attribute row (any backend's row type) into `$row`; yields the customer id.
macro_rules! decode_row {
    ($r:expr, $defs:expr, $row:expr) => {{
        let r = $r;
        let id: i64 = r.try_get(0).map_err(StoreError::db("reading a customer id"))?;
        for (i, slot) in $row.text.iter_mut().enumerate() {
            *slot = r.try_get::<Option<String>, _>(i + 1).ok().flatten();
        }
        $row.since = r.try_get::<Option<String>, _>(9).ok().flatten().and_then(|s| s.parse().ok()).map(day_of);
        let tags: Option<String> = r.try_get(10).ok();
        $row.tags = tags.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let custom: Option<String> = r.try_get(11).ok();
        let custom: serde_json::Map<String, serde_json::Value> = custom.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default();
        $row.custom = $defs.iter().map(|d| custom_value(d.kind, custom.get(&d.key))).collect();
        id
    }};
}

impl Store {
    /// Attribute columns for every customer of `index` (others are skipped).
    pub async fn customer_attributes(&self, index: &CustomerIndex, defs: &[CustomFieldDef]) -> Result<Attributes> {
        let sql = attributes_sql(self.kind());
        let kinds: Vec<_> = defs.iter().map(|d| d.kind).collect();
        let mut attrs = Attributes::new(&kinds);
        let mut row = AttributeRow::default();
        on_pool!(self, p => {
            let mut rows = sqlx::query(&sql).fetch(p);
            while let Some(r) = rows.try_next().await.map_err(StoreError::db("reading customer attributes"))? {
                let id = decode_row!(r, defs, row);
                let Some(pos) = index.position(id) else { continue };
                attrs.set(pos as usize, &row);
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(attrs)
    }

    /// One customer's attributes; None when the customer does not exist (any more).
    pub async fn customer_attribute_row(&self, id: i64, defs: &[CustomFieldDef]) -> Result<Option<AttributeRow>> {
        Ok(self.customer_attribute_rows(&[id], defs).await?.into_iter().next().map(|(_, r)| r))
    }

    /// The attributes of those of `ids` that exist (deleted customers are absent).
    pub async fn customer_attribute_rows(&self, ids: &[i64], defs: &[CustomFieldDef]) -> Result<Vec<(i64, AttributeRow)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!("{} WHERE c.id IN ({})", attributes_sql(self.kind()), placeholders(1, chunk.len()));
            let sql = dialect(self.kind(), &sql);
            on_pool!(self, p => {
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                for r in q.fetch_all(p).await.map_err(StoreError::db("reading customers' attributes"))? {
                    let mut row = AttributeRow::default();
                    let id = decode_row!(r, defs, row);
                    out.push((id, row));
                }
            });
        }
        Ok(out)
    }
}

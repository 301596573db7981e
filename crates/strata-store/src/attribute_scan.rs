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

/// Reads the columns of one attribute row, from whichever backend produced it.
trait Columns {
    fn id(&self) -> Option<i64>;
    fn text(&self, i: usize) -> Option<&str>;
}

impl<R: Row> Columns for R
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn id(&self) -> Option<i64> {
        self.try_get(0).ok()
    }

    fn text(&self, i: usize) -> Option<&str> {
        self.try_get::<Option<&str>, _>(i).ok().flatten()
    }
}

impl Columns for crate::sqlite_bulk::RawStatement {
    fn id(&self) -> Option<i64> {
        self.column_int(0)
    }

    fn text(&self, i: usize) -> Option<&str> {
        self.column_text(i as i32).and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// Decodes one attribute row into `row`; returns the customer id.
fn decode_row(r: &impl Columns, defs: &[CustomFieldDef], row: &mut AttributeRow) -> Result<i64> {
    let id =
        r.id().ok_or_else(|| StoreError::Database { context: "reading a customer id", source: sqlx::Error::Protocol("no id".into()) })?;
    for (i, slot) in row.text.iter_mut().enumerate() {
        *slot = r.text(i + 1).map(str::to_string);
    }
    row.since = r.text(9).and_then(|s| s.parse().ok()).map(day_of);
    // Most customers have no tags and no custom values: skip the JSON parser for those.
    row.tags = match r.text(10) {
        None | Some("[]") => Vec::new(),
        Some(t) => serde_json::from_str(t).unwrap_or_default(),
    };
    let custom: serde_json::Map<String, serde_json::Value> = match r.text(11) {
        None | Some("{}") => serde_json::Map::new(),
        Some(c) => serde_json::from_str(c).unwrap_or_default(),
    };
    row.custom = defs.iter().map(|d| custom_value(d.kind, custom.get(&d.key))).collect();
    Ok(id)
}

impl Store {
    /// Attribute columns for every customer of `index` (others are skipped).
    pub async fn customer_attributes(&self, index: &CustomerIndex, defs: &[CustomFieldDef]) -> Result<Attributes> {
        let sql = attributes_sql(self.kind());
        let kinds: Vec<_> = defs.iter().map(|d| d.kind).collect();
        let mut attrs = Attributes::new(&kinds);
        let mut row = AttributeRow::default();
        match &self.backend {
            // Stepped on the raw handle: a million rows without a hand-over between threads each.
            crate::Backend::Sqlite(pool) => {
                crate::sqlite_bulk::with_pooled_handle(pool, "reading customer attributes", |raw| {
                    let fail = crate::sqlite_bulk::raw_error("reading customer attributes");
                    let mut stmt = crate::sqlite_bulk::RawStatement::prepare(raw, &sql).map_err(fail)?;
                    while stmt.step().map_err(fail)? {
                        let id = decode_row(&stmt, defs, &mut row)?;
                        if let Some(pos) = index.position(id) {
                            attrs.set(pos as usize, &row);
                        }
                    }
                    Ok(())
                })
                .await?
            }
            crate::Backend::Postgres(pool) => {
                let mut rows = sqlx::query(&sql).fetch(pool);
                while let Some(r) = rows.try_next().await.map_err(StoreError::db("reading customer attributes"))? {
                    let id = decode_row(&r, defs, &mut row)?;
                    if let Some(pos) = index.position(id) {
                        attrs.set(pos as usize, &row);
                    }
                }
            }
        }
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
                    let id = decode_row(&r, defs, &mut row)?;
                    out.push((id, row));
                }
            });
        }
        Ok(out)
    }
}

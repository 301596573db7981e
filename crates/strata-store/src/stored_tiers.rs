//! Every customer's stored tier in one model, compactly, for an engine that compares its own
//! tiers with the store's (at start, at every sweep). On SQLite the model's range of
//! `customer_tiers` is stepped on a raw statement: a million rows cost a fraction of a second
//! instead of the seconds a row-by-row driver round trip takes.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use crate::{
    sqlite_bulk::{raw_error, with_pooled_handle, RawStatement},
    value::SqlValue,
    Backend, Result, Store, StoreError,
};

/// Stored current tiers of one model, compactly: see `Store::current_tier_indices`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredTiers {
    /// (customer id, index into the labels asked for), by customer id.
    pub known: Vec<(i64, u16)>,
    /// Customers whose stored tier is not among the labels.
    pub other: HashMap<i64, String>,
}

const SQL: &str = "SELECT t.customer_id, t.tier FROM customer_tiers t WHERE t.model_id = (SELECT id FROM tier_models WHERE key = $1) ORDER BY t.customer_id";
const CONTEXT: &str = "reading current tiers";

impl StoredTiers {
    fn add(&mut self, index: &HashMap<&[u8], u16>, id: i64, tier: &[u8]) {
        match index.get(tier) {
            Some(&i) => self.known.push((id, i)),
            None => {
                self.other.insert(id, String::from_utf8_lossy(tier).into_owned());
            }
        }
    }
}

impl Store {
    /// Current tiers of every customer in model `key` as indices into `labels` (sorted by
    /// customer id), 10 bytes a customer; tiers not among the labels (a tier the new version
    /// dropped) come back by name.
    pub async fn current_tier_indices(&self, key: &str, labels: &[String]) -> Result<StoredTiers> {
        let index: HashMap<&[u8], u16> =
            labels.iter().enumerate().map(|(i, l)| (l.as_bytes(), u16::try_from(i).unwrap_or(u16::MAX))).collect();
        let mut out = StoredTiers::default();
        match &self.backend {
            Backend::Sqlite(p) => {
                let sql = SQL.replace("$1", "?1");
                with_pooled_handle(p, CONTEXT, |db| {
                    let fail = raw_error(CONTEXT);
                    let mut stmt = RawStatement::prepare(db, &sql).map_err(fail)?;
                    stmt.bind(1, &SqlValue::text(key)).map_err(fail)?;
                    while stmt.step().map_err(fail)? {
                        if let (Some(id), Some(tier)) = (stmt.column_int(0), stmt.column_text(1)) {
                            out.add(&index, id, tier);
                        }
                    }
                    Ok(())
                })
                .await?;
            }
            Backend::Postgres(p) => {
                let mut rows = sqlx::query_as::<_, (i64, String)>(SQL).bind(key).fetch(p);
                while let Some((id, tier)) = rows.try_next().await.map_err(StoreError::db(CONTEXT))? {
                    out.add(&index, id, tier.as_bytes());
                }
            }
        }
        Ok(out)
    }
}

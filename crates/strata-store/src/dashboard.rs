//! Dashboard reads the engine cannot answer: tier moves since a time (from the tier history)
//! over the customers a filter selects (the caller's scope), the ids of those customers, and
//! their data completeness per owner.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    customer_filter::{filter_sql, CustomerFilter},
    on_pool,
    value::{self, SqlValue},
    Result, Store, StoreError,
};

/// Customers who moved from one tier to another.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TierMove {
    pub from_tier: Option<String>,
    pub to_tier: Option<String>,
    pub customers: i64,
}

/// How complete one owner's customers are.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OwnerCompletenessRow {
    /// None: customers without an owner.
    pub login: Option<String>,
    pub display_name: Option<String>,
    pub customers: i64,
    /// Mean completeness in percent.
    pub mean: f64,
    /// Customers below [`INCOMPLETE_BELOW`] percent.
    pub incomplete: i64,
}

/// A customer below this completeness (percent) counts as incomplete.
pub const INCOMPLETE_BELOW: i64 = 60;

/// The customers (with owner and team, as filters name them) joined to a table's rows.
fn customers_of(customer_id: &str) -> String {
    format!("JOIN customers c ON c.id = {customer_id} LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN teams tm ON tm.id = c.team_id")
}

/// `filter`'s WHERE clause with an extra condition, parameters numbered after `params`.
fn and(where_: &str, cond: &str) -> String {
    if where_.is_empty() {
        format!(" WHERE {cond}")
    } else {
        format!("{where_} AND {cond}")
    }
}

impl Store {
    /// Ids of the customers `filter` selects, in id order.
    pub async fn customer_ids_in(&self, filter: &CustomerFilter) -> Result<Vec<i64>> {
        let (where_, params) = filter_sql(filter, self.kind());
        let joins = if filter.owner.is_some() || filter.team.is_some() {
            " LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN teams tm ON tm.id = c.team_id"
        } else {
            ""
        };
        let sql = format!("SELECT c.id FROM customers c{joins}{where_} ORDER BY c.id");
        on_pool!(self, p => {
            let mut q = sqlx::query_scalar(&sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            q.fetch_all(p).await
        })
        .map_err(StoreError::db("selecting customers"))
    }

    /// Completeness per owner of the customers `filter` selects, least complete first.
    pub async fn completeness_by_owner(&self, filter: &CustomerFilter) -> Result<Vec<OwnerCompletenessRow>> {
        let (where_, params) = filter_sql(filter, self.kind());
        let sql = format!(
            "SELECT u.login, u.display_name, COUNT(*) AS customers, CAST(AVG(c.completeness) AS DOUBLE PRECISION) AS mean, \
             SUM(CASE WHEN c.completeness < {INCOMPLETE_BELOW} THEN 1 ELSE 0 END) AS incomplete \
             FROM customers c LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN teams tm ON tm.id = c.team_id{where_} \
             GROUP BY c.owner_id, u.login, u.display_name ORDER BY mean, u.login"
        );
        on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            q.fetch_all(p).await
        })
        .map_err(StoreError::db("measuring completeness per owner"))
    }

    /// Tier moves of `model` since `since` (first evaluations included, as from no tier).
    pub async fn tier_moves(&self, model: &str, filter: &CustomerFilter, since: DateTime<Utc>) -> Result<Vec<TierMove>> {
        let (where_, mut params) = filter_sql(filter, self.kind());
        // Without conditions on the customer the join only costs time.
        let joins = if where_.is_empty() { String::new() } else { customers_of("h.customer_id") };
        params.push(SqlValue::text(model));
        let m = params.len();
        params.push(SqlValue::Time(Some(since)));
        let s = params.len();
        let where_ = and(&where_, &format!("mt.key = ${m} AND h.at >= ${s}"));
        let sql = format!(
            "SELECT h.from_tier, h.to_tier, COUNT(DISTINCT h.customer_id) AS customers FROM tier_history h \
             JOIN tier_models mt ON mt.id = h.model_id {joins}{where_} \
             GROUP BY h.from_tier, h.to_tier ORDER BY customers DESC"
        );
        on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            q.fetch_all(p).await
        })
        .map_err(StoreError::db("counting tier moves"))
    }
}

//! Dashboard figures over the customers a filter selects (the caller's scope): customers and
//! revenue per tier of a model, tier moves since a time, and orders per month.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    customers::{filter_sql, CustomerFilter},
    on_pool,
    value::{self, SqlValue},
    Result, Store, StoreError,
};

/// One tier of a model: customers, and their order revenue in a window (cents).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TierFigures {
    pub tier: String,
    pub customers: i64,
    pub revenue_cents: i64,
}

/// Customers who moved from one tier to another.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TierMove {
    pub from_tier: Option<String>,
    pub to_tier: Option<String>,
    pub customers: i64,
}

/// Orders of one month (`YYYY-MM`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MonthFigures {
    pub month: String,
    pub orders: i64,
    pub revenue_cents: i64,
    pub customers: i64,
}

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
    /// Customers and order revenue since `revenue_from` (a `YYYY-MM-DD` day; cancelled and
    /// refunded orders left out) per tier of `model`, over the customers `filter` selects.
    pub async fn tier_figures(&self, model: &str, filter: &CustomerFilter, revenue_from: &str) -> Result<Vec<TierFigures>> {
        let (where_, mut params) = filter_sql(filter, self.kind());
        params.push(SqlValue::text(model));
        let m = params.len();
        params.push(SqlValue::text(revenue_from));
        let d = params.len();
        let where_ = and(&where_, &format!("mt.key = ${m}"));
        let sql = format!(
            "SELECT t.tier, COUNT(*) AS customers, CAST(COALESCE(SUM(r.revenue), 0) AS BIGINT) AS revenue_cents \
             FROM customer_tiers t JOIN tier_models mt ON mt.id = t.model_id {} \
             LEFT JOIN (SELECT customer_id, SUM(amount_cents) AS revenue FROM orders \
                        WHERE CAST(order_date AS TEXT) >= ${d} AND status NOT IN ('cancelled', 'refunded') GROUP BY customer_id) r \
                    ON r.customer_id = c.id{where_} GROUP BY t.tier ORDER BY revenue_cents DESC, t.tier",
            customers_of("t.customer_id")
        );
        on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            q.fetch_all(p).await
        })
        .map_err(StoreError::db("summing tiers"))
    }

    /// Tier moves of `model` since `since` (first evaluations included, as from no tier).
    pub async fn tier_moves(&self, model: &str, filter: &CustomerFilter, since: DateTime<Utc>) -> Result<Vec<TierMove>> {
        let (where_, mut params) = filter_sql(filter, self.kind());
        params.push(SqlValue::text(model));
        let m = params.len();
        params.push(SqlValue::Time(Some(since)));
        let s = params.len();
        let where_ = and(&where_, &format!("mt.key = ${m} AND h.at >= ${s}"));
        let sql = format!(
            "SELECT h.from_tier, h.to_tier, COUNT(DISTINCT h.customer_id) AS customers FROM tier_history h \
             JOIN tier_models mt ON mt.id = h.model_id {}{where_} \
             GROUP BY h.from_tier, h.to_tier ORDER BY customers DESC",
            customers_of("h.customer_id")
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

    /// Orders per month from `from_day` (`YYYY-MM-DD`), over the customers `filter` selects.
    pub async fn monthly_orders(&self, filter: &CustomerFilter, from_day: &str) -> Result<Vec<MonthFigures>> {
        let (where_, mut params) = filter_sql(filter, self.kind());
        params.push(SqlValue::text(from_day));
        let d = params.len();
        let where_ = and(&where_, &format!("CAST(o.order_date AS TEXT) >= ${d} AND o.status NOT IN ('cancelled', 'refunded')"));
        let sql = format!(
            "SELECT SUBSTR(CAST(o.order_date AS TEXT), 1, 7) AS month, COUNT(*) AS orders, \
             CAST(SUM(o.amount_cents) AS BIGINT) AS revenue_cents, COUNT(DISTINCT o.customer_id) AS customers \
             FROM orders o {}{where_} GROUP BY 1 ORDER BY 1",
            customers_of("o.customer_id")
        );
        on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            q.fetch_all(p).await
        })
        .map_err(StoreError::db("summing orders per month"))
    }

    /// Up to `limit` customers (id, name, owner login) whose tier in `model` is one of `tiers`.
    pub async fn customers_in_tiers(
        &self,
        model: &str,
        tiers: &[&str],
        filter: &CustomerFilter,
        limit: i64,
    ) -> Result<Vec<(i64, String, Option<String>, String)>> {
        if tiers.is_empty() {
            return Ok(Vec::new());
        }
        let (where_, mut params) = filter_sql(filter, self.kind());
        params.push(SqlValue::text(model));
        let m = params.len();
        let first = params.len() + 1;
        params.extend(tiers.iter().map(|t| SqlValue::text(*t)));
        let where_ = and(&where_, &format!("mt.key = ${m} AND t.tier IN ({})", crate::placeholders(first, tiers.len())));
        let sql = format!(
            "SELECT c.id, c.name, u.login, t.tier FROM customer_tiers t JOIN tier_models mt ON mt.id = t.model_id \
             {}{where_} ORDER BY t.since DESC, c.id LIMIT ${}",
            customers_of("t.customer_id"),
            params.len() + 1
        );
        on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            q.bind(limit).fetch_all(p).await
        })
        .map_err(StoreError::db("listing customers in tiers"))
    }
}

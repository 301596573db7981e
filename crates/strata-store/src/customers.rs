//! Customers: create, read, replace, delete, and filtered, sorted, paged lists.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::types::Json;
use strata_core::{
    custom_field::check_custom_values,
    customer::{Customer, CustomerInput, CustomerKind, LifecycleStage},
    import::{Entity, Record},
    label::Labelled,
};

use crate::{
    customer_filter::{filter_sql, CustomerFilter, CustomerSort},
    data_changes::{note_changes, ChangeKind},
    import::insert_one,
    on_pool, placeholders,
    table::{self, Resolved},
    value, Result, Store, StoreError,
};

/// One page of customers and the number matching the filter.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerPage {
    pub total: i64,
    pub items: Vec<Customer>,
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    external_id: Option<String>,
    kind: String,
    name: String,
    canonical_name: String,
    credit_code: Option<String>,
    industry: Option<String>,
    province: Option<String>,
    city: Option<String>,
    source_channel: Option<String>,
    owner_id: Option<i64>,
    owner: Option<String>,
    team_id: Option<i64>,
    team: Option<String>,
    lifecycle_stage: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    tags: Json<Vec<String>>,
    custom: Json<BTreeMap<String, serde_json::Value>>,
    since: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    has_contact: bool,
    completeness: i32,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Customer {
        Customer {
            id: r.id,
            external_id: r.external_id,
            kind: CustomerKind::parse_label(&r.kind).unwrap_or(CustomerKind::Company),
            name: r.name,
            canonical_name: r.canonical_name,
            credit_code: r.credit_code,
            industry: r.industry,
            province: r.province,
            city: r.city,
            source_channel: r.source_channel,
            owner_id: r.owner_id,
            owner: r.owner,
            team_id: r.team_id,
            team: r.team,
            lifecycle_stage: r.lifecycle_stage.and_then(|s| LifecycleStage::parse_label(&s).ok()),
            phone: r.phone,
            email: r.email,
            tags: r.tags.0,
            custom: r.custom.0,
            since: r.since,
            created_at: r.created_at,
            updated_at: r.updated_at,
            has_contact: r.has_contact,
            completeness: r.completeness.clamp(0, 100) as u8,
        }
    }
}

const SELECT: &str = "SELECT c.id, c.external_id, c.kind, c.name, c.canonical_name, c.credit_code, c.industry, c.province, c.city, \
    c.source_channel, c.owner_id, u.login AS owner, c.team_id, tm.name AS team, c.lifecycle_stage, c.phone, c.email, c.tags, c.custom, \
    c.since, c.created_at, c.updated_at, c.has_contact = TRUE AS has_contact, CAST(c.completeness AS INTEGER) AS completeness FROM customers c LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN teams tm ON tm.id = c.team_id";

impl Store {
    /// Resolves owner and team, validates custom values against their definitions.
    async fn prepare_customer(&self, input: &CustomerInput) -> Result<Resolved> {
        let defs = self.list_custom_fields().await?;
        let map: serde_json::Map<String, serde_json::Value> = input.custom.clone().into_iter().collect();
        check_custom_values(&defs, &map)?;
        if input.name.trim().is_empty() {
            return Err(StoreError::invalid("required", "a customer needs a name").zh("客户需要名称"));
        }
        let mut r = Resolved::default();
        if let Some(login) = &input.owner {
            let users = self.list_users().await?;
            r.user_id = Some(users.iter().find(|u| &u.login == login).map(|u| u.id).ok_or_else(|| {
                StoreError::invalid("unknown_user", format!("owner `{login}` is not a user")).zh(format!("负责人 `{login}` 不是用户"))
            })?);
        }
        if let Some(team) = &input.team {
            let teams = self.list_teams().await?;
            r.team_id =
                Some(teams.iter().find(|t| &t.name == team).map(|t| t.id).ok_or_else(|| {
                    StoreError::invalid("unknown_team", format!("`{team}` is not a team")).zh(format!("`{team}` 不是团队"))
                })?);
        }
        Ok(r)
    }

    /// Creates a customer from validated input.
    pub async fn create_customer(&self, input: &CustomerInput) -> Result<Customer> {
        let resolved = self.prepare_customer(input).await?;
        let (key, values) = table::row_of(&Record::Customer(input.clone()), resolved);
        let id = insert_one(self, Entity::Customers, key, &values).await?;
        self.get_customer(id).await
    }

    /// Replaces a customer's master data. The row leaves its import batch: undoing that import
    /// no longer touches it.
    pub async fn replace_customer(&self, id: i64, input: &CustomerInput) -> Result<Customer> {
        self.get_customer(id).await?;
        let resolved = self.prepare_customer(input).await?;
        let (key, values) = table::row_of(&Record::Customer(input.clone()), resolved);
        let spec = &table::CUSTOMERS;
        let n = spec.cols.len();
        let sets: Vec<String> = spec.cols.iter().enumerate().map(|(i, (c, _))| format!("{c} = ${}", i + 1)).collect();
        let sql = format!(
            "UPDATE customers SET {}, external_id = ${}, batch_id = NULL, updated_at = ${} WHERE id = ${}",
            sets.join(", "),
            n + 1,
            n + 2,
            n + 3
        );
        let unique = |e: sqlx::Error| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::conflict(
                "duplicate_external_id",
                format!("another customer has external id `{}`", key.clone().unwrap_or_default()),
            )
            .zh(format!("另一个客户已使用客户编号 `{}`", key.clone().unwrap_or_default())),
            _ => StoreError::db("updating a customer")(e),
        };
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting a customer update"))?;
            let mut q = sqlx::query(&sql);
            for v in &values {
                q = value::bind_value!(q, v);
            }
            q.bind(key.clone()).bind(Utc::now()).bind(id).execute(&mut *tx).await.map_err(unique)?;
            note_changes!(&mut *tx, self.kind(), &[(ChangeKind::Customer, Some(id))]);
            tx.commit().await.map_err(StoreError::db("committing a customer update"))?;
        });
        self.get_customer(id).await
    }

    pub async fn get_customer(&self, id: i64) -> Result<Customer> {
        let sql = format!("{SELECT} WHERE c.id = $1");
        let row: Option<CustomerRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await).map_err(StoreError::db("reading a customer"))?;
        row.map(Customer::from).ok_or(StoreError::NotFound { what: "customer", id: id.to_string() })
    }

    /// Deletes a customer that has no records; one with records is refused (nothing is lost).
    pub async fn delete_customer(&self, id: i64) -> Result<()> {
        self.get_customer(id).await?;
        let counts = self.customer_record_counts(id).await?;
        if let Some((t, n)) = counts.iter().find(|(_, n)| *n > 0) {
            let t_zh = Entity::parse(t).map_or(*t, Entity::label_zh);
            return Err(StoreError::conflict("customer_has_records", format!("customer {id} has {n} {t}; delete or move them first"))
                .zh(format!("客户 {id} 有 {n} 条{t_zh}；请先删除或转移它们")));
        }
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting a customer delete"))?;
            sqlx::query("DELETE FROM customers WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(StoreError::db("deleting a customer"))?;
            note_changes!(&mut *tx, self.kind(), &[(ChangeKind::Customer, Some(id))]);
            tx.commit().await.map_err(StoreError::db("committing a customer delete"))?;
        });
        Ok(())
    }

    /// How many rows of each event table belong to a customer.
    pub async fn customer_record_counts(&self, id: i64) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for e in Entity::ALL.into_iter().filter(|e| e.has_customer_ref()) {
            let sql = format!("SELECT COUNT(*) FROM {} WHERE customer_id = $1", e.name());
            let n: i64 =
                on_pool!(self, p => sqlx::query_scalar(&sql).bind(id).fetch_one(p).await).map_err(StoreError::db("counting records"))?;
            out.push((e.name(), n));
        }
        Ok(out)
    }

    /// A page of customers matching `filter`, in `sort` order.
    pub async fn list_customers(&self, filter: &CustomerFilter, sort: CustomerSort, offset: i64, limit: i64) -> Result<CustomerPage> {
        let (where_, params) = filter_sql(filter, self.kind());
        // The joins only matter when the filter names owner login or team (SQLite would read
        // every matching row through them: 10× slower counts).
        let joins = if filter.owner.is_some() || filter.team.is_some() {
            " LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN teams tm ON tm.id = c.team_id"
        } else {
            ""
        };
        let count_sql = format!("SELECT COUNT(*) FROM customers c{joins}{where_}");
        // The page's ids first, from the filter's and sort's index alone (a deep page skips
        // index entries instead of reading every skipped customer's row), then their rows.
        let order = sort.sql();
        let (limit_at, offset_at) = (params.len() + 1, params.len() + 2);
        let list_sql = format!(
            "{SELECT} WHERE c.id IN (SELECT c.id FROM customers c{joins}{where_} ORDER BY {order} LIMIT ${limit_at} OFFSET ${offset_at}) ORDER BY {order}"
        );
        // A count over a large base is the slow part of a page: kept while nothing changed.
        // Counts of a `where` filter's id list are not kept (their key would be the list).
        let seq = self.last_change_seq().await?;
        let key = filter.ids.is_none().then(|| format!("{count_sql}|{params:?}"));
        let kept = key.as_deref().and_then(|k| self.counts.get(k, seq));
        let started = std::time::Instant::now();
        let (total, rows): (i64, Vec<CustomerRow>) = on_pool!(self, p => {
            let total = match kept {
                Some(n) => n,
                None => {
                    let mut q = sqlx::query_scalar(&count_sql);
                    for v in &params {
                        q = value::bind_value!(q, v);
                    }
                    q.fetch_one(p).await.map_err(StoreError::db("counting customers"))?
                }
            };
            if let (None, Some(k)) = (kept, &key) {
                self.counts.keep(k.clone(), seq, total, started.elapsed());
            }
            let mut q = sqlx::query_as(&list_sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            let rows = q.bind(limit).bind(offset).fetch_all(p).await.map_err(StoreError::db("listing customers"))?;
            (total, rows)
        });
        Ok(CustomerPage { total, items: rows.into_iter().map(Customer::from).collect() })
    }

    /// Customers whose ids are given, in id order (missing ids are skipped).
    pub async fn customers_by_ids(&self, ids: &[i64]) -> Result<Vec<Customer>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("{SELECT} WHERE c.id IN ({}) ORDER BY c.id", placeholders(1, ids.len()));
        let rows: Vec<CustomerRow> = on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p).await
        })
        .map_err(StoreError::db("reading customers"))?;
        Ok(rows.into_iter().map(Customer::from).collect())
    }
}

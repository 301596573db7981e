//! The audit trail: one append-only row per write, import, merge, export, permission change,
//! login and reveal of a masked field (the database refuses updates and deletes of it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;

use crate::{on_pool, value::SqlValue, Result, Store, StoreError};

/// One entry to append.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry<'a> {
    /// Login of the user (or `cli:<name>` for the command line).
    pub actor: &'a str,
    /// e.g. `customer.create`, `import.commit`, `merge`, `login`, `login.failed`, `reveal`.
    pub action: &'a str,
    /// e.g. `customer:12`.
    pub object: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub detail: Option<Value>,
    pub address: Option<&'a str>,
}

/// A stored entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object: Option<String>,
    pub before: Option<Json<Value>>,
    pub after: Option<Json<Value>>,
    pub detail: Option<Json<Value>>,
    pub address: Option<String>,
}

/// Which entries to list (every set field must match), newest first.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// An action, or a prefix ending in `.` (`customer.`).
    pub action: Option<String>,
    pub object: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Entries older than this id (paging).
    pub before_id: Option<i64>,
}

/// Appends `$e` through the executor `$exec`: the pool, or an open transaction.
macro_rules! insert_audit {
    ($exec:expr, $e:expr) => {{
        let sql =
            "INSERT INTO audit_log (at, actor, action, object, before, after, detail, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let e: &AuditEntry<'_> = $e;
        sqlx::query(sql)
            .bind(Utc::now())
            .bind(e.actor)
            .bind(e.action)
            .bind(&e.object)
            .bind(e.before.as_ref().map(Json))
            .bind(e.after.as_ref().map(Json))
            .bind(e.detail.as_ref().map(Json))
            .bind(e.address)
            .execute($exec)
            .await
            .map(|r| r.rows_affected())
    }};
}

impl crate::ImportSession {
    /// Appends an audit entry inside the import's transaction: it commits with the rows it
    /// describes, or not at all.
    pub async fn append_audit(&mut self, e: &AuditEntry<'_>) -> Result<()> {
        crate::import::on_tx!(self.tx_mut(), t => insert_audit!(&mut **t, e)).map_err(StoreError::db("writing the audit trail"))?;
        Ok(())
    }
}

impl Store {
    pub async fn append_audit(&self, e: &AuditEntry<'_>) -> Result<()> {
        on_pool!(self, p => insert_audit!(p, e)).map_err(StoreError::db("writing the audit trail"))?;
        Ok(())
    }

    pub async fn list_audit(&self, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRecord>> {
        let mut conds: Vec<String> = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        let mut push = |cond: &str, v: SqlValue| {
            params.push(v);
            conds.push(cond.replace("$?", &format!("${}", params.len())));
        };
        if let Some(a) = &f.actor {
            push("actor = $?", SqlValue::text(a.clone()));
        }
        match f.action.as_deref() {
            Some(a) if a.ends_with('.') => push("action LIKE $?", SqlValue::text(format!("{}%", a.replace('%', "")))),
            Some(a) => push("action = $?", SqlValue::text(a)),
            None => {}
        }
        if let Some(o) = &f.object {
            push("object = $?", SqlValue::text(o.clone()));
        }
        if let Some(t) = f.from {
            push("at >= $?", SqlValue::Time(Some(t)));
        }
        if let Some(t) = f.to {
            push("at < $?", SqlValue::Time(Some(t)));
        }
        if let Some(id) = f.before_id {
            push("id < $?", SqlValue::Int(Some(id)));
        }
        let where_ = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let sql = format!(
            "SELECT id, at, actor, action, object, before, after, detail, address FROM audit_log{where_} ORDER BY id DESC LIMIT ${}",
            params.len() + 1
        );
        on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for v in &params {
                q = crate::value::bind_value!(q, v);
            }
            q.bind(limit).fetch_all(p).await
        })
        .map_err(StoreError::db("reading the audit trail"))
    }
}

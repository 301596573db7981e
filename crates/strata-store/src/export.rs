//! Export: every row of a table, page by page in id order (memory stays flat), with references
//! written the way the importer reads them (customer external id and name, owner login, team).

use serde::Serialize;
use strata_core::import::Entity;

use crate::{
    customer_filter::{filter_sql, CustomerFilter},
    on_pool, table,
    value::{self, ColKind, SqlValue},
    Result, Store, StoreError,
};

/// One exported row: the internal id and named cells.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRow {
    pub id: i64,
    pub cells: Vec<(&'static str, SqlValue)>,
}

/// Export columns of an entity: (name, SQL expression, kind).
pub fn export_columns(entity: Entity) -> Vec<(&'static str, String, ColKindPub)> {
    let spec = table::spec(entity);
    let alias = if entity == Entity::Customers { "c" } else { "t" };
    let mut out = vec![("external_id", format!("{alias}.external_id"), ColKindPub(ColKind::Text))];
    if entity != Entity::Customers {
        out.push(("customer_external_id", "c.external_id".into(), ColKindPub(ColKind::Text)));
        out.push(("customer_name", "c.name".into(), ColKindPub(ColKind::Text)));
    }
    for (col, kind) in spec.cols {
        match *col {
            "customer_id" | "canonical_name" => {}
            "owner_id" => out.push(("owner", "u.login".into(), ColKindPub(ColKind::Text))),
            "user_id" => out.push(("user", "u.login".into(), ColKindPub(ColKind::Text))),
            "team_id" => out.push(("team", "tm.name".into(), ColKindPub(ColKind::Text))),
            c => out.push((c, format!("{alias}.{c}"), ColKindPub(*kind))),
        }
    }
    out.push(("created_at", format!("{alias}.created_at"), ColKindPub(ColKind::Time)));
    out.push(("updated_at", format!("{alias}.updated_at"), ColKindPub(ColKind::Time)));
    out
}

/// A column kind, opaque outside the store.
#[derive(Debug, Clone, Copy)]
pub struct ColKindPub(pub(crate) ColKind);

impl Store {
    /// Up to `limit` rows of `entity` with id greater than `after_id`. `filter` applies to
    /// customers (for other entities, to the customer each row belongs to).
    pub async fn export_page(&self, entity: Entity, filter: &CustomerFilter, after_id: i64, limit: i64) -> Result<Vec<ExportRow>> {
        let id_col = if entity == Entity::Customers { "c.id" } else { "t.id" };
        let (where_, mut params) = filter_sql(filter, self.kind());
        params.push(SqlValue::Int(Some(after_id)));
        let cond = format!("{id_col} > ${}", params.len());
        let where_ = if where_.is_empty() { format!(" WHERE {cond}") } else { format!("{where_} AND {cond}") };
        self.select_rows(entity, &where_, params, id_col, limit).await
    }

    /// Rows of `entity` belonging to one customer, newest first (for the customer 360 view).
    pub async fn customer_records(&self, entity: Entity, customer_id: i64, limit: i64) -> Result<Vec<ExportRow>> {
        self.select_rows(entity, " WHERE t.customer_id = $1", vec![SqlValue::Int(Some(customer_id))], "t.id DESC", limit).await
    }

    /// The export columns of `entity` for rows matching `where_` (placeholders `$1…` bound to
    /// `params`), in `order`, at most `limit`.
    async fn select_rows(&self, entity: Entity, where_: &str, params: Vec<SqlValue>, order: &str, limit: i64) -> Result<Vec<ExportRow>> {
        let cols = export_columns(entity);
        let exprs: Vec<&str> = cols.iter().map(|(_, e, _)| e.as_str()).collect();
        let (from, id_col) = match entity {
            Entity::Customers => {
                ("customers c LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN teams tm ON tm.id = c.team_id".to_string(), "c.id")
            }
            _ => {
                let user = match entity {
                    Entity::Deals => "t.owner_id",
                    Entity::Interactions => "t.user_id",
                    _ => "c.owner_id",
                };
                let from = format!(
                    "{} t JOIN customers c ON c.id = t.customer_id LEFT JOIN users u ON u.id = {user} LEFT JOIN teams tm ON tm.id = c.team_id",
                    entity.name()
                );
                (from, "t.id")
            }
        };
        let sql = format!("SELECT {id_col}, {} FROM {from}{where_} ORDER BY {order} LIMIT ${}", exprs.join(", "), params.len() + 1);
        on_pool!(self, p => {
            let mut q = sqlx::query(&sql);
            for v in &params {
                q = value::bind_value!(q, v);
            }
            let rows = q.bind(limit).fetch_all(p).await.map_err(StoreError::db("reading rows"))?;
            rows.iter().map(|r| {
                use sqlx::Row;
                let mut cells = Vec::with_capacity(cols.len());
                for (i, (name, _, kind)) in cols.iter().enumerate() {
                    cells.push((*name, value::read(r, i + 1, kind.0)?));
                }
                Ok(ExportRow { id: r.try_get(0)?, cells })
            }).collect::<std::result::Result<Vec<_>, sqlx::Error>>().map_err(StoreError::db("decoding rows"))
        })
    }
}

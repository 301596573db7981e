//! Tier changes written compare-and-set on SQLite's raw handle: one prepared single-row
//! statement per kind of write (move, new, lost, history), stepped once per change. A live
//! ingest writes two or three tier changes per new order; as statements of a few hundred rows
//! joined with a VALUES list through sqlx they cost several times SQLite's own work. The rows
//! written and their values' encoding are those of `compare_and_set!` in tier_changes.rs,
//! which PostgreSQL keeps using; the order is by customer across models (see
//! [`compare_and_set`]).

use std::ptr::NonNull;

use chrono::{DateTime, Utc};
use libsqlite3_sys as ffi;

use crate::{
    sqlite_bulk::{raw_error, RawStatement},
    value::{time_text, SqlValue},
    ModelTierWrites, Result, TierWrite,
};

/// A move applies only where the stored tier is still `from`.
const MOVE: &str = "UPDATE customer_tiers SET tier = ?1, version = ?2, since = ?3 WHERE model_id = ?4 AND customer_id = ?5 AND tier = ?6";
/// A new tier applies only where none is stored and the customer still exists.
const NEW: &str = "INSERT INTO customer_tiers (customer_id, model_id, tier, version, since) SELECT ?1, ?2, ?3, ?4, ?5 \
                   WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = ?1) ON CONFLICT (model_id, customer_id) DO NOTHING";
/// A lost tier applies only where the stored tier is still `from`.
const LOST: &str = "DELETE FROM customer_tiers WHERE model_id = ?1 AND customer_id = ?2 AND tier = ?3";
const HISTORY: &str =
    "INSERT INTO tier_history (customer_id, model_id, version, from_tier, to_tier, at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// One model's changes as [`compare_and_set`] takes them: the model by id.
struct ModelChanges<'a> {
    model_id: i64,
    version: i64,
    changes: &'a [TierWrite],
}

/// Applies the changes of every model in `models` on `db` (inside the caller's open
/// transaction, whose lock on the handle the caller holds), the models' ids looked up on the
/// same handle: one round trip to the connection's thread. Returns the changes applied, per
/// model in the order given; an unknown model is `NotFound`.
pub(crate) fn apply(
    db: NonNull<ffi::sqlite3>,
    models: &[ModelTierWrites<'_>],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Vec<TierWrite>>> {
    let mut resolved = Vec::with_capacity(models.len());
    for m in models {
        resolved.push(ModelChanges { model_id: model_id(db, m.key)?, version: m.version, changes: m.changes });
    }
    compare_and_set(db, &resolved, reason, now)
}

/// The id of model `key` (as `model_id!` finds it, on the raw handle).
fn model_id(db: NonNull<ffi::sqlite3>, key: &str) -> Result<i64> {
    let fail = raw_error("finding a model");
    let mut stmt = RawStatement::prepare(db, "SELECT id FROM tier_models WHERE key = ?1").map_err(fail)?;
    stmt.bind(1, &SqlValue::text(key)).map_err(fail)?;
    match stmt.step().map_err(fail)? {
        true => stmt.column_int(0).ok_or_else(|| fail("a model without an id".into())),
        false => Err(crate::StoreError::NotFound { what: "tier model", id: key.to_string() }),
    }
}

/// The statement in `slot`, prepared on first use.
fn prepared<'s>(slot: &'s mut Option<RawStatement>, db: NonNull<ffi::sqlite3>, sql: &str) -> Result<&'s mut RawStatement, String> {
    if slot.is_none() {
        *slot = Some(RawStatement::prepare(db, sql)?);
    }
    slot.as_mut().ok_or_else(|| "a statement was not prepared".to_string())
}

/// What a change does to the stored row.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Move,
    New,
    Lost,
}

fn kind(c: &TierWrite) -> Option<Kind> {
    match (&c.from, &c.to) {
        (Some(_), Some(_)) => Some(Kind::Move),
        (None, Some(_)) => Some(Kind::New),
        (Some(_), None) => Some(Kind::Lost),
        (None, None) => None,
    }
}

/// Applies the changes of every model in `models` on `db` and returns, per model, those
/// applied, each followed at once by its history row. Changes are taken in customer order
/// across models: a customer's tiers in every model share a page of `customer_tiers` (and of
/// the history's customer index), so each page is read and dirtied once however many models
/// moved.
fn compare_and_set(
    db: NonNull<ffi::sqlite3>,
    models: &[ModelChanges<'_>],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Vec<TierWrite>>> {
    let fail = raw_error("writing tier changes");
    // The time as sqlx encodes it (see `RawStatement::bind`), formatted once for every row.
    let now = SqlValue::Text(Some(time_text(now)));
    let reason = SqlValue::Text(Some(reason.to_string()));
    let mut order: Vec<(i64, usize, Kind, usize)> = Vec::new();
    for (m, model) in models.iter().enumerate() {
        order.extend(model.changes.iter().enumerate().filter_map(|(i, c)| kind(c).map(|k| (c.customer_id, m, k, i))));
    }
    order.sort_unstable();
    let mut applied: Vec<Vec<TierWrite>> = models.iter().map(|_| Vec::new()).collect();
    // Prepared on first use, one per kind of write, stepped once per change.
    let (mut moves, mut news, mut losts, mut history) = (None, None, None, None);
    for (customer_id, m, k, i) in order {
        let (c, model) = (&models[m].changes[i], &models[m]);
        let (customer, model_id, version) =
            (SqlValue::Int(Some(customer_id)), SqlValue::Int(Some(model.model_id)), SqlValue::Int(Some(model.version)));
        let changed = match k {
            Kind::Move => {
                let st = prepared(&mut moves, db, MOVE).map_err(fail)?;
                st.bind_opt_text(1, c.to.as_deref()).map_err(fail)?;
                st.bind(2, &version).map_err(fail)?;
                st.bind(3, &now).map_err(fail)?;
                st.bind(4, &model_id).map_err(fail)?;
                st.bind(5, &customer).map_err(fail)?;
                st.bind_opt_text(6, c.from.as_deref()).map_err(fail)?;
                st.execute().map_err(fail)?
            }
            Kind::New => {
                let st = prepared(&mut news, db, NEW).map_err(fail)?;
                st.bind(1, &customer).map_err(fail)?;
                st.bind(2, &model_id).map_err(fail)?;
                st.bind_opt_text(3, c.to.as_deref()).map_err(fail)?;
                st.bind(4, &version).map_err(fail)?;
                st.bind(5, &now).map_err(fail)?;
                st.execute().map_err(fail)?
            }
            Kind::Lost => {
                let st = prepared(&mut losts, db, LOST).map_err(fail)?;
                st.bind(1, &model_id).map_err(fail)?;
                st.bind(2, &customer).map_err(fail)?;
                st.bind_opt_text(3, c.from.as_deref()).map_err(fail)?;
                st.execute().map_err(fail)?
            }
        };
        if changed != 1 {
            continue;
        }
        let h = prepared(&mut history, db, HISTORY).map_err(fail)?;
        h.bind(1, &customer).map_err(fail)?;
        h.bind(2, &model_id).map_err(fail)?;
        h.bind(3, &version).map_err(fail)?;
        h.bind_opt_text(4, c.from.as_deref()).map_err(fail)?;
        h.bind_opt_text(5, c.to.as_deref()).map_err(fail)?;
        h.bind(6, &now).map_err(fail)?;
        h.bind(7, &reason).map_err(fail)?;
        h.execute().map_err(fail)?;
        applied[m].push(c.clone());
    }
    Ok(applied)
}

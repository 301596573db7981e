//! Tier changes written compare-and-set on SQLite's raw handle: one prepared single-row
//! statement per kind of write (move, new, lost, history), stepped once per change. A live
//! ingest writes two or three tier changes per new order; as statements of a few hundred rows
//! joined with a VALUES list through sqlx they cost several times SQLite's own work. The rows
//! written, their values' encoding and their order are those of `compare_and_set!` in
//! tier_changes.rs, which PostgreSQL keeps using.

use std::ptr::NonNull;

use chrono::{DateTime, SecondsFormat, Utc};
use libsqlite3_sys as ffi;

use crate::{
    sqlite_bulk::{raw_error, RawStatement},
    value::SqlValue,
    Result, TierWrite,
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

/// Applies `changes` of model `model_id` on `db` (inside the caller's open transaction, whose
/// lock on the handle the caller holds) and returns those applied — moves, then new tiers, then
/// lost ones, as `compare_and_set!` does — with their history rows appended in that order.
pub(crate) fn compare_and_set(
    db: NonNull<ffi::sqlite3>,
    model_id: i64,
    version: i64,
    changes: &[TierWrite],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<TierWrite>> {
    let fail = raw_error("writing tier changes");
    // The time as sqlx encodes it (see `RawStatement::bind`), formatted once for every row.
    let now = SqlValue::Text(Some(now.to_rfc3339_opts(SecondsFormat::AutoSi, false)));
    let (model, version) = (SqlValue::Int(Some(model_id)), SqlValue::Int(Some(version)));
    let mut applied: Vec<TierWrite> = Vec::new();

    let mut moves = RawStatement::prepare(db, MOVE).map_err(fail)?;
    for c in changes.iter().filter(|c| c.from.is_some() && c.to.is_some()) {
        moves.bind_opt_text(1, c.to.as_deref()).map_err(fail)?;
        moves.bind(2, &version).map_err(fail)?;
        moves.bind(3, &now).map_err(fail)?;
        moves.bind(4, &model).map_err(fail)?;
        moves.bind(5, &SqlValue::Int(Some(c.customer_id))).map_err(fail)?;
        moves.bind_opt_text(6, c.from.as_deref()).map_err(fail)?;
        if moves.execute().map_err(fail)? == 1 {
            applied.push(c.clone());
        }
    }
    drop(moves);

    let news: Vec<&TierWrite> = changes.iter().filter(|c| c.from.is_none() && c.to.is_some()).collect();
    if !news.is_empty() {
        let mut insert = RawStatement::prepare(db, NEW).map_err(fail)?;
        for c in news {
            insert.bind(1, &SqlValue::Int(Some(c.customer_id))).map_err(fail)?;
            insert.bind(2, &model).map_err(fail)?;
            insert.bind_opt_text(3, c.to.as_deref()).map_err(fail)?;
            insert.bind(4, &version).map_err(fail)?;
            insert.bind(5, &now).map_err(fail)?;
            if insert.execute().map_err(fail)? == 1 {
                applied.push(c.clone());
            }
        }
    }

    let lost: Vec<&TierWrite> = changes.iter().filter(|c| c.from.is_some() && c.to.is_none()).collect();
    if !lost.is_empty() {
        let mut delete = RawStatement::prepare(db, LOST).map_err(fail)?;
        for c in lost {
            delete.bind(1, &model).map_err(fail)?;
            delete.bind(2, &SqlValue::Int(Some(c.customer_id))).map_err(fail)?;
            delete.bind_opt_text(3, c.from.as_deref()).map_err(fail)?;
            if delete.execute().map_err(fail)? == 1 {
                applied.push(c.clone());
            }
        }
    }

    let mut history = RawStatement::prepare(db, HISTORY).map_err(fail)?;
    let reason = SqlValue::Text(Some(reason.to_string()));
    for c in &applied {
        history.bind(1, &SqlValue::Int(Some(c.customer_id))).map_err(fail)?;
        history.bind(2, &model).map_err(fail)?;
        history.bind(3, &version).map_err(fail)?;
        history.bind_opt_text(4, c.from.as_deref()).map_err(fail)?;
        history.bind_opt_text(5, c.to.as_deref()).map_err(fail)?;
        history.bind(6, &now).map_err(fail)?;
        history.bind(7, &reason).map_err(fail)?;
        history.execute().map_err(fail)?;
    }
    Ok(applied)
}

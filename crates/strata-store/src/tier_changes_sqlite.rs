//! Tier changes written compare-and-set on SQLite's raw handle: one prepared single-row
//! statement per kind of write (move, new, lost, history), stepped once per change. A live
//! ingest writes two or three tier changes per new order; as statements of a few hundred rows
//! joined with a VALUES list through sqlx they cost several times SQLite's own work. The rows
//! written, their values' encoding and their order are those of `compare_and_set!` in
//! tier_changes.rs, which PostgreSQL keeps using.

use std::ptr::NonNull;

use chrono::{DateTime, Utc};
use libsqlite3_sys as ffi;

use crate::{
    sqlite_bulk::{raw_error, RawStatement},
    value::{time_text, SqlValue},
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
    let now = SqlValue::Text(Some(time_text(now)));
    let (model, version) = (SqlValue::Int(Some(model_id)), SqlValue::Int(Some(version)));
    let mut applied: Vec<TierWrite> = Vec::new();
    let customer = |c: &TierWrite| SqlValue::Int(Some(c.customer_id));
    // Each kind of write: its changes, stepped on one prepared statement; those that changed a
    // row are applied.
    let mut each = |sql: &str, wanted: fn(&TierWrite) -> bool, bind: &dyn Fn(&mut RawStatement, &TierWrite) -> Result<(), String>| {
        let mut kind = changes.iter().filter(|c| wanted(c)).peekable();
        if kind.peek().is_none() {
            return Ok(());
        }
        let mut stmt = RawStatement::prepare(db, sql).map_err(fail)?;
        for c in kind {
            bind(&mut stmt, c).map_err(fail)?;
            if stmt.execute().map_err(fail)? == 1 {
                applied.push(c.clone());
            }
        }
        Ok::<(), crate::StoreError>(())
    };
    each(MOVE, |c| c.from.is_some() && c.to.is_some(), &|st, c| {
        st.bind_opt_text(1, c.to.as_deref())?;
        st.bind(2, &version)?;
        st.bind(3, &now)?;
        st.bind(4, &model)?;
        st.bind(5, &customer(c))?;
        st.bind_opt_text(6, c.from.as_deref())
    })?;
    each(NEW, |c| c.from.is_none() && c.to.is_some(), &|st, c| {
        st.bind(1, &customer(c))?;
        st.bind(2, &model)?;
        st.bind_opt_text(3, c.to.as_deref())?;
        st.bind(4, &version)?;
        st.bind(5, &now)
    })?;
    each(LOST, |c| c.from.is_some() && c.to.is_none(), &|st, c| {
        st.bind(1, &model)?;
        st.bind(2, &customer(c))?;
        st.bind_opt_text(3, c.from.as_deref())
    })?;
    if applied.is_empty() {
        return Ok(applied);
    }

    let mut history = RawStatement::prepare(db, HISTORY).map_err(fail)?;
    let reason = SqlValue::Text(Some(reason.to_string()));
    for c in &applied {
        history.bind(1, &customer(c)).map_err(fail)?;
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

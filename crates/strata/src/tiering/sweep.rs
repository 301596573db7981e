//! The scheduled re-evaluation: every customer as of a new day (windows and days-since move),
//! cut points refreshed when their schedule says so, and every difference from the stored tiers
//! written as history. One process at a time holds the sweep lease, so several servers and a
//! `strata tier eval` never write the same change twice.

use chrono::{Datelike, Utc};
use serde::Serialize;
use strata_core::{
    metrics::{date_of, Day},
    tiering::spec::Refresh,
};
use strata_store::Store;

use super::host::{Loaded, TierSnapshot};

/// The lease name of the sweep.
pub const JOB: &str = "tier_sweep";
/// How long a sweep may hold the lease before another process may take it over.
const LEASE_MINUTES: i64 = 30;

/// What the sweep did to one model.
#[derive(Debug, Clone, Serialize)]
pub struct SweepLine {
    pub model: String,
    pub version: i64,
    pub changes: usize,
    pub refreshed: bool,
    pub today: String,
}

/// A name for this process in leases: host, process id and the start time's nanoseconds.
pub fn holder_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{host}:{}:{nanos:08x}", std::process::id())
}

/// Takes the sweep lease for `holder` (false: another process holds it).
pub async fn take_lease(store: &Store, holder: &str) -> anyhow::Result<bool> {
    Ok(store.try_lease(JOB, holder, Utc::now() + chrono::Duration::minutes(LEASE_MINUTES)).await?)
}

/// Whether cut points computed on `on` are due for a refresh on `today`.
pub fn refresh_due(refresh: Refresh, on: Day, today: Day) -> bool {
    let (a, b) = (date_of(on), date_of(today));
    match refresh {
        Refresh::Never => false,
        Refresh::Daily => today > on,
        Refresh::Weekly => today - on >= 7,
        Refresh::Monthly => (b.year(), b.month()) != (a.year(), a.month()),
        Refresh::Quarterly => (b.year(), b.month0() / 3) != (a.year(), a.month0() / 3),
    }
}

/// Brings `loaded` to `today` (if it is behind) and refreshes cut points that are due. Pure
/// computation (no store access), so a server can run it under its engine lock. Returns the
/// refreshed models' cut points to store and the tiers to compare with the stored ones.
pub fn advance(loaded: &mut Loaded, today: Day) -> anyhow::Result<(Vec<(String, String)>, TierSnapshot)> {
    if loaded.engine.today() != today {
        loaded.engine.advance(today);
    }
    let mut refreshed = Vec::new();
    for m in 0..loaded.engine.catalog.models.len() {
        let model = &loaded.engine.catalog.models[m];
        if model.is_relative() && refresh_due(model.spec.refresh, loaded.engine.states[m].calibration.on, today) {
            loaded.engine.refresh(m);
            let key = loaded.engine.catalog.models[m].key().to_string();
            refreshed.push((key, serde_json::to_string(&loaded.engine.states[m].calibration)?));
        }
    }
    Ok((refreshed, TierSnapshot::of(loaded)))
}

/// Stores refreshed cut points and writes every difference between `snapshot` and the stored
/// tiers with `reason` (`refresh` for a refreshed model). The caller holds the sweep lease.
pub async fn write(
    store: &Store,
    refreshed: &[(String, String)],
    snapshot: &TierSnapshot,
    today: Day,
    reason: &str,
) -> anyhow::Result<Vec<SweepLine>> {
    for (key, cuts) in refreshed {
        store.set_model_calibration(key, cuts).await?;
    }
    let mut lines = Vec::new();
    for (m, model) in snapshot.models.iter().enumerate() {
        let stored = store.current_tier_indices(&model.key, &model.labels).await?;
        let changes = snapshot.changes(m, &stored);
        let done = refreshed.iter().any(|(k, _)| *k == model.key);
        store.record_tier_changes(&model.key, model.version, &changes, if done { "refresh" } else { reason }).await?;
        lines.push(SweepLine {
            model: model.key.clone(),
            version: model.version,
            changes: changes.len(),
            refreshed: done,
            today: date_of(today).to_string(),
        });
    }
    Ok(lines)
}

/// `advance` then `write`, for a process that owns its engine (the CLI, a server at start).
pub async fn sweep(store: &Store, loaded: &mut Loaded, today: Day, reason: &str) -> anyhow::Result<Vec<SweepLine>> {
    let (refreshed, snapshot) = advance(loaded, today)?;
    write(store, &refreshed, &snapshot, today, reason).await
}

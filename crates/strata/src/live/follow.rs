//! Following the change feed: which entries were applied (with the gaps PostgreSQL can leave
//! when transactions commit out of order), and applying a run of entries: customers re-read and
//! re-evaluated, models re-installed, or everything reloaded.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

use anyhow::Context;
use serde::Serialize;
use strata_core::{
    engine::customer_update::{CustomerState, CustomerUpdate},
    metrics::EventKind,
};
use strata_store::{ChangeKind, DataChange, TierWrite};

use super::LiveEngine;
use crate::tiering::host;

/// Entries read per round.
const PAGE: i64 = 5_000;
/// How long a missing sequence number is re-checked before it is taken as a rolled-back one.
const GAP_TTL: Duration = Duration::from_secs(120);

/// The follower's position in the feed.
#[derive(Debug, Default)]
pub(super) struct Follow {
    pub seq: i64,
    /// Sequence numbers below `seq` not seen yet, with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
}

impl Follow {
    pub fn reset(&mut self, seq: i64) {
        self.seq = seq;
        self.gaps.clear();
    }

    /// Takes a page of entries (plus late ones that fill gaps) into account.
    fn advance(&mut self, page: &[DataChange], late: &[DataChange]) {
        for c in late {
            self.gaps.remove(&c.seq);
        }
        let now = Instant::now();
        for c in page {
            for missing in (self.seq + 1)..c.seq {
                self.gaps.insert(missing, now);
            }
            self.seq = self.seq.max(c.seq);
        }
        self.gaps.retain(|_, since| now.duration_since(*since) < GAP_TTL);
    }
}

/// One model's tiers (key, published version, tier per customer) after an update.
type Wanted = (String, i64, Vec<(i64, Option<String>)>);

impl LiveEngine {
    /// Writes the engine's tiers of `ids` wherever the stored ones differ (compare and set,
    /// reason `event`). Returns the changes written.
    pub(super) async fn write_tiers(&self, ids: &[i64]) -> anyhow::Result<usize> {
        let mut wanted: Vec<Wanted> = Vec::new();
        {
            let guard = self.read();
            let Some(loaded) = guard.as_ref() else { return Ok(0) };
            let positions: Vec<(i64, u32)> = ids.iter().filter_map(|&id| loaded.engine.index.position(id).map(|p| (id, p))).collect();
            let engine = &loaded.engine;
            for (m, model) in engine.catalog.models.iter().enumerate() {
                let tiers = positions
                    .iter()
                    .map(|&(id, p)| (id, host::tier_key(engine, m, engine.tiers[m][p as usize]).map(String::from)))
                    .collect();
                wanted.push((model.key().to_string(), loaded.version(m), tiers));
            }
        }
        let mut written = 0;
        for (key, version, tiers) in wanted {
            let ids: Vec<i64> = tiers.iter().map(|(id, _)| *id).collect();
            let stored: BTreeMap<i64, String> =
                self.store.tiers_of(&key, &ids).await.context("reading stored tiers")?.into_iter().collect();
            let changes: Vec<TierWrite> = tiers
                .into_iter()
                .filter(|(id, to)| stored.get(id) != to.as_ref())
                .map(|(id, to)| TierWrite { customer_id: id, from: stored.get(&id).cloned(), to })
                .collect();
            written += self.store.apply_tier_changes(&key, version, &changes, "event").await?.len();
        }
        Ok(written)
    }
}

/// What one sync applied.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Synced {
    /// Customers re-read and re-evaluated.
    pub customers: usize,
    /// Tier changes written (by this server).
    pub tier_changes: usize,
    /// Whether models were re-installed.
    pub models: bool,
    /// Whether everything was reloaded.
    pub reloaded: bool,
}

impl LiveEngine {
    /// Applies entries until the feed is exhausted.
    pub(super) async fn follow_feed(&self, f: &mut Follow) -> anyhow::Result<Synced> {
        let mut out = Synced::default();
        loop {
            let page = self.store.changes_after(f.seq, PAGE).await?;
            let gaps: Vec<i64> = f.gaps.keys().copied().collect();
            let late = self.store.changes_at(&gaps).await?;
            if page.is_empty() && late.is_empty() {
                return Ok(out);
            }
            f.advance(&page, &late);
            // Entries this server wrote and applied to its engine as it wrote them are done.
            let entries: Vec<&DataChange> =
                late.iter().chain(&page).filter(|c| c.origin.as_deref() != Some(self.holder.as_str())).collect();
            if entries.iter().any(|c| c.kind == ChangeKind::Reload) {
                self.reload(f).await?;
                out.reloaded = true;
                continue;
            }
            if entries.iter().any(|c| c.kind == ChangeKind::Models) {
                self.install(None).await?;
                out.models = true;
            }
            let ids: BTreeSet<i64> = entries.iter().filter(|c| c.kind == ChangeKind::Customer).filter_map(|c| c.customer_id).collect();
            match self.update_customers(&ids).await? {
                Some(n) => out.tier_changes += n,
                None => {
                    self.reload(f).await?;
                    out.reloaded = true;
                    continue;
                }
            }
            out.customers += ids.len();
            if page.len() < PAGE as usize {
                return Ok(out);
            }
        }
    }

    /// Re-reads and re-evaluates `ids`, then writes their tiers where the stored ones differ.
    /// Returns the changes written, or None when the engine must be reloaded instead.
    pub(super) async fn update_customers(&self, ids: &BTreeSet<i64>) -> anyhow::Result<Option<usize>> {
        if ids.is_empty() {
            return Ok(Some(0));
        }
        let t0 = Instant::now();
        let defs = self.store.list_custom_fields().await?;
        let list: Vec<i64> = ids.iter().copied().collect();
        let mut states: BTreeMap<i64, CustomerState> = ids.iter().map(|&id| (id, CustomerState::default())).collect();
        for (id, row) in self.store.customer_attribute_rows(&list, &defs).await? {
            if let Some(s) = states.get_mut(&id) {
                s.attributes = Some(row);
            }
        }
        for kind in EventKind::ALL {
            for s in states.values_mut() {
                s.events.push((kind, Vec::new()));
            }
            for (id, e) in self.store.customers_events(kind, &list).await? {
                if let Some((_, events)) = states.get_mut(&id).and_then(|s| s.events.last_mut()) {
                    events.push(e);
                }
            }
        }
        let read_s = t0.elapsed().as_secs_f64();
        // Apply under the write lock (no awaits).
        {
            let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
            let Some(loaded) = guard.as_mut() else { return Ok(Some(0)) };
            if loaded.schema.custom.len() != defs.len() {
                return Ok(None);
            }
            for (id, state) in &states {
                if loaded.engine.update_customer(*id, state) == CustomerUpdate::NeedsReload {
                    return Ok(None);
                }
            }
            loaded.engine.compact_if_large();
        }
        let eval_s = t0.elapsed().as_secs_f64() - read_s;
        let written = self.write_tiers(&list).await?;
        let total_s = t0.elapsed().as_secs_f64();
        tracing::debug!(customers = ids.len(), read_s, eval_s, write_s = total_s - read_s - eval_s, written, "customers updated");
        Ok(Some(written))
    }
}

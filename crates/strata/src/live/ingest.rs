//! Writing validated records through the live engine: one import batch (one transaction)
//! whose new events are applied to the engine straight from the records (no re-read) and
//! whose tier changes are written in the same transaction; then the customers of updated rows
//! are re-read — all before returning. A batch that fails to commit reloads the engine.
//! The batch's feed entries carry this server's name, so its own follower skips them while
//! other servers re-read the customers as usual.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use strata_core::{
    engine::customer_update::RawEvent,
    import::{Entity, Record},
};
use strata_store::{Batch, RejectedRow, TierWrite};

use super::{models::EngineLoading, LiveEngine};
use crate::tiering::host;

/// What an ingest did.
#[derive(Debug, Clone, Serialize)]
pub struct Ingested {
    /// The committed batch; None when rows were rejected and nothing was written.
    pub batch: Option<Batch>,
    pub rejected: Vec<RejectedRow>,
    /// New events applied to the engine from the records.
    pub applied: usize,
    /// Customers re-read from the store (updated rows, kinds without a direct mapping).
    pub reread: usize,
    pub tier_changes: usize,
}

impl LiveEngine {
    /// Writes `records` of `entity` as one all-or-nothing batch and brings the engine and the
    /// stored tiers up to date before returning. `fields` are the field keys the records carry.
    pub async fn ingest(
        &self,
        entity: Entity,
        fields: &[String],
        records: Vec<(u64, Record)>,
        name: &str,
        actor: &str,
    ) -> anyhow::Result<Ingested> {
        self.ensure_loaded().await?;
        let mut f = self.follow.lock().await;
        let events: HashMap<u64, _> = records.iter().filter_map(|(row, r)| RawEvent::of_record(r).map(|e| (*row, e))).collect();
        let total = records.len() as u64;
        let t0 = std::time::Instant::now();
        let mut session = self.store.begin_import(entity, name, actor, fields).await?;
        session.set_origin(&self.holder);
        let out = session.write(records).await?;
        if !out.rejected.is_empty() {
            session.rollback().await?;
            return Ok(Ingested { batch: None, rejected: out.rejected, applied: 0, reread: 0, tier_changes: 0 });
        }
        let written_s = t0.elapsed().as_secs_f64();
        let mut reread: BTreeSet<i64> = out.changed_customers.iter().copied().collect();
        // Per (model, customer): the tier before the first and after the last new event.
        let mut moved: BTreeMap<(usize, i64), (u16, u16)> = BTreeMap::new();
        let mut applied = 0;
        let mut writes: Vec<(String, i64, Vec<TierWrite>)> = Vec::new();
        {
            let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
            let loaded = guard.as_mut().ok_or(EngineLoading)?;
            for (row, customer) in &out.inserted_rows {
                match events.get(row).and_then(|(kind, e)| loaded.engine.record_raw(*kind, *customer, e)) {
                    Some(changes) => {
                        applied += 1;
                        for c in changes {
                            moved.entry((c.model, *customer)).and_modify(|m| m.1 = c.to).or_insert((c.from, c.to));
                        }
                    }
                    None => {
                        reread.insert(*customer);
                    }
                }
            }
            loaded.engine.compact_if_large();
            let engine = &loaded.engine;
            let label = |m: usize, t: u16| host::tier_key(engine, m, t).map(String::from);
            for (m, model) in engine.catalog.models.iter().enumerate() {
                let changes: Vec<TierWrite> = moved
                    .range((m, i64::MIN)..=(m, i64::MAX))
                    .filter(|(&(_, id), (from, to))| from != to && !reread.contains(&id))
                    .map(|(&(_, id), &(from, to))| TierWrite { customer_id: id, from: label(m, from), to: label(m, to) })
                    .collect();
                writes.push((model.key().to_string(), loaded.version(m), changes));
            }
        }
        let applied_s = t0.elapsed().as_secs_f64() - written_s;
        // From here until the commit the engine is ahead of the store; if the commit fails or
        // this future is dropped, the engine is unloaded and loads again from the store.
        let ahead = Ahead { engine: self, committed: false };
        // The tier changes commit with the events that caused them. The engine's own
        // before → after is the compare-and-set; where the store held something else (a change
        // this server missed), the tier is written from the engine after the commit.
        let mut tier_changes = 0;
        let mut missed: BTreeSet<i64> = BTreeSet::new();
        let mut tier_writes_s = 0.0;
        let committed = async {
            for (key, version, changes) in writes {
                let done: BTreeSet<i64> =
                    session.apply_tier_changes(&key, version, &changes, "event").await?.iter().map(|c| c.customer_id).collect();
                tier_changes += done.len();
                missed.extend(changes.iter().map(|c| c.customer_id).filter(|id| !done.contains(id)));
            }
            tier_writes_s = t0.elapsed().as_secs_f64() - written_s - applied_s;
            session.commit(total, 0, "").await
        }
        .await;
        let batch = committed?;
        ahead.committed();
        let commit_s = t0.elapsed().as_secs_f64() - written_s - applied_s - tier_writes_s;
        if entity == Entity::Customers {
            // New and changed customers: their ids come from the store.
            reread.extend(self.store.batch_customers(batch.id).await?);
        }
        match self.update_customers(&reread).await? {
            Some(n) => tier_changes += n,
            None => self.reload(&mut f).await?,
        }
        let missed: Vec<i64> = missed.into_iter().collect();
        tier_changes += self.write_tiers(&missed).await?;
        let tiers_s = t0.elapsed().as_secs_f64() - written_s - applied_s - tier_writes_s - commit_s;
        tracing::debug!(rows = total, written_s, applied_s, tier_writes_s, commit_s, tiers_s, tier_changes, "ingested");
        Ok(Ingested { batch: Some(batch), rejected: Vec::new(), applied, reread: reread.len(), tier_changes })
    }
}

/// The engine holding events not committed yet; unloads it when dropped before `committed`.
struct Ahead<'a> {
    engine: &'a LiveEngine,
    committed: bool,
}

impl Ahead<'_> {
    fn committed(mut self) {
        self.committed = true;
    }
}

impl Drop for Ahead<'_> {
    fn drop(&mut self) {
        if !self.committed {
            tracing::warn!("an ingest batch did not commit; the tier engine loads again from the store");
            *self.engine.loaded.write().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

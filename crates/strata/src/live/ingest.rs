//! Writing validated records through the live engine, with group commit. Each request is one
//! import batch (all or nothing, its own record and undo) whose new events are applied to the
//! engine straight from the records (no re-read) and whose tier changes are written in the
//! same transaction; then the customers of updated rows are re-read — all before answering.
//!
//! Requests that arrive while a transaction is being written wait in a queue; the next writer
//! takes every waiting request of the same kind and fields (up to [`GROUP_ROWS`] rows) and
//! writes them as separate batches, each under a savepoint, in one transaction: one log write
//! and one sync for all. A batch with a rejected row is rolled back alone. If the transaction
//! fails, the engine loads again and each request of the group is written alone, so each gets
//! its own answer. The writer runs as its own task: a client that goes away does not stop a
//! transaction that carries other clients' batches. Feed entries carry this server's name, so
//! its own follower skips them while other servers re-read the customers as usual.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use serde::Serialize;
use strata_core::{
    engine::customer_update::RawEvent,
    import::{Entity, Record},
};
use strata_store::{AuditEntry, Batch, ImportSession, ModelTierWrites, RejectedRow, TierWrite};

use super::{follow::Follow, models::EngineLoading, LiveEngine};
use crate::tiering::host;

/// Rows one grouped transaction takes at most (a request is never split).
pub const GROUP_ROWS: usize = 10_000;

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
    /// Requests committed in the same transaction as this one (1 when alone).
    pub group: usize,
}

/// An audit entry written with a request's batch, in its transaction (the actor is the
/// request's).
#[derive(Debug, Clone)]
pub struct AuditNote {
    pub action: String,
    pub detail: Option<serde_json::Value>,
    pub address: Option<String>,
}

/// A request waiting for the writer.
pub(super) struct Queued {
    part: Part,
    reply: tokio::sync::oneshot::Sender<anyhow::Result<Ingested>>,
}

/// One request as the writer writes it.
#[derive(Clone)]
struct Part {
    entity: Entity,
    fields: Vec<String>,
    records: Vec<(u64, Record)>,
    name: String,
    actor: String,
    audit: Option<AuditNote>,
}

impl Queued {
    /// Whether `other` can share a transaction with this request (same table, same columns).
    fn groups_with(&self, other: &Queued) -> bool {
        self.part.entity == other.part.entity && field_set(&self.part.fields) == field_set(&other.part.fields)
    }

    fn split(self) -> (Part, tokio::sync::oneshot::Sender<anyhow::Result<Ingested>>) {
        (self.part, self.reply)
    }
}

fn field_set(fields: &[String]) -> BTreeSet<&str> {
    fields.iter().map(String::as_str).collect()
}

/// One request's part of a transaction, until its answer.
#[derive(Default)]
struct Written {
    batch: Option<Batch>,
    rejected: Vec<RejectedRow>,
    applied: usize,
    reread: BTreeSet<i64>,
    missed: BTreeSet<i64>,
    tier_changes: usize,
}

impl LiveEngine {
    /// Writes `records` of `entity` as one all-or-nothing batch and brings the engine and the
    /// stored tiers up to date before returning. `fields` are the field keys the records carry;
    /// `audit`, when given, is appended in the batch's transaction.
    pub async fn ingest(
        self: &Arc<Self>,
        entity: Entity,
        fields: &[String],
        records: Vec<(u64, Record)>,
        (name, actor): (&str, &str),
        audit: Option<AuditNote>,
    ) -> anyhow::Result<Ingested> {
        self.ensure_loaded().await?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let part = Part { entity, fields: fields.to_vec(), records, name: name.to_string(), actor: actor.to_string(), audit };
        let queued = Queued { part, reply };
        // One writer at a time: a writer per request would pile up behind the lock (each
        // holding its future) while earlier writers answer their requests for them.
        let start_writer = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.waiting.push_back(queued);
            !std::mem::replace(&mut queue.writer, true)
        };
        if start_writer {
            tokio::spawn(Arc::clone(self).writer());
        }
        answer.await.map_err(|_| anyhow::anyhow!("the ingest writer stopped before answering; the batch may not be written"))?
    }

    /// The writer as a task of its own (boxed: the store's futures are `Send` only for the
    /// lifetimes the compiler sees here, not for every lifetime `tokio::spawn` asks about).
    /// Runs until the queue is empty.
    fn writer(self: Arc<Self>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async move {
            let mut running = WriterRunning { engine: &self, armed: true };
            while self.write_queued().await {}
            running.armed = false;
        })
    }

    /// Takes the waiting requests that fit one transaction with the first and writes them.
    /// Returns false, with the writer marked stopped, when nothing was waiting.
    async fn write_queued(&self) -> bool {
        let mut f = self.follow.lock().await;
        let group: Vec<Queued> = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            let Some(first) = queue.waiting.pop_front() else {
                queue.writer = false;
                return false;
            };
            let (mut rows, mut rest) = (first.part.records.len(), VecDeque::new());
            let mut group = vec![first];
            while let Some(q) = queue.waiting.pop_front() {
                if group[0].groups_with(&q) && rows + q.part.records.len() <= GROUP_ROWS {
                    rows += q.part.records.len();
                    group.push(q);
                } else {
                    rest.push_back(q);
                }
            }
            queue.waiting = rest;
            group
        };
        let (parts, replies): (Vec<Part>, Vec<_>) = group.into_iter().map(Queued::split).unzip();
        // A group is kept to be written again request by request if its transaction fails.
        let again = (parts.len() > 1).then(|| parts.clone());
        match (self.write_group(&mut f, parts).await, again) {
            (Ok(outs), _) => {
                for (reply, out) in replies.into_iter().zip(outs) {
                    let _ = reply.send(Ok(out));
                }
            }
            (Err(e), None) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
            (Err(e), Some(parts)) => {
                tracing::warn!(error = %format!("{e:#}"), requests = parts.len(), "a grouped ingest failed; writing its requests one by one");
                for (part, reply) in parts.into_iter().zip(replies) {
                    let out = self.write_group(&mut f, vec![part]).await.map(|mut v| v.remove(0));
                    let _ = reply.send(out);
                }
            }
        }
        true
    }

    /// Writes requests in one transaction and answers each, in order.
    async fn write_group(&self, f: &mut Follow, parts: Vec<Part>) -> anyhow::Result<Vec<Ingested>> {
        // Unloaded by a transaction that failed just before (this writer holds the follower's
        // lock, so nobody else is loading it).
        if self.read().is_none() {
            self.reload(f).await?;
        }
        let (entity, requests, grouped) = (parts[0].entity, parts.len(), parts.len() > 1);
        let t0 = std::time::Instant::now();
        let mut session = self.store.begin_import(entity, &parts[0].name, &parts[0].actor, &parts[0].fields).await?;
        session.set_origin(&self.holder);
        // From the first change to the engine until the commit the engine is ahead of the
        // store; if the commit fails or this future is dropped, it loads again from the store.
        let mut ahead: Option<Ahead> = None;
        let mut written: Vec<Written> = Vec::with_capacity(requests);
        // Whether the savepoint of the previous request is still held (released together with
        // taking the next one: one round trip instead of two).
        let mut held = false;
        // Seconds writing the rows, and applying them to the engine with their tier changes.
        let (mut rows_s, mut tiers_s) = (0.0, 0.0);
        for (i, part) in parts.into_iter().enumerate() {
            if grouped {
                match held {
                    true => session.renew_savepoint().await?,
                    false => session.savepoint().await?,
                }
                held = true;
            }
            if i > 0 {
                session.next_batch(&part.name, &part.actor).await?;
            }
            let total = part.records.len() as u64;
            let events: HashMap<u64, _> = part.records.iter().filter_map(|(row, r)| RawEvent::of_record(r).map(|e| (*row, e))).collect();
            let t_rows = std::time::Instant::now();
            let out = session.write(part.records).await?;
            rows_s += t_rows.elapsed().as_secs_f64();
            if !out.rejected.is_empty() {
                if !grouped {
                    session.rollback().await?;
                    return Ok(vec![Ingested { batch: None, rejected: out.rejected, applied: 0, reread: 0, tier_changes: 0, group: 1 }]);
                }
                session.rollback_to_savepoint().await?;
                held = false;
                if i == 0 {
                    session.discard_batch().await?;
                }
                written.push(Written { rejected: out.rejected, ..Default::default() });
                continue;
            }
            ahead.get_or_insert_with(|| Ahead { engine: self, committed: false });
            let t_tiers = std::time::Instant::now();
            let mut w = self.apply(&mut session, &events, out).await?;
            tiers_s += t_tiers.elapsed().as_secs_f64();
            w.batch = Some(session.finish_batch(total, 0, "").await?);
            if let Some(note) = &part.audit {
                let entry = AuditEntry {
                    actor: &part.actor,
                    action: &note.action,
                    detail: note.detail.clone(),
                    address: note.address.as_deref(),
                    ..Default::default()
                };
                session.append_audit(&entry).await?;
            }
            written.push(w);
        }
        if held {
            session.release_savepoint().await?;
        }
        let written_s = t0.elapsed().as_secs_f64();
        session.commit_batches().await?;
        if let Some(a) = ahead {
            a.committed();
        }
        let commit_s = t0.elapsed().as_secs_f64() - written_s;
        let mut answers = Vec::with_capacity(written.len());
        for mut w in written {
            let customers_batch = if entity == Entity::Customers { w.batch.as_ref().map(|b| b.id) } else { None };
            if let Some(id) = customers_batch {
                // New and changed customers: their ids come from the store.
                w.reread.extend(self.store.batch_customers(id).await?);
            }
            match self.update_customers(&w.reread).await? {
                Some(n) => w.tier_changes += n,
                None => self.reload(f).await?,
            }
            let missed: Vec<i64> = w.missed.into_iter().collect();
            w.tier_changes += self.write_tiers(&missed).await?;
            let (reread, group) = (w.reread.len(), requests);
            answers.push(Ingested {
                batch: w.batch,
                rejected: w.rejected,
                applied: w.applied,
                reread,
                tier_changes: w.tier_changes,
                group,
            });
        }
        let rows: usize = answers.iter().filter_map(|a| a.batch.as_ref()).map(|b| b.rows_total as usize).sum();
        tracing::debug!(requests, rows, rows_s, tiers_s, written_s, commit_s, "ingested");
        Ok(answers)
    }

    /// Applies one clean batch's new events to the engine and writes the tier changes they
    /// cause in the open transaction. The engine's own before → after is the compare-and-set;
    /// where the store held something else (a change this server missed), the tier is written
    /// from the engine after the commit.
    async fn apply(
        &self,
        session: &mut ImportSession,
        events: &HashMap<u64, (strata_core::metrics::EventKind, RawEvent)>,
        out: strata_store::ChunkOutcome,
    ) -> anyhow::Result<Written> {
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
            let started = std::time::Instant::now();
            let folded = loaded.engine.compact_if_large();
            if folded > 0 {
                tracing::debug!(events = folded, seconds = started.elapsed().as_secs_f64(), "engine overlay compacted");
            }
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
        let models: Vec<ModelTierWrites> =
            writes.iter().map(|(key, version, changes)| ModelTierWrites { key, version: *version, changes }).collect();
        let done_per_model = session.apply_tier_changes(&models, "event").await?;
        let (mut tier_changes, mut missed) = (0, BTreeSet::new());
        for ((_, _, changes), done) in writes.iter().zip(done_per_model) {
            let done: BTreeSet<i64> = done.iter().map(|c| c.customer_id).collect();
            tier_changes += done.len();
            missed.extend(changes.iter().map(|c| c.customer_id).filter(|id| !done.contains(id)));
        }
        Ok(Written { applied, reread, missed, tier_changes, ..Default::default() })
    }
}

/// The ingest queue: requests waiting, and whether a writer task is running for them.
#[derive(Default)]
pub(super) struct IngestQueue {
    waiting: VecDeque<Queued>,
    writer: bool,
}

/// Marks the writer stopped if its task ends abnormally (a panic, or the runtime shutting
/// down), so that the next request starts another.
struct WriterRunning<'a> {
    engine: &'a LiveEngine,
    armed: bool,
}

impl Drop for WriterRunning<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.engine.queue.lock().unwrap_or_else(|e| e.into_inner()).writer = false;
        }
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

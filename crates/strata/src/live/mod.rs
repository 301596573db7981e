//! The server's tier engine, kept current: loaded from the store at start, then following the
//! store's change feed (`data_changes`), so writes made through this server, another server on
//! the same database or a CLI import re-evaluate the customers they touched. Tier changes found
//! this way are written with compare-and-set, so several servers record each change once. A
//! daily sweep (one server at a time, under a lease) moves "today" and refreshes cut points.

mod fits;
mod follow;
pub mod ingest;
pub mod models;

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, RwLock, RwLockReadGuard,
};

use chrono::NaiveDate;
use serde::Serialize;
use strata_core::metrics::Day;
use strata_store::Store;

use crate::tiering::{
    host::{self, Loaded},
    sweep,
};
pub use follow::Synced;

/// Where the engine is.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    /// Not loaded yet (the server is reading the store).
    Loading,
    Ready {
        customers: usize,
        models: usize,
        /// The business day the engine evaluates as of.
        today: String,
        /// The last change-feed entry applied.
        seq: i64,
        engine_bytes: usize,
    },
    /// Loading failed; the message says why. Tier endpoints answer 503 until a reload works.
    Failed { message: String },
}

/// The engine shared by every request handler and the follower task.
pub struct LiveEngine {
    store: Store,
    /// A fixed business date (demos and tests); None = today in UTC+8.
    fixed_today: Option<NaiveDate>,
    /// The business time zone: what today is.
    timezone: chrono::FixedOffset,
    holder: String,
    loaded: RwLock<Option<Loaded>>,
    failed: RwLock<Option<String>>,
    follow: tokio::sync::Mutex<follow::Follow>,
    /// Whether `run` loads and follows in the background (else the first request loads).
    background: AtomicBool,
    /// Ingest requests waiting for the writer (see ingest.rs).
    queue: std::sync::Mutex<ingest::IngestQueue>,
}

/// What a reader sees: the loaded engine, under a read lock (do not hold across `.await`).
pub type EngineRead<'a> = RwLockReadGuard<'a, Option<Loaded>>;

impl LiveEngine {
    pub fn new(store: Store, fixed_today: Option<NaiveDate>, timezone: chrono::FixedOffset) -> Arc<LiveEngine> {
        Arc::new(LiveEngine {
            store,
            fixed_today,
            timezone,
            holder: sweep::holder_id(),
            loaded: RwLock::new(None),
            failed: RwLock::new(None),
            follow: tokio::sync::Mutex::new(follow::Follow::default()),
            background: AtomicBool::new(false),
            queue: Default::default(),
        })
    }

    /// The business day now.
    pub fn today(&self) -> Day {
        crate::tiering::today(self.timezone, self.fixed_today)
    }

    /// The loaded engine (None while loading).
    pub fn read(&self) -> EngineRead<'_> {
        self.loaded.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Customers per tier of model `key` as the engine holds it (tier keys in order, tiers
    /// without customers left out, as `Store::tier_counts` gives them) when the engine holds
    /// `version` of it: counting a million positions takes a millisecond where the store scans
    /// every customer's row. None while the engine is not loaded or holds another version (a
    /// preview or publish in progress installs a draft for a moment).
    pub fn tier_counts(&self, key: &str, version: i64) -> Option<Vec<(String, i64)>> {
        let guard = self.read();
        let loaded = guard.as_ref()?;
        let engine = &loaded.engine;
        let m = engine.catalog.models.iter().position(|model| model.key() == key)?;
        if loaded.version(m) != version {
            return None;
        }
        let labels = &engine.catalog.models[m].tiers;
        let mut counts = vec![0i64; labels.len()];
        for &t in &engine.tiers[m] {
            if let Some(n) = counts.get_mut(usize::from(t)) {
                *n += 1;
            }
        }
        let mut out: Vec<(String, i64)> = labels.iter().zip(counts).filter(|(_, n)| *n > 0).map(|(l, n)| (l.key.clone(), n)).collect();
        out.sort();
        Some(out)
    }

    /// The tiers of loaded model `key`, best first (None while the engine is not loaded or
    /// does not hold the model).
    pub fn tier_labels(&self, key: &str) -> Option<Vec<strata_core::tiering::TierLabel>> {
        let guard = self.read();
        let loaded = guard.as_ref()?;
        loaded.engine.catalog.models.iter().find(|model| model.key() == key).map(|m| m.tiers.clone())
    }

    pub fn status(&self) -> Status {
        if let Some(l) = self.read().as_ref() {
            let seq = self.follow.try_lock().map_or(-1, |f| f.seq);
            return Status::Ready {
                customers: l.engine.customers(),
                models: l.engine.catalog.models.len(),
                today: strata_core::metrics::date_of(l.engine.today()).to_string(),
                seq,
                engine_bytes: l.engine.heap_bytes(),
            };
        }
        match self.failed.read().unwrap_or_else(|e| e.into_inner()).clone() {
            Some(message) => Status::Failed { message },
            None => Status::Loading,
        }
    }

    /// Ready to answer: loaded, or loaded now when no background task is loading it.
    pub async fn ensure_loaded(&self) -> anyhow::Result<()> {
        if self.read().is_some() {
            return Ok(());
        }
        if self.background.load(Ordering::Relaxed) {
            return Err(models::EngineLoading.into());
        }
        let mut f = self.follow.lock().await;
        if self.read().is_some() {
            return Ok(());
        }
        self.reload(&mut f).await
    }

    /// Loads everything from the store (replacing what is loaded), then writes the tiers that
    /// changed while nobody followed the store (reason `catch_up`).
    pub async fn load(&self) -> anyhow::Result<()> {
        let mut f = self.follow.lock().await;
        self.reload(&mut f).await
    }

    async fn reload(&self, f: &mut follow::Follow) -> anyhow::Result<()> {
        let seq = self.store.last_change_seq().await?;
        let today = self.today();
        let started = std::time::Instant::now();
        match host::load(&self.store, today, None).await {
            Ok(mut loaded) => {
                tracing::info!(
                    customers = loaded.engine.customers(),
                    models = loaded.engine.catalog.models.len(),
                    seconds = started.elapsed().as_secs_f64(),
                    engine_mb = loaded.engine.heap_bytes() / 1_000_000,
                    "tier engine loaded"
                );
                if sweep::take_lease(&self.store, &self.holder).await? {
                    let result = sweep::sweep(&self.store, &mut loaded, today, "catch_up").await;
                    self.store.finish_lease(sweep::JOB, &self.holder, &strata_core::metrics::date_of(today).to_string()).await?;
                    result?;
                }
                *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded);
                *self.failed.write().unwrap_or_else(|e| e.into_inner()) = None;
                f.reset(seq);
                // The load's buffers and any engine it replaced are freed by now.
                crate::memory::release_free();
                let resident = crate::memory::Resident::now();
                tracing::debug!(rss_mb = resident.rss_mb, peak_rss_mb = resident.peak_rss_mb, "memory after the load");
                Ok(())
            }
            Err(e) => {
                *self.failed.write().unwrap_or_else(|e| e.into_inner()) = Some(format!("{e:#}"));
                Err(e)
            }
        }
    }

    /// Applies every change-feed entry not applied yet and writes the tier changes they cause.
    /// Request handlers call this after a write so the response shows the new tiers.
    pub async fn sync(&self) -> anyhow::Result<Synced> {
        let mut f = self.follow.lock().await;
        if self.read().is_none() {
            return Ok(Synced::default());
        }
        self.follow_feed(&mut f).await
    }

    /// Runs until the process ends: load, then follow the feed every `every` and sweep when the
    /// business day changes.
    pub async fn run(self: Arc<Self>, every: std::time::Duration) {
        self.background.store(true, Ordering::Relaxed);
        let mut wait = every;
        loop {
            let ready = self.read().is_some();
            let step = if ready { self.tick().await } else { self.load().await };
            match step {
                Ok(()) => wait = every,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "tier engine step failed; retrying");
                    wait = (wait * 2).min(std::time::Duration::from_secs(60));
                }
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// One step of the follower: the feed, then the daily sweep if the day moved.
    async fn tick(&self) -> anyhow::Result<()> {
        let mut f = self.follow.lock().await;
        let synced = self.follow_feed(&mut f).await?;
        if synced.customers > 0 {
            tracing::debug!(customers = synced.customers, tier_changes = synced.tier_changes, "followed the change feed");
        }
        let today = self.today();
        let behind = self.read().as_ref().is_some_and(|l| l.engine.today() < today);
        if behind && self.daily_sweep(today).await? {
            drop(f);
            self.refit_due(today).await?;
        }
        Ok(())
    }

    /// Moves the engine to `today`; the lease holder writes the changes (and refreshes cut
    /// points that are due); other servers only move their own engine and pick the refreshed
    /// cut points up from the feed.
    /// Returns whether this server led the sweep (and so also runs the scheduled refits).
    async fn daily_sweep(&self, today: Day) -> anyhow::Result<bool> {
        let day = strata_core::metrics::date_of(today).to_string();
        let lead =
            self.store.job_last_run(sweep::JOB).await?.is_none_or(|d| d < day) && sweep::take_lease(&self.store, &self.holder).await?;
        let prepared = {
            let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
            let Some(loaded) = guard.as_mut() else { return Ok(false) };
            if lead {
                Some(sweep::advance(loaded, today)?)
            } else {
                loaded.engine.advance(today);
                None
            }
        };
        let Some((refreshed, snapshot)) = prepared else { return Ok(false) };
        let result = sweep::write(&self.store, &refreshed, &snapshot, today, "sweep").await;
        self.store.finish_lease(sweep::JOB, &self.holder, &day).await?;
        let lines = result?;
        tracing::info!(day = %day, changes = lines.iter().map(|l| l.changes).sum::<usize>(), "daily tier sweep");
        Ok(true)
    }
}

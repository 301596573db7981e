//! Purchase-model fits on the loaded engine: histories read from the engine's own order book,
//! the fit stored, the engine re-evaluated with it, and the tier changes of models that read
//! predictions written (reason `refit`). Also the scheduled refit of the daily sweep.

use strata_core::metrics::{Day, EventKind};
use strata_store::ModelFit;

use super::{models::EngineLoading, LiveEngine};
use crate::{
    forecast::{self, FitError, FitKind, FitRequest},
    tiering::{host::TierSnapshot, sweep},
};

/// A fit whose calibration period ended this many days before today is refitted by the daily
/// sweep (calibration end = today, same unit).
pub const REFIT_AFTER_DAYS: i32 = 30;

impl LiveEngine {
    /// Fits `request` on the loaded customers, stores it and puts it in force. Returns the fit
    /// and the number of tier changes written.
    pub async fn fit(&self, request: FitRequest, actor: &str) -> anyhow::Result<(ModelFit, usize)> {
        let _f = self.follow.lock().await;
        let today = self.today();
        let histories = {
            let guard = self.read();
            let loaded = guard.as_ref().ok_or(EngineLoading)?;
            forecast::histories(loaded.engine.book(EventKind::Orders), request, today)?
        };
        let actor = actor.to_string();
        let new = tokio::task::spawn_blocking(move || forecast::fit_histories(&histories, request, &actor)).await??;
        // This server puts the fit in force below; its follower skips the feed entry.
        let fit = self.store.save_model_fit(&new, Some(&self.holder)).await?;
        let changes = self.put_fits_in_force(today, "refit").await?;
        Ok((fit, changes))
    }

    /// Re-installs the models with the fits in force and, when a model reads predictions, writes
    /// the tier changes under the sweep lease.
    async fn put_fits_in_force(&self, today: Day, reason: &str) -> anyhow::Result<usize> {
        self.install(None).await?;
        let snapshot = {
            let guard = self.read();
            let loaded = guard.as_ref().ok_or(EngineLoading)?;
            if !loaded.engine.catalog.models.iter().any(|m| m.reads_predictions()) {
                return Ok(0);
            }
            TierSnapshot::of(loaded)
        };
        if !sweep::take_lease(&self.store, &self.holder).await? {
            tracing::info!("another process holds the sweep lease; it writes the tiers the new fit moves");
            return Ok(0);
        }
        let last_run = self.store.job_last_run(sweep::JOB).await?.unwrap_or_default();
        let lines = sweep::write(&self.store, &[], &snapshot, today, reason).await;
        self.store.finish_lease(sweep::JOB, &self.holder, &last_run).await?;
        Ok(lines?.iter().map(|l| l.changes).sum())
    }

    /// The daily sweep's refit: fits whose calibration ended `REFIT_AFTER_DAYS` or more before
    /// today are fitted again with today as the calibration end. A fit that fails keeps the
    /// previous one in force (and is logged). Returns the kinds refitted.
    pub async fn refit_due(&self, today: Day) -> anyhow::Result<Vec<String>> {
        let fits = self.store.current_model_fits().await?;
        let age =
            |f: &ModelFit| f.calibration_end.parse::<chrono::NaiveDate>().map_or(i32::MAX, |d| today - strata_core::metrics::day_of(d));
        let due: Vec<ModelFit> = fits.into_iter().filter(|f| age(f) >= REFIT_AFTER_DAYS).collect();
        let mut refitted = Vec::new();
        for old in due {
            let kind = if old.kind == "bgnbd" { FitKind::Bgnbd } else { FitKind::GammaGamma };
            let unit = strata_core::predict::TimeUnit::parse(&old.time_unit).unwrap_or(strata_core::predict::TimeUnit::Days);
            match self.fit(FitRequest { kind, calibration_end: None, unit }, "schedule").await {
                Ok((fit, changes)) => {
                    tracing::info!(kind = %fit.kind, id = fit.id, changes, "scheduled refit");
                    refitted.push(fit.fit.kind);
                }
                Err(e) => match e.downcast_ref::<FitError>() {
                    Some(f) => {
                        tracing::warn!(kind = %old.kind, code = f.code(), error = %f, "scheduled refit failed; the previous fit stays in force")
                    }
                    None => return Err(e),
                },
            }
        }
        Ok(refitted)
    }
}

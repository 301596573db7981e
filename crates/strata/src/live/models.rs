//! Previewing and publishing model versions on the loaded engine: the draft is installed next
//! to the published models, evaluated over every customer, and either the published catalog is
//! put back (preview) or the new version is written and stays (publish). Both run in step with
//! the feed follower, so no change is applied halfway through.

use strata_core::tiering::{model::Catalog, spec::ModelSpec};

use super::LiveEngine;
use crate::tiering::{
    host::{self, ModelsInvalid},
    preview::{self, Preview},
    publish::{self, Published},
};

/// The engine is not loaded yet.
#[derive(Debug, thiserror::Error)]
#[error("the tier engine is still loading the customer data; try again in a moment")]
pub struct EngineLoading;

impl LiveEngine {
    /// Installs the published models with `replace` standing in for its key (None: exactly
    /// the published ones), all with their stored cut points except `replace`'s (fitted now).
    /// Models that do not check leave the engine as it was.
    pub(super) async fn install(&self, replace: Option<&ModelSpec>) -> anyhow::Result<Vec<Option<strata_store::ModelVersion>>> {
        let published = self.store.published_models().await?;
        let (specs, versions, cuts) = host::catalog_inputs(&published, replace)?;
        let forecast = crate::forecast::forecast_of(&self.store.current_model_fits().await?);
        let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        let loaded = guard.as_mut().ok_or(EngineLoading)?;
        loaded.schema.forecast = forecast;
        loaded.engine.set_forecast(forecast);
        let catalog = Catalog::compile(&specs, &loaded.schema).map_err(ModelsInvalid)?;
        loaded.engine.load(catalog, &loaded.schema, cuts);
        loaded.versions = versions.clone();
        Ok(versions)
    }

    /// Checks `spec` against the published models and the schema, without evaluating.
    pub fn check(&self, spec: &ModelSpec) -> anyhow::Result<Catalog> {
        let guard = self.read();
        let loaded = guard.as_ref().ok_or(EngineLoading)?;
        let published: Vec<ModelSpec> =
            loaded.engine.catalog.models.iter().filter(|m| m.key() != spec.key).map(|m| m.spec.clone()).collect();
        let mut all = published;
        all.push(spec.clone());
        Ok(Catalog::compile(&all, &loaded.schema).map_err(ModelsInvalid)?)
    }

    /// Evaluates `spec` over every customer against the tiers in force; saves it as a preview
    /// version. Returns the version number and the preview.
    pub async fn preview(&self, spec: &ModelSpec, samples: usize, actor: &str) -> anyhow::Result<(i64, Preview)> {
        let _f = self.follow.lock().await;
        let stored = self.store.current_tiers(&spec.key).await?;
        self.install(Some(spec)).await?;
        let result = {
            let guard = self.read();
            let loaded = guard.as_ref().ok_or(EngineLoading)?;
            preview::of_engine(&loaded.engine, &spec.key, stored, samples)
        };
        // Put the published models back whatever happened.
        self.install(None).await?;
        let p = result?;
        Ok((preview::save(&self.store, spec, &p, actor).await?, p))
    }

    /// Publishes `spec` (as stored `version`, or a new version) and writes every tier change.
    pub async fn publish(&self, spec: &ModelSpec, version: Option<i64>, actor: &str) -> anyhow::Result<Published> {
        let _f = self.follow.lock().await;
        self.install(Some(spec)).await?;
        let prepared = {
            let guard = self.read();
            let loaded = guard.as_ref().ok_or(EngineLoading)?;
            publish::prepare(loaded, spec)
        };
        let written = match prepared {
            Ok((prepared, counts)) => publish::write(&self.store, spec, version, prepared, counts, actor).await,
            Err(e) => Err(e),
        };
        // Re-install from the store: the new version with its stored cut points if the publish
        // landed, the previous catalog if it did not.
        self.install(None).await?;
        written
    }
}

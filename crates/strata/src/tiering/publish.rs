//! Publishing a model version: the full re-evaluation with the new version in force, its
//! fresh cut points stored with it, and every resulting tier change written (the new model's in
//! the publish transaction, other models' that read it after). Shared by `strata tier publish`
//! and the API.

use anyhow::Context;
use serde::Serialize;
use strata_core::tiering::spec::ModelSpec;
use strata_store::Store;

use super::host::{Loaded, TierSnapshot};

/// An evaluation with the new version installed, ready to be written.
pub struct Prepared {
    snapshot: TierSnapshot,
    /// Index of the new model in the snapshot.
    model: usize,
    /// The new version's cut points (JSON).
    cuts: String,
    customers: usize,
}

/// Customers in one tier after a publish.
#[derive(Debug, Clone, Serialize)]
pub struct TierCount {
    pub tier: String,
    pub name: String,
    pub customers: usize,
}

/// What a publish did.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub model: String,
    pub version: i64,
    pub customers: usize,
    /// Tier changes recorded in all models.
    pub changes: usize,
    pub counts: Vec<TierCount>,
}

/// Captures the evaluation of `loaded`, in which `spec`'s model was installed uncalibrated.
pub fn prepare(loaded: &Loaded, spec: &ModelSpec) -> anyhow::Result<(Prepared, Vec<TierCount>)> {
    let engine = &loaded.engine;
    let m = engine.catalog.index(&spec.key).context("the model is missing after loading it")?;
    let cuts = serde_json::to_string(&engine.states[m].calibration)?;
    let counts = engine.catalog.models[m]
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| TierCount {
            tier: t.key.clone(),
            name: t.name.clone(),
            customers: engine.tiers[m].iter().filter(|&&x| usize::from(x) == i).count(),
        })
        .collect();
    Ok((Prepared { snapshot: TierSnapshot::of(loaded), model: m, cuts, customers: engine.customers() }, counts))
}

/// Saves `spec` as a new version unless `version` (or the latest draft with the same text)
/// already holds it, publishes it and writes every tier change.
pub async fn write(
    store: &Store,
    spec: &ModelSpec,
    version: Option<i64>,
    prepared: Prepared,
    counts: Vec<TierCount>,
    actor: &str,
) -> anyhow::Result<Published> {
    let text = spec.to_toml();
    let version = match version {
        Some(v) => v,
        None => match store.model_versions(&spec.key).await?.into_iter().next() {
            Some(v) if v.spec == text && matches!(v.status.as_str(), "draft" | "preview") => v.version,
            _ => store.save_model_version(&spec.key, &spec.name, spec.kind.name(), &text, "draft", actor).await?,
        },
    };
    let mut moved = 0;
    // The new model first: its publish is the transaction that can be refused.
    let mut order: Vec<usize> = (0..prepared.snapshot.models.len()).collect();
    order.sort_by_key(|&m| m != prepared.model);
    for m in order {
        let model = &prepared.snapshot.models[m];
        let stored = store.current_tier_indices(&model.key, &model.labels).await?;
        let changes = prepared.snapshot.changes(m, &stored);
        moved += changes.len();
        if m == prepared.model {
            store.publish_model(&model.key, version, &prepared.cuts, &changes).await?;
        } else {
            store.record_tier_changes(&model.key, model.version, &changes, "publish").await?;
        }
    }
    Ok(Published { model: spec.key.clone(), version, customers: prepared.customers, changes: moved, counts })
}

//! Loading the tier engine from the store (customers, events, attributes, published models with
//! their cut points) and writing tier changes back as history.

use anyhow::Context;
use strata_core::{
    engine::{attributes::schema_of, calibration::Calibration, Engine},
    metrics::{CustomerIndex, Day, EventKind},
    rules::schema::Schema,
    tiering::{
        model::{Catalog, ModelError},
        rfm::NO_TIER,
        spec::ModelSpec,
    },
};
use strata_store::{ModelVersion, Store, StoredTiers, TierWrite};

/// Models that do not check together (each error with its model, path, position and fix).
#[derive(Debug, thiserror::Error)]
#[error("the models do not check:\n{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ModelsInvalid(pub Vec<ModelError>);

/// The engine with the stored versions its models came from.
pub struct Loaded {
    pub engine: Engine,
    /// The schema of custom fields (without models).
    pub schema: Schema,
    /// Per catalog model: the stored version (None for a model being previewed).
    pub versions: Vec<Option<ModelVersion>>,
}

impl Loaded {
    /// The published version of catalog model `m` (0 for a model being previewed).
    pub fn version(&self, m: usize) -> i64 {
        self.versions.get(m).and_then(|v| v.as_ref()).map_or(0, |v| v.version)
    }
}

/// Threads the engine uses for full evaluations.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).min(16)
}

/// Reads customers, events and attributes into an engine without models.
pub async fn engine_state(store: &Store, today: Day) -> anyhow::Result<(Engine, Schema)> {
    let index = CustomerIndex::new(store.customer_ids().await?);
    let mut books = Vec::new();
    for kind in EventKind::ALL {
        books.push(store.event_book(kind, &index).await.with_context(|| format!("reading {}", kind.name()))?);
    }
    let defs = store.list_custom_fields().await?;
    let attrs = store.customer_attributes(&index, &defs).await?;
    let forecast = crate::forecast::forecast_of(&store.current_model_fits().await?);
    let mut engine = Engine::new(index, books, attrs, today, threads());
    engine.set_forecast(forecast);
    let mut schema = schema_of(&defs);
    schema.forecast = forecast;
    Ok((engine, schema))
}

/// Model files, their stored versions and the cut points in force, aligned by index.
pub type CatalogInputs = (Vec<ModelSpec>, Vec<Option<ModelVersion>>, Vec<Option<Calibration>>);

/// The published models, with `replace` standing in for (or added next to) the model of the
/// same key. Returns specs, their stored versions and cut points in force.
pub fn catalog_inputs(published: &[ModelVersion], replace: Option<&ModelSpec>) -> anyhow::Result<CatalogInputs> {
    let mut specs = Vec::new();
    let mut versions = Vec::new();
    let mut cuts = Vec::new();
    for v in published {
        if replace.is_some_and(|r| r.key == v.key) {
            continue;
        }
        let spec =
            ModelSpec::from_toml(&v.spec).map_err(|e| anyhow::anyhow!("stored model {} v{} does not parse: {e}", v.key, v.version))?;
        specs.push(spec);
        cuts.push(v.calibration.as_deref().and_then(|c| serde_json::from_str(c).ok()));
        versions.push(Some(v.clone()));
    }
    if let Some(r) = replace {
        specs.push(r.clone());
        versions.push(None);
        cuts.push(None);
    }
    Ok((specs, versions, cuts))
}

/// Loads the engine with the published models (and `replace`, when previewing or publishing).
pub async fn load(store: &Store, today: Day, replace: Option<&ModelSpec>) -> anyhow::Result<Loaded> {
    let (mut engine, schema) = engine_state(store, today).await?;
    let published = store.published_models().await?;
    let (specs, versions, cuts) = catalog_inputs(&published, replace)?;
    let catalog = Catalog::compile(&specs, &schema).map_err(ModelsInvalid)?;
    // Evaluating every customer takes seconds at a million: off the async workers.
    let (engine, schema) = tokio::task::spawn_blocking(move || {
        engine.load(catalog, &schema, cuts);
        (engine, schema)
    })
    .await
    .context("evaluating the models")?;
    Ok(Loaded { engine, schema, versions })
}

/// The key of tier index `t` of model `m` (None for no tier).
pub fn tier_key(engine: &Engine, m: usize, t: u16) -> Option<&str> {
    if t == NO_TIER {
        return None;
    }
    engine.catalog.models[m].tiers.get(usize::from(t)).map(|l| l.key.as_str())
}

/// The tier key of every position in model `m` (None = no tier).
pub fn tier_keys(engine: &Engine, m: usize) -> Vec<Option<&str>> {
    engine.tiers[m].iter().map(|&t| tier_key(engine, m, t)).collect()
}

/// Stored tiers (customer id, tier) placed at the engine's positions.
pub fn align(engine: &Engine, stored: Vec<(i64, String)>) -> Vec<Option<String>> {
    let mut out = vec![None; engine.customers()];
    for (id, tier) in stored {
        if let Some(p) = engine.index.position(id) {
            out[p as usize] = Some(tier);
        }
    }
    out
}

/// The tiers of every model at one moment, detached from the engine (so the store can be
/// compared and written without holding the engine).
pub struct TierSnapshot {
    /// Customer id per position (ascending).
    pub ids: Vec<i64>,
    pub models: Vec<ModelTiers>,
}

/// One model's tiers in a snapshot.
pub struct ModelTiers {
    pub key: String,
    /// The published version (0 for a model being previewed).
    pub version: i64,
    /// Tier keys by tier index.
    pub labels: Vec<String>,
    /// Tier index per position (`NO_TIER` = none).
    pub tiers: Vec<u16>,
}

impl TierSnapshot {
    pub fn of(loaded: &Loaded) -> TierSnapshot {
        let e = &loaded.engine;
        let models = e
            .catalog
            .models
            .iter()
            .enumerate()
            .map(|(m, model)| ModelTiers {
                key: model.key().to_string(),
                version: loaded.version(m),
                labels: model.tiers.iter().map(|t| t.key.clone()).collect(),
                tiers: e.tiers[m].clone(),
            })
            .collect();
        TierSnapshot { ids: e.index.ids().to_vec(), models }
    }

    /// Differences from the stored tiers of model `m` (as `Store::current_tier_indices`
    /// returns them for this model's labels). Stored tiers of customers unknown here are kept.
    pub fn changes(&self, m: usize, stored: &StoredTiers) -> Vec<TierWrite> {
        let model = &self.models[m];
        let label = |t: u16| if t == NO_TIER { None } else { model.labels.get(usize::from(t)).cloned() };
        let mut out = Vec::new();
        let mut s = stored.known.iter().peekable();
        for (p, &id) in self.ids.iter().enumerate() {
            while s.peek().is_some_and(|(sid, _)| *sid < id) {
                s.next();
            }
            let old = match s.peek().filter(|(sid, _)| *sid == id) {
                Some(&&(_, i)) => label(i),
                None => stored.other.get(&id).cloned(),
            };
            let new = label(model.tiers.get(p).copied().unwrap_or(NO_TIER));
            if old != new {
                out.push(TierWrite { customer_id: id, from: old, to: new });
            }
        }
        out
    }
}

//! A preview of a model version over every customer: counts per tier, the migration matrix from
//! the tiers in force, and sample customers per cell. Nothing is written but the preview itself.

use std::collections::BTreeMap;

use serde::Serialize;
use strata_core::{engine::Engine, tiering::spec::ModelSpec};
use strata_store::Store;

use super::host;

/// How many customers move from one tier to another.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub from: Option<String>,
    pub to: Option<String>,
    pub customers: u64,
    /// Up to a few customer ids, lowest first.
    pub samples: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub model: String,
    pub customers: u64,
    /// Customers per tier in the preview, in tier order (None = no tier).
    pub counts: Vec<(Option<String>, u64)>,
    /// Customers whose tier would change.
    pub moving: u64,
    /// Every (from, to) pair with at least one customer.
    pub matrix: Vec<Cell>,
}

/// Builds the preview from stored tiers (`before`) and the draft's tiers (`after`), per
/// position; `ids` maps positions to customer ids. `order` lists the draft's tier keys.
pub fn preview(model: &str, order: &[String], ids: &[i64], before: &[Option<String>], after: &[Option<&str>], samples: usize) -> Preview {
    let mut cells: BTreeMap<(Option<String>, Option<String>), Cell> = BTreeMap::new();
    let mut counts: BTreeMap<Option<String>, u64> = BTreeMap::new();
    let mut moving = 0;
    for (p, (b, a)) in before.iter().zip(after).enumerate() {
        let a = a.map(String::from);
        *counts.entry(a.clone()).or_default() += 1;
        if *b != a {
            moving += 1;
        }
        let cell =
            cells.entry((b.clone(), a.clone())).or_insert_with(|| Cell { from: b.clone(), to: a, customers: 0, samples: Vec::new() });
        cell.customers += 1;
        if cell.samples.len() < samples {
            cell.samples.push(ids[p]);
        }
    }
    let rank = |k: &Option<String>| k.as_ref().and_then(|k| order.iter().position(|o| o == k)).unwrap_or(usize::MAX);
    let mut counts: Vec<(Option<String>, u64)> = counts.into_iter().collect();
    counts.sort_by_key(|(k, _)| rank(k));
    let mut matrix: Vec<Cell> = cells.into_values().collect();
    matrix.sort_by_key(|c| (rank(&c.from), rank(&c.to)));
    Preview { model: model.to_string(), customers: before.len() as u64, counts, moving, matrix }
}

/// The preview of catalog model `key` as the engine evaluated it, against the stored tiers
/// (customer id, tier).
pub fn of_engine(engine: &Engine, key: &str, stored: Vec<(i64, String)>, samples: usize) -> anyhow::Result<Preview> {
    let m = engine.catalog.index(key).ok_or_else(|| anyhow::anyhow!("model `{key}` is missing after installing it"))?;
    let order: Vec<String> = engine.catalog.models[m].tiers.iter().map(|t| t.key.clone()).collect();
    let before = host::align(engine, stored);
    Ok(preview(key, &order, engine.index.ids(), &before, &host::tier_keys(engine, m), samples))
}

/// Saves `spec` as a new version carrying preview `p`; returns the version number.
pub async fn save(store: &Store, spec: &ModelSpec, p: &Preview, actor: &str) -> anyhow::Result<i64> {
    let version = store.save_model_version(&spec.key, &spec.name, spec.kind.name(), &spec.to_toml(), "draft", actor).await?;
    store.set_model_preview(&spec.key, version, &serde_json::to_string(p)?).await?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_matrix_and_samples() {
        let order = vec!["A".to_string(), "B".to_string()];
        let before = vec![Some("A".to_string()), Some("A".to_string()), None, Some("B".to_string())];
        let after = vec![Some("A"), Some("B"), Some("B"), Some("B")];
        let p = preview("m", &order, &[10, 11, 12, 13], &before, &after, 1);
        assert_eq!(p.counts, vec![(Some("A".into()), 1), (Some("B".into()), 3)]);
        assert_eq!(p.moving, 2);
        type Row<'a> = (Option<&'a str>, Option<&'a str>, u64, Vec<i64>);
        let cells: Vec<Row> = p.matrix.iter().map(|c| (c.from.as_deref(), c.to.as_deref(), c.customers, c.samples.clone())).collect();
        assert_eq!(
            cells,
            vec![
                (Some("A"), Some("A"), 1, vec![10]),
                (Some("A"), Some("B"), 1, vec![11]),
                (Some("B"), Some("B"), 1, vec![13]),
                (None, Some("B"), 1, vec![12])
            ]
        );
    }
}

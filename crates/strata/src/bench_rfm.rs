//! `strata bench rfm`: the peers' RFM workload through Strata — import, rebuild the engine's
//! state from the store, evaluate the preset RFM model from memory — printed as one JSON line
//! with the peers' checksum definitions (see ../shared/bench/peers/rfm_common.py).

use std::{collections::BTreeMap, path::Path, time::Instant};

use anyhow::Context;
use serde_json::json;
use strata_core::{
    import::Entity,
    metrics::{day_of, CustomerIndex, EventKind},
    tiering::{
        rfm::{self, Buckets, RfmOutcome, NO_TIER},
        segments::{standard_rules, standard_tiers, SegmentMap},
    },
};
use strata_store::Store;

use crate::{
    bench::{fresh_store, import_file, round3},
    config::Config,
    memory::{peak_rss_mb, reset_peak_rss},
};

/// Process CPU time (user + system, all threads) in seconds, from /proc/self/stat (Linux;
/// 0 elsewhere). Resolution is one clock tick (10 ms).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at field 3; utime and
    // stime are fields 14 and 15, in ticks of 1/100 s.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The benchmark's as-of date: the day after the generated window.
const AS_OF: &str = "2025-01-01";

pub async fn run(config: &Config, data: &Path, reuse: Option<&str>, repeat: usize) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let (store, cleanup) = match reuse {
        Some(url) => (Store::open(url).await.with_context(|| format!("opening {url}"))?, None),
        None => {
            let (store, _, cleanup) = fresh_store(config, tmp.path()).await?;
            (store, cleanup)
        }
    };
    let mut import_s = None;
    let existing = store.list_customers(&strata_store::CustomerFilter::default(), strata_store::CustomerSort::Id, 0, 1).await?.total;
    if existing == 0 {
        let (_, _, a) = import_file(&store, data, "customers.csv", Entity::Customers, tmp.path()).await?;
        let (_, _, b) = import_file(&store, data, "orders.csv", Entity::Orders, tmp.path()).await?;
        import_s = Some(round3(a + b));
    }
    let today = day_of(AS_OF.parse()?);
    let tiers = standard_tiers();
    let map = SegmentMap::compile(&standard_rules(), &tiers, [5, 5, 5], false)?;
    let q = Buckets::Quantiles(5);

    reset_peak_rss();
    let started = Instant::now();
    let index = CustomerIndex::new(store.customer_ids().await?);
    let orders = store.event_book(EventKind::Orders, &index).await?;
    let outcome = rfm::evaluate(&orders, today, [&q, &q, &q], &map, None);
    let rebuild_s = started.elapsed().as_secs_f64();

    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..repeat.max(1) {
        let (t, c) = (Instant::now(), cpu_seconds());
        let again = rfm::evaluate(&orders, today, [&q, &q, &q], &map, None);
        walls.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_seconds() - c);
        anyhow::ensure!(again.tiers == outcome.tiers, "re-evaluation from memory disagrees with the rebuild");
    }
    let peak = peak_rss_mb();
    let external: BTreeMap<i64, i64> =
        store.customer_external_ids().await?.into_iter().filter_map(|(id, ext)| Some((id, ext?.parse().ok()?))).collect();
    let mut line = checksum(&outcome, &index, &external, &tiers);
    let models = crate::bench_models::measure(&store, today, repeat, &outcome.tiers).await?;
    let state_bytes = orders.heap_bytes() + index.heap_bytes();
    let extra = json!({
        "import_s": import_s, "rebuild_s": round3(rebuild_s), "eval_s": round3(median(&mut walls)),
        "eval_cpu_s": round3(median(&mut cpus)), "peak_rss_mb": (peak * 10.0).round() / 10.0,
        "orders": orders.len(), "state_bytes": state_bytes,
        "bytes_per_order": bytes_per(orders.heap_bytes(), orders.len()),
        "bytes_per_customer": bytes_per(index.heap_bytes(), index.len()),
        "backend": match store.kind() { strata_store::BackendKind::Sqlite => "sqlite", strata_store::BackendKind::Postgres => "postgres" },
    });
    if let (Some(obj), Some(more), Some(three)) = (line.as_object_mut(), extra.as_object(), models.as_object()) {
        obj.extend(more.clone());
        obj.extend(three.clone());
    }
    println!("{line}");
    store.close().await;
    if let Some(f) = cleanup {
        f.await?;
    }
    Ok(())
}

fn bytes_per(bytes: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        (bytes as f64 / n as f64 * 10.0).round() / 10.0
    }
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// The peers' checksum: sums, Σ customer_id × (100R + 10F + M) with the file's customer ids,
/// and segment counts by English name. Customers without orders are not rows (as in the peers).
pub fn checksum(
    outcome: &RfmOutcome,
    index: &CustomerIndex,
    external: &BTreeMap<i64, i64>,
    tiers: &[strata_core::tiering::TierLabel],
) -> serde_json::Value {
    let v = &outcome.values;
    let (mut rows, mut sr, mut sf, mut sm, mut fp) = (0u64, 0i64, 0i64, 0i128, 0i128);
    let mut segments = BTreeMap::<&str, u64>::new();
    for p in 0..v.len() {
        if v.frequency[p] == 0 {
            continue;
        }
        rows += 1;
        sr += i64::from(v.recency[p]);
        sf += i64::from(v.frequency[p]);
        sm += i128::from(v.monetary[p]);
        let id = index.id(p as u32);
        let cid = external.get(&id).copied().unwrap_or(id);
        let [r, f, m] = outcome.scores[p].map(i128::from);
        fp += i128::from(cid) * (100 * r + 10 * f + m);
        let t = outcome.tiers[p];
        if t != NO_TIER {
            *segments.entry(tiers[usize::from(t)].name_en.as_str()).or_default() += 1;
        }
    }
    json!({
        "rows": rows, "sum_recency": sr, "sum_frequency": sf, "sum_monetary": (sm as f64) / 100.0,
        "score_fingerprint": fp as i64, "segments": segments,
    })
}

#[cfg(test)]
mod tests {
    use strata_core::metrics::EventBook;

    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn checksum_skips_customers_without_orders() {
        let index = CustomerIndex::new(vec![1, 2]);
        let book = EventBook::empty(EventKind::Orders, 2);
        let tiers = standard_tiers();
        let map = SegmentMap::compile(&standard_rules(), &tiers, [5, 5, 5], false).unwrap();
        let q = Buckets::Quantiles(5);
        let outcome = rfm::evaluate(&book, 0, [&q, &q, &q], &map, None);
        assert_eq!(checksum(&outcome, &index, &BTreeMap::new(), &tiers)["rows"], 0);
    }
}

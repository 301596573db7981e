//! The three-model part of `strata bench rfm`: the preset RFM model, a 6-tier rule ladder and a
//! 5-dimension weighted score evaluated together by the engine — cold from the store, fully
//! again from memory (fresh cut points, every metric recomputed), and incrementally after one
//! new order.

use std::time::Instant;

use serde_json::json;
use strata_core::{
    engine::{attributes::Attributes, Engine},
    metrics::{CustomerIndex, Day, EventKind, EventRow},
    rules::schema::Schema,
    tiering::{model::Catalog, rfm::REVENUE, spec::ModelSpec},
};
use strata_store::Store;

use crate::{
    bench::round3,
    bench_rfm::{cpu_seconds, median},
    tiering::host::threads,
};

pub const LADDER: &str = r#"
key = "ladder"
name = "价值阶梯"
kind = "ladder"
[[tiers]]
key = "diamond"
name = "钻石"
when = "sum(orders.amount, last 365d) > 800 and count(orders, last 90d) >= 3"
[[tiers]]
key = "gold"
name = "黄金"
when = "sum(orders.amount, last 365d) > 500"
[[tiers]]
key = "silver"
name = "白银"
when = "count(orders, last 180d) >= 4"
[[tiers]]
key = "new"
name = "新客"
when = "days_since(first order) <= 180"
[[tiers]]
key = "dormant"
name = "沉睡"
when = "days_since(last order) > 120"
[[tiers]]
key = "regular"
name = "普通"
"#;

pub const SCORE: &str = r#"
key = "score"
name = "综合评分"
kind = "score"
[[dimensions]]
key = "revenue"
name = "近一年销售额"
expr = "sum(orders.amount, last 365d)"
weight = 30
normalise = "percentile"
[[dimensions]]
key = "frequency"
name = "近90天订单数"
expr = "count(orders, last 90d)"
weight = 20
normalise = "percentile"
[[dimensions]]
key = "recency"
name = "最近购买"
expr = "-days_since(last order)"
weight = 20
normalise = "min_max"
[[dimensions]]
key = "basket"
name = "平均客单价"
expr = "avg(orders.amount)"
weight = 10
normalise = "min_max"
[[dimensions]]
key = "momentum"
name = "近30天订单"
expr = "count(orders, last 30d)"
weight = 20
normalise = "bins"
bins = [[1, 40], [2, 70], [3, 100]]
[[tiers]]
key = "a"
name = "A"
min_score = 70
[[tiers]]
key = "b"
name = "B"
min_score = 45
[[tiers]]
key = "c"
name = "C"
min_score = 0
"#;

fn catalog() -> anyhow::Result<Catalog> {
    let mut specs = vec![ModelSpec::preset("rfm").ok_or_else(|| anyhow::anyhow!("rfm preset missing"))?];
    for text in [LADDER, SCORE] {
        specs.push(ModelSpec::from_toml(text).map_err(|e| anyhow::anyhow!(e))?);
    }
    Catalog::compile(&specs, &Schema::default()).map_err(|e| anyhow::anyhow!("bench models do not check: {e:?}"))
}

/// Runs the three-model measurements; `rfm_tiers` is the RFM-only result to agree with.
pub async fn measure(store: &Store, today: Day, repeat: usize, rfm_tiers: &[u16]) -> anyhow::Result<serde_json::Value> {
    let started = Instant::now();
    let index = CustomerIndex::new(store.customer_ids().await?);
    let orders = store.event_book(EventKind::Orders, &index).await?;
    let mut engine = Engine::new(index, vec![orders], Attributes::default(), today, threads());
    let catalog = catalog()?;
    engine.load(catalog.clone(), &Schema::default(), Vec::new());
    let rebuild_s = started.elapsed().as_secs_f64();
    let agree = engine.tiers[0].iter().zip(rfm_tiers).all(|(a, b)| *b == u16::MAX || a == b);
    anyhow::ensure!(agree, "the engine's RFM model disagrees with the RFM-only evaluation");

    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for _ in 0..repeat.max(1) {
        let before = engine.tiers.clone();
        let (t, c) = (Instant::now(), cpu_seconds());
        engine.load(catalog.clone(), &Schema::default(), Vec::new());
        walls.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_seconds() - c);
        anyhow::ensure!(engine.tiers == before, "a full re-evaluation from memory changed tiers");
    }

    // Re-evaluation from the maintained metric columns: fresh cut points, every tier.
    let (mut refit_walls, mut refit_cpus) = (Vec::new(), Vec::new());
    for _ in 0..repeat.max(1) {
        let before = engine.tiers.clone();
        let (t, c) = (Instant::now(), cpu_seconds());
        let changes = engine.refit_all();
        refit_walls.push(t.elapsed().as_secs_f64());
        refit_cpus.push(cpu_seconds() - c);
        anyhow::ensure!(changes.is_empty() && engine.tiers == before, "refitting from the maintained metrics changed tiers");
    }

    // Incremental: one new order for a spread of customers, each re-evaluated in all three models.
    let n = engine.customers().max(1);
    let mut micros = Vec::new();
    for k in 0..2000usize {
        let p = (k.wrapping_mul(2_654_435_761) % n) as u32;
        let mut row = EventRow::new(today);
        row.nums[0] = 12_345;
        row.flag = REVENUE;
        let t = Instant::now();
        engine.record(EventKind::Orders, p, &row);
        micros.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let counts = |m: usize| {
        let model = &engine.catalog.models[m];
        let mut c = serde_json::Map::new();
        for (i, t) in model.tiers.iter().enumerate() {
            c.insert(t.key.clone(), json!(engine.tiers[m].iter().filter(|&&x| usize::from(x) == i).count()));
        }
        c
    };
    Ok(json!({
        "models3_rebuild_s": round3(rebuild_s),
        "models3_eval_s": round3(median(&mut walls)),
        "models3_eval_cpu_s": round3(median(&mut cpus)),
        "models3_refit_s": round3(median(&mut refit_walls)),
        "models3_refit_cpu_s": round3(median(&mut refit_cpus)),
        "incremental_median_us": (median(&mut micros) * 10.0).round() / 10.0,
        "engine_bytes_per_customer": (engine.heap_bytes() as f64 / n as f64 * 10.0).round() / 10.0,
        "ladder": counts(1),
        "score": counts(2),
    }))
}

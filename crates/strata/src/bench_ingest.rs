//! `strata bench ingest`: sustained ingest of new orders through the live engine, persisted.
//! A server's engine is loaded from an existing store (the three benchmark models published if
//! none are), then orders for existing customers arrive in batches through `LiveEngine::ingest`,
//! the path `POST /api/v1/orders` takes: each batch is one import transaction, its new orders are
//! applied to the engine from the records, and the tier changes are written before the next
//! batch. Prints one JSON line with orders/s end to end.

use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use strata_core::{
    commerce::{OrderInput, OrderStatus},
    import::{CustomerRef, Entity, Record},
    metrics::date_of,
    money::Currency,
    tiering::spec::{ModelSpec, PRESETS},
};
use strata_store::Store;

use crate::{
    bench::round3,
    bench_rfm::median,
    live::LiveEngine,
    memory::peak_rss_mb,
    tiering::{host, publish},
};

/// The customers' external ids in one buffer: at size M, a million separate strings would add
/// an allocation and 24 bytes each to the process whose memory the benchmark reports.
struct ExternalIds {
    text: String,
    ends: Vec<usize>,
}

impl ExternalIds {
    fn of(ids: Vec<(i64, Option<String>)>) -> ExternalIds {
        let (mut text, mut ends) = (String::new(), Vec::with_capacity(ids.len()));
        for e in ids.into_iter().filter_map(|(_, e)| e) {
            text.push_str(&e);
            ends.push(text.len());
        }
        ExternalIds { text, ends }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// Publishes the RFM preset, the benchmark ladder and the score when nothing is published.
async fn ensure_models(store: &Store, today: strata_core::metrics::Day) -> anyhow::Result<()> {
    if !store.published_models().await?.is_empty() {
        return Ok(());
    }
    let rfm = PRESETS.iter().find(|(n, _)| *n == "rfm").map(|(_, t)| *t).context("rfm preset")?;
    for text in [rfm, crate::bench_models::LADDER, crate::bench_models::SCORE] {
        let spec = ModelSpec::from_toml(text).map_err(|e| anyhow::anyhow!("bench model: {e}"))?;
        let loaded = host::load(store, today, Some(&spec)).await?;
        let (prepared, counts) = publish::prepare(&loaded, &spec)?;
        publish::write(store, &spec, None, prepared, counts, "bench").await?;
    }
    Ok(())
}

/// Runs the ingest: `orders` new orders in batches of `batch`, as of business day `today`.
pub async fn run(store: Store, today: chrono::NaiveDate, orders: u64, batch: u64) -> anyhow::Result<()> {
    let day = strata_core::metrics::day_of(today);
    ensure_models(&store, day).await?;
    let live = LiveEngine::new(store.clone(), Some(today), strata_core::date::china_offset());
    let started = Instant::now();
    live.ensure_loaded().await?;
    let load_s = started.elapsed().as_secs_f64();
    let ids = store.customer_external_ids().await?;
    let customers = ids.len();
    let refs = ExternalIds::of(ids);
    anyhow::ensure!(!refs.is_empty(), "the store has no customers with an external id; import the benchmark data first");
    // As the server does: freed memory handed back after the load and every 5 s.
    crate::memory::release_free();
    let trimmer = crate::memory::spawn_trimmer(std::time::Duration::from_secs(5));
    let run = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()));
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut written, mut changes, mut reread, mut batch_s) = (0u64, 0usize, 0usize, Vec::new());
    let fields: Vec<String> = ["external_id", "customer_external_id", "order_date", "amount"].iter().map(|s| s.to_string()).collect();
    let t0 = Instant::now();
    while written < orders {
        let n = batch.min(orders - written);
        let records: Vec<(u64, Record)> = (0..n)
            .map(|i| {
                let who = refs.get((next() % refs.len() as u64) as usize);
                let order = OrderInput {
                    external_id: format!("ING-{run}-{}", written + i),
                    order_date: today,
                    amount_cents: 1_000 + (next() % 500_000) as i64,
                    currency: Currency::CNY,
                    product_line: None,
                    status: OrderStatus::Completed,
                };
                (i + 2, Record::Order(CustomerRef { external_id: Some(who.to_string()), name: None }, order))
            })
            .collect();
        let b0 = Instant::now();
        let out = live.ingest(Entity::Orders, &fields, records, ("bench-ingest", "bench"), None).await?;
        anyhow::ensure!(out.rejected.is_empty(), "ingest rows were rejected: {:?}", out.rejected.first());
        changes += out.tier_changes;
        reread += out.reread;
        batch_s.push(b0.elapsed().as_secs_f64());
        written += n;
    }
    let secs = t0.elapsed().as_secs_f64();
    trimmer.abort();
    let p99 = {
        let mut v = batch_s.clone();
        v.sort_by(f64::total_cmp);
        v.get(((v.len() as f64) * 0.99) as usize).or(v.last()).copied().unwrap_or(0.0)
    };
    let status = live.status();
    println!(
        "{}",
        json!({
            "bench": "ingest", "backend": format!("{:?}", store.kind()).to_lowercase(), "today": date_of(day).to_string(),
            "customers": customers, "orders": written, "batch": batch, "load_s": round3(load_s), "seconds": round3(secs),
            "orders_per_s": (written as f64 / secs).round(), "batch_median_s": round3(median(&mut batch_s)), "batch_p99_s": round3(p99),
            "tier_changes": changes, "customers_reread": reread, "engine": status, "peak_rss_mb": (peak_rss_mb() * 10.0).round() / 10.0,
        })
    );
    Ok(())
}

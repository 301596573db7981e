//! `strata bench bgnbd`: the lifetimes peer's BG/NBD workload (../shared/bench/peers/
//! bgnbd_lifetimes.py synth) — histories in days as of 2025-01-01 from DIR/orders.csv, the fit,
//! and P(alive) / expected purchases / lifetime value for every customer — as one JSON line.

use std::{collections::HashMap, path::Path, time::Instant};

use anyhow::Context;
use serde_json::json;
use strata_core::{
    metrics::{day_of, EventBook},
    predict::{customer_value, BgNbd, ClvTerms, GammaGamma, Histories, SpendData, TimeUnit},
};

use crate::bench::round3;

const AS_OF: &str = "2025-01-01";

/// Reads customer_id, order_date, amount into an order book (one position per customer id).
fn read_orders(path: &Path) -> anyhow::Result<EventBook> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name).with_context(|| format!("{} has no `{name}` column", path.display()));
    let (c_id, c_date, c_amount) = (column("customer_id")?, column("order_date")?, column("amount")?);
    let mut positions: HashMap<u64, u32> = HashMap::new();
    let mut rows: Vec<(u32, i32, i64)> = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record)? {
        let field = |i: usize| std::str::from_utf8(record.get(i).unwrap_or_default()).unwrap_or_default();
        let line = record.position().map_or(0, |p| p.line());
        let id: u64 = field(c_id).parse().with_context(|| format!("line {line}: bad customer_id"))?;
        let date: chrono::NaiveDate =
            field(c_date).get(..10).unwrap_or_default().parse().with_context(|| format!("line {line}: bad order_date"))?;
        let amount: f64 = field(c_amount).parse().with_context(|| format!("line {line}: bad amount"))?;
        let next = positions.len() as u32;
        let p = *positions.entry(id).or_insert(next);
        rows.push((p, day_of(date), (amount * 100.0).round() as i64));
    }
    Ok(EventBook::of_orders(&rows))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn run(data: &Path, repeat: usize) -> anyhow::Result<()> {
    let t = Instant::now();
    let orders = read_orders(&data.join("orders.csv"))?;
    let read_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let histories = Histories::of_book(&orders, day_of(AS_OF.parse()?));
    let grouped = histories.grouped(TimeUnit::Days)?;
    let summary_s = t.elapsed().as_secs_f64();

    let threads = crate::tiering::host::threads();
    let (mut fits, mut walls, mut single) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        fits.push(BgNbd::fit_on(&grouped, threads)?);
        walls.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let one = BgNbd::fit(&grouped)?;
        single.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(fits.iter().all(|f| (f.params.r - one.params.r).abs() <= 1e-6 * one.params.r), "thread counts disagree");
    }
    let fit = fits.pop().context("no fit")?;
    let model = fit.params;

    let t = Instant::now();
    let alive: Vec<f64> =
        histories.buyers().map(|h| model.p_alive(f64::from(h.repeat), f64::from(h.last_days), f64::from(h.age_days))).collect();
    let score_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let expected: f64 = histories
        .buyers()
        .map(|h| model.expected_purchases(90.0, f64::from(h.repeat), f64::from(h.last_days), f64::from(h.age_days)))
        .sum();
    let expected_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let spend = GammaGamma::fit(&SpendData::of_histories(&histories))?;
    let gg_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let terms = ClvTerms { months: 12, yearly_discount: 0.1 };
    let clv: f64 = histories
        .buyers()
        .map(|h| {
            customer_value(
                model,
                spend.params,
                1.0,
                (f64::from(h.repeat), f64::from(h.last_days), f64::from(h.age_days)),
                h.repeat_value,
                terms,
            )
        })
        .sum();
    let clv_s = t.elapsed().as_secs_f64();

    let n = grouped.customers as f64;
    let mean_frequency = histories.buyers().map(|h| f64::from(h.repeat)).sum::<f64>() / n;
    let line = json!({
        "bench": "bgnbd",
        "data": data.display().to_string(),
        "n_customers": grouped.customers,
        "distinct_histories": grouped.rows.len(),
        "frequency_mean": mean_frequency,
        "share_zero_repeat": (grouped.customers - grouped.repeat_customers) as f64 / n,
        "read_orders_s": round3(read_s),
        "summary_s": round3(summary_s),
        "params": model,
        "log_likelihood": fit.log_likelihood,
        "iterations": fit.iterations,
        "threads": threads,
        "fit_s": median(walls.clone()),
        "fit_runs_s": walls,
        "fit_one_thread_s": median(single.clone()),
        "fit_one_thread_runs_s": single,
        "score_p_alive_s": score_s,
        "mean_p_alive": alive.iter().sum::<f64>() / n,
        "expected_orders_90d_s": expected_s,
        "expected_orders_90d_total": expected,
        "gamma_gamma": { "params": spend.params, "fit_s": gg_s, "repeat_buyers": spend.customers },
        "clv_12_months_s": clv_s,
        "clv_12_months_total": clv,
    });
    println!("{line}");
    Ok(())
}

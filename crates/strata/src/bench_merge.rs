//! `strata bench merge`: merging a customer with many orders into another and undoing it, each
//! timed, on a fresh store or one given (where two new customers are added for the run).

use std::time::Instant;

use serde_json::json;
use strata_core::{
    commerce::{OrderInput, OrderStatus},
    customer::{CustomerInput, CustomerKind},
    import::{CustomerRef, Entity, Record},
    money::Currency,
};
use strata_store::Store;

use crate::{bench::round3, merge::MergeRequest};

fn customer(ext: &str, name: &str) -> CustomerInput {
    CustomerInput {
        external_id: Some(ext.into()),
        kind: CustomerKind::Company,
        name: name.into(),
        credit_code: None,
        industry: Some("制造".into()),
        province: Some("广东省".into()),
        city: Some("深圳".into()),
        source_channel: None,
        owner: None,
        team: None,
        lifecycle_stage: None,
        phone: Some("+8613800138000".into()),
        email: None,
        tags: vec!["重点".into()],
        custom: Default::default(),
        since: None,
    }
}

/// Adds two customers, `orders` orders on the second, then merges it into the first and undoes
/// the merge `repeat` times; prints one JSON line with the median and worst of each.
pub async fn run(store: Store, orders: u64, repeat: usize) -> anyhow::Result<()> {
    let run = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()));
    let a = store.create_customer(&customer(&format!("BM-{run}-A"), &format!("深圳市合并基准{run}科技有限公司"))).await?;
    let b_ext = format!("BM-{run}-B");
    let b = store.create_customer(&customer(&b_ext, &format!("合并基准{run}科技"))).await?;
    let fields: Vec<String> = ["external_id", "customer_external_id", "order_date", "amount"].iter().map(|s| s.to_string()).collect();
    let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let records: Vec<(u64, Record)> = (0..orders)
        .map(|i| {
            let order = OrderInput {
                external_id: format!("BM-{run}-{i}"),
                order_date: day + chrono::Days::new(i % 700),
                amount_cents: 10_000 + (i as i64 * 7919) % 900_000,
                currency: Currency::CNY,
                product_line: None,
                status: OrderStatus::Completed,
            };
            (i + 2, Record::Order(CustomerRef { external_id: Some(b_ext.clone()), name: None }, order))
        })
        .collect();
    let mut session = store.begin_import(Entity::Orders, "bench-merge", "bench", &fields).await?;
    session.expect_rows(orders, false).await?;
    let out = session.write(records).await?;
    anyhow::ensure!(out.rejected.is_empty(), "bench orders were rejected: {:?}", out.rejected.first());
    session.commit(orders, 0, "bench").await?;
    let req = MergeRequest { survivor: a.id, absorbed: vec![b.id], take: Default::default() };
    let (mut merge_s, mut undo_s, mut moved) = (Vec::new(), Vec::new(), 0);
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let m = crate::merge::merge(&store, &req, "bench", false).await?;
        merge_s.push(t.elapsed().as_secs_f64());
        moved = m["merge"]["moved"].as_i64().unwrap_or(0);
        let id = m["merge"]["id"].as_i64().unwrap_or(0);
        let t = Instant::now();
        let u = store.undo_merge(id, "bench", false).await?;
        undo_s.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(u.moved_back as i64 == moved, "undo moved back {} of {moved} rows", u.moved_back);
    }
    let worst = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let customers = store.list_customers(&Default::default(), Default::default(), 0, 1).await?.total;
    println!(
        "{}",
        json!({
            "bench": "merge", "backend": format!("{:?}", store.kind()).to_lowercase(), "customers_in_store": customers,
            "orders": orders, "moved": moved, "repeat": merge_s.len(),
            "merge_median_s": round3(crate::bench_rfm::median(&mut merge_s.clone())), "merge_max_s": round3(worst(&merge_s)),
            "undo_median_s": round3(crate::bench_rfm::median(&mut undo_s.clone())), "undo_max_s": round3(worst(&undo_s)),
        })
    );
    Ok(())
}

//! Benchmarks that print one JSON line per measurement: `strata bench import --data DIR`
//! imports DIR/customers.csv and DIR/orders.csv into a fresh store (SQLite in a temporary
//! directory, or a fresh database on the PostgreSQL server named by --database-url).

use std::{
    path::Path,
    sync::{atomic::AtomicU64, Arc},
    time::Instant,
};

use anyhow::Context;
use serde_json::json;
use strata_core::import::Entity;
use strata_store::Store;

use crate::{
    cli::BenchCommand,
    config::Config,
    import::{run_import, ImportRequest},
    memory::{peak_rss_mb, reset_peak_rss},
};

pub async fn run(config: &Config, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Import { data } => {
            let tmp = tempfile::tempdir()?;
            let (store, backend, cleanup) = fresh_store(config, tmp.path()).await?;
            for (file, entity) in [("customers.csv", Entity::Customers), ("orders.csv", Entity::Orders)] {
                reset_peak_rss();
                let (rows, inserted, secs) = import_file(&store, &data, file, entity, tmp.path()).await?;
                println!(
                    "{}",
                    json!({
                        "bench": "import", "backend": backend, "file": file, "rows": rows, "inserted": inserted,
                        "seconds": round3(secs), "rows_per_s": (rows as f64 / secs).round(),
                        "peak_rss_mb": (peak_rss_mb() * 10.0).round() / 10.0,
                    })
                );
            }
            store.close().await;
            if let Some(f) = cleanup {
                f.await?;
            }
        }
        BenchCommand::Dedupe { customers, duplicates, seed } => {
            tokio::task::spawn_blocking(move || crate::bench_dedupe::run(customers, duplicates, seed)).await??;
        }
        BenchCommand::Bgnbd { data, repeat } => {
            tokio::task::spawn_blocking(move || crate::bench_bgnbd::run(&data, repeat)).await??;
        }
        BenchCommand::Rfm { data, store, repeat } => crate::bench_rfm::run(config, &data, store.as_deref(), repeat).await?,
        BenchCommand::Ingest { store, orders, batch, today } => {
            anyhow::ensure!(
                batch >= 1 && batch <= strata_store::MAX_LISTED_CUSTOMERS as u64,
                "--batch must be between 1 and {}",
                strata_store::MAX_LISTED_CUSTOMERS
            );
            let store = Store::open(&store).await?;
            crate::bench_ingest::run(store, today, orders, batch).await?
        }
        BenchCommand::Merge { orders, repeat, store } => {
            let dir = tempfile::tempdir()?;
            let url = store.unwrap_or_else(|| dir.path().join("strata.db").display().to_string());
            let store = Store::open(&url).await?;
            crate::bench_merge::run(store.clone(), orders, repeat).await?;
            store.close().await;
        }
    }
    Ok(())
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Imports `data/file` into `store`; returns (rows, inserted, seconds).
pub async fn import_file(store: &Store, data: &Path, file: &str, entity: Entity, scratch: &Path) -> anyhow::Result<(u64, u64, f64)> {
    let path = data.join(file);
    anyhow::ensure!(path.exists(), "{} is missing; generate it with ../shared/bench/gen.py", path.display());
    let started = Instant::now();
    let req = ImportRequest {
        entity,
        path: path.clone(),
        file_name: file.into(),
        sheet: None,
        overrides: Default::default(),
        skip_invalid: false,
        report_path: scratch.join(format!("{file}.rejected.csv")),
        actor: "bench".into(),
        // The benchmark files hold dates only: the time zone does not matter.
        options: crate::commands::default_options(strata_core::date::china_offset()),
        dry_run: false,
    };
    let summary = run_import(store, req, Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))).await?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(summary.committed, "{file}: {} rows rejected, e.g. {:?}", summary.rejected_rows, summary.sample.first());
    Ok((summary.rows, summary.inserted, secs))
}

pub type Cleanup = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>>>>;

pub(crate) async fn fresh_store(config: &Config, dir: &std::path::Path) -> anyhow::Result<(Store, &'static str, Option<Cleanup>)> {
    if config.database_url.starts_with("postgres") {
        use sqlx::Connection;
        let url = config.database_url.clone();
        let db = format!("strata_bench_{}", chrono::Utc::now().timestamp_micros());
        let mut admin = sqlx::PgConnection::connect(&url).await.context("connecting to PostgreSQL")?;
        sqlx::query(&format!("CREATE DATABASE {db}")).execute(&mut admin).await?;
        let (base, _) = url.rsplit_once('/').context("the PostgreSQL URL needs a database part")?;
        let store = Store::open(&format!("{base}/{db}")).await?;
        let cleanup: Cleanup = Box::pin(async move {
            sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)")).execute(&mut admin).await?;
            Ok(())
        });
        Ok((store, "postgres", Some(cleanup)))
    } else {
        let store = Store::open(dir.join("bench.db").to_str().context("temp path")?).await?;
        Ok((store, "sqlite", None))
    }
}

//! The command line's benchmark verbs (`strata bench …`): each prints one JSON line.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import DIR/customers.csv and DIR/orders.csv into a fresh store; one JSON line per file.
    Import {
        #[arg(long)]
        data: PathBuf,
    },
    /// RFM over DIR/customers.csv and DIR/orders.csv (the benchmark peers' workload): import into a
    /// fresh store (or reuse --store), rebuild the engine from the store, evaluate; one JSON line.
    Rfm {
        #[arg(long)]
        data: PathBuf,
        /// Reuse this store (path or postgres:// URL); imports only when it has no customers.
        #[arg(long)]
        store: Option<String>,
        /// Evaluation repetitions from the in-memory state (the median is reported).
        #[arg(long, default_value_t = 5)]
        repeat: usize,
    },
    /// BG/NBD on DIR/orders.csv (customer_id, order_date, amount) in days as of 2025-01-01, as the
    /// lifetimes peer fits it: histories, fit and P(alive) scoring timed; one JSON line.
    Bgnbd {
        #[arg(long)]
        data: PathBuf,
        /// Fit repetitions (the median is reported).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// Duplicate detection on a generated base with injected duplicates of known ground truth:
    /// scan time and pairwise precision/recall; one JSON line.
    Dedupe {
        #[arg(long, default_value_t = 100_000)]
        customers: usize,
        /// Injected duplicates per original customer.
        #[arg(long, default_value_t = 0.05)]
        duplicates: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Merge a customer holding N orders into another and undo it, timed (on a fresh store, or
    /// on --store where two customers and their orders are added); one JSON line.
    Merge {
        #[arg(long, default_value_t = 10_000)]
        orders: u64,
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// An existing store (path or postgres:// URL) instead of a fresh one.
        #[arg(long)]
        store: Option<String>,
    },
    /// Sustained ingest of new orders into an existing store through the live engine (each
    /// batch persisted, the touched customers re-evaluated, tier changes written); one JSON line.
    Ingest {
        /// The store (path or postgres:// URL) holding customers, e.g. from `bench rfm --store`.
        #[arg(long)]
        store: String,
        /// Orders to write.
        #[arg(long, default_value_t = 200_000)]
        orders: u64,
        /// Orders per import batch (one transaction, then one engine sync).
        #[arg(long, default_value_t = 5_000)]
        batch: u64,
        /// Business day of the new orders and of evaluation.
        #[arg(long, default_value = "2025-01-01")]
        today: chrono::NaiveDate,
    },
}

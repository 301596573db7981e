//! The command line: every verb and flag, parsed by clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use strata_core::import::Entity;

use crate::export::{ExportFormat, HeaderLang};

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "Strata — customer tiering and CRM workflows (客户分层管理系统)")]
pub struct Cli {
    /// Data directory (embedded database, uploads, import reports).
    #[arg(long, global = true, env = "STRATA_DATA_DIR", default_value = "strata-data")]
    pub data_dir: PathBuf,
    /// Database: postgres://user:pass@host/db for PostgreSQL; default is SQLite in the data directory.
    #[arg(long, global = true, env = "STRATA_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Who is acting (recorded with imports and undos); default $USER.
    #[arg(long, global = true, env = "STRATA_ACTOR")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the JSON API (and, later, the web UI).
    Serve(ServeArgs),
    /// Generate a realistic demo dataset, then serve it.
    Demo(DemoArgs),
    /// Import a CSV or .xlsx file: customers, contacts, orders, payments, interactions, deals, tickets or feedback.
    Import(ImportArgs),
    /// List, show or undo import batches.
    #[command(subcommand)]
    Batch(BatchCommand),
    /// Export customers (with filters) or an event table as CSV, .xlsx or JSON Lines.
    Export(ExportArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for integrations.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Manage custom fields (defined at run time, no migration).
    #[command(subcommand)]
    Field(FieldCommand),
    /// Tier models: check, preview, publish, evaluate, explain.
    #[command(subcommand)]
    Tier(TierCommand),
    /// Data quality: find duplicate customers.
    #[command(subcommand)]
    Dedupe(DedupeCommand),
    /// Data quality: completeness of customer records, per owner and per customer.
    #[command(subcommand)]
    Quality(QualityCommand),
    /// Predictive models: fit BG/NBD (still active? purchases to come) and Gamma-Gamma (value).
    #[command(subcommand)]
    Model(ModelCommand),
    /// Benchmarks (print one JSON line per measurement).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum DedupeCommand {
    /// Scan every customer for possible duplicates, best groups first, with the reasons.
    Scan {
        /// Pairs scoring at least this (0–1) are reported.
        #[arg(long, default_value_t = strata_core::dedupe::DEFAULT_THRESHOLD)]
        threshold: f64,
        /// Groups shown.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Merge customers into one (the first survives): each field by its survivorship rule
    /// unless taken from a named customer, every record re-pointed, one transaction, undoable.
    Merge {
        /// The customer that survives.
        survivor: i64,
        /// The customers it absorbs.
        #[arg(required = true)]
        absorbed: Vec<i64>,
        /// Take a field's value from a customer of the merge, e.g. `--take phone=12`
        /// (fields: name, kind, external_id, credit_code, industry, province, city,
        /// source_channel, owner, lifecycle_stage, phone, email, tags, since, custom.KEY).
        #[arg(long = "take", value_parser = crate::merge::parse_take)]
        take: Vec<(String, i64)>,
        /// Show the decisions without merging.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Undo a merge: the absorbed customers come back exactly, with their records.
    Undo {
        merge: i64,
        /// Undo even though the survivor was edited since the merge (those edits are lost).
        #[arg(long)]
        force: bool,
    },
    /// Recorded merges, newest first.
    Merges {
        /// Only merges that touched this customer.
        #[arg(long)]
        customer: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum QualityCommand {
    /// Which expected fields are empty: per owner (lowest first) and the least complete customers.
    Completeness {
        /// Least complete customers listed.
        #[arg(long, default_value_t = 20)]
        worst: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Fit a model on the order table and put it in force (a failed fit changes nothing).
    Fit {
        kind: crate::forecast::FitKind,
        /// Last day of the calibration period (YYYY-MM-DD); default today.
        #[arg(long)]
        calibration_end: Option<chrono::NaiveDate>,
        /// Time unit of the fit: days or weeks.
        #[arg(long, default_value = "days", value_parser = parse_unit)]
        unit: strata_core::predict::TimeUnit,
        /// Business day taken as today (YYYY-MM-DD); default today in UTC+8.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// Print the stored fit as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Churn model: logistic regression on customer metrics, trained on the outcomes up to the
    /// cut-off and evaluated on those after it (AUC, precision/recall, weights in words).
    Churn {
        /// The day features are computed on for evaluation (YYYY-MM-DD).
        #[arg(long)]
        cutoff: chrono::NaiveDate,
        /// Churned = no revenue order within this long after a day: 180d, 26w, 6mo, 1y.
        #[arg(long, default_value = "180d", value_parser = crate::outcomes::parse_horizon)]
        horizon: u32,
        /// A feature in the rule language (repeatable); default: order, interaction and ticket metrics.
        #[arg(long)]
        feature: Vec<String>,
        /// Probability from which a customer counts as predicted to churn.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Rules learnt from an outcome (a shallow decision tree), ready to paste into a tier model.
    SuggestRules {
        #[arg(long, value_enum)]
        outcome: crate::outcomes::Outcome,
        /// Features are computed as of this day; the outcome is what happened after it.
        #[arg(long)]
        cutoff: chrono::NaiveDate,
        #[arg(long, default_value = "180d", value_parser = crate::outcomes::parse_horizon)]
        horizon: u32,
        #[arg(long)]
        feature: Vec<String>,
        /// Conditions per rule (tree depth), 1 to 5.
        #[arg(long, default_value_t = 3)]
        depth: usize,
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// The fits in force, and with --history N the last N fits of each kind.
    Show {
        #[arg(long)]
        history: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

fn parse_unit(s: &str) -> Result<strata_core::predict::TimeUnit, String> {
    strata_core::predict::TimeUnit::parse(s).ok_or_else(|| format!("unknown time unit `{s}`; use days or weeks"))
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STRATA_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Evaluate tiers as of this business day (YYYY-MM-DD) instead of today in UTC+8.
    #[arg(long, env = "STRATA_TODAY")]
    pub today: Option<chrono::NaiveDate>,
    /// How often (milliseconds) to read changes written by other processes.
    #[arg(long, default_value_t = 1000)]
    pub follow_ms: u64,
    /// Mark session cookies Secure (serve behind HTTPS); without it they are Secure only on
    /// requests a proxy marks `X-Forwarded-Proto: https`.
    #[arg(long, env = "STRATA_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of customers (orders ≈ 20 × customers); 1000000 for benchmarks.
    #[arg(long, default_value_t = 5000)]
    pub size: u64,
    /// Random seed: the same seed, size and --until give the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last day of generated history (YYYY-MM-DD); default today.
    #[arg(long)]
    pub until: Option<chrono::NaiveDate>,
    /// Only generate; do not start the server.
    #[arg(long)]
    pub no_serve: bool,
    /// Address to listen on.
    #[arg(long, env = "STRATA_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_parser = parse_entity)]
    pub entity: Entity,
    /// The .csv / .txt / .tsv / .xlsx file.
    pub file: PathBuf,
    /// Sheet of an .xlsx file (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// JSON file mapping headers to fields, e.g. {"公司": "name", "备注": "ignore"}.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Import the valid rows and report the rest (default: all or nothing).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Check the file (mapping, every row, what would be new or updated) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where to write the rejected-rows CSV (default: in the data directory's reports/).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Currency of amounts that name none.
    #[arg(long, default_value = "CNY")]
    pub currency: String,
    /// UTC offset of times written without one, e.g. +08:00.
    #[arg(long, default_value = "+08:00")]
    pub timezone: String,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// The most recent imports.
    List {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// One import batch.
    Show { id: i64 },
    /// Undo an import: delete the rows it added, restore the rows it changed.
    Undo { id: i64 },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_parser = parse_entity)]
    pub entity: Entity,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Output file (default: standard output; required for xlsx).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Header language for CSV and xlsx.
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: HeaderLang,
    /// Filters (customers, or the customers of exported events).
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Name contains, or external id / phone / email equals.
    #[arg(long)]
    pub q: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub province: Option<String>,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub tag: Option<String>,
    #[arg(long)]
    pub source_channel: Option<String>,
    /// Only customers at most this complete (percent of expected fields filled, 0–100).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub completeness_max: Option<u8>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user who can own customers.
    Add {
        login: String,
        /// Display name (e.g. 王伟).
        #[arg(long)]
        name: Option<String>,
        /// admin, manager, sales, service or analyst.
        #[arg(long, default_value = "sales")]
        role: String,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read a password from standard input (one line) so the user can log in.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (read from standard input, one line); ends their sessions.
    Passwd {
        login: String,
    },
    /// Change a user's role, team, name or active flag (the last active admin stays one).
    Set {
        login: String,
        #[arg(long)]
        role: Option<String>,
        /// A team's name, or an empty string for no team.
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// false deactivates the user and ends their sessions.
        #[arg(long)]
        active: Option<bool>,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token acting as a user; the token is printed once.
    Create {
        login: String,
        /// What the token is for (e.g. erp-sync).
        #[arg(long)]
        name: String,
    },
    /// API tokens (never their secrets).
    List,
    Revoke {
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    Add { name: String },
    List,
}

#[derive(Debug, Subcommand)]
pub enum FieldCommand {
    /// Define a custom field on customers.
    Add {
        key: String,
        #[arg(long)]
        label: String,
        /// text, number, money, date, enum, multi_enum or bool.
        #[arg(long = "type")]
        kind: String,
        /// Options of enum fields, comma-separated.
        #[arg(long)]
        options: Option<String>,
        #[arg(long)]
        required: bool,
    },
    List,
}

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

fn parse_entity(s: &str) -> Result<Entity, String> {
    Entity::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Entity::ALL.iter().map(|e| e.name()).collect();
        format!("unknown kind of data `{s}`; use one of: {}", all.join(", "))
    })
}

#[derive(Debug, Subcommand)]
pub enum TierCommand {
    /// List models with their latest and published versions.
    List,
    /// Show a model's versions, its file and customers per tier.
    Show {
        key: String,
        /// Show this version's file (default: the published one).
        #[arg(long)]
        version: Option<i64>,
    },
    /// Check model files against the custom fields and the published models (exit 1 on errors).
    Check { files: Vec<PathBuf> },
    /// Run a model file over every customer without changing any tier: counts, migration
    /// matrix from the tiers in force, sample customers. Saves the file as a draft version.
    Preview {
        file: PathBuf,
        /// Sample customers per matrix cell.
        #[arg(long, default_value_t = 3)]
        samples: usize,
        /// Evaluate as of this day (default: today, UTC+8).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Publish a model file: full re-evaluation, cut points stored, every tier change recorded.
    Publish {
        file: PathBuf,
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// The daily sweep: re-evaluate every customer as of today and refresh cut points that are due.
    Eval {
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Explain a customer's tiers (by id or external id): rules checked, scores, what would move it up.
    Explain {
        customer: String,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// A customer's current tiers and their history.
    History { customer: String },
    /// Print a preset model file: rfm, lifecycle or bant.
    Preset { name: String },
}

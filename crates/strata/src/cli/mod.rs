//! The command line: every verb and flag, parsed by clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use strata_core::import::Entity;

use crate::export::{ExportFormat, HeaderLang};

mod bench;
mod directory;
pub mod help_zh;
pub mod language;
mod models;
pub mod usage_error;

pub use bench::BenchCommand;
pub use directory::{FieldCommand, TeamCommand, TokenCommand, UserCommand};
pub use models::{ModelCommand, TierCommand};

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
    /// The business's time zone as a UTC offset, e.g. +08:00 or +01:00 (a fixed offset: daylight
    /// saving time is not followed): what "today" is for tiers, how times written without an
    /// offset are read, and how times are shown.
    #[arg(long, global = true, env = "STRATA_TIMEZONE", default_value = "+08:00")]
    pub timezone: String,
    /// The language of the command line's messages: zh or en (default: the locale, `zh_CN…` is
    /// Chinese, anything else English).
    #[arg(long, global = true, env = "STRATA_LANG")]
    pub language: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the JSON API (with background jobs).
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
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// The most recent imports.
    List {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// One import batch.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
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

fn parse_entity(s: &str) -> Result<Entity, language::Said> {
    Entity::parse_named(s).map_err(|e| language::Said::new(e.message.clone(), e.message_in(true)))
}

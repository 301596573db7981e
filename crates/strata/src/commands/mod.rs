//! Runs one CLI command against the configured store.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{atomic::AtomicU64, Arc},
    time::Duration,
};

use anyhow::{bail, Context};
use strata_core::{
    import::{ImportOptions, Target},
    money::Currency,
};
use strata_store::{CustomerFilter, Store};

mod directory;

use directory::{field, token, user};

use crate::{
    cli::{BatchCommand, Cli, Command, FilterArgs, ImportArgs, TeamCommand},
    config::Config,
    export::{self, ExportFormat},
    import::{run_import, ImportRequest, ImportSummary},
};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::new(cli.data_dir, cli.database_url, cli.actor);
    config.timezone = parse_offset(&cli.timezone).context("--timezone / STRATA_TIMEZONE")?;
    match cli.command {
        Command::Serve(a) => {
            let store = open(&config).await?;
            let config = Config {
                today: a.today,
                follow_every: std::time::Duration::from_millis(a.follow_ms.max(50)),
                secure_cookies: a.secure_cookies,
                ..config
            };
            crate::server::serve(store, config, &a.bind).await?;
        }
        Command::Demo(a) => crate::demo::run(config, a).await?,
        Command::Import(a) => return import(&config, a).await,
        Command::Batch(b) => batch(&config, b).await?,
        Command::Export(a) => {
            let store = open(&config).await?;
            let filter = filter_of(&a.filter);
            let n = match (a.format, &a.output) {
                (ExportFormat::Xlsx, Some(path)) => export::write_xlsx(&store, a.entity, &filter, a.lang, &[], path).await?,
                (ExportFormat::Xlsx, None) => bail!("an .xlsx export needs --output FILE.xlsx"),
                (fmt, Some(path)) => {
                    let mut f =
                        std::io::BufWriter::new(std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?);
                    export::write_stream(&store, a.entity, &filter, fmt, a.lang, &[], &mut f).await?
                }
                (fmt, None) => {
                    export::write_stream(&store, a.entity, &filter, fmt, a.lang, &[], &mut std::io::BufWriter::new(std::io::stdout()))
                        .await?
                }
            };
            eprintln!("exported {n} {}", a.entity);
        }
        Command::User(u) => user(&config, u).await?,
        Command::Token(t) => token(&config, t).await?,
        Command::Team(t) => {
            let store = open(&config).await?;
            match t {
                TeamCommand::Add { name } => {
                    let t = store.create_team(&name).await?;
                    println!("added team {} (id {})", t.name, t.id)
                }
                TeamCommand::List => {
                    for t in store.list_teams().await? {
                        println!("{}\t{}", t.id, t.name);
                    }
                }
            }
        }
        Command::Field(f) => field(&config, f).await?,
        Command::Tier(t) => return crate::tiering::run(&config, t).await,
        Command::Model(m) => crate::forecast::run(&config, m).await?,
        Command::Quality(crate::cli::QualityCommand::Completeness { worst, json }) => {
            let report = crate::dedupe::completeness(&open(&config).await?, worst).await?;
            if json {
                println!("{report}");
            } else {
                crate::dedupe::print_completeness(&report);
            }
        }
        Command::Dedupe(d) => {
            use crate::cli::DedupeCommand as D;
            let store = open(&config).await?;
            match d {
                D::Scan { threshold, limit, json } => crate::dedupe::run_scan(&store, threshold, limit, json).await?,
                D::Merge { survivor, absorbed, take, dry_run, json } => {
                    let req = crate::merge::MergeRequest { survivor, absorbed: absorbed.clone(), take: take.into_iter().collect() };
                    if let Some(id) = crate::merge::run_merge(&store, req, &config.actor, dry_run, json).await? {
                        audit(
                            &store,
                            &config,
                            "merge",
                            format!("merge:{id}"),
                            serde_json::json!({"survivor": survivor, "absorbed": absorbed}),
                        )
                        .await?;
                    }
                }
                D::Undo { merge, force } => {
                    crate::merge::run_undo(&store, merge, &config.actor, force).await?;
                    audit(&store, &config, "merge.undo", format!("merge:{merge}"), serde_json::json!({"force": force})).await?;
                }
                D::Merges { customer, json } => crate::merge::run_list(&store, customer, json).await?,
            }
        }
        Command::Bench(b) => crate::bench::run(&config, b).await?,
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn open(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database_url).await.with_context(|| format!("cannot open the database {}", config.database_display()))
}

pub fn filter_of(f: &FilterArgs) -> CustomerFilter {
    CustomerFilter {
        q: f.q.clone(),
        owner: f.owner.clone(),
        team: f.team.clone(),
        industry: f.industry.clone(),
        province: f.province.clone(),
        city: f.city.clone(),
        tag: f.tag.clone(),
        source_channel: f.source_channel.clone(),
        completeness_max: f.completeness_max,
        ..CustomerFilter::default()
    }
}

/// Parses "+08:00" / "-05:30" / "8" / "UTC+8".
pub fn parse_offset(s: &str) -> anyhow::Result<chrono::FixedOffset> {
    let t = s.trim();
    let t = t.strip_prefix("UTC").or_else(|| t.strip_prefix("GMT")).unwrap_or(t);
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let parsed = match (h.parse::<i32>(), m.parse::<i32>()) {
        (Ok(h), Ok(m)) if (0..=14).contains(&h) && (0..60).contains(&m) => chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60)),
        _ => None,
    };
    parsed.with_context(|| {
        format!(
            "`{s}` is not a UTC offset; write it like +08:00 (China) or +01:00 (Central Europe in winter); named zones are not supported"
        )
    })
}

pub fn report_path(config: &Config, file: &Path) -> PathBuf {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("import");
    config.reports_dir().join(format!("{}-{stem}.rejected.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S")))
}

pub fn read_mapping(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read mapping file {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: a mapping file is a JSON object of header → field, e.g. {{\"公司\": \"name\"}}", path.display()))
}

async fn import(config: &Config, a: ImportArgs) -> anyhow::Result<ExitCode> {
    let store = open(config).await?;
    let overrides = match &a.mapping {
        Some(p) => read_mapping(p)?,
        None => BTreeMap::new(),
    };
    let currency = Currency::parse(&a.currency).map_err(|e| anyhow::anyhow!("--currency: {e}"))?;
    let options = ImportOptions { currency, ..default_options(config.timezone) };
    let req = ImportRequest {
        entity: a.entity,
        path: a.file.clone(),
        file_name: a.file.file_name().and_then(|n| n.to_str()).unwrap_or("file").to_string(),
        sheet: a.sheet,
        overrides,
        skip_invalid: a.skip_invalid,
        report_path: a.report.clone().unwrap_or_else(|| report_path(config, &a.file)),
        actor: config.actor.clone(),
        options,
        dry_run: a.dry_run,
    };
    let total = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
    let bytes = Arc::new(AtomicU64::new(0));
    let rows = Arc::new(AtomicU64::new(0));
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let ticker = {
        let (bar, bytes, rows) = (bar.clone(), bytes.clone(), rows.clone());
        tokio::spawn(async move {
            let start = std::time::Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let r = rows.load(std::sync::atomic::Ordering::Relaxed);
                bar.set_position(bytes.load(std::sync::atomic::Ordering::Relaxed));
                bar.set_message(format!("{r} rows, {:.0} rows/s", r as f64 / start.elapsed().as_secs_f64().max(0.001)));
            }
        })
    };
    let result = run_import(&store, req, bytes, rows).await;
    ticker.abort();
    bar.finish_and_clear();
    let summary = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    print_summary(&summary);
    if summary.committed && summary.entity == strata_core::import::Entity::Customers && summary.inserted > 0 {
        if let Some(batch) = &summary.batch {
            warn_duplicates(&store, batch.id, summary.inserted).await?;
        }
    }
    let ok = summary.committed || (summary.dry_run && summary.rejected_rows == 0);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// New customers checked against the base right after an import (up to `CHECKED`; beyond that
/// the full scan is the better tool).
async fn warn_duplicates(store: &Store, batch: i64, inserted: u64) -> anyhow::Result<()> {
    const CHECKED: u64 = 1000;
    const SHOWN: usize = 10;
    if inserted > CHECKED {
        println!("{inserted} new customers: run `strata dedupe scan` to check them for duplicates");
        return Ok(());
    }
    let mut found = 0usize;
    for id in store.batch_customers(batch).await? {
        let c = store.get_customer(id).await?;
        for w in crate::dedupe::possible_duplicates(store, &c, &|_, _| true)
            .await?
            .into_iter()
            .filter(|w| w["id"].as_i64().is_some_and(|o| o < id))
        {
            if found < SHOWN {
                println!(
                    "possible duplicate: #{id} {} {} (score {:.2})",
                    c.name,
                    w["message"].as_str().unwrap_or(""),
                    w["score"].as_f64().unwrap_or(0.0)
                );
            }
            found += 1;
        }
    }
    if found > SHOWN {
        println!("… {} more possible duplicates; `strata dedupe scan` lists them all", found - SHOWN);
    }
    Ok(())
}

fn print_summary(s: &ImportSummary) {
    let mapped: Vec<String> = s
        .mapping
        .iter()
        .filter_map(|(h, t)| match t {
            Target::Field(k) => Some(format!("{h}→{k}")),
            Target::Custom(k) => Some(format!("{h}→custom:{k}")),
            Target::Ignore => None,
        })
        .collect();
    println!("file: {} ({}, {})", s.file, s.format, s.encoding);
    println!("columns: {}", mapped.join(", "));
    if !s.unmapped.is_empty() {
        println!("ignored columns: {}", s.unmapped.join(", "));
    }
    for r in &s.sample {
        println!("  row {} [{}] `{}`: {} ({})", r.row, r.column, r.value, r.reason, r.code);
    }
    if s.rejections as usize > s.sample.len() {
        println!("  … {} more", s.rejections as usize - s.sample.len());
    }
    if let Some(p) = &s.report {
        println!("rejected rows report: {}", p.display());
    }
    if s.dry_run {
        println!(
            "checked {} rows, nothing written: {} new, {} updated, {} unchanged, {} rejected",
            s.rows, s.inserted, s.updated, s.unchanged, s.rejected_rows
        );
        return;
    }
    match &s.batch {
        Some(b) => println!(
            "imported {} rows in {:.1}s as batch {}: {} new, {} updated, {} unchanged, {} rejected (undo with `strata batch undo {}`)",
            s.rows, s.seconds, b.id, s.inserted, s.updated, s.unchanged, s.rejected_rows, b.id
        ),
        None => println!(
            "nothing imported: {} of {} rows were rejected; fix them (or use --skip-invalid to import the rest) and import again",
            s.rejected_rows, s.rows
        ),
    }
}

async fn batch(config: &Config, b: BatchCommand) -> anyhow::Result<()> {
    let store = open(config).await?;
    match b {
        BatchCommand::List { limit } => {
            println!("id\tentity\tstatus\trows\tnew\tupdated\tunchanged\trejected\twhen\tby\tfile");
            for b in store.list_batches(limit).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    b.id,
                    b.entity,
                    b.status,
                    b.rows_total,
                    b.inserted,
                    b.updated,
                    b.unchanged,
                    b.rejected,
                    b.finished_at.format("%Y-%m-%d %H:%M"),
                    b.actor,
                    b.file_name
                );
            }
        }
        BatchCommand::Show { id } => println!("{}", serde_json::to_string_pretty(&store.get_batch(id).await?)?),
        BatchCommand::Undo { id } => {
            let out = store.undo_batch(id, &config.actor).await?;
            println!("undid batch {}: {} rows deleted, {} rows restored", out.batch_id, out.deleted, out.restored);
        }
    }
    Ok(())
}

/// An audit entry for a command-line action (`cli:<actor>`).
pub async fn audit(store: &Store, config: &Config, action: &str, object: String, detail: serde_json::Value) -> anyhow::Result<()> {
    let actor = format!("cli:{}", config.actor);
    let detail = (!detail.is_null()).then_some(detail);
    store.append_audit(&strata_store::AuditEntry { actor: &actor, action, object: Some(object), detail, ..Default::default() }).await?;
    Ok(())
}

/// Import options with the defaults: CNY, times without an offset read at `offset` (the
/// business time zone).
pub fn default_options(offset: chrono::FixedOffset) -> ImportOptions {
    ImportOptions { currency: Currency::CNY, offset, ..ImportOptions::default() }
}

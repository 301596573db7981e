//! Runs one CLI command against the configured store.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use strata_core::import::ImportOptions;
use strata_store::{CustomerFilter, Store};

mod directory;
mod import;

use directory::{field, token, user};

use crate::{
    cli::{
        language::{pick, Lang, Said},
        BatchCommand, Cli, Command, FilterArgs, TeamCommand,
    },
    config::Config,
    export::{self, ExportFormat},
};

/// Runs `cli`'s command, speaking `language` (resolved from the flag or the locale).
pub async fn run(cli: Cli, language: Lang) -> anyhow::Result<ExitCode> {
    let mut config = Config::new(cli.data_dir, cli.database_url, cli.actor);
    config.timezone = parse_offset(&cli.timezone)?;
    config.language = language;
    let lang = language;
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
        Command::Import(a) => return import::import(&config, a).await,
        Command::Batch(b) => batch(&config, b).await?,
        Command::Export(a) => {
            let store = open(&config).await?;
            let filter = filter_of(&a.filter);
            let n = match (a.format, &a.output) {
                (ExportFormat::Xlsx, Some(path)) => export::write_xlsx(&store, a.entity, &filter, a.lang, &[], path).await?,
                (ExportFormat::Xlsx, None) => {
                    return Err(Said::error("an .xlsx export needs --output FILE.xlsx", "导出 .xlsx 需要指定 --output 文件.xlsx"))
                }
                (fmt, Some(path)) => {
                    let file = std::fs::File::create(path).map_err(|e| {
                        let shown = path.display();
                        Said::error(format!("cannot create {shown}: {e}"), format!("无法创建 {shown}：{e}"))
                    })?;
                    let mut f = std::io::BufWriter::new(file);
                    export::write_stream(&store, a.entity, &filter, fmt, a.lang, &[], &mut f).await?
                }
                (fmt, None) => {
                    export::write_stream(&store, a.entity, &filter, fmt, a.lang, &[], &mut std::io::BufWriter::new(std::io::stdout()))
                        .await?
                }
            };
            match lang {
                Lang::Zh => {
                    eprintln!("已导出 {n} 条{}", crate::web::i18n::named(Lang::Zh, "entity_", a.entity.name()).unwrap_or(a.entity.name()))
                }
                Lang::En => eprintln!("exported {n} {}", a.entity),
            }
        }
        Command::User(u) => user(&config, u).await?,
        Command::Token(t) => token(&config, t).await?,
        Command::Team(t) => {
            let store = open(&config).await?;
            match t {
                TeamCommand::Add { name } => {
                    let t = store.create_team(&name).await?;
                    match lang {
                        Lang::Zh => println!("已添加团队 {}（编号 {}）", t.name, t.id),
                        Lang::En => println!("added team {} (id {})", t.name, t.id),
                    }
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
                crate::dedupe::print_completeness(&report, config.language);
            }
        }
        Command::Dedupe(d) => {
            use crate::cli::DedupeCommand as D;
            let store = open(&config).await?;
            match d {
                D::Scan { threshold, limit, json } => crate::dedupe::run_scan(&store, threshold, limit, json, config.language).await?,
                D::Merge { survivor, absorbed, take, dry_run, json } => {
                    let req = crate::merge::MergeRequest { survivor, absorbed: absorbed.clone(), take: take.into_iter().collect() };
                    if let Some(id) = crate::merge::run_merge(&store, req, &config.actor, dry_run, json, config.language).await? {
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
                    crate::merge::run_undo(&store, merge, &config.actor, force, config.language).await?;
                    audit(&store, &config, "merge.undo", format!("merge:{merge}"), serde_json::json!({"force": force})).await?;
                }
                D::Merges { customer, json } => crate::merge::run_list(&store, customer, json, config.language).await?,
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
    parsed.ok_or_else(|| {
        Said::error(
            format!(
                "--timezone / STRATA_TIMEZONE: `{s}` is not a UTC offset; write it like +08:00 (China) or +01:00 (Central Europe in winter); named zones are not supported"
            ),
            format!("--timezone / STRATA_TIMEZONE：`{s}` 不是 UTC 偏移；请写成 +08:00（中国）或 +01:00（中欧冬季）的形式；不支持时区名称"),
        )
    })
}

pub fn report_path(config: &Config, file: &Path) -> PathBuf {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("import");
    config.reports_dir().join(format!("{}-{stem}.rejected.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S")))
}

pub fn read_mapping(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Said::error(format!("cannot read mapping file {shown}: {e}"), format!("无法读取列映射文件 {shown}：{e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        Said::error(
            format!("{shown}: {e}; a mapping file is a JSON object of header → field, e.g. {{\"公司\": \"name\"}}"),
            format!("{shown}：{e}；列映射文件是表头 → 字段的 JSON 对象，例如 {{\"公司\": \"name\"}}"),
        )
    })
}

async fn batch(config: &Config, b: BatchCommand) -> anyhow::Result<()> {
    let store = open(config).await?;
    match b {
        BatchCommand::List { limit } => {
            println!(
                "{}",
                pick(
                    config.language,
                    "编号\t数据\t状态\t行数\t新增\t更新\t未变\t拒绝\t时间\t操作人\t文件",
                    "id\tentity\tstatus\trows\tnew\tupdated\tunchanged\trejected\twhen\tby\tfile"
                )
            );
            for b in store.list_batches(limit).await? {
                let (entity, status) = batch_words(&b, config.language);
                println!(
                    "{}\t{entity}\t{status}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    b.id,
                    b.rows_total,
                    b.inserted,
                    b.updated,
                    b.unchanged,
                    b.rejected,
                    b.finished_at.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M"),
                    b.actor,
                    b.file_name
                );
            }
        }
        BatchCommand::Show { id, json: true } => println!("{}", serde_json::to_string_pretty(&store.get_batch(id).await?)?),
        BatchCommand::Show { id, json: false } => print!("{}", batch_text(&store.get_batch(id).await?, config)),
        BatchCommand::Undo { id } => {
            let out = store.undo_batch(id, &config.actor).await?;
            match config.language {
                Lang::Zh => println!("已撤销批次 {}：删除 {} 行，恢复 {} 行", out.batch_id, out.deleted, out.restored),
                Lang::En => println!("undid batch {}: {} rows deleted, {} rows restored", out.batch_id, out.deleted, out.restored),
            }
        }
    }
    Ok(())
}

/// A batch's kind of data and state in the CLI's language.
fn batch_words(b: &strata_store::Batch, lang: Lang) -> (String, String) {
    // In English the kind of data as it is typed (`strata import contacts`).
    let entity = match lang {
        Lang::Zh => crate::web::i18n::named(lang, "entity_", &b.entity).unwrap_or(&b.entity).to_string(),
        Lang::En => b.entity.clone(),
    };
    let status = match (b.status.as_str(), lang) {
        ("committed", Lang::Zh) => "已导入".to_string(),
        ("undone", Lang::Zh) => "已撤销".to_string(),
        (other, _) => other.to_string(),
    };
    (entity, status)
}

/// `strata batch show` as text: what, from which file, by whom, when, the counts, the state.
fn batch_text(b: &strata_store::Batch, config: &Config) -> String {
    let (entity, status) = batch_words(b, config.language);
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M:%S").to_string();
    let (id, file, by, started, finished) = (b.id, &b.file_name, &b.actor, local(b.started_at), local(b.finished_at));
    let (rows, new, updated, same, rejected) = (b.rows_total, b.inserted, b.updated, b.unchanged, b.rejected);
    let undone = b.undone_at.map(|t| (local(t), b.undone_by.clone().unwrap_or_default()));
    match config.language {
        Lang::Zh => {
            let state = undone.map_or(status, |(at, who)| format!("已于 {at} 由 {who} 撤销"));
            format!(
                "批次 {id}：{entity}，文件 {file}，操作人 {by}\n  {started} 至 {finished}：共 {rows} 行，新增 {new}，更新 {updated}，未变 {same}，拒绝 {rejected}\n  状态：{state}\n"
            )
        }
        Lang::En => {
            let state = undone.map_or(status, |(at, who)| format!("undone at {at} by {who}"));
            format!(
                "batch {id}: {entity}, file {file}, by {by}\n  {started} to {finished}: {rows} rows, {new} new, {updated} updated, {same} unchanged, {rejected} rejected\n  state: {state}\n"
            )
        }
    }
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
    ImportOptions { currency: strata_core::money::Currency::CNY, offset, ..ImportOptions::default() }
}

//! `strata tier …`: check, preview, publish and evaluate tier models against the store, explain
//! a customer's tiers and show their history.

pub mod host;
pub mod preview;
pub mod publish;
mod report;
pub mod sweep;

use std::{path::Path, process::ExitCode};

use anyhow::Context;
use chrono::NaiveDate;
use strata_core::{
    metrics::{date_of, day_of, Day},
    tiering::{
        model::Catalog,
        spec::{ModelSpec, PRESETS},
    },
};
use strata_store::Store;

use crate::{
    cli::{
        language::{padded, pick, Lang, Said},
        TierCommand,
    },
    commands::open,
    config::Config,
};

/// Today in the business time zone `tz` unless given.
pub fn today(tz: chrono::FixedOffset, given: Option<NaiveDate>) -> Day {
    day_of(given.unwrap_or_else(|| chrono::Utc::now().with_timezone(&tz).date_naive()))
}

fn read_spec(path: &Path) -> anyhow::Result<ModelSpec> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Said::error(format!("cannot read model file {shown}: {e}"), format!("无法读取模型文件 {shown}：{e}")))?;
    ModelSpec::from_file(&path.to_string_lossy(), &text).map_err(|e| report::spec_error(path, &e))
}

/// The customer id named by `customer`: an id, or else an external id.
fn customer_id(ids: &[(i64, Option<String>)], customer: &str) -> anyhow::Result<i64> {
    customer
        .parse::<i64>()
        .ok()
        .filter(|id| ids.iter().any(|(x, _)| x == id))
        .or_else(|| ids.iter().find(|(_, ext)| ext.as_deref() == Some(customer)).map(|(id, _)| *id))
        .ok_or_else(|| {
            Said::error(format!("no customer with id or external id `{customer}`"), format!("没有编号或外部编号为 `{customer}` 的客户"))
        })
}

pub async fn run(config: &Config, command: TierCommand) -> anyhow::Result<ExitCode> {
    let lang = config.language;
    if let TierCommand::Preset { name } = &command {
        let text = PRESETS.iter().find(|(n, _)| n == name).map(|(_, t)| *t);
        let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
        let names = names.join(", ");
        print!(
            "{}",
            text.ok_or_else(|| Said::error(
                format!("no preset `{name}`; presets: {names}"),
                format!("没有预设 `{name}`；可用的预设：{names}")
            ))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = open(config).await?;
    match command {
        TierCommand::Preset { .. } => {}
        TierCommand::List => {
            for v in store.latest_model_versions().await? {
                let published = store.model_versions(&v.key).await?.into_iter().find(|x| x.status == "published").map(|x| x.version);
                let published = match (lang, published) {
                    (Lang::Zh, Some(p)) => format!("已发布 v{p}"),
                    (Lang::Zh, None) => "未发布".to_string(),
                    (Lang::En, Some(p)) => format!("v{p} published"),
                    (Lang::En, None) => "not published".to_string(),
                };
                let latest = pick(lang, "最新", "latest");
                let status = report::status_word(&v.status, lang);
                let name_en = ModelSpec::from_toml(&v.spec).map(|s| s.name_en).unwrap_or_default();
                let name = report::name_in(&v.name, &name_en, lang);
                println!("{:<16} {:<8} {} {latest} v{} ({status}), {published}", v.key, v.kind, padded(name, 24), v.version);
            }
        }
        TierCommand::Show { key, version } => {
            let versions = store.model_versions(&key).await?;
            if versions.is_empty() {
                return Err(Said::error(
                    format!("no model `{key}`; `strata tier list` shows the models"),
                    format!("没有模型 `{key}`；`strata tier list` 列出所有模型"),
                ));
            }
            for v in &versions {
                let (n, status, by) = (v.version, report::status_word(&v.status, lang), &v.created_by);
                let at = v.created_at.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M");
                match lang {
                    Lang::Zh => println!("v{n} {status}，{by} 于 {at} 保存"),
                    Lang::En => println!("v{n} {status} by {by} at {at}"),
                }
            }
            let shown = match version {
                Some(n) => versions
                    .iter()
                    .find(|v| v.version == n)
                    .ok_or_else(|| Said::error(format!("model `{key}` has no version {n}"), format!("模型 `{key}` 没有版本 {n}")))?,
                None => versions.iter().find(|v| v.status == "published").unwrap_or(&versions[0]),
            };
            println!("\n# v{} ({})\n{}", shown.version, report::status_word(&shown.status, lang), shown.spec);
            println!("{}", pick(lang, "各层级客户数：", "customers per tier:"));
            for (tier, n) in store.tier_counts(&key).await? {
                println!("  {} {n}", padded(&tier, 24));
            }
        }
        TierCommand::Check { files } => return check(&store, &files, lang).await,
        TierCommand::Preview { file, samples, today: t, json } => {
            let spec = read_spec(&file)?;
            let loaded = host::load(&store, today(config.timezone, t), Some(&spec)).await?;
            let p = preview::of_engine(&loaded.engine, &spec.key, store.current_tiers(&spec.key).await?, samples)?;
            let version = preview::save(&store, &spec, &p, &config.actor).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            } else {
                let names = report::TierNames::of(&store.published_models().await?, lang).with(&spec, lang);
                print!("{}", report::preview_text(&p, version, &names, lang));
            }
        }
        TierCommand::Publish { file, today: t } => publish(config, &store, &read_spec(&file)?, today(config.timezone, t)).await?,
        TierCommand::Eval { today: t, json } => {
            let today = today(config.timezone, t);
            let holder = sweep::holder_id();
            if !sweep::take_lease(&store, &holder).await? {
                return Err(Said::error(
                    "another Strata process is sweeping tiers right now; try again in a few minutes",
                    "另一个 Strata 进程正在复核分层；请几分钟后再试",
                ));
            }
            let mut loaded = host::load(&store, today, None).await?;
            let result = sweep::sweep(&store, &mut loaded, today, "sweep").await;
            store.finish_lease(sweep::JOB, &holder, &date_of(today).to_string()).await?;
            for line in result? {
                if json {
                    println!("{}", serde_json::to_string(&line)?);
                } else {
                    println!("{}", report::sweep_text(&line, lang));
                }
            }
        }
        TierCommand::Explain { customer, model, json, today: t } => {
            let loaded = host::load(&store, today(config.timezone, t), None).await?;
            let ids = store.customer_external_ids().await?;
            let id = customer_id(&ids, &customer)?;
            let p = loaded.engine.index.position(id).ok_or_else(|| {
                Said::error(format!("customer `{customer}` is not in the engine"), format!("分层引擎中没有客户 `{customer}`"))
            })?;
            let models: Vec<usize> = match &model {
                Some(k) => vec![loaded
                    .engine
                    .catalog
                    .index(k)
                    .ok_or_else(|| Said::error(format!("no published model `{k}`"), format!("没有已发布的模型 `{k}`")))?],
                None => (0..loaded.engine.catalog.models.len()).collect(),
            };
            if models.is_empty() {
                return Err(Said::error(
                    "no published models; publish one with `strata tier publish FILE`",
                    "还没有已发布的模型；请用 `strata tier publish 文件` 发布一个",
                ));
            }
            for m in models {
                let x = loaded.engine.explain(m, p).context("no explanation")?;
                if json {
                    println!("{}", serde_json::to_string(&x)?);
                } else {
                    print!("{}", report::explanation_text(&loaded.engine, m, &x, lang));
                }
            }
        }
        TierCommand::History { customer } => {
            let ids = store.customer_external_ids().await?;
            let id = customer_id(&ids, &customer)?;
            let names = report::TierNames::of(&store.published_models().await?, lang);
            for t in store.customer_tiers(id).await? {
                let since = t.since.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M");
                let tier = padded(&names.tier(&t.model, Some(&t.tier)), 20);
                match lang {
                    Lang::Zh => println!("{:<16} {tier} v{} 自 {since} 起", t.model, t.version),
                    Lang::En => println!("{:<16} {tier} v{} since {since}", t.model, t.version),
                }
            }
            for h in store.tier_history(id).await? {
                let (from, to) = (names.tier(&h.model, h.from_tier.as_deref()), names.tier(&h.model, h.to_tier.as_deref()));
                let at = h.at.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M");
                let why = crate::web::i18n::named(lang, "reason_", &h.reason).unwrap_or(&h.reason);
                println!("{at} {:<16} v{} {from} → {to} ({why})", h.model, h.version);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(store: &Store, files: &[std::path::PathBuf], lang: Lang) -> anyhow::Result<ExitCode> {
    let defs = store.list_custom_fields().await?;
    let schema = strata_core::engine::attributes::schema_of(&defs);
    let mut specs = Vec::new();
    let mut failed = false;
    for f in files {
        match read_spec(f) {
            Ok(s) => specs.push(s),
            Err(e) => {
                eprintln!("{}", crate::cli::language::error_line(&e, lang));
                failed = true;
            }
        }
    }
    let published = store.published_models().await?;
    let mut all = Vec::new();
    for v in &published {
        if !specs.iter().any(|s| s.key == v.key) {
            all.push(ModelSpec::from_toml(&v.spec).map_err(|e| anyhow::anyhow!("stored model {}: {e}", v.key))?);
        }
    }
    all.extend(specs.iter().cloned());
    match Catalog::compile(&all, &schema) {
        Ok(c) => {
            for s in &specs {
                let m = c.index(&s.key).context("model missing")?;
                println!("{}", report::check_ok(&s.key, c.models[m].tiers.len(), s.kind.name(), lang));
            }
        }
        Err(errors) => {
            eprint!("{}", report::check_errors(&errors, lang));
            failed = true;
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

async fn publish(config: &Config, store: &Store, spec: &ModelSpec, today: Day) -> anyhow::Result<()> {
    let loaded = host::load(store, today, Some(spec)).await?;
    let (prepared, counts) = publish::prepare(&loaded, spec)?;
    let p = publish::write(store, spec, None, prepared, counts, &config.actor).await?;
    let names = report::TierNames::default().with(spec, config.language);
    print!("{}", report::published_text(&p, &names, config.language));
    Ok(())
}

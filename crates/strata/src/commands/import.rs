//! `strata import FILE`: the import with a progress bar, its summary and rejected rows in the
//! command line's language, and the new customers checked for look-alikes.

use std::{
    collections::BTreeMap,
    process::ExitCode,
    sync::{atomic::AtomicU64, Arc},
    time::Duration,
};

use strata_core::{
    import::{ImportOptions, Target},
    money::Currency,
};
use strata_store::Store;

use super::{default_options, open, read_mapping, report_path};
use crate::{
    cli::{
        language::{pick, Lang, Said},
        ImportArgs,
    },
    config::Config,
    import::{run_import, ImportRequest, ImportSummary},
};

pub(super) async fn import(config: &Config, a: ImportArgs) -> anyhow::Result<ExitCode> {
    let lang = config.language;
    let store = open(config).await?;
    let overrides = match &a.mapping {
        Some(p) => read_mapping(p)?,
        None => BTreeMap::new(),
    };
    let currency =
        Currency::parse(&a.currency).map_err(|e| Said::error(format!("--currency: {e}"), format!("--currency：{}", e.message_in(true))))?;
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
                let rate = r as f64 / start.elapsed().as_secs_f64().max(0.001);
                bar.set_position(bytes.load(std::sync::atomic::Ordering::Relaxed));
                bar.set_message(match lang {
                    Lang::Zh => format!("{r} 行，每秒 {rate:.0} 行"),
                    Lang::En => format!("{r} rows, {rate:.0} rows/s"),
                });
            }
        })
    };
    let result = run_import(&store, req, bytes, rows).await;
    ticker.abort();
    bar.finish_and_clear();
    let summary = result.map_err(|e| {
        let en = e.to_string();
        let zh = e.message_zh().unwrap_or_else(|| en.clone());
        Said::error(en, zh)
    })?;
    print!("{}", summary_text(&summary, lang));
    if summary.committed && summary.entity == strata_core::import::Entity::Customers && summary.inserted > 0 {
        if let Some(batch) = &summary.batch {
            warn_duplicates(&store, batch.id, summary.inserted, lang).await?;
        }
    }
    let ok = summary.committed || (summary.dry_run && summary.rejected_rows == 0);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// New customers checked against the base right after an import (up to `CHECKED`; beyond that
/// the full scan is the better tool).
async fn warn_duplicates(store: &Store, batch: i64, inserted: u64, lang: Lang) -> anyhow::Result<()> {
    const CHECKED: u64 = 1000;
    const SHOWN: usize = 10;
    if inserted > CHECKED {
        match lang {
            Lang::Zh => println!("新增 {inserted} 个客户：运行 `strata dedupe scan` 检查其中的重复客户"),
            Lang::En => println!("{inserted} new customers: run `strata dedupe scan` to check them for duplicates"),
        }
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
                let message = w[pick(lang, "message_zh", "message")].as_str().unwrap_or("");
                let score = w["score"].as_f64().unwrap_or(0.0);
                match lang {
                    Lang::Zh => println!("可能重复：#{id} {} {message}（相似度 {score:.2}）", c.name),
                    Lang::En => println!("possible duplicate: #{id} {} {message} (score {score:.2})", c.name),
                }
            }
            found += 1;
        }
    }
    if found > SHOWN {
        match lang {
            Lang::Zh => println!("… 另有 {} 处可能重复；`strata dedupe scan` 会全部列出", found - SHOWN),
            Lang::En => println!("… {} more possible duplicates; `strata dedupe scan` lists them all", found - SHOWN),
        }
    }
    Ok(())
}

/// What the command prints after an import, line by line.
fn summary_text(s: &ImportSummary, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mapped: Vec<String> = s
        .mapping
        .iter()
        .filter_map(|(h, t)| match t {
            Target::Field(k) => Some(format!("{h}→{k}")),
            Target::Custom(k) => Some(format!("{h}→custom:{k}")),
            Target::Ignore => None,
        })
        .collect();
    let mut out = Vec::new();
    out.push(match zh {
        true => format!("文件：{}（{}，{}）", s.file, s.format, s.encoding),
        false => format!("file: {} ({}, {})", s.file, s.format, s.encoding),
    });
    out.push(format!("{}{}", pick(lang, "列：", "columns: "), mapped.join(", ")));
    if !s.unmapped.is_empty() {
        out.push(format!("{}{}", pick(lang, "未使用的列：", "ignored columns: "), s.unmapped.join(", ")));
    }
    for r in &s.sample {
        out.push(match zh {
            true => format!("  第 {} 行 [{}] `{}`：{}（{}）", r.row, r.column, r.value, r.reason_zh, r.code),
            false => format!("  row {} [{}] `{}`: {} ({})", r.row, r.column, r.value, r.reason, r.code),
        });
    }
    if s.rejections as usize > s.sample.len() {
        let more = s.rejections as usize - s.sample.len();
        out.push(if zh { format!("  … 另有 {more} 处") } else { format!("  … {more} more") });
    }
    if let Some(p) = &s.report {
        out.push(format!("{}{}", pick(lang, "被拒绝的行的报告：", "rejected rows report: "), p.display()));
    }
    let (rows, new, updated, same, rejected) = (s.rows, s.inserted, s.updated, s.unchanged, s.rejected_rows);
    out.push(match (s.dry_run, &s.batch, zh) {
        (true, _, true) => format!("检查了 {rows} 行，未写入任何内容：新增 {new}，更新 {updated}，未变 {same}，拒绝 {rejected}"),
        (true, _, false) => {
            format!("checked {rows} rows, nothing written: {new} new, {updated} updated, {same} unchanged, {rejected} rejected")
        }
        (false, Some(b), true) => format!(
            "已导入 {rows} 行，用时 {:.1} 秒，批次 {}：新增 {new}，更新 {updated}，未变 {same}，拒绝 {rejected}（撤销：`strata batch undo {}`）",
            s.seconds, b.id, b.id
        ),
        (false, Some(b), false) => format!(
            "imported {rows} rows in {:.1}s as batch {}: {new} new, {updated} updated, {same} unchanged, {rejected} rejected (undo with `strata batch undo {}`)",
            s.seconds, b.id, b.id
        ),
        (false, None, true) => {
            format!("未导入任何内容：{rows} 行中有 {rejected} 行被拒绝；改正后重新导入（或加 --skip-invalid 先导入其余的行）")
        }
        (false, None, false) => format!(
            "nothing imported: {rejected} of {rows} rows were rejected; fix them (or use --skip-invalid to import the rest) and import again"
        ),
    });
    out.iter().map(|l| format!("{l}\n")).collect()
}

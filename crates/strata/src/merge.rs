//! Merging duplicate customers: the plan (each field's survivorship decision) shown before
//! anything changes, the merge written in one transaction, its undo, and the CLI around them.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::dedupe::survivorship::{self, MergeError, Merged};
use strata_store::{MergeWrite, Store, StoreError};

use crate::cli::language::{padded, pick, Lang, Said};

/// What to merge: the survivor, the customers it absorbs, and fields whose value to take from a
/// named customer instead of the default rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub survivor: i64,
    pub absorbed: Vec<i64>,
    #[serde(default)]
    pub take: BTreeMap<String, i64>,
}

/// Why a merge was not made.
#[derive(Debug, thiserror::Error)]
pub enum MergeFailure {
    #[error(transparent)]
    Plan(#[from] MergeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The plan of a merge, and each customer's `updated_at` as read (a customer changed before
/// the merge is written makes it refuse).
pub async fn plan(store: &Store, req: &MergeRequest) -> Result<(Merged, Vec<(i64, DateTime<Utc>)>), MergeFailure> {
    survivorship::check_ids(req.survivor, &req.absorbed)?;
    let mut ids = vec![req.survivor];
    ids.extend(&req.absorbed);
    let found = store.customers_by_ids(&ids).await?;
    let mut customers = Vec::with_capacity(ids.len());
    for id in &ids {
        let c = found.iter().find(|c| c.id == *id).ok_or(StoreError::NotFound { what: "customer", id: id.to_string() })?;
        customers.push(c.clone());
    }
    let revenue = store.customer_revenue(&ids).await?;
    let merged = survivorship::plan(&customers, &revenue, &req.take)?;
    Ok((merged, customers.iter().map(|c| (c.id, c.updated_at)).collect()))
}

/// Plans and (unless `dry_run`) writes a merge. The answer lists the decisions either way.
pub async fn merge(store: &Store, req: &MergeRequest, actor: &str, dry_run: bool) -> Result<Value, MergeFailure> {
    let (merged, seen) = plan(store, req).await?;
    let decisions = serde_json::to_value(&merged.decisions).unwrap_or(Value::Null);
    if dry_run {
        return Ok(json!({"dry_run": true, "survivor": merged.survivor, "absorbed": merged.absorbed, "decisions": decisions}));
    }
    let write = MergeWrite {
        survivor: merged.survivor,
        absorbed: &merged.absorbed,
        input: &merged.input,
        owner_id: merged.owner_id,
        team_id: merged.team_id,
        decisions: decisions.clone(),
        seen: &seen,
    };
    let m = store.merge_customers(&write, actor).await?;
    Ok(json!({"dry_run": false, "merge": m, "survivor": merged.survivor, "absorbed": merged.absorbed, "decisions": decisions}))
}

/// `--take phone=12` → ("phone", 12).
pub fn parse_take(s: &str) -> Result<(String, i64), Said> {
    let (field, id) = s.split_once('=').ok_or_else(|| {
        Said::new(format!("`{s}` should be FIELD=CUSTOMER_ID, e.g. phone=12"), format!("`{s}` 应写成 字段=客户编号，如 phone=12"))
    })?;
    let id = id
        .trim()
        .parse()
        .map_err(|_| Said::new(format!("`{id}` in `{s}` is not a customer id"), format!("`{s}` 中的 `{id}` 不是客户编号")))?;
    Ok((field.trim().to_string(), id))
}

/// How a field's value was chosen, in words.
fn rule_word(rule: &str, lang: Lang) -> &str {
    match (lang, rule) {
        (Lang::Zh, "survivor") => "保留客户自身",
        (Lang::Zh, "most_recent_non_empty") => "最近更新且有值",
        (Lang::Zh, "largest_revenue") => "收入最高",
        (Lang::Zh, "earliest") => "最早",
        (Lang::Zh, "union") => "全部合并",
        (Lang::Zh, "chosen") => "指定",
        (_, r) => r,
    }
}

/// A merge field's name: the import's Chinese column name in Chinese.
fn field_name(field: &str, lang: Lang) -> &str {
    let zh = strata_core::import::Entity::Customers.field(field).map(|f| f.label_zh);
    match (lang, zh) {
        (Lang::Zh, Some(zh)) => zh,
        _ => field,
    }
}

/// A field's value as shown: a kind or a lifecycle stage by its Chinese label in Chinese.
fn value_word(field: &str, value: &Value, lang: Lang) -> String {
    use strata_core::{
        customer::{CustomerKind, LifecycleStage},
        label::Labelled,
    };
    let label = match (lang, field, value.as_str()) {
        (Lang::Zh, "kind", Some(code)) => CustomerKind::zh_of_code(code),
        (Lang::Zh, "lifecycle_stage", Some(code)) => LifecycleStage::zh_of_code(code),
        _ => None,
    };
    match (label, value) {
        (Some(label), _) => label.to_string(),
        (None, Value::Null) => "—".to_string(),
        (None, Value::String(s)) => s.clone(),
        (None, Value::Array(items)) if items.is_empty() => "—".to_string(),
        (None, Value::Array(items)) => {
            let words: Vec<String> = items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string)).collect();
            words.join(pick(lang, "、", ", "))
        }
        (None, other) => other.to_string(),
    }
}

fn print_decisions(v: &Value, lang: Lang) {
    for d in v["decisions"].as_array().into_iter().flatten() {
        let value = value_word(d["field"].as_str().unwrap_or(""), &d["value"], lang);
        let aside: Vec<String> = d["set_aside"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let value = value_word(d["field"].as_str().unwrap_or(""), &p[1], lang);
                match lang {
                    Lang::Zh => format!("客户 {} 的 {value}", p[0]),
                    Lang::En => format!("{value} from {}", p[0]),
                }
            })
            .collect();
        let aside = match (aside.is_empty(), lang) {
            (true, _) => String::new(),
            (false, Lang::Zh) => format!("   （舍弃：{}）", aside.join("；")),
            (false, Lang::En) => format!("   (set aside: {})", aside.join("; ")),
        };
        let (field, from, rule) =
            (field_name(d["field"].as_str().unwrap_or(""), lang), &d["from"], rule_word(d["rule"].as_str().unwrap_or(""), lang));
        match lang {
            Lang::Zh => println!("  {} {} 取自客户 {from}，规则：{rule}{aside}", padded(field, 16), padded(&value, 32)),
            Lang::En => println!("  {} {} from {from} by {rule}{aside}", padded(field, 16), padded(&value, 32)),
        }
    }
}

/// `strata dedupe merge`; the merge's id when one was made.
pub async fn run_merge(
    store: &Store,
    req: MergeRequest,
    actor: &str,
    dry_run: bool,
    json_out: bool,
    lang: Lang,
) -> anyhow::Result<Option<i64>> {
    let survivor = req.survivor;
    let out = match merge(store, &req, actor, dry_run).await {
        Ok(v) => v,
        Err(MergeFailure::Plan(e)) => {
            return Err(Said::error(
                format!("cannot merge into customer {survivor}: {e}"),
                format!("无法并入客户 {survivor}：{}", e.message_zh()),
            ))
        }
        Err(MergeFailure::Store(e)) => return Err(anyhow::Error::new(e).context(format!("cannot merge into customer {survivor}"))),
    };
    let id = out["merge"]["id"].as_i64();
    if json_out {
        println!("{out}");
        return Ok(id);
    }
    let others: Vec<String> = req.absorbed.iter().map(i64::to_string).collect();
    let (others, m) = (others.join(", "), &out["merge"]);
    println!(
        "{}",
        match (dry_run, lang) {
            (true, Lang::Zh) => format!("把 {others} 并入客户 {survivor} 将保留："),
            (true, Lang::En) => format!("merging {others} into customer {survivor} would keep:"),
            (false, Lang::Zh) => format!("已把 {others} 并入客户 {survivor}（合并 {}，移动 {} 条记录），保留：", m["id"], m["moved"]),
            (false, Lang::En) =>
                format!("merged {others} into customer {survivor} as merge {} ({} records moved); it keeps:", m["id"], m["moved"]),
        }
    );
    print_decisions(&out, lang);
    if !dry_run {
        println!("{}`strata dedupe undo {}`", pick(lang, "撤销：", "undo with "), m["id"]);
    }
    Ok(id)
}

/// `strata dedupe undo`.
pub async fn run_undo(store: &Store, id: i64, actor: &str, force: bool, lang: Lang) -> anyhow::Result<()> {
    let u = store.undo_merge(id, actor, force).await.with_context(|| format!("cannot undo merge {id}"))?;
    let (restored, moved) = (u.restored_customers, u.moved_back);
    println!(
        "{}",
        match lang {
            Lang::Zh => format!("已撤销合并 {id}：恢复 {restored} 个客户，移回 {moved} 条记录"),
            Lang::En => format!("undid merge {id}: {restored} customers restored, {moved} records moved back"),
        }
    );
    Ok(())
}

/// `strata dedupe merges`.
pub async fn run_list(store: &Store, customer: Option<i64>, json_out: bool, lang: Lang) -> anyhow::Result<()> {
    let merges = store.list_merges(customer, 100).await?;
    if json_out {
        println!("{}", serde_json::to_string(&merges)?);
        return Ok(());
    }
    for m in merges {
        let absorbed: Vec<String> = m.absorbed_ids.iter().map(i64::to_string).collect();
        let (at, by) = (m.merged_at.format("%Y-%m-%d %H:%M"), &m.actor);
        let undone = m.undone_at.map_or(String::new(), |t| {
            let (when, who) = (t.format("%Y-%m-%d %H:%M"), m.undone_by.clone().unwrap_or_default());
            match lang {
                Lang::Zh => format!("，已于 {when} 由 {who} 撤销"),
                Lang::En => format!(", undone {when} by {who}"),
            }
        });
        let (id, survivor, absorbed, moved) = (m.id, m.survivor_id, absorbed.join(", "), m.moved);
        match lang {
            Lang::Zh => println!("{id}\t{at}\t并入 {survivor} ← {absorbed}\t{moved} 条记录\t操作人 {by}{undone}"),
            Lang::En => println!("{id}\t{at}\tinto {survivor} ← {absorbed}\t{moved} records\tby {by}{undone}"),
        }
    }
    Ok(())
}

//! Merging duplicate customers: the plan (each field's survivorship decision) shown before
//! anything changes, the merge written in one transaction, its undo, and the CLI around them.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::dedupe::survivorship::{self, MergeError, Merged};
use strata_store::{MergeWrite, Store, StoreError};

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
pub fn parse_take(s: &str) -> Result<(String, i64), String> {
    let (field, id) = s.split_once('=').ok_or_else(|| format!("`{s}` should be FIELD=CUSTOMER_ID, e.g. phone=12"))?;
    let id = id.trim().parse().map_err(|_| format!("`{id}` in `{s}` is not a customer id"))?;
    Ok((field.trim().to_string(), id))
}

fn print_decisions(v: &Value) {
    for d in v["decisions"].as_array().into_iter().flatten() {
        let value = match &d["value"] {
            Value::Null => "—".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let aside: Vec<String> = d["set_aside"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| format!("{} from {}", p[1].as_str().map_or_else(|| p[1].to_string(), str::to_string), p[0]))
            .collect();
        let aside = if aside.is_empty() { String::new() } else { format!("   (set aside: {})", aside.join("; ")) };
        println!(
            "  {:<16} {:<32} from {} by {}{aside}",
            d["field"].as_str().unwrap_or(""),
            value,
            d["from"],
            d["rule"].as_str().unwrap_or("")
        );
    }
}

/// `strata dedupe merge`; the merge's id when one was made.
pub async fn run_merge(store: &Store, req: MergeRequest, actor: &str, dry_run: bool, json_out: bool) -> anyhow::Result<Option<i64>> {
    let out = match merge(store, &req, actor, dry_run).await {
        Ok(v) => v,
        Err(e) => bail!("cannot merge into customer {}: {e}", req.survivor),
    };
    let id = out["merge"]["id"].as_i64();
    if json_out {
        println!("{out}");
        return Ok(id);
    }
    let others: Vec<String> = req.absorbed.iter().map(i64::to_string).collect();
    if dry_run {
        println!("merging {} into customer {} would keep:", others.join(", "), req.survivor);
    } else {
        let m = &out["merge"];
        println!(
            "merged {} into customer {} as merge {} ({} records moved); it keeps:",
            others.join(", "),
            req.survivor,
            m["id"],
            m["moved"]
        );
    }
    print_decisions(&out);
    if !dry_run {
        println!("undo with `strata dedupe undo {}`", out["merge"]["id"]);
    }
    Ok(id)
}

/// `strata dedupe undo`.
pub async fn run_undo(store: &Store, id: i64, actor: &str, force: bool) -> anyhow::Result<()> {
    let u = store.undo_merge(id, actor, force).await.with_context(|| format!("cannot undo merge {id}"))?;
    println!("undid merge {id}: {} customers restored, {} records moved back", u.restored_customers, u.moved_back);
    Ok(())
}

/// `strata dedupe merges`.
pub async fn run_list(store: &Store, customer: Option<i64>, json_out: bool) -> anyhow::Result<()> {
    let merges = store.list_merges(customer, 100).await?;
    if json_out {
        println!("{}", serde_json::to_string(&merges)?);
        return Ok(());
    }
    for m in merges {
        let absorbed: Vec<String> = m.absorbed_ids.iter().map(i64::to_string).collect();
        let undone = m
            .undone_at
            .map(|t| format!(", undone {} by {}", t.format("%Y-%m-%d %H:%M"), m.undone_by.unwrap_or_default()))
            .unwrap_or_default();
        println!(
            "{}\t{}\tinto {} ← {}\t{} records\tby {}{undone}",
            m.id,
            m.merged_at.format("%Y-%m-%d %H:%M"),
            m.survivor_id,
            absorbed.join(", "),
            m.moved,
            m.actor
        );
    }
    Ok(())
}

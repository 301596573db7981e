//! `strata dedupe scan`: every customer's matching keys from the store (with their contacts'
//! phones and e-mails) scanned for duplicates; groups ranked by score with their reasons.

use std::collections::HashMap;

use serde_json::json;
use strata_core::dedupe::{scan, Group, Party};
use strata_store::{MatchKeys, Store};

use crate::cli::language::{padded, Lang, Said};

/// The customers as duplicate detection sees them, and their stored keys by id.
pub async fn parties(store: &Store) -> anyhow::Result<(Vec<Party>, HashMap<i64, MatchKeys>)> {
    let keys = store.match_keys().await?;
    let mut contacts: HashMap<i64, (Vec<String>, Vec<String>)> = HashMap::new();
    for (id, mobile, landline, email) in store.contact_match_keys().await? {
        let entry = contacts.entry(id).or_default();
        entry.0.extend(mobile.into_iter().chain(landline).filter(|p| !p.is_empty()));
        entry.1.extend(email.into_iter().filter(|e| !e.is_empty()).map(|e| e.to_lowercase()));
    }
    let parties = keys
        .iter()
        .map(|k| {
            let mut party = party_of(k);
            let (phones, emails) = contacts.remove(&k.id).unwrap_or_default();
            party.phones.extend(phones);
            party.emails.extend(emails);
            party.phones.sort();
            party.phones.dedup();
            party.emails.sort();
            party.emails.dedup();
            party
        })
        .collect();
    Ok((parties, keys.into_iter().map(|k| (k.id, k)).collect()))
}

/// A group as JSON, with each member's name and owner.
pub fn group_json(g: &Group, keys: &HashMap<i64, MatchKeys>) -> serde_json::Value {
    let members: Vec<serde_json::Value> = g
        .members
        .iter()
        .map(|id| {
            let k = keys.get(id);
            json!({ "id": id, "name": k.map(|k| k.name.as_str()), "owner": k.and_then(|k| k.owner.as_deref()), "city": k.and_then(|k| k.city.as_deref()) })
        })
        .collect();
    let pairs: Vec<serde_json::Value> =
        g.pairs.iter().map(|(a, b, score, reasons)| json!({ "a": a, "b": b, "score": score, "reasons": reasons })).collect();
    json!({ "score": g.score, "members": members, "pairs": pairs })
}

/// `strata dedupe scan`.
pub async fn run_scan(store: &Store, threshold: f64, limit: usize, json_out: bool, lang: Lang) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(Said::error(
            format!("--threshold must be between 0 and 1, not {threshold}"),
            format!("--threshold 应在 0 到 1 之间，不能是 {threshold}"),
        ));
    }
    let started = std::time::Instant::now();
    let (parties, keys) = parties(store).await?;
    let groups = tokio::task::spawn_blocking(move || scan(&parties, threshold)).await?;
    let seconds = started.elapsed().as_secs_f64();
    if json_out {
        let shown: Vec<serde_json::Value> = groups.iter().take(limit).map(|g| group_json(g, &keys)).collect();
        println!(
            "{}",
            json!({ "customers": keys.len(), "groups": groups.len(), "seconds": seconds, "threshold": threshold, "items": shown })
        );
        return Ok(());
    }
    let (n, customers) = (groups.len(), keys.len());
    println!(
        "{}",
        match lang {
            Lang::Zh => format!("{customers} 个客户中有 {n} 组疑似重复（用时 {seconds:.2} 秒，阈值 {threshold}）"),
            Lang::En => format!("{n} groups of possible duplicates among {customers} customers ({seconds:.2} s, threshold {threshold})"),
        }
    );
    for g in groups.iter().take(limit) {
        println!("\n{:.2}", g.score);
        for id in &g.members {
            let k = keys.get(id);
            let owner = k.and_then(|k| k.owner.as_deref()).map_or(String::new(), |o| match lang {
                Lang::Zh => format!("，负责人 {o}"),
                Lang::En => format!(", owned by {o}"),
            });
            println!("  #{id} {}{owner}", k.map_or("?", |k| k.name.as_str()));
        }
        if let Some((a, b, _, reasons)) = g.pairs.first() {
            let why: Vec<&str> = reasons.iter().map(|r| if lang == Lang::Zh { r.detail_zh.as_str() } else { r.detail.as_str() }).collect();
            println!("  #{a} ~ #{b}: {}", why.join(if lang == Lang::Zh { "；" } else { "; " }));
        }
    }
    Ok(())
}

fn party_of(k: &MatchKeys) -> Party {
    Party {
        id: k.id,
        company: k.kind == "company",
        key: k.canonical_name.clone(),
        credit_code: k.credit_code.clone().filter(|c| !c.is_empty()),
        phones: k.phone.iter().filter(|p| !p.is_empty()).cloned().collect(),
        emails: k.email.iter().filter(|e| !e.is_empty()).map(|e| e.to_lowercase()).collect(),
        city: strata_core::dedupe::party_city(k.city.as_deref().unwrap_or(""), &k.name),
    }
}

/// The check on entry: existing customers that `customer` (just written) looks like, as
/// warnings ("looks like 深圳市腾飞科技有限公司, owned by 王伟"), best first.
/// Existing customers the new `customer` looks like (best first, at most 5). A match the caller
/// may not see (`sees(owner_id, team_id)` is false) is reported with its name, phone and e-mail
/// masked and without its id: the caller learns that it exists and who owns it.
pub async fn possible_duplicates(
    store: &Store,
    customer: &strata_core::customer::Customer,
    sees: &(dyn Fn(Option<i64>, Option<i64>) -> bool + Sync),
) -> anyhow::Result<Vec<serde_json::Value>> {
    let candidates = store
        .match_candidates(&customer.canonical_name, customer.credit_code.as_deref(), customer.phone.as_deref(), customer.email.as_deref())
        .await?;
    let mut parties: Vec<Party> = candidates.iter().filter(|k| k.id != customer.id).map(party_of).collect();
    let keys: HashMap<i64, &MatchKeys> = candidates.iter().map(|k| (k.id, k)).collect();
    parties.push(Party {
        id: customer.id,
        company: customer.kind == strata_core::customer::CustomerKind::Company,
        key: customer.canonical_name.clone(),
        credit_code: customer.credit_code.clone(),
        phones: customer.phone.iter().cloned().collect(),
        emails: customer.email.iter().map(|e| e.to_lowercase()).collect(),
        city: strata_core::dedupe::party_city(customer.city.as_deref().unwrap_or(""), &customer.name),
    });
    let new = parties.len() - 1;
    let matches = strata_core::dedupe::matches_of(&parties, new, strata_core::dedupe::DEFAULT_THRESHOLD);
    Ok(matches
        .iter()
        .take(5)
        .filter_map(|m| {
            let k = keys.get(&parties[m.b].id)?;
            let owner = k.owner.as_deref().map(|o| format!(", owned by {o}")).unwrap_or_default();
            let owner_zh = k.owner.as_deref().map(|o| format!("，负责人 {o}")).unwrap_or_default();
            if !sees(k.owner_id, k.team_id) {
                let name = strata_core::access::mask_text(&k.name);
                let reasons: Vec<&str> = m.reasons.iter().map(|r| r.code).collect();
                return Some(json!({
                    "id": null, "name": name, "owner": k.owner, "score": m.score, "reasons": reasons, "masked": true,
                    "message": format!("looks like an existing customer ({name}){owner}"),
                    "message_zh": format!("疑似与已有客户（{name}）重复{owner_zh}"),
                }));
            }
            Some(json!({
                "id": k.id, "name": k.name, "owner": k.owner, "score": m.score, "reasons": m.reasons,
                "message": format!("looks like {}{owner}", k.name),
                "message_zh": format!("疑似与 {} 重复{owner_zh}", k.name),
            }))
        })
        .collect())
}

/// Completeness per owner (lowest first) and the `worst` least complete customers, as JSON.
pub async fn completeness(store: &Store, worst: usize) -> anyhow::Result<serde_json::Value> {
    use strata_core::completeness::{by_owner, score, share};
    let data = store.completeness_rows().await?;
    let owners = by_owner(data.rows.iter().map(|r| (data.owner(r), r.company, &r.filled)));
    // Scores alone for everyone; the missing fields only for the `worst` listed.
    let mut scored: Vec<(f64, usize)> = data.rows.iter().enumerate().map(|(i, r)| (share(r.company, &r.filled), i)).collect();
    let mean = scored.iter().map(|s| s.0).sum::<f64>() / scored.len().max(1) as f64;
    let order = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(data.rows[a.1].id.cmp(&data.rows[b.1].id));
    if worst < scored.len() {
        scored.select_nth_unstable_by(worst, order);
        scored.truncate(worst);
    }
    scored.sort_by(order);
    let least: Vec<serde_json::Value> = scored
        .iter()
        .map(|&(s, i)| {
            let r = &data.rows[i];
            json!({ "id": r.id, "score": s, "missing": score(r.company, &r.filled).1 })
        })
        .collect();
    Ok(json!({ "customers": data.rows.len(), "score": mean, "owners": owners, "least_complete": least }))
}

pub fn print_completeness(r: &serde_json::Value, lang: Lang) {
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let (customers, share) = (&r["customers"], 100.0 * f(&r["score"]));
    println!(
        "{}",
        match lang {
            Lang::Zh => format!("{customers} 个客户，应填字段已填 {share:.1}%"),
            Lang::En => format!("{customers} customers, {share:.1}% of expected fields filled"),
        }
    );
    for o in r["owners"].as_array().into_iter().flatten() {
        let missing: Vec<String> = o["missing"]
            .as_array()
            .into_iter()
            .flatten()
            .take(3)
            .map(|m| format!("{} ({})", field_word(m[0].as_str().unwrap_or(""), lang), m[1]))
            .collect();
        let missing = if missing.is_empty() { "—".into() } else { missing.join(if lang == Lang::Zh { "、" } else { ", " }) };
        let owner = o["owner"].as_str().unwrap_or(crate::cli::language::pick(lang, "（无负责人）", "(no owner)"));
        let (n, share) = (o["customers"].as_u64().unwrap_or(0), 100.0 * f(&o["score"]));
        println!(
            "{}",
            match lang {
                Lang::Zh => format!("  {} {n:>7} 个客户  {share:>5.1}%  缺得最多：{missing}", padded(owner, 12)),
                Lang::En => format!("  {} {n:>7} customers  {share:>5.1}%  most missing: {missing}", padded(owner, 12)),
            }
        );
    }
}

/// A checked field's name as the customer list's filter words it.
fn field_word(field: &str, lang: Lang) -> String {
    crate::web::i18n::named(lang, "field_", field).map_or_else(|| field.to_string(), str::to_string)
}

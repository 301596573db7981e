//! The dashboard's figures for one scope and role: customers per tier of every published model
//! and revenue by tier with its cumulative share (Pareto), customers at churn risk and orders by
//! month come from the engine's columns in memory; tier moves over the last quarter (Sankey)
//! from the store's tier history, data completeness per owner from the store. Revenue only for
//! roles that see amounts.

use chrono::{Datelike, Duration, Utc};
use serde_json::{json, Value};
use strata_core::{
    engine::figures::Selection,
    metrics::{date_of, day_of},
    tiering::rfm::NO_TIER,
};
use strata_store::{CustomerFilter, RecordScope};

use super::i18n::{self, Lang};
use crate::server::{ApiError, AppState};

/// What a dashboard depends on besides the data: whose customers, whether amounts show, and
/// the language of the labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FigureKey {
    pub scope: RecordScope,
    pub amounts: bool,
    pub lang: Lang,
}

/// A model's key, name and tier (key, name) pairs, in the key's language.
struct ModelNames {
    key: String,
    name: String,
    tiers: Vec<(String, String)>,
}

/// Retention tiers that mean churn risk, as the preset names them.
const AT_RISK: [&str; 2] = ["rescue", "slipping"];
/// Customers at risk listed.
const AT_RISK_SHOWN: usize = 10;

/// What the engine gives: names, distributions (per model: tier index, customers, revenue),
/// the months, and the most valuable customers at risk (id, tier key).
struct EngineFigures {
    models: Vec<ModelNames>,
    tiers: Vec<Vec<strata_core::engine::figures::TierFigure>>,
    months: Vec<strata_core::engine::figures::MonthFigure>,
    at_risk: Vec<(i64, String)>,
}

fn engine_figures(s: &AppState, key: FigureKey, ids: Option<&[i64]>) -> EngineFigures {
    let guard = s.live.read();
    let mut out = EngineFigures { models: Vec::new(), tiers: Vec::new(), months: Vec::new(), at_risk: Vec::new() };
    let Some(loaded) = guard.as_ref() else { return out };
    let e = &loaded.engine;
    let positions: Option<Vec<u32>> = ids.map(|ids| ids.iter().filter_map(|id| e.index.position(*id)).collect());
    let sel = positions.as_deref().map_or(Selection::All, Selection::Positions);
    let today = e.today();
    let revenue = e.revenue_since(sel, today - 365);
    let en = key.lang == Lang::En;
    for (i, m) in e.catalog.models.iter().enumerate() {
        let name = if en && !m.spec.name_en.is_empty() { m.spec.name_en.clone() } else { m.spec.name.clone() };
        let tiers = m.tiers.iter().map(|t| (t.key.clone(), if en { t.name_en.clone() } else { t.name.clone() })).collect();
        out.models.push(ModelNames { key: m.key().to_string(), name, tiers });
        out.tiers.push(e.tier_figures(i, sel, &revenue));
    }
    let now = date_of(today);
    let from = now.checked_sub_months(chrono::Months::new(11)).and_then(|d| d.with_day(1)).unwrap_or(now);
    out.months = e.monthly_orders(sel, day_of(from));
    if let Some(r) = e.catalog.models.iter().position(|m| m.key() == "retention") {
        let codes: Vec<u16> = e.catalog.models[r]
            .tiers
            .iter()
            .enumerate()
            .filter(|(_, t)| AT_RISK.contains(&t.key.as_str()))
            .map(|(i, _)| i as u16)
            .collect();
        let mut risky = e.positions_in_tiers(r, &codes, sel);
        // The most valuable first: they are the ones worth a call.
        risky.sort_by_key(|&p| (std::cmp::Reverse(revenue[p as usize]), p));
        out.at_risk = risky
            .into_iter()
            .take(AT_RISK_SHOWN)
            .filter_map(|p| {
                let t = e.tiers[r][p as usize];
                (t != NO_TIER).then(|| (e.index.id(p), e.catalog.models[r].tiers[usize::from(t)].key.clone()))
            })
            .collect();
    }
    out
}

/// Everything the dashboard page shows for `key`.
pub async fn compute(s: &AppState, key: FigureKey) -> Result<Value, ApiError> {
    let filter = CustomerFilter { scope: key.scope, ..CustomerFilter::default() };
    let ids = if key.scope == RecordScope::All { None } else { Some(s.store.customer_ids_in(&filter).await?) };
    let loading = match s.live.ensure_loaded().await {
        Ok(()) => false,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "the dashboard waits for the engine");
            true
        }
    };
    let f = engine_figures(s, key, ids.as_deref());
    let money = |cents: i64| if key.amounts { json!(cents as f64 / 100.0) } else { Value::Null };
    let no_tier = i18n::word(key.lang, "no_tier");
    let label = |m: &ModelNames, k: &str| m.tiers.iter().find(|(t, _)| t == k).map_or(k.to_string(), |(_, n)| n.clone());
    let tier_name = |m: &ModelNames, t: u16| m.tiers.get(usize::from(t)).map_or(no_tier.to_string(), |(_, n)| n.clone());
    let mut distributions = Vec::new();
    for (m, figs) in f.models.iter().zip(&f.tiers) {
        let mut rows: Vec<(u16, Value)> = figs
            .iter()
            .map(|x| (x.tier, json!({"tier": tier_name(m, x.tier), "customers": x.customers, "revenue": money(x.revenue_cents)})))
            .collect();
        rows.sort_by_key(|r| r.0);
        distributions.push(json!({"key": m.key, "name": m.name, "tiers": rows.into_iter().map(|r| r.1).collect::<Vec<_>>()}));
    }
    let main = f.models.iter().position(|m| m.key == "rfm").or((!f.models.is_empty()).then_some(0));
    let (mut pareto, mut sankey) = (Value::Null, Value::Null);
    if let Some(i) = main {
        let m = &f.models[i];
        if key.amounts {
            let figs = &f.tiers[i];
            let total = figs.iter().map(|x| x.revenue_cents as f64).sum::<f64>().max(1.0);
            let mut acc = 0.0;
            let bars: Vec<Value> = figs
                .iter()
                .map(|x| {
                    acc += x.revenue_cents as f64;
                    json!({"tier": tier_name(m, x.tier), "revenue": x.revenue_cents as f64 / 100.0, "cumulative": (acc / total * 1000.0).round() / 10.0})
                })
                .collect();
            pareto = json!({"model": m.name, "bars": bars});
        }
        let moves = s.store.tier_moves(&m.key, &filter, Utc::now() - Duration::days(91)).await?;
        let side = |k: &Option<String>| k.as_deref().map_or(no_tier.to_string(), |k| label(m, k));
        let links: Vec<Value> = moves
            .iter()
            .filter(|x| x.from_tier.is_some() && x.from_tier != x.to_tier)
            .map(|x| json!({"source": format!("{} ›", side(&x.from_tier)), "target": format!("› {}", side(&x.to_tier)), "value": x.customers}))
            .collect();
        let mut nodes: Vec<String> = links
            .iter()
            .flat_map(|l| [l["source"].as_str().unwrap_or("").to_string(), l["target"].as_str().unwrap_or("").to_string()])
            .collect();
        nodes.sort();
        nodes.dedup();
        sankey = json!({"model": m.name, "nodes": nodes.iter().map(|n| json!({"name": n})).collect::<Vec<_>>(), "links": links});
    }
    let risky_ids: Vec<i64> = f.at_risk.iter().map(|(id, _)| *id).collect();
    let customers = s.store.customers_by_ids(&risky_ids).await?;
    let retention = f.models.iter().find(|m| m.key == "retention");
    let users = s.store.list_users().await.unwrap_or_default();
    let names = super::owner_names(&users);
    let at_risk: Vec<Value> = f
        .at_risk
        .iter()
        .filter_map(|(id, tier)| {
            let c = customers.iter().find(|c| c.id == *id)?;
            let owner = c.owner.as_deref().map(|l| names.get(l).copied().unwrap_or(l));
            Some(json!({"id": id, "name": c.name, "owner": owner, "tier": retention.map_or(tier.clone(), |m| label(m, tier))}))
        })
        .collect();
    let months: Vec<Value> = f
        .months
        .iter()
        .map(|m| json!({"month": m.month, "orders": m.orders, "customers": m.customers, "revenue": money(m.revenue_cents)}))
        .collect();
    let no_owner = i18n::word(key.lang, "no_owner");
    let completeness: Vec<Value> = s
        .store
        .completeness_by_owner(&filter)
        .await?
        .iter()
        .map(|o| {
            // The owner's incomplete customers, least complete first.
            let href = o.login.as_ref().filter(|_| o.incomplete > 0).map(|l| {
                let q = [
                    ("owner", l.clone()),
                    ("completeness_max", (strata_store::INCOMPLETE_BELOW - 1).to_string()),
                    ("sort", "completeness".into()),
                ];
                format!("/customers?{}", serde_urlencoded::to_string(q).unwrap_or_default())
            });
            json!({"href": href, "owner": o.display_name.as_deref().unwrap_or(no_owner), "customers": o.customers,
                   "mean": (o.mean * 10.0).round() / 10.0, "incomplete": o.incomplete,
                   "share": if o.customers > 0 { (o.incomplete as f64 * 1000.0 / o.customers as f64).round() / 10.0 } else { 0.0 }})
        })
        .collect();
    let as_of = Utc::now().with_timezone(&s.config.timezone).format("%Y-%m-%d %H:%M:%S").to_string();
    Ok(json!({"distributions": distributions, "pareto": pareto, "sankey": sankey, "at_risk": at_risk, "months": months,
              "completeness": completeness, "incomplete_below": strata_store::INCOMPLETE_BELOW, "amounts": key.amounts, "as_of": as_of, "loading": loading}))
}

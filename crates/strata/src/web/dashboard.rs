//! The dashboard: customers per tier of every published model, revenue by tier with its
//! cumulative share (Pareto), tier moves over the last quarter (Sankey), customers at churn
//! risk, and orders by month — all over the caller's scope, revenue only for roles that see
//! amounts. Charts are drawn by Apache ECharts, served from the binary.

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::{Action, FieldGroup, Visibility};
use strata_store::CustomerFilter;

use super::{i18n::Lang, ClientAddress, Page};
use crate::server::{ApiError, AppState};

const ECHARTS: &[u8] = include_bytes!("../../assets/echarts-5.6.0.min.js");

/// `/assets/echarts.min.js`, cached for a day.
pub async fn echarts() -> Response {
    ([(header::CONTENT_TYPE, "application/javascript"), (header::CACHE_CONTROL, "public, max-age=86400")], ECHARTS).into_response()
}

/// A model's key, name and (key, name) of each tier, in the caller's language.
type ModelNames = (String, String, Vec<(String, String)>);

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

pub async fn page(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    let caller = match page.allowed("/dashboard", Action::ViewCustomers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match figures(&s, caller, page.lang).await {
        Ok(v) => page.render("dashboard.html", v),
        Err(e) => e.into_response(),
    }
}

async fn figures(s: &AppState, caller: &crate::server::Caller, lang: Lang) -> Result<Value, ApiError> {
    let filter = caller.restrict(CustomerFilter::default());
    let amounts = caller.visibility(FieldGroup::Amounts, None) == Visibility::Visible;
    let today = s.config.today.unwrap_or_else(|| (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive());
    let year_ago = (today - chrono::Duration::days(365)).to_string();
    // Model keys and tier names in their order, from the engine.
    let models: Vec<ModelNames> = {
        if s.live.ensure_loaded().await.is_err() {
            Vec::new()
        } else {
            let guard = s.live.read();
            guard
                .as_ref()
                .map(|l| {
                    l.engine
                        .catalog
                        .models
                        .iter()
                        .map(|m| {
                            let en = lang == Lang::En;
                            let name = if en && !m.spec.name_en.is_empty() { m.spec.name_en.clone() } else { m.spec.name.clone() };
                            let tiers =
                                m.tiers.iter().map(|t| (t.key.clone(), if en { t.name_en.clone() } else { t.name.clone() })).collect();
                            (m.key().to_string(), name, tiers)
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
    };
    let mut distributions = Vec::new();
    // Each model's figures, read once: the distributions and the Pareto chart use them.
    let mut figures = Vec::with_capacity(models.len());
    for (key, name, tiers) in &models {
        let figs = s.store.tier_figures(key, &filter, &year_ago).await?;
        let label = |k: &str| tiers.iter().find(|(t, _)| t == k).map_or(k.to_string(), |(_, n)| n.clone());
        let mut rows: Vec<Value> = figs
            .iter()
            .map(|f| json!({"tier": label(&f.tier), "customers": f.customers, "revenue": if amounts { json!(f.revenue_cents as f64 / 100.0) } else { Value::Null }}))
            .collect();
        // Tier order of the model, for the distribution.
        rows.sort_by_key(|r| tiers.iter().position(|(_, n)| Some(n.as_str()) == r["tier"].as_str()).unwrap_or(usize::MAX));
        distributions.push(json!({"key": key, "name": name, "tiers": rows}));
        figures.push(figs);
    }
    let main = models.iter().position(|(k, _, _)| k == "rfm").or((!models.is_empty()).then_some(0));
    let (mut pareto, mut sankey) = (Value::Null, Value::Null);
    if let Some(i) = main {
        let (key, name, tiers) = &models[i];
        let label = |k: &Option<String>| {
            k.as_ref().map_or(super::i18n::word(lang, "no_tier").to_string(), |k| {
                tiers.iter().find(|(t, _)| t == k).map_or(k.clone(), |(_, n)| n.clone())
            })
        };
        if amounts {
            let figs = &figures[i];
            let total: f64 = figs.iter().map(|f| f.revenue_cents as f64).sum::<f64>().max(1.0);
            let mut acc = 0.0;
            let bars: Vec<Value> = figs
                .iter()
                .map(|f| {
                    acc += f.revenue_cents as f64;
                    json!({"tier": label(&Some(f.tier.clone())), "revenue": f.revenue_cents as f64 / 100.0, "cumulative": (acc / total * 1000.0).round() / 10.0})
                })
                .collect();
            pareto = json!({"model": name, "bars": bars});
        }
        let since = chrono::Utc::now() - chrono::Duration::days(91);
        let moves = s.store.tier_moves(key, &filter, since).await?;
        let links: Vec<Value> = moves
            .iter()
            .filter(|m| m.from_tier.is_some() && m.from_tier != m.to_tier)
            .map(|m| json!({"source": format!("{} ›", label(&m.from_tier)), "target": format!("› {}", label(&m.to_tier)), "value": m.customers}))
            .collect();
        let mut nodes: Vec<String> = links
            .iter()
            .flat_map(|l| [l["source"].as_str().unwrap_or("").to_string(), l["target"].as_str().unwrap_or("").to_string()])
            .collect();
        nodes.sort();
        nodes.dedup();
        sankey = json!({"model": name, "nodes": nodes.iter().map(|n| json!({"name": n})).collect::<Vec<_>>(), "links": links});
    }
    let at_risk: Vec<Value> = if models.iter().any(|(k, _, _)| k == "retention") {
        s.store
            .customers_in_tiers("retention", &["rescue", "slipping"], &filter, 10)
            .await?
            .into_iter()
            .map(|(id, name, owner, tier)| {
                let label = models
                    .iter()
                    .find(|(k, _, _)| k == "retention")
                    .and_then(|(_, _, ts)| ts.iter().find(|(k, _)| *k == tier))
                    .map_or(tier.clone(), |(_, n)| n.clone());
                json!({"id": id, "name": name, "owner": owner, "tier": label})
            })
            .collect()
    } else {
        Vec::new()
    };
    let from = today.checked_sub_months(chrono::Months::new(11)).map(|d| format!("{}-01", &d.to_string()[..7])).unwrap_or(year_ago);
    let months: Vec<Value> = s
        .store
        .monthly_orders(&filter, &from)
        .await?
        .iter()
        .map(|m| json!({"month": m.month, "orders": m.orders, "customers": m.customers, "revenue": if amounts { json!(m.revenue_cents as f64 / 100.0) } else { Value::Null }}))
        .collect();
    Ok(
        json!({"distributions": distributions, "pareto": pareto, "sankey": sankey, "at_risk": at_risk, "months": months, "amounts": amounts}),
    )
}

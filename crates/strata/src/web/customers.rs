//! The customer page: profile, contacts, one timeline of every record, each model's tier and
//! why with a chart of its tier history, metrics, the fields that are still missing, and an
//! edit form; the form for a new customer.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use strata_core::{
    access::Action,
    activity::Channel,
    commerce::{OrderStatus, PaymentMethod},
    deal::DealStage,
    import::Entity,
    label::Labelled,
    service::{Severity, TicketStatus},
};

use super::{i18n, ClientAddress, Page};
use crate::server::AppState;

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    lang: Option<String>,
}

/// A stored code of a closed vocabulary (`completed`, `bank_transfer`) in the page's language;
/// a code the vocabulary does not know stays as it is.
fn label<T: Labelled>(code: String, lang: i18n::Lang) -> String {
    match T::by_code(&code) {
        Some(v) if lang == i18n::Lang::En => v.label_en().to_string(),
        Some(v) => v.label_zh().to_string(),
        None => code,
    }
}

/// Records the timeline shows before "earlier records".
const RECENT_RECORDS: usize = 30;

/// The date a record is placed at on the timeline, and a line about it.
fn timeline_entry(kind: Entity, r: &Map<String, Value>, lang: i18n::Lang) -> Option<Value> {
    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let money = |k: &str| r.get(k).and_then(Value::as_i64).map(|c| format!("¥{:.2}", c as f64 / 100.0));
    let (date, text) = match kind {
        Entity::Orders => {
            let status = label::<OrderStatus>(s("status"), lang);
            (s("order_date"), [Some(s("external_id")), money("amount_cents"), Some(s("product_line")), Some(status)].to_vec())
        }
        Entity::Payments => {
            (s("paid_on"), [Some(s("external_id")), money("amount_cents"), Some(label::<PaymentMethod>(s("method"), lang))].to_vec())
        }
        Entity::Interactions => {
            (s("occurred_at"), [Some(label::<Channel>(s("channel"), lang)), Some(s("summary")), Some(s("outcome"))].to_vec())
        }
        Entity::Deals => {
            let when = if s("closed_on").is_empty() { s("expected_close") } else { s("closed_on") };
            (when, [Some(s("title")), Some(label::<DealStage>(s("stage"), lang)), money("amount_cents")].to_vec())
        }
        Entity::Tickets => {
            let (severity, status) = (label::<Severity>(s("severity"), lang), label::<TicketStatus>(s("status"), lang));
            (s("opened_at"), [Some(severity), Some(status), Some(s("summary"))].to_vec())
        }
        Entity::Feedback => {
            let nps = r.get("nps").and_then(Value::as_i64).map(|n| format!("NPS {n}"));
            let csat = r.get("csat").and_then(Value::as_i64).map(|n| format!("CSAT {n}"));
            (s("received_on"), [nps, csat, Some(s("comment"))].to_vec())
        }
        _ => return None,
    };
    let text: Vec<String> = text.into_iter().flatten().filter(|t| !t.is_empty()).collect();
    Some(json!({"date": date.chars().take(16).collect::<String>().replace('T', " "), "kind": kind.name(), "text": text.join(" · ")}))
}

/// The hints of what would move a customer up, in the page's language.
fn move_up_texts(hints: &Value, lang: i18n::Lang) -> Vec<String> {
    let key = if lang == i18n::Lang::En { "text_en" } else { "text" };
    hints.as_array().into_iter().flatten().filter_map(|h| h[key].as_str().map(str::to_string)).collect()
}

/// A model's explanation as lines of text.
fn why(x: &Value, lang: i18n::Lang) -> Vec<String> {
    let detail = &x["detail"];
    let w = |k: &str| i18n::word(lang, k);
    let label = |t: &Value| {
        if lang == i18n::Lang::En { t["name_en"].as_str().or(t["name"].as_str()) } else { t["name"].as_str() }.unwrap_or("").to_string()
    };
    match detail["kind"].as_str() {
        Some("ladder") => detail["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|step| {
                let checks: Vec<String> = step["checks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        let holds = match c["holds"].as_str() {
                            Some("yes") => w("holds_yes"),
                            Some("no") => w("holds_no"),
                            _ => w("unknown"),
                        };
                        format!("{} ({}: {holds})", c["condition"].as_str().unwrap_or(""), c["value"].as_str().unwrap_or(""))
                    })
                    .collect();
                let result = w(step["result"].as_str().unwrap_or("unknown"));
                format!("{} — {result}{}{}", label(&step["tier"]), if checks.is_empty() { "" } else { ": " }, checks.join("; "))
            })
            .collect(),
        Some("score") => {
            let mut out = vec![format!("{} {:.1}", w("score"), detail["score"].as_f64().unwrap_or(0.0))];
            for d in detail["dimensions"].as_array().into_iter().flatten() {
                let value = d["value"].as_f64().map_or("—".to_string(), |v| format!("{v:.2}"));
                out.push(format!(
                    "{} = {value}: {:.0} × {:.0}% = {:.1}",
                    d["name"].as_str().unwrap_or(""),
                    d["points"].as_f64().unwrap_or(0.0),
                    d["weight"].as_f64().unwrap_or(0.0) * 100.0,
                    d["contribution"].as_f64().unwrap_or(0.0)
                ));
            }
            out
        }
        Some("rfm") => {
            let scores = detail["scores"]
                .as_array()
                .map(|a| a.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("/"))
                .unwrap_or_else(|| "—".into());
            let recency = detail["recency_days"].as_i64().map_or("—".to_string(), |d| d.to_string());
            let monetary = detail["monetary"].as_f64().map(|m| format!(", M ¥{m:.2}")).unwrap_or_default();
            vec![format!("R/F/M {scores} (R {recency} d, F {}{monetary})", detail["frequency"])]
        }
        _ => Vec::new(),
    }
}

/// Lifecycle stages as (code, name) select options.
pub fn lifecycles(lang: i18n::Lang) -> Vec<Value> {
    use strata_core::{customer::LifecycleStage, label::Labelled};
    LifecycleStage::ALL
        .iter()
        .map(|(_, code, zh, en, _)| json!({"code": code, "name": if lang == i18n::Lang::En { en } else { zh }}))
        .collect()
}

/// The expected fields the customer lacks, in the page's language.
fn missing_fields(c: &strata_core::customer::Customer, lang: i18n::Lang) -> Vec<String> {
    use strata_core::completeness::{filled_of, score};
    let (_, missing) = score(c.kind == strata_core::customer::CustomerKind::Company, &filled_of(c));
    missing.into_iter().map(|f| i18n::word(lang, &format!("field_{f}")).to_string()).collect()
}

/// The form for a new customer (created through the API, which answers with look-alikes).
pub async fn new_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<ShowQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    if let Err(r) = page.allowed("/customers/new", Action::EditCustomers) {
        return r;
    }
    page.render("customer_new.html", json!({}))
}

pub async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr.clone()).await;
    let caller = match page.allowed(&format!("/customers/{id}"), Action::ViewCustomers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let c = match caller.customer(&s, id).await {
        Ok(c) => c,
        Err(e) if e.status == StatusCode::NOT_FOUND => return (StatusCode::NOT_FOUND, i18n::word(page.lang, "not_found")).into_response(),
        Err(e) => return e.into_response(),
    };
    let defs = s.store.list_custom_fields().await.unwrap_or_default();
    let labels: Map<String, Value> = defs.iter().map(|d| (d.key.clone(), Value::from(d.label.clone()))).collect();
    let mut contacts = Vec::new();
    let mut timeline: Vec<Value> = Vec::new();
    for entity in Entity::ALL.into_iter().filter(|e| e.has_customer_ref()) {
        let rows = match s.store.customer_records(entity, id, 100).await {
            Ok(r) => r,
            Err(e) => return crate::server::ApiError::from(e).into_response(),
        };
        for r in rows {
            let m: Map<String, Value> = r.cells.iter().map(|(k, v)| ((*k).to_string(), v.to_json())).collect();
            let Value::Object(m) = caller.record_json(m, c.owner_id) else { continue };
            if entity == Entity::Contacts {
                contacts.push(Value::Object(m));
            } else if let Some(e) = timeline_entry(entity, &m, page.lang) {
                timeline.push(e);
            }
        }
    }
    timeline.sort_by(|a, b| b["date"].as_str().cmp(&a["date"].as_str()));
    timeline.truncate(200);
    // The most recent records first; the earlier ones folded away below them.
    let earlier = timeline.split_off(timeline.len().min(RECENT_RECORDS));
    let tiers = match crate::server::tiers_of(&s, caller, &c).await {
        Ok(t) => t["items"].as_array().cloned().unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e.message, "tiers for the customer page");
            Vec::new()
        }
    };
    let history = match s.store.tier_history(id).await {
        Ok(h) => super::tier_history::per_model(&s, &h, page.lang),
        Err(e) => return crate::server::ApiError::from(e).into_response(),
    };
    let en = page.lang == i18n::Lang::En;
    let tiers: Vec<Value> = tiers
        .iter()
        .map(|t| {
            let name = if en {
                t["model_name_en"].as_str().filter(|n| !n.is_empty()).or(t["model_name"].as_str())
            } else {
                t["model_name"].as_str()
            };
            let tier = &t["tier"];
            let tier_name = if en { tier["name_en"].as_str().or(tier["name"].as_str()) } else { tier["name"].as_str() };
            json!({"model": t["model"], "name": name, "tier_name": tier_name, "since": t["since"],
                   "why": why(&t["explanation"], page.lang), "up": move_up_texts(&t["explanation"]["to_move_up"], page.lang),
                   "history": t["model"].as_str().and_then(|k| history.get(k))})
        })
        .collect();
    let amounts = caller.visibility(strata_core::access::FieldGroup::Amounts, c.owner_id) == strata_core::access::Visibility::Visible;
    let metrics = super::customer_metrics::of_customer(&s, id, amounts, page.lang);
    let may_edit =
        caller.require(Action::EditCustomers).is_ok() && strata_core::access::may_edit(caller.role(), c.owner_id == Some(caller.user.id));
    let mut c_json = caller.customer_json(&c, &defs);
    // The owner by name: one user read, not the whole directory.
    let owner = match c.owner_id {
        Some(id) => s.store.get_user(id).await.ok().into_iter().collect(),
        None => Vec::new(),
    };
    super::name_owner(&mut c_json, &super::owner_names(&owner));
    page.render(
        "customer.html",
        json!({"metrics": metrics, "may_edit": may_edit, "lifecycles": lifecycles(page.lang), "c": c_json, "field_labels": labels, "missing": missing_fields(&c, page.lang), "contacts": contacts, "timeline": timeline, "earlier": earlier, "tiers": tiers}),
    )
}

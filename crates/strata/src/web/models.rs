//! The tier model pages: the list with each model's distribution, and the editor (the model
//! file checked as it is typed, previewed with the migration matrix, then published) calling
//! the JSON API with the session's CSRF token.

use axum::{
    extract::{Path, Query, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::{access::Action, rules::schema::BUILTIN_ATTRS, tiering::spec::PRESETS};

use super::{ClientAddress, Page};
use crate::server::{ApiError, AppState};

/// A new model's starting point.
const NEW_MODEL: &str = r#"key = "value"
name = "价值分层"
name_en = "Value"
kind = "ladder"

[[tiers]]
key = "big"
name = "大客户"
name_en = "Big"
when = "sum(orders.amount, last 365d) > 100000"

[[tiers]]
key = "active"
name = "活跃客户"
name_en = "Active"
when = "count(orders, last 180d) >= 1"

[[tiers]]
key = "other"
name = "其他"
name_en = "Other"
"#;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    preset: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    let caller = match page.require("/models") {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let mut models = match crate::server::model_summaries(&s).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    for m in &mut models {
        named_summary(&s, m, page.lang);
    }
    let presets: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
    page.render("models.html", json!({"models": models, "presets": presets, "can_edit": caller.require(Action::ManageModels).is_ok()}))
}

/// A model summary as the list page shows it: its kind and status in words, its tiers by name
/// and in the model's order (best first) when the engine holds the model.
fn named_summary(s: &AppState, m: &mut Value, lang: super::i18n::Lang) {
    let word = |prefix: &str, v: &Value| super::i18n::named(lang, prefix, v.as_str().unwrap_or("")).map_or_else(|| v.clone(), Value::from);
    m["kind_name"] = word("model_", &m["kind"]);
    m["status_name"] = word("status_", &m["latest_status"]);
    let Some(labels) = m["key"].as_str().and_then(|k| s.live.tier_labels(k)) else { return };
    let counts = m["counts"].as_array().cloned().unwrap_or_default();
    let count_of = |key: &str| counts.iter().find(|c| c["tier"] == key).map(|c| c["customers"].clone());
    let mut named: Vec<Value> = labels
        .iter()
        .filter_map(|l| {
            let name = if lang == super::i18n::Lang::En { &l.name_en } else { &l.name };
            count_of(&l.key).map(|n| json!({"tier": name, "customers": n}))
        })
        .collect();
    // Customers with no tier (or one the model no longer has) keep their line.
    named.extend(counts.iter().filter(|c| c["tier"].as_str().is_none_or(|t| !labels.iter().any(|l| l.key == t))).cloned());
    m["counts"] = Value::from(named);
}

async fn editor(s: &AppState, page: &Page, can_edit: bool, key: Option<&str>, spec: &str) -> Response {
    let defs = s.store.list_custom_fields().await.unwrap_or_default();
    let completions = super::completions(s, &defs);
    // The short list under the editor: every function (as offered now), then the attributes.
    let mut fields: Vec<Value> =
        completions.iter().filter(|c| matches!(c.kind, "function" | "model")).map(|c| Value::from(c.text.clone())).collect();
    fields.extend(BUILTIN_ATTRS.iter().map(|(_, name, _, _)| Value::from(*name)));
    fields.extend(defs.iter().map(|d| Value::from(d.key.clone())));
    page.render("model.html", json!({"key": key, "spec": spec, "fields": fields, "can_edit": can_edit, "completions": completions}))
}

pub async fn new(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    if let Err(r) = page.allowed("/models/new", Action::ManageModels) {
        return r;
    }
    let spec = q.preset.as_deref().and_then(|p| PRESETS.iter().find(|(n, _)| *n == p)).map_or(NEW_MODEL, |(_, t)| *t);
    editor(&s, &page, true, None, spec).await
}

pub async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Path(key): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    let caller = match page.require(&format!("/models/{key}")) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let versions = match s.store.model_versions(&key).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(latest) = versions.iter().max_by_key(|v| v.version) else {
        return ApiError::not_found("tier model", &key).into_response();
    };
    editor(&s, &page, caller.require(Action::ManageModels).is_ok(), Some(&key), &latest.spec).await
}

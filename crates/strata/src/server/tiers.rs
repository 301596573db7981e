//! Tier endpoints: the engine's status, models (list, versions, check, save, preview,
//! publish, presets), a customer's tiers with their explanations and history, and the feed of
//! tier changes that automation reads.

use axum::{
    extract::{rejection::JsonRejection, rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::Action;
use strata_core::tiering::spec::{ModelSpec, PRESETS};

use super::{
    error::{json_rejection, query_rejection},
    ApiError, AppState, Caller,
};
use crate::{
    live::{models::EngineLoading, LiveEngine},
    tiering::host::ModelsInvalid,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/engine", get(engine))
        .route("/tier-models", get(list).post(save))
        .route("/tier-models/check", post(check))
        .route("/tier-models/preview", post(preview))
        .route("/tier-models/{key}", get(show))
        .route("/tier-models/{key}/versions/{version}/publish", post(publish))
        .route("/tier-presets", get(presets))
        .route("/tier-presets/{name}", get(preset))
        .route("/customers/{id}/tiers", get(customer_tiers))
        .route("/customers/{id}/tier-history", get(customer_history))
        .route("/tier-changes", get(changes))
        .route("/rule-completions", get(completions))
}

/// `GET /api/v1/rule-completions`: what a rule editor offers while typing (functions with
/// examples, attributes, events and fields, models, windows, keywords). Amounts only for a
/// caller who sees them: the others could not filter on them.
async fn completions(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    let defs = s.store.list_custom_fields().await?;
    let amounts = caller.visibility(strata_core::access::FieldGroup::Amounts, None) == strata_core::access::Visibility::Visible;
    let items: Vec<_> = crate::web::completions(&s, &defs).into_iter().filter(|c| amounts || !c.money).collect();
    Ok(Json(json!({ "items": items })))
}

/// A model file in a request: TOML text, or YAML with `"format": "yaml"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecBody {
    spec: String,
    #[serde(default)]
    format: SpecFormat,
    /// Sample customers per migration cell (preview only).
    samples: Option<usize>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpecFormat {
    #[default]
    Toml,
    Yaml,
}

/// Turns engine errors into API errors: invalid models → 422 with every error; loading → 503.
pub(super) fn engine_error(e: anyhow::Error) -> ApiError {
    if let Some(ModelsInvalid(errors)) = e.downcast_ref::<ModelsInvalid>() {
        let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
        return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "model_invalid", first).with_details(json!(errors));
    }
    if e.downcast_ref::<EngineLoading>().is_some() {
        return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "engine_loading", e.to_string()).with_zh("分层引擎正在加载；请稍后再试");
    }
    match e.downcast::<strata_store::StoreError>() {
        Ok(s) => s.into(),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "tier engine failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "engine_error", "the tier engine failed; see the server log")
        }
    }
}

fn parse_spec(text: &str, format: SpecFormat) -> Result<ModelSpec, ApiError> {
    let parsed = match format {
        SpecFormat::Toml => ModelSpec::from_toml(text),
        SpecFormat::Yaml => ModelSpec::from_yaml(text),
    };
    parsed.map_err(|m| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "model_file_invalid", format!("the model file does not parse: {m}")).with_details(json!({
            "help": "a model file is TOML (or YAML with \"format\": \"yaml\"): key, name, kind = \"ladder\" | \"score\" | \"rfm\" and its tiers; `strata tier preset rfm` prints an example",
            "message_zh": format!("模型文件无法解析：{}", strata_core::tiering::spec::parse_error_zh(&m)),
            "help_zh": "模型文件是 TOML（或 format 为 \"yaml\" 的 YAML）：key、name、kind = \"ladder\" | \"score\" | \"rfm\"，以及各层级；`strata tier preset rfm` 会打印一个示例",
        }))
    })
}

/// The engine ready to answer (loading it now when this app is not served by `strata serve`).
async fn ready(live: &LiveEngine) -> Result<(), ApiError> {
    live.ensure_loaded().await.map_err(engine_error)
}

async fn engine(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    Ok(Json(json!(s.live.status())))
}

async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    Ok(Json(json!({ "items": model_summaries(&s).await? })))
}

/// Every model: latest and published version, customers per tier (the API list and the page).
pub(crate) async fn model_summaries(s: &AppState) -> Result<Vec<Value>, ApiError> {
    let mut items = Vec::new();
    for v in s.store.latest_model_versions().await? {
        let versions = s.store.model_versions(&v.key).await?;
        let published = published_version(&versions);
        let counts = tier_counts(s, &v.key, published).await?;
        items.push(json!({"key": v.key, "name": v.name, "kind": v.kind, "latest_version": v.version, "latest_status": v.status,
                          "published_version": published, "counts": counts}));
    }
    Ok(items)
}

/// The published version among a model's `versions`, if any.
fn published_version(versions: &[strata_store::ModelVersion]) -> Option<i64> {
    versions.iter().find(|x| x.status == "published").map(|x| x.version)
}

/// Customers per tier of model `key`: from the engine when it holds the `published` version,
/// else from the store.
async fn tier_counts(s: &AppState, key: &str, published: Option<i64>) -> Result<Vec<Value>, ApiError> {
    let counts = match published.and_then(|v| s.live.tier_counts(key, v)) {
        Some(counts) => counts,
        None => s.store.tier_counts(key).await?,
    };
    Ok(counts.into_iter().map(|(t, n)| json!({"tier": t, "customers": n})).collect())
}

async fn show(State(s): State<AppState>, caller: Caller, Path(key): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    let versions = s.store.model_versions(&key).await?;
    if versions.is_empty() {
        return Err(ApiError::not_found("tier model", &key));
    }
    let counts = tier_counts(&s, &key, published_version(&versions)).await?;
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let preview: Option<Value> = v.preview.as_deref().and_then(|p| serde_json::from_str(p).ok());
            let cuts: Option<Value> = v.calibration.as_deref().and_then(|p| serde_json::from_str(p).ok());
            json!({"version": v.version, "status": v.status, "spec": v.spec, "created_by": v.created_by, "created_at": v.created_at,
                   "published_at": v.published_at, "cut_points": cuts, "preview": preview})
        })
        .collect();
    Ok(Json(json!({"key": key, "counts": counts, "versions": versions})))
}

async fn check(State(s): State<AppState>, caller: Caller, body: Result<Json<SpecBody>, JsonRejection>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    let Json(body) = body.map_err(json_rejection)?;
    let spec = parse_spec(&body.spec, body.format)?;
    ready(&s.live).await?;
    let catalog = s.live.check(&spec).map_err(engine_error)?;
    let m = catalog.index(&spec.key).ok_or_else(|| ApiError::not_found("tier model", &spec.key))?;
    let tiers: Vec<Value> = catalog.models[m].tiers.iter().map(|t| json!({"key": t.key, "name": t.name, "name_en": t.name_en})).collect();
    Ok(Json(json!({"ok": true, "key": spec.key, "kind": spec.kind.name(), "tiers": tiers})))
}

async fn save(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<SpecBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Action::ManageModels)?;
    let Json(body) = body.map_err(json_rejection)?;
    let spec = parse_spec(&body.spec, body.format)?;
    ready(&s.live).await?;
    s.live.check(&spec).map_err(engine_error)?;
    let version = s.store.save_model_version(&spec.key, &spec.name, spec.kind.name(), &spec.to_toml(), "draft", &s.config.actor).await?;
    Ok((StatusCode::CREATED, Json(json!({"key": spec.key, "version": version, "status": "draft"}))))
}

async fn preview(State(s): State<AppState>, caller: Caller, body: Result<Json<SpecBody>, JsonRejection>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageModels)?;
    let Json(body) = body.map_err(json_rejection)?;
    let spec = parse_spec(&body.spec, body.format)?;
    let samples = body.samples.unwrap_or(5).min(50);
    ready(&s.live).await?;
    let (version, p) = s.live.preview(&spec, samples, &s.config.actor).await.map_err(engine_error)?;
    Ok(Json(json!({"key": spec.key, "version": version, "status": "preview", "preview": p})))
}

async fn publish(State(s): State<AppState>, caller: Caller, Path((key, version)): Path<(String, i64)>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageModels)?;
    let stored = s.store.model_versions(&key).await?.into_iter().find(|v| v.version == version);
    let stored = stored.ok_or_else(|| ApiError::not_found("tier model version", &format!("{key} v{version}")))?;
    let spec = parse_spec(&stored.spec, SpecFormat::Toml)?;
    ready(&s.live).await?;
    let p = s.live.publish(&spec, Some(version), &caller.user.login).await.map_err(engine_error)?;
    caller.audit(&s, "model.publish", Some(format!("model:{key}")), Some(json!({"version": version}))).await?;
    Ok(Json(json!(p)))
}

async fn presets() -> Json<Value> {
    Json(json!({"items": PRESETS.iter().map(|(n, _)| *n).collect::<Vec<_>>()}))
}

async fn preset(Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let text = PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).ok_or_else(|| ApiError::not_found("preset", &name))?;
    Ok(Json(json!({"name": name, "spec": text})))
}

async fn customer_tiers(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    let c = caller.customer(&s, id).await?;
    Ok(Json(tiers_of(&s, &caller, &c).await?))
}

/// A customer's tier in every model with its explanation (amounts left out for callers who
/// may not see them), as the API and the customer page show it.
pub(crate) async fn tiers_of(s: &AppState, caller: &Caller, c: &strata_core::customer::Customer) -> Result<Value, ApiError> {
    let id = c.id;
    let stored = s.store.customer_tiers(id).await?;
    ready(&s.live).await?;
    let guard = s.live.read();
    let loaded = guard.as_ref().ok_or_else(|| engine_error(EngineLoading.into()))?;
    let engine = &loaded.engine;
    let p = engine.index.position(id);
    let items: Vec<Value> = (0..engine.catalog.models.len())
        .map(|m| {
            let model = &engine.catalog.models[m];
            let since = stored.iter().find(|t| t.model == model.key());
            let explanation = p.and_then(|p| engine.explain(m, p)).map(|x| caller.explanation_json(x, c.owner_id));
            json!({"model": model.key(), "model_name": model.spec.name, "model_name_en": model.spec.name_en,
                   "tier": explanation.as_ref().map(|x| x["tier"].clone()).unwrap_or(Value::Null),
                   "version": since.map(|t| t.version), "since": since.map(|t| t.since), "explanation": explanation})
        })
        .collect();
    Ok(json!({"customer_id": id, "today": strata_core::metrics::date_of(engine.today()).to_string(), "items": items}))
}

async fn customer_history(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    caller.customer(&s, id).await?;
    let history = s.store.tier_history(id).await?;
    Ok(Json(json!({"customer_id": id, "items": history})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn changes(
    State(s): State<AppState>,
    caller: Caller,
    q: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageModels)?;
    let Query(q) = q.map_err(query_rejection)?;
    let limit = q.limit.unwrap_or(500);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", "limit must be between 1 and 5000"));
    }
    let items = s.store.tier_changes_since(q.after.unwrap_or(0), limit).await?;
    let next = items.last().map(|h| h.id);
    Ok(Json(json!({"items": items, "next_after": next})))
}

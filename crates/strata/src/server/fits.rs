//! Predictive-model endpoints: the fits in force (with their history) and fitting BG/NBD or
//! Gamma-Gamma on demand. A failed fit is a 422 with a stable code and stores nothing.

use axum::{
    extract::{rejection::JsonRejection, rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::Action;
use strata_core::predict::TimeUnit;

use super::{
    error::{json_rejection, query_rejection},
    tiers::engine_error,
    ApiError, AppState, Caller,
};
use crate::forecast::{fit_json, FitError, FitKind, FitRequest};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/model-fits", get(list))
        .route("/model-fits/{kind}", post(fit))
        .route("/churn-model", post(churn))
        .route("/rule-suggestions", post(suggest))
}

/// A study over the loaded customers: cut-off, horizon, features (rule expressions).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyBody {
    cutoff: chrono::NaiveDate,
    /// 180d (default), 26w, 6mo, 1y.
    horizon: Option<String>,
    #[serde(default)]
    features: Vec<String>,
    /// churn-model: probability from which a customer counts as predicted to churn.
    threshold: Option<f64>,
    /// rule-suggestions: churned, top20 or won.
    outcome: Option<String>,
    /// rule-suggestions: conditions per rule.
    depth: Option<usize>,
}

enum StudyKind {
    Churn,
    Rules,
}

async fn churn(s: State<AppState>, caller: Caller, body: Result<Json<StudyBody>, JsonRejection>) -> Result<Json<Value>, ApiError> {
    study(s, caller, body, StudyKind::Churn).await
}

async fn suggest(s: State<AppState>, caller: Caller, body: Result<Json<StudyBody>, JsonRejection>) -> Result<Json<Value>, ApiError> {
    study(s, caller, body, StudyKind::Rules).await
}

async fn study(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<StudyBody>, JsonRejection>,
    kind: StudyKind,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageModels)?;
    use crate::outcomes::{Outcome, Study, DEFAULT_FEATURES};
    let Json(body) = body.map_err(json_rejection)?;
    let invalid = |code: &'static str, m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, m);
    let horizon = crate::outcomes::parse_horizon(body.horizon.as_deref().unwrap_or("180d"))
        .map_err(|m| invalid("invalid_horizon", m.en).with_details(json!({"message_zh": m.zh})))?;
    let outcome = match body.outcome.as_deref() {
        None | Some("churned") => Outcome::Churned,
        Some("top20") => Outcome::Top20,
        Some("won") => Outcome::Won,
        Some(other) => return Err(invalid("invalid_outcome", format!("unknown outcome `{other}`; use churned, top20 or won"))),
    };
    let features = if body.features.is_empty() { DEFAULT_FEATURES.iter().map(|f| f.to_string()).collect() } else { body.features };
    let deals = if outcome == Outcome::Won { crate::outcomes::closed_deals(&s.store).await.map_err(engine_error)? } else { Vec::new() };
    s.live.ensure_loaded().await.map_err(engine_error)?;
    let live = s.live.clone();
    let result = tokio::task::spawn_blocking(move || {
        let guard = live.read();
        let loaded = guard.as_ref().ok_or(crate::live::models::EngineLoading)?;
        let study = Study { outcome, cutoff: body.cutoff, horizon, features: &features, deals };
        anyhow::Ok(match kind {
            StudyKind::Churn => crate::outcomes::churn(&loaded.engine, &loaded.schema, &study, body.threshold.unwrap_or(0.5)),
            StudyKind::Rules => crate::outcomes::suggest(&loaded.engine, &loaded.schema, &study, body.depth.unwrap_or(3)),
        })
    })
    .await
    .map_err(|e| engine_error(e.into()))?
    .map_err(engine_error)?;
    result.map(Json).map_err(|e| invalid(e.code(), e.to_string()).with_details(json!({"message_zh": e.message_zh()})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Also the last N fits of each kind.
    history: Option<i64>,
}

async fn list(State(s): State<AppState>, caller: Caller, q: Result<Query<ListQuery>, QueryRejection>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    let Query(q) = q.map_err(query_rejection)?;
    let mut out = Vec::new();
    for fit in s.store.current_model_fits().await? {
        let history = match q.history {
            Some(n) => s.store.model_fit_history(&fit.kind, n.clamp(1, 1000)).await?.iter().map(fit_json).collect(),
            None => Vec::new(),
        };
        out.push(json!({ "in_force": fit_json(&fit), "history": history }));
    }
    Ok(Json(json!({ "fits": out })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FitBody {
    /// Last day of the calibration period; default today.
    calibration_end: Option<chrono::NaiveDate>,
    /// days (default) or weeks.
    unit: Option<String>,
}

fn fit_kind(text: &str) -> Result<FitKind, ApiError> {
    match text {
        "bgnbd" => Ok(FitKind::Bgnbd),
        "gamma_gamma" | "gamma-gamma" => Ok(FitKind::GammaGamma),
        other => Err(ApiError::not_found("predictive model", other).with_details(json!({ "kinds": ["bgnbd", "gamma_gamma"] }))),
    }
}

async fn fit(
    State(s): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    body: Result<Json<FitBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Action::ManageModels)?;
    let kind = fit_kind(&kind)?;
    let Json(body) = body.map_err(json_rejection)?;
    let unit = match body.unit.as_deref() {
        None => TimeUnit::Days,
        Some(u) => TimeUnit::parse(u).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_unit", format!("unknown time unit `{u}`; use days or weeks"))
        })?,
    };
    s.live.ensure_loaded().await.map_err(engine_error)?;
    let request = FitRequest { kind, calibration_end: body.calibration_end, unit };
    match s.live.fit(request, &caller.user.login).await {
        Ok((fit, changes)) => {
            let mut v = fit_json(&fit);
            caller.audit(&s, "model.fit", Some(format!("fit:{}", fit.id)), Some(json!({"kind": fit.kind}))).await?;
            v["tier_changes"] = json!(changes);
            Ok((StatusCode::CREATED, Json(v)))
        }
        Err(e) => match e.downcast::<FitError>() {
            Ok(FitError::Store(s)) => Err(s.into()),
            Ok(f) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, f.code(), format!("{f}; the fit in force is unchanged"))
                .with_details(json!({"message_zh": format!("{}；当前生效的拟合不变", f.message_zh())}))),
            Err(e) => Err(engine_error(e)),
        },
    }
}

//! Data quality over HTTP: duplicate candidates (every customer scanned, groups ranked by score
//! with their reasons and each member's name and owner) and completeness per owner.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::Action;

use super::{error::query_rejection, ApiError, AppState, Caller};

pub fn routes() -> Router<AppState> {
    Router::new().route("/duplicates", get(list)).route("/completeness", get(completeness))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanQuery {
    threshold: Option<f64>,
    limit: Option<usize>,
}

async fn list(State(s): State<AppState>, caller: Caller, q: Result<Query<ScanQuery>, QueryRejection>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::MergeCustomers)?;
    let Query(q) = q.map_err(query_rejection)?;
    let threshold = q.threshold.unwrap_or(strata_core::dedupe::DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_threshold",
            format!("threshold must be between 0 and 1, not {threshold}"),
        )
        .with_zh(format!("threshold 应在 0 到 1 之间，不能是 {threshold}")));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let (parties, keys) = crate::dedupe::parties(&s.store).await.map_err(super::tiers::engine_error)?;
    let groups = tokio::task::spawn_blocking(move || strata_core::dedupe::scan(&parties, threshold))
        .await
        .map_err(|e| super::tiers::engine_error(e.into()))?;
    let items: Vec<Value> = groups.iter().take(limit).map(|g| crate::dedupe::group_json(g, &keys)).collect();
    Ok(Json(json!({ "customers": keys.len(), "groups": groups.len(), "threshold": threshold, "items": items })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompletenessQuery {
    worst: Option<usize>,
}

/// Completeness per owner (lowest first) and the least complete customers.
async fn completeness(
    State(s): State<AppState>,
    caller: Caller,
    q: Result<Query<CompletenessQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::MergeCustomers)?;
    let Query(q) = q.map_err(query_rejection)?;
    let report = crate::dedupe::completeness(&s.store, q.worst.unwrap_or(20).clamp(0, 1000)).await.map_err(super::tiers::engine_error)?;
    Ok(Json(report))
}

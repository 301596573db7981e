//! Merges over HTTP: plan or write a merge (`POST /merges`, `dry_run` to see the decisions
//! only), list and read merges, and undo one.

use axum::{
    extract::{rejection::JsonRejection, rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::Action;

use super::{
    error::{json_rejection, query_rejection},
    ApiError, AppState, Caller,
};
use crate::merge::{MergeFailure, MergeRequest};

pub fn routes() -> Router<AppState> {
    Router::new().route("/merges", get(list).post(create)).route("/merges/{id}", get(show)).route("/merges/{id}/undo", post(undo))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    survivor: i64,
    absorbed: Vec<i64>,
    #[serde(default)]
    take: std::collections::BTreeMap<String, i64>,
    #[serde(default)]
    dry_run: bool,
}

impl From<MergeFailure> for ApiError {
    fn from(e: MergeFailure) -> ApiError {
        match e {
            MergeFailure::Plan(p) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, p.code(), p.to_string())
                .with_details(serde_json::json!({"message_zh": p.message_zh()})),
            MergeFailure::Store(s) => s.into(),
        }
    }
}

async fn create(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Action::MergeCustomers)?;
    let Json(b) = body.map_err(json_rejection)?;
    let req = MergeRequest { survivor: b.survivor, absorbed: b.absorbed, take: b.take };
    // Every customer of the merge must be one the caller may change (checked before anything
    // is written; itself-merges and repeats are named by the plan).
    if strata_core::dedupe::survivorship::check_ids(req.survivor, &req.absorbed).is_ok() {
        for id in std::iter::once(req.survivor).chain(req.absorbed.iter().copied()) {
            caller.editable_customer(&s, id).await?;
        }
    }
    let out = crate::merge::merge(&s.store, &req, &caller.user.login, b.dry_run).await?;
    if b.dry_run {
        return Ok((StatusCode::OK, Json(out)));
    }
    caller.audit(&s, "merge", out["merge"]["id"].as_i64().map(|id| format!("merge:{id}")), Some(out.clone())).await?;
    s.written().await;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    customer: Option<i64>,
    limit: Option<i64>,
}

async fn list(State(s): State<AppState>, caller: Caller, q: Result<Query<ListQuery>, QueryRejection>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::MergeCustomers)?;
    let Query(q) = q.map_err(query_rejection)?;
    let items = s.store.list_merges(q.customer, q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    Ok(Json(json!({ "items": items })))
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::MergeCustomers)?;
    Ok(Json(json!(s.store.get_merge(id).await?)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UndoBody {
    #[serde(default)]
    force: bool,
}

async fn undo(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Option<Json<UndoBody>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::MergeCustomers)?;
    let force = body.map(|Json(b)| b.force).unwrap_or_default();
    let merge = s.store.get_merge(id).await?;
    match s.store.get_customer(merge.survivor_id).await {
        Ok(_) => {
            caller.editable_customer(&s, merge.survivor_id).await?;
        }
        Err(_) => caller.require_all_customers()?,
    }
    let out = s.store.undo_merge(id, &caller.user.login, force).await?;
    caller.audit(&s, "merge.undo", Some(format!("merge:{id}")), Some(json!({"force": force, "outcome": out}))).await?;
    s.written().await;
    Ok(Json(json!(out)))
}

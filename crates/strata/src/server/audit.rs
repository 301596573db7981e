//! The audit trail over HTTP (admins), and API tokens of the caller.

use axum::{
    extract::{rejection::JsonRejection, rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    routing::{delete, get},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::Action;
use strata_store::AuditFilter;

use super::{
    error::{json_rejection, query_rejection},
    ApiError, AppState, Caller,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(list)).route("/tokens", get(tokens).post(create_token)).route("/tokens/{id}", delete(revoke))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
    before_id: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/audit?actor=&action=customer.&object=customer:12&from=&to=&before_id=&limit=`.
async fn list(State(s): State<AppState>, caller: Caller, q: Result<Query<AuditQuery>, QueryRejection>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewAudit)?;
    let Query(q) = q.map_err(query_rejection)?;
    let f = AuditFilter { actor: q.actor, action: q.action, object: q.object, from: q.from, to: q.to, before_id: q.before_id };
    let items = s.store.list_audit(&f, q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    Ok(Json(json!({ "items": items })))
}

async fn tokens(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let all = caller.require(Action::ManageUsers).is_ok();
    let items = s.store.list_api_tokens(if all { None } else { Some(caller.user.id) }).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    name: String,
}

/// A new API token acting as the caller; the secret is in this answer only.
async fn create_token(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    if b.name.trim().is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "name the token (what it is for)")
            .with_zh("请为令牌命名（说明它的用途）"));
    }
    let (id, secret) = crate::accounts::create_token(&s.store, &caller.user, b.name.trim()).await?;
    caller.audit(&s, "token.create", Some(format!("token:{id}")), Some(json!({"name": b.name}))).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "name": b.name, "token": secret}))))
}

async fn revoke(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    let mine = s.store.list_api_tokens(Some(caller.user.id)).await?.iter().any(|t| t.id == id);
    if !mine {
        caller.require(Action::ManageUsers).map_err(|_| ApiError::not_found("API token", &id.to_string()))?;
    }
    s.store.revoke_api_token(id).await?;
    caller.audit(&s, "token.revoke", Some(format!("token:{id}")), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

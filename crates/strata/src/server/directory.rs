//! Users, teams and custom-field definitions over HTTP.

use axum::{
    extract::{rejection::JsonRejection, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::{
    custom_field::{CustomFieldDef, FieldKind},
    customer::{Role, UserInput},
};

use super::{error::json_rejection, ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(users).post(add_user))
        .route("/teams", get(teams).post(add_team))
        .route("/custom-fields", get(fields).post(add_field))
}

async fn users(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": s.store.list_users().await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    login: String,
    display_name: Option<String>,
    email: Option<String>,
    team: Option<String>,
    role: Role,
}

async fn add_user(State(s): State<AppState>, body: Result<Json<UserBody>, JsonRejection>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let email = b
        .email
        .map(|e| strata_core::email::normalise_email(&e))
        .transpose()
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", format!("email: {e}")))?;
    let input =
        UserInput { display_name: b.display_name.unwrap_or_else(|| b.login.clone()), login: b.login, email, team: b.team, role: b.role };
    Ok((StatusCode::CREATED, Json(json!(s.store.create_user(&input).await?))))
}

async fn teams(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": s.store.list_teams().await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    name: String,
}

async fn add_team(State(s): State<AppState>, body: Result<Json<TeamBody>, JsonRejection>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    Ok((StatusCode::CREATED, Json(json!(s.store.create_team(&b.name).await?))))
}

async fn fields(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": s.store.list_custom_fields().await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldBody {
    key: String,
    label: String,
    kind: FieldKind,
    #[serde(default)]
    options: Vec<String>,
    #[serde(default)]
    required: bool,
}

async fn add_field(State(s): State<AppState>, body: Result<Json<FieldBody>, JsonRejection>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let def = CustomFieldDef { key: b.key, label: b.label, kind: b.kind, options: b.options, required: b.required };
    s.store.define_custom_field(&def).await?;
    s.written().await;
    Ok((StatusCode::CREATED, Json(json!(def))))
}

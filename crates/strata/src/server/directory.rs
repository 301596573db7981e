//! Users (added, changed, passwords), teams and custom-field definitions over HTTP.

use axum::{
    extract::{rejection::JsonRejection, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::Action;
use strata_core::{
    custom_field::{CustomFieldDef, FieldKind},
    customer::{Role, UserInput},
};

use super::{error::json_rejection, ApiError, AppState, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(users).post(add_user))
        .route("/teams", get(teams).post(add_team))
        .route("/custom-fields", get(fields).post(add_field))
        .route("/users/{login}", axum::routing::patch(change_user))
        .route("/users/{login}/password", axum::routing::put(set_password))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// Sets a password: one's own, or anyone's for a caller who manages users. Ends that user's
/// sessions.
async fn set_password(
    State(s): State<AppState>,
    caller: Caller,
    axum::extract::Path(login): axum::extract::Path<String>,
    body: Result<Json<PasswordBody>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    if login != caller.user.login {
        caller.require(Action::ManageUsers)?;
    }
    let Json(b) = body.map_err(json_rejection)?;
    let (user, _) = s.store.user_credentials(&login).await?.ok_or_else(|| ApiError::not_found("user", &login))?;
    strata_core::access::check_password(&user.login, &b.password)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", m))?;
    crate::accounts::set_password(&s.store, &user, &b.password)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "password_hash_failed", e.to_string()))?;
    caller.audit(&s, "password.set", Some(format!("user:{}", user.id)), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn users(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
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

async fn add_user(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<UserBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Action::ManageUsers)?;
    let Json(b) = body.map_err(json_rejection)?;
    let email = b.email.map(|e| strata_core::email::normalise_email(&e)).transpose().map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", format!("email: {e}"))
            .with_zh(format!("邮箱：{}", e.message_in(true)))
    })?;
    let input =
        UserInput { display_name: b.display_name.unwrap_or_else(|| b.login.clone()), login: b.login, email, team: b.team, role: b.role };
    let user = s.store.create_user(&input).await?;
    caller.audit(&s, "user.create", Some(format!("user:{}", user.id)), Some(json!(user))).await?;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChangeBody {
    display_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    /// A team's name, or `null` for no team.
    #[serde(default, deserialize_with = "present")]
    team: Option<Option<String>>,
    role: Option<Role>,
    active: Option<bool>,
}

/// `PATCH /api/v1/users/{login}`: name, e-mail, team, role or active; audited with the user
/// before and after (a role change is a permission change).
async fn change_user(
    State(s): State<AppState>,
    caller: Caller,
    axum::extract::Path(login): axum::extract::Path<String>,
    body: Result<Json<UserChangeBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageUsers)?;
    let Json(b) = body.map_err(json_rejection)?;
    let email = match b.email {
        Some(Some(e)) if !e.trim().is_empty() => Some(Some(
            strata_core::email::normalise_email(&e)
                .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", format!("email: {e}")))?,
        )),
        Some(_) => Some(None),
        None => None,
    };
    let change = strata_store::UserChange { display_name: b.display_name, email, team: b.team, role: b.role, active: b.active };
    let (before, after) = s.store.update_user(&login, &change).await?;
    let action = if before.role != after.role { "user.role" } else { "user.update" };
    caller.audit_change(&s, action, format!("user:{}", after.id), Some(json!(before)), Some(json!(after))).await?;
    Ok(Json(json!(after)))
}

async fn teams(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    Ok(Json(json!({"items": s.store.list_teams().await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    name: String,
}

async fn add_team(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<TeamBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Action::ManageUsers)?;
    let Json(b) = body.map_err(json_rejection)?;
    let team = s.store.create_team(&b.name).await?;
    caller.audit(&s, "team.create", Some(format!("team:{}", team.id)), Some(json!(team))).await?;
    Ok((StatusCode::CREATED, Json(json!(team))))
}

async fn fields(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
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

async fn add_field(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<FieldBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Action::ManageUsers)?;
    let Json(b) = body.map_err(json_rejection)?;
    let def = CustomFieldDef { key: b.key, label: b.label, kind: b.kind, options: b.options, required: b.required };
    s.store.define_custom_field(&def).await?;
    caller.audit(&s, "field.create", Some(format!("field:{}", def.key)), Some(json!(def))).await?;
    s.written().await;
    Ok((StatusCode::CREATED, Json(json!(def))))
}

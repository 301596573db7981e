//! Access rules over HTTP (`/api/v1/access-rules`: every role's rules in force, set or reset
//! one role's, audited as permission changes) and the policy each request is checked against,
//! kept for a moment so a request costs no extra read (a change made here applies at once;
//! one made through another server within `FRESH`; one request re-reads while the others go on).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    routing::get,
    Json, Router,
};
use serde_json::{json, Value};
use strata_core::{
    access::Action,
    access_policy::{Policy, RoleRules},
    customer::Role,
    label::Labelled,
};
use strata_store::Store;

use super::{error::json_rejection, ApiError, AppState, Caller};

/// How long a read policy is used before it is read again.
const FRESH: Duration = Duration::from_secs(2);

/// A re-read that has not come back after this long is given to the next request.
const REREAD_TIMEOUT: Duration = Duration::from_secs(5);

struct Kept {
    policy: Arc<Policy>,
    at: Instant,
    /// Since when one request re-reads the rules (the others use these meanwhile).
    rereading: Option<Instant>,
}

#[derive(Default)]
pub struct PolicyCache {
    kept: Mutex<Option<Kept>>,
}

impl PolicyCache {
    /// The rules in force.
    pub async fn get(&self, store: &Store) -> Result<Arc<Policy>, ApiError> {
        if let Some(k) = self.kept.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            if k.at.elapsed() < FRESH || k.rereading.is_some_and(|since| since.elapsed() < REREAD_TIMEOUT) {
                return Ok(k.policy.clone());
            }
            k.rereading = Some(Instant::now());
        }
        let policy = Arc::new(store.access_policy().await?);
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept { policy: policy.clone(), at: Instant::now(), rereading: None });
        Ok(policy)
    }

    fn forget(&self) {
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/access-rules", get(list)).route("/access-rules/{role}", axum::routing::put(set).delete(reset))
}

fn role_of(raw: &str) -> Result<Role, ApiError> {
    Role::parse_label(raw).map_err(|e| ApiError::not_found("role", &format!("{raw} ({})", e.message)))
}

/// Every role's effective rules (defaults written out) and which of them were changed.
async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageUsers)?;
    let policy = s.policy.get(&s.store).await?;
    let items: Vec<Value> = Role::ALL
        .iter()
        .map(|(role, code, ..)| json!({"role": code, "rules": policy.effective(*role), "changed": policy.roles.get(role)}))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn set(
    State(s): State<AppState>,
    caller: Caller,
    Path(role): Path<String>,
    body: Result<Json<RoleRules>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageUsers)?;
    let role = role_of(&role)?;
    let Json(rules) = body.map_err(json_rejection)?;
    change(&s, &caller, role, Some(rules)).await
}

async fn reset(State(s): State<AppState>, caller: Caller, Path(role): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageUsers)?;
    let role = role_of(&role)?;
    change(&s, &caller, role, None).await
}

async fn change(s: &AppState, caller: &Caller, role: Role, rules: Option<RoleRules>) -> Result<Json<Value>, ApiError> {
    let before = s.store.set_role_rules(role, rules.as_ref(), &caller.user.login).await?;
    s.policy.forget();
    caller.audit_change(s, "permissions.change", format!("role:{}", role.code()), Some(json!(before)), Some(json!(rules))).await?;
    let policy = s.policy.get(&s.store).await?;
    Ok(Json(json!({"role": role.code(), "rules": policy.effective(role), "changed": policy.roles.get(&role)})))
}

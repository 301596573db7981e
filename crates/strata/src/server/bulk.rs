//! `POST /api/v1/customers/bulk`: one owner or tag change for many customers from the list
//! (chosen by id, or every customer a list query selects),
//! all or nothing — every customer must be one the caller may change (and reassigning owners
//! needs the `assign_owners` permission) before anything is written; audited with the previous
//! owners and tags.

use axum::{extract::State, routing::post, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::{self, Action};
use strata_store::{BulkEdit, MAX_BULK};

use super::{error::json_rejection, ApiError, AppState, Caller};

pub fn routes() -> Router<AppState> {
    Router::new().route("/customers/bulk", post(bulk))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// The customers, by id; or
    #[serde(default)]
    ids: Vec<i64>,
    /// every customer the list's filters select, written as the list's query string
    /// (`province=广东省&tag=重点`), at most [`MAX_BULK`].
    query: Option<String>,
    /// Login of the new owner.
    owner: Option<String>,
    add_tag: Option<String>,
    remove_tag: Option<String>,
}

fn tag(t: &Option<String>) -> Result<Option<String>, ApiError> {
    match t.as_deref().map(strata_core::text::clean_text) {
        None => Ok(None),
        Some(t) if t.is_empty() => Err(ApiError::bad_request("invalid_tag", "a tag cannot be empty")),
        Some(t) if t.chars().count() > 50 => Err(ApiError::bad_request("invalid_tag", format!("tag `{t}` is longer than 50 characters"))),
        Some(t) => Ok(Some(t)),
    }
}

async fn bulk(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<BulkBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::EditCustomers)?;
    let Json(b) = body.map_err(json_rejection)?;
    let mut ids = match (&b.query, b.ids.is_empty()) {
        (Some(q), true) => {
            let list: super::CustomerListQuery = serde_urlencoded::from_str(q.trim_start_matches('?'))
                .map_err(|e| ApiError::bad_request("invalid_query", format!("query: {e}")))?;
            let filter = list.resolved(&s, &caller).await?;
            s.store.customer_ids_in(&filter).await?
        }
        (None, false) => b.ids.clone(),
        (Some(_), false) => return Err(ApiError::bad_request("invalid_body", "give either ids or query, not both")),
        (None, true) => return Err(ApiError::bad_request("invalid_body", "choose customers: ids, or a list query")),
    };
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_BULK {
        return Err(ApiError::bad_request(
            "bulk_too_large",
            format!("{} customers chosen; one bulk edit changes at most {MAX_BULK}", ids.len()),
        ));
    }
    let mut edit = BulkEdit { add_tag: tag(&b.add_tag)?, remove_tag: tag(&b.remove_tag)?, owner: None };
    if let Some(login) = &b.owner {
        caller.require(Action::AssignOwners)?;
        let users = s.store.list_users().await?;
        let u = users.iter().find(|u| &u.login == login && u.active).ok_or_else(|| {
            ApiError::bad_request("unknown_user", format!("`{login}` is not an active user; pick an owner from the user list"))
        })?;
        edit.owner = Some((u.id, u.team_id));
    }
    // Every customer first: one outside the caller's scope is "not found", one in scope but not
    // theirs to change is forbidden; nothing is written unless all pass.
    let found = s.store.customers_by_ids(&ids).await?;
    for id in &ids {
        let c = found
            .iter()
            .find(|c| c.id == *id)
            .filter(|c| caller.sees(c))
            .ok_or_else(|| ApiError::not_found("customer", &id.to_string()))?;
        if !access::may_edit(caller.role(), c.owner_id == Some(caller.user.id)) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                format!("customer {id} ({}) belongs to another owner; only they or a manager may change it", c.name),
            )
            .with_zh(format!("客户 {id}（{}）属于其他负责人；只有负责人本人或经理可以修改", c.name)));
        }
    }
    let before = s.store.bulk_edit_customers(&ids, &edit).await?;
    let detail =
        json!({"customers": ids.len(), "owner": b.owner, "add_tag": edit.add_tag, "remove_tag": edit.remove_tag, "before": before});
    caller.audit(&s, "customers.bulk", None, Some(detail)).await?;
    s.written().await;
    Ok(Json(json!({"changed": ids.len()})))
}

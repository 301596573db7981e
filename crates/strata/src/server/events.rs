//! Real-time event intake: `POST /api/v1/events/{kind}` takes a JSON batch of orders,
//! payments, interactions, deals, tickets or feedback (field keys as the import uses them),
//! validates every row exactly like an import, writes the batch in one transaction and answers
//! after the engine has re-evaluated the customers and written their tier changes.

use std::collections::BTreeMap;
use strata_core::access::Action;

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::StatusCode,
    routing::post,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use strata_core::import::{Entity, Mapping};

use super::{error::json_rejection, ApiError, AppState, Caller};
use crate::live::ingest::AuditNote;

/// Rows per request at most.
const MAX_ROWS: usize = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/events/{kind}", post(intake))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsBody {
    /// One object per event: field keys (`external_id`, `customer_external_id`, `order_date`,
    /// `amount`, …) to strings or numbers.
    rows: Vec<Map<String, Value>>,
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn intake(
    State(s): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    body: Result<Json<EventsBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::EditCustomers)?;
    caller.require_all_customers()?;
    let entity = Entity::parse(&kind).filter(|e| e.has_customer_ref() && *e != Entity::Contacts).ok_or_else(|| {
        ApiError::not_found("event kind", &kind)
            .with_details(json!({"kinds": ["orders", "payments", "interactions", "deals", "tickets", "feedback"]}))
    })?;
    let Json(body) = body.map_err(json_rejection)?;
    if body.rows.is_empty() || body.rows.len() > MAX_ROWS {
        return Err(ApiError::bad_request("invalid_body", format!("send between 1 and {MAX_ROWS} rows; got {}", body.rows.len())));
    }
    // The union of keys, in first-seen order, is the header row; each key maps to itself.
    let mut headers: Vec<String> = Vec::new();
    for r in &body.rows {
        for k in r.keys() {
            if !headers.contains(k) {
                headers.push(k.clone());
            }
        }
    }
    let overrides: BTreeMap<String, String> = headers.iter().map(|h| (h.clone(), h.clone())).collect();
    let custom = s.store.list_custom_fields().await?;
    let mapping = Mapping::resolve(entity, &headers, &overrides, &custom)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_mapping", e.to_string()).with_details(json!(e)))?;
    let opts = strata_core::import::ImportOptions { custom_fields: custom, ..crate::commands::default_options(s.config.timezone) };
    let mut records = Vec::with_capacity(body.rows.len());
    let mut rejected = Vec::new();
    for (i, r) in body.rows.iter().enumerate() {
        let cells: Vec<String> = headers.iter().map(|h| r.get(h).map(cell).unwrap_or_default()).collect();
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        match mapping.record(&cells, &opts) {
            Ok(rec) => records.push((i as u64 + 1, rec)),
            Err(errors) => rejected.extend(
                errors.into_iter().map(|e| json!({"row": i + 1, "field": e.column, "raw": e.raw, "code": e.code, "message": e.message, "message_zh": e.message_zh})),
            ),
        }
    }
    if rejected.is_empty() {
        let fields = mapping.field_keys();
        // The audit entry commits with the batch.
        let audit = AuditNote {
            action: "events.write".into(),
            detail: Some(json!({"kind": entity.name(), "rows": body.rows.len()})),
            address: Some(caller.address.clone()),
        };
        let out =
            s.live.ingest(entity, &fields, records, ("api", &caller.user.login), Some(audit)).await.map_err(super::tiers::engine_error)?;
        if out.rejected.is_empty() {
            return Ok(Json(json!(out)));
        }
        rejected.extend(out.rejected.iter().map(
            |e| json!({"row": e.row, "field": e.field, "raw": e.raw, "code": e.code, "message": e.message, "message_zh": e.message_zh}),
        ));
    }
    let first = rejected.first().and_then(|r| r["message"].as_str()).unwrap_or_default().to_string();
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "rows_rejected",
        format!("{} row errors; nothing was written. First: {first}", rejected.len()),
    )
    .with_details(json!({ "rejected": rejected })))
}

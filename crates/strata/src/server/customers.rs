//! Customer endpoints: list with filters/sort/paging, create, read (with record counts), replace,
//! delete, and a customer's records of one kind.

use std::collections::BTreeMap;

use axum::{
    extract::{rejection::JsonRejection, rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use strata_core::{
    customer::{normalise_input, CustomerInput, CustomerKind, LifecycleStage},
    import::Entity,
};
use strata_store::{CustomerFilter, CustomerSort};

use super::{
    error::{json_rejection, query_rejection},
    ApiError, AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list).post(create))
        .route("/customers/{id}", get(show).put(replace).delete(remove))
        .route("/customers/{id}/{records}", get(records))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    q: Option<String>,
    owner: Option<String>,
    team: Option<String>,
    industry: Option<String>,
    province: Option<String>,
    city: Option<String>,
    kind: Option<CustomerKind>,
    lifecycle_stage: Option<LifecycleStage>,
    source_channel: Option<String>,
    tag: Option<String>,
    created_from: Option<NaiveDate>,
    created_to: Option<NaiveDate>,
    sort: Option<CustomerSort>,
    page: Option<i64>,
    per_page: Option<i64>,
}

impl ListQuery {
    pub fn filter(&self) -> CustomerFilter {
        CustomerFilter {
            q: self.q.clone(),
            owner: self.owner.clone(),
            team: self.team.clone(),
            industry: self.industry.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            kind: self.kind,
            lifecycle_stage: self.lifecycle_stage,
            source_channel: self.source_channel.clone(),
            tag: self.tag.clone(),
            created_from: self.created_from,
            created_to: self.created_to,
        }
    }
}

async fn list(State(s): State<AppState>, q: Result<Query<ListQuery>, QueryRejection>) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(query_rejection)?;
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=500).contains(&per_page) {
        return Err(ApiError::bad_request("invalid_query", "per_page must be between 1 and 500"));
    }
    let page = q.page.unwrap_or(1);
    if page < 1 {
        return Err(ApiError::bad_request("invalid_query", "page starts at 1"));
    }
    let result = s.store.list_customers(&q.filter(), q.sort.unwrap_or_default(), (page - 1) * per_page, per_page).await?;
    Ok(Json(json!({"total": result.total, "page": page, "per_page": per_page, "items": result.items})))
}

/// The body of create and replace: every writable field, nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    name: String,
    #[serde(default = "company")]
    kind: CustomerKind,
    external_id: Option<String>,
    credit_code: Option<String>,
    industry: Option<String>,
    province: Option<String>,
    city: Option<String>,
    source_channel: Option<String>,
    owner: Option<String>,
    team: Option<String>,
    lifecycle_stage: Option<LifecycleStage>,
    phone: Option<String>,
    email: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    custom: BTreeMap<String, Value>,
    since: Option<NaiveDate>,
}

fn company() -> CustomerKind {
    CustomerKind::Company
}

fn input_of(b: CustomerBody) -> Result<CustomerInput, ApiError> {
    let input = CustomerInput {
        external_id: b.external_id,
        kind: b.kind,
        name: b.name,
        credit_code: b.credit_code,
        industry: b.industry,
        province: b.province,
        city: b.city,
        source_channel: b.source_channel,
        owner: b.owner,
        team: b.team,
        lifecycle_stage: b.lifecycle_stage,
        phone: b.phone,
        email: b.email,
        tags: b.tags,
        custom: b.custom,
        since: b.since,
    };
    normalise_input(input).map_err(|errs| {
        let details: Vec<Value> = errs.iter().map(|(f, e)| json!({"field": f, "code": e.code, "message": e.message})).collect();
        let first = errs.first().map(|(f, e)| format!("{f}: {}", e.message)).unwrap_or_default();
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", first).with_details(Value::from(details))
    })
}

async fn create(State(s): State<AppState>, body: Result<Json<CustomerBody>, JsonRejection>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let c = s.store.create_customer(&input_of(body)?).await?;
    s.written().await;
    // The check on entry: the customer is created, and the response says whom it looks like.
    let warnings = match crate::dedupe::possible_duplicates(&s.store, &c).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "duplicate check failed");
            Vec::new()
        }
    };
    let mut v = json!(c);
    if let Some(o) = v.as_object_mut() {
        o.insert("possible_duplicates".into(), Value::Array(warnings));
    }
    Ok((StatusCode::CREATED, Json(v)))
}

async fn show(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let c = s.store.get_customer(id).await?;
    let counts: Map<String, Value> =
        s.store.customer_record_counts(id).await?.into_iter().map(|(k, n)| (k.to_string(), Value::from(n))).collect();
    let mut v = json!(c);
    if let Some(o) = v.as_object_mut() {
        o.insert("record_counts".into(), Value::Object(counts));
    }
    Ok(Json(v))
}

async fn replace(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    body: Result<Json<CustomerBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let c = s.store.replace_customer(id, &input_of(body)?).await?;
    s.written().await;
    Ok(Json(json!(c)))
}

async fn remove(State(s): State<AppState>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    s.store.delete_customer(id).await?;
    s.written().await;
    Ok(StatusCode::NO_CONTENT)
}

async fn records(State(s): State<AppState>, Path((id, records)): Path<(i64, String)>) -> Result<Json<Value>, ApiError> {
    let entity = Entity::parse(&records).filter(|e| e.has_customer_ref()).ok_or_else(|| ApiError::not_found("record kind", &records))?;
    s.store.get_customer(id).await?;
    let rows = s.store.customer_records(entity, id, 500).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("id".into(), Value::from(r.id));
            for (k, v) in &r.cells {
                m.insert((*k).into(), v.to_json());
            }
            Value::Object(m)
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

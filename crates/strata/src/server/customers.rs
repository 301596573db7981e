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

use strata_core::access::Action;

use super::{
    error::{json_rejection, query_rejection},
    ApiError, AppState, Caller,
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
    /// Completeness in percent, at least / at most.
    completeness_min: Option<u8>,
    completeness_max: Option<u8>,
    /// Current tier `tier` in model `model`.
    model: Option<String>,
    tier: Option<String>,
    /// A condition in the rule language.
    r#where: Option<String>,
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
            completeness_min: self.completeness_min,
            completeness_max: self.completeness_max,
            tier: self.model.clone().zip(self.tier.clone()),
            ..CustomerFilter::default()
        }
    }

    /// The filter with the `where` condition evaluated, after checking the tier pair.
    pub async fn resolved(&self, s: &AppState, caller: &Caller) -> Result<CustomerFilter, ApiError> {
        if self.model.is_some() != self.tier.is_some() {
            return Err(ApiError::bad_request("invalid_query", "filter on a tier with both model (its key) and tier (the tier's key)"));
        }
        let mut f = self.filter();
        if let Some(w) = self.r#where.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            f.ids = Some(super::customer_query::where_ids(s, caller, w).await?);
        }
        Ok(caller.restrict(f))
    }
}

async fn list(State(s): State<AppState>, caller: Caller, q: Result<Query<ListQuery>, QueryRejection>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    let Query(q) = q.map_err(query_rejection)?;
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=500).contains(&per_page) {
        return Err(ApiError::bad_request("invalid_query", "per_page must be between 1 and 500"));
    }
    if let Some(p) = q.completeness_min.into_iter().chain(q.completeness_max).find(|p| *p > 100) {
        return Err(ApiError::bad_request("invalid_query", format!("completeness is a percentage from 0 to 100, not {p}")));
    }
    let page = q.page.unwrap_or(1);
    if page < 1 {
        return Err(ApiError::bad_request("invalid_query", "page starts at 1"));
    }
    let filter = q.resolved(&s, &caller).await?;
    let result = s.store.list_customers(&filter, q.sort.unwrap_or_default(), (page - 1) * per_page, per_page).await?;
    let defs = s.store.list_custom_fields().await?;
    let items: Vec<Value> = result.items.iter().map(|c| caller.customer_json(c, &defs)).collect();
    Ok(Json(json!({"total": result.total, "page": page, "per_page": per_page, "items": items})))
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
        let details: Vec<Value> =
            errs.iter().map(|(f, e)| json!({"field": f, "code": e.code, "message": e.message, "message_zh": e.message_zh})).collect();
        let first = errs.first().map(|(f, e)| format!("{f}: {}", e.message)).unwrap_or_default();
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", first).with_details(Value::from(details))
    })
}

async fn create(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<CustomerBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Action::EditCustomers)?;
    let Json(body) = body.map_err(json_rejection)?;
    let mut input = input_of(body)?;
    if caller.record_scope() != strata_store::RecordScope::All && input.owner.is_none() {
        // A sales rep's new customer is theirs (else they could not see it).
        input.owner = Some(caller.user.login.clone());
    }
    in_scope(&s, &caller, &input).await?;
    let c = s.store.create_customer(&input).await?;
    let defs = s.store.list_custom_fields().await?;
    caller.audit_change(&s, "customer.create", format!("customer:{}", c.id), None, Some(json!(c))).await?;
    s.written().await;
    // The check on entry: the customer is created, and the response says whom it looks like.
    let scope = caller.record_scope();
    let warnings = match crate::dedupe::possible_duplicates(&s.store, &c, &|o, t| scope.includes(o, t)).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "duplicate check failed");
            Vec::new()
        }
    };
    let mut v = caller.customer_json(&c, &defs);
    if let Some(o) = v.as_object_mut() {
        o.insert("possible_duplicates".into(), Value::Array(warnings));
    }
    Ok((StatusCode::CREATED, Json(v)))
}

/// Refuses, before anything is written, a customer the caller would not see afterwards.
async fn in_scope(s: &AppState, caller: &Caller, input: &CustomerInput) -> Result<(), ApiError> {
    let users = s.store.list_users().await?;
    let owner = input.owner.as_ref().and_then(|l| users.iter().find(|u| &u.login == l));
    let teams = s.store.list_teams().await?;
    let team = input.team.as_ref().and_then(|n| teams.iter().find(|t| &t.name == n)).map(|t| t.id);
    if input.owner.is_some() && owner.is_none() {
        return Ok(()); // the store names the unknown owner
    }
    if caller.record_scope().includes(owner.map(|u| u.id), team) {
        return Ok(());
    }
    Err(ApiError::new(StatusCode::FORBIDDEN, "outside_scope", "you may only write customers that you (or, for managers, your team) own")
        .with_zh("你只能写入自己负责的客户（经理：本团队负责的客户）"))
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    let c = caller.customer(&s, id).await?;
    let defs = s.store.list_custom_fields().await?;
    let counts: Map<String, Value> =
        s.store.customer_record_counts(id).await?.into_iter().map(|(k, n)| (k.to_string(), Value::from(n))).collect();
    let mut v = caller.customer_json(&c, &defs);
    if let Some(o) = v.as_object_mut() {
        o.insert("record_counts".into(), Value::Object(counts));
    }
    Ok(Json(v))
}

async fn replace(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Result<Json<CustomerBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::EditCustomers)?;
    let before = caller.editable_customer(&s, id).await?;
    let Json(mut body) = body.map_err(json_rejection)?;
    let defs = s.store.list_custom_fields().await?;
    let kept = unseen_kept(&caller, &before, &defs, &mut body)?;
    let mut input = input_of(body)?;
    kept.restore(&before, &mut input);
    if caller.record_scope() != strata_store::RecordScope::All && input.owner != before.owner {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only managers and admins may hand a customer to another owner")
            .with_zh("只有经理和管理员可以把客户交给其他负责人"));
    }
    in_scope(&s, &caller, &input).await?;
    let c = s.store.replace_customer(id, &input).await?;
    caller.audit_change(&s, "customer.update", format!("customer:{id}"), Some(json!(before)), Some(json!(c))).await?;
    s.written().await;
    Ok(Json(caller.customer_json(&c, &defs)))
}

/// What a replace keeps because the caller does not see it in full.
struct Unseen {
    contacts: bool,
    money: Vec<String>,
}

impl Unseen {
    fn restore(&self, before: &strata_core::customer::Customer, input: &mut CustomerInput) {
        if self.contacts {
            input.phone = before.phone.clone();
            input.email = before.email.clone();
        }
        for key in &self.money {
            match before.custom.get(key) {
                Some(v) => input.custom.insert(key.clone(), v.clone()),
                None => input.custom.remove(key),
            };
        }
    }
}

/// A caller who sees a customer's contact details masked or hidden, or its amounts hidden,
/// cannot change them: what they send back must be what they were shown (or nothing), and the
/// stored values are kept — a replace never wipes what its sender could not see.
fn unseen_kept(
    caller: &Caller,
    before: &strata_core::customer::Customer,
    defs: &[strata_core::custom_field::CustomFieldDef],
    body: &mut CustomerBody,
) -> Result<Unseen, ApiError> {
    use strata_core::access::{mask_email, mask_phone, FieldGroup, Visibility};
    let refuse = |what: &str, what_zh: &str| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_field",
            format!("your role does not see this customer's {what} in full, so it cannot change them; leave them out"),
        )
        .with_zh(format!("你的角色看不到这个客户完整的{what_zh}，所以不能修改；请不要提交这些字段"))
    };
    let contacts = caller.visibility(FieldGroup::ContactDetails, before.owner_id);
    let keep_contacts = contacts != Visibility::Visible;
    if keep_contacts {
        let shown = |v: &Option<String>, mask: fn(&str) -> String| v.as_deref().filter(|_| contacts == Visibility::Masked).map(mask);
        let same = |sent: &Option<String>, shown: Option<String>| sent.is_none() || sent.as_deref() == shown.as_deref();
        if !same(&body.phone, shown(&before.phone, mask_phone)) || !same(&body.email, shown(&before.email, mask_email)) {
            return Err(refuse("contact details", "联系方式"));
        }
        body.phone = None;
        body.email = None;
    }
    let mut money = Vec::new();
    if caller.visibility(FieldGroup::Amounts, before.owner_id) != Visibility::Visible {
        for d in defs.iter().filter(|d| d.kind == strata_core::custom_field::FieldKind::Money) {
            if body.custom.remove(&d.key).is_some() {
                return Err(refuse("amounts", "金额"));
            }
            money.push(d.key.clone());
        }
    }
    Ok(Unseen { contacts: keep_contacts, money })
}

async fn remove(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    caller.require(Action::EditCustomers)?;
    let before = caller.editable_customer(&s, id).await?;
    s.store.delete_customer(id).await?;
    caller.audit_change(&s, "customer.delete", format!("customer:{id}"), Some(json!(before)), None).await?;
    s.written().await;
    Ok(StatusCode::NO_CONTENT)
}

async fn records(State(s): State<AppState>, caller: Caller, Path((id, records)): Path<(i64, String)>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    let entity = Entity::parse(&records).filter(|e| e.has_customer_ref()).ok_or_else(|| ApiError::not_found("record kind", &records))?;
    let c = caller.customer(&s, id).await?;
    let rows = s.store.customer_records(entity, id, 500).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("id".into(), Value::from(r.id));
            for (k, v) in &r.cells {
                m.insert((*k).into(), v.to_json());
            }
            caller.record_json(m, c.owner_id)
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

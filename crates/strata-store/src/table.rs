//! The stored tables of importable entities: their data columns and how a validated record
//! becomes a row of values once its references (customer, owner, team) are resolved.

use serde_json::Value;
use strata_core::{import::Entity, import::Record, label::Labelled};

use crate::value::{ColKind, SqlValue};

use ColKind::*;

/// A table's data columns (besides `id`, `external_id`, `batch_id`, `created_at`, `updated_at`).
pub(crate) struct TableSpec {
    pub table: &'static str,
    pub cols: &'static [(&'static str, ColKind)],
}

pub(crate) const CUSTOMERS: TableSpec = TableSpec {
    table: "customers",
    cols: &[
        ("kind", Text),
        ("name", Text),
        ("canonical_name", Text),
        ("credit_code", Text),
        ("industry", Text),
        ("province", Text),
        ("city", Text),
        ("source_channel", Text),
        ("owner_id", Int),
        ("team_id", Int),
        ("lifecycle_stage", Text),
        ("phone", Text),
        ("email", Text),
        ("tags", Json),
        ("custom", Json),
        ("since", Date),
    ],
};

const CONTACTS: TableSpec = TableSpec {
    table: "contacts",
    cols: &[("customer_id", Int), ("name", Text), ("title", Text), ("mobile", Text), ("landline", Text), ("email", Text), ("wechat", Text)],
};

const ORDERS: TableSpec = TableSpec {
    table: "orders",
    cols: &[
        ("customer_id", Int),
        ("order_date", Date),
        ("amount_cents", Int),
        ("currency", Text),
        ("product_line", Text),
        ("status", Text),
    ],
};

const PAYMENTS: TableSpec = TableSpec {
    table: "payments",
    cols: &[
        ("customer_id", Int),
        ("order_external_id", Text),
        ("paid_on", Date),
        ("amount_cents", Int),
        ("currency", Text),
        ("method", Text),
    ],
};

const INTERACTIONS: TableSpec = TableSpec {
    table: "interactions",
    cols: &[
        ("customer_id", Int),
        ("channel", Text),
        ("user_id", Int),
        ("occurred_at", Time),
        ("summary", Text),
        ("outcome", Text),
        ("next_follow_up", Date),
    ],
};

const DEALS: TableSpec = TableSpec {
    table: "deals",
    cols: &[
        ("customer_id", Int),
        ("title", Text),
        ("stage", Text),
        ("amount_cents", Int),
        ("currency", Text),
        ("expected_close", Date),
        ("owner_id", Int),
        ("budget_cents", Int),
        ("authority", Bool),
        ("need", Text),
        ("timing", Date),
        ("closed_on", Date),
        ("close_reason", Text),
    ],
};

const TICKETS: TableSpec = TableSpec {
    table: "tickets",
    cols: &[
        ("customer_id", Int),
        ("category", Text),
        ("severity", Text),
        ("status", Text),
        ("opened_at", Time),
        ("first_response_at", Time),
        ("resolved_at", Time),
        ("satisfaction", Int),
        ("summary", Text),
    ],
};

const FEEDBACK: TableSpec =
    TableSpec { table: "feedback", cols: &[("customer_id", Int), ("received_on", Date), ("nps", Int), ("csat", Int), ("comment", Text)] };

pub(crate) fn spec(entity: Entity) -> &'static TableSpec {
    match entity {
        Entity::Customers => &CUSTOMERS,
        Entity::Contacts => &CONTACTS,
        Entity::Orders => &ORDERS,
        Entity::Payments => &PAYMENTS,
        Entity::Interactions => &INTERACTIONS,
        Entity::Deals => &DEALS,
        Entity::Tickets => &TICKETS,
        Entity::Feedback => &FEEDBACK,
    }
}

/// Ids a record's references resolved to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Resolved {
    pub customer_id: Option<i64>,
    /// The owner of a customer or deal, the user of an interaction.
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
}

fn t(s: &Option<String>) -> SqlValue {
    SqlValue::Text(s.clone())
}

fn s(v: &str) -> SqlValue {
    SqlValue::Text(Some(v.to_string()))
}

/// The external id as given, and the row's data values in [`TableSpec::cols`] order.
pub(crate) fn row_of(record: &Record, r: Resolved) -> (Option<String>, Vec<SqlValue>) {
    let cust = SqlValue::Int(r.customer_id);
    match record {
        Record::Customer(c) => (
            c.external_id.clone(),
            vec![
                s(c.kind.code()),
                s(&c.name),
                s(&c.canonical_name()),
                t(&c.credit_code),
                t(&c.industry),
                t(&c.province),
                t(&c.city),
                t(&c.source_channel),
                SqlValue::Int(r.user_id),
                SqlValue::Int(r.team_id),
                SqlValue::Text(c.lifecycle_stage.map(|l| l.code().to_string())),
                t(&c.phone),
                t(&c.email),
                SqlValue::Json(Value::from(c.tags.clone())),
                SqlValue::Json(Value::Object(c.custom.clone().into_iter().collect())),
                SqlValue::Date(c.since),
            ],
        ),
        Record::Contact(_, c) => {
            (c.external_id.clone(), vec![cust, s(&c.name), t(&c.title), t(&c.mobile), t(&c.landline), t(&c.email), t(&c.wechat)])
        }
        Record::Order(_, o) => (
            Some(o.external_id.clone()),
            vec![
                cust,
                SqlValue::Date(Some(o.order_date)),
                SqlValue::Int(Some(o.amount_cents)),
                s(o.currency.code()),
                t(&o.product_line),
                s(o.status.code()),
            ],
        ),
        Record::Payment(_, p) => (
            Some(p.external_id.clone()),
            vec![
                cust,
                t(&p.order_external_id),
                SqlValue::Date(Some(p.paid_on)),
                SqlValue::Int(Some(p.amount_cents)),
                s(p.currency.code()),
                SqlValue::Text(p.method.map(|m| m.code().to_string())),
            ],
        ),
        Record::Interaction(_, i) => (
            i.external_id.clone(),
            vec![
                cust,
                s(i.channel.code()),
                SqlValue::Int(r.user_id),
                SqlValue::Time(Some(i.occurred_at)),
                t(&i.summary),
                t(&i.outcome),
                SqlValue::Date(i.next_follow_up),
            ],
        ),
        Record::Deal(_, d) => (
            d.external_id.clone(),
            vec![
                cust,
                s(&d.title),
                s(d.stage.code()),
                SqlValue::Int(d.amount_cents),
                s(d.currency.code()),
                SqlValue::Date(d.expected_close),
                SqlValue::Int(r.user_id),
                SqlValue::Int(d.budget_cents),
                SqlValue::Bool(d.authority),
                t(&d.need),
                SqlValue::Date(d.timing),
                SqlValue::Date(d.closed_on),
                t(&d.close_reason),
            ],
        ),
        Record::Ticket(_, k) => (
            k.external_id.clone(),
            vec![
                cust,
                t(&k.category),
                s(k.severity.code()),
                s(k.status.code()),
                SqlValue::Time(Some(k.opened_at)),
                SqlValue::Time(k.first_response_at),
                SqlValue::Time(k.resolved_at),
                SqlValue::Int(k.satisfaction.map(i64::from)),
                t(&k.summary),
            ],
        ),
        Record::Feedback(_, f) => (
            f.external_id.clone(),
            vec![
                cust,
                SqlValue::Date(Some(f.received_on)),
                SqlValue::Int(f.nps.map(i64::from)),
                SqlValue::Int(f.csat.map(i64::from)),
                t(&f.comment),
            ],
        ),
    }
}

/// A stable key for rows whose file gives no id: the same content always gets the same key, so
/// re-importing the file matches instead of duplicating. 64-bit FNV-1a over the JSON values.
pub(crate) fn content_key(values: &[SqlValue]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        for b in v.to_json().to_string().bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("auto:{h:016x}")
}

/// The before-image of a row as a JSON object keyed by column.
pub(crate) fn image(spec: &TableSpec, values: &[SqlValue]) -> Value {
    Value::Object(spec.cols.iter().zip(values).map(|((c, _), v)| (c.to_string(), v.to_json())).collect())
}

/// Values from a before-image, in column order.
pub(crate) fn from_image(spec: &TableSpec, image: &Value) -> Vec<SqlValue> {
    spec.cols.iter().map(|(c, k)| SqlValue::from_json(*k, image.get(*c).unwrap_or(&Value::Null))).collect()
}

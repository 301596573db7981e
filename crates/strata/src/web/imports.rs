//! The import wizard: choose the kind of data and a file, see the detected column mapping and
//! change it, see every rejected row (a dry run writes nothing), import, and undo.

use std::collections::BTreeMap;

use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;
use strata_core::{access::Action, import::Entity};

use super::{ClientAddress, Page};
use crate::server::AppState;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

pub async fn wizard(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    let caller = match page.require("/imports/new") {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = caller.require(Action::EditCustomers).and_then(|_| caller.require_all_customers()) {
        return e.into_response();
    }
    let custom = s.store.list_custom_fields().await.unwrap_or_default();
    let en = page.lang == super::i18n::Lang::En;
    let mut fields: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for e in Entity::ALL {
        let mut list: Vec<(String, String)> =
            e.fields().iter().map(|f| (f.key.to_string(), if en { f.key.to_string() } else { f.label_zh.to_string() })).collect();
        if e == Entity::Customers {
            list.extend(custom.iter().map(|d| (format!("custom:{}", d.key), d.label.clone())));
        }
        fields.insert(e.name(), list);
    }
    let entities: Vec<serde_json::Value> = Entity::ALL.iter().map(|e| json!({"name": e.name()})).collect();
    page.render("import.html", json!({"entities": entities, "fields": fields}))
}

//! The customer list page: search and filters (region, industry, tag, owner, current tier,
//! completeness, any rule expression), sort and pages over the caller's scope, with bulk owner
//! and tag changes (through `POST /api/v1/customers/bulk`) and an export of what is shown.
//! The filters are read exactly as the API reads them, so the page, the API and the export
//! agree on what a filter means and who may use it.

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::access::Action;
use strata_store::CustomerSort;

use super::{filled, i18n::Lang, ClientAddress, Page};
use crate::server::{AppState, CustomerListQuery};

const PER_PAGE: i64 = 50;
const SORTS: [&str; 6] = ["id", "name", "created_at_desc", "updated_at_desc", "completeness", "completeness_desc"];
/// Completeness filters offered: at most this percent filled.
const COMPLETENESS_MAX: [u8; 4] = [50, 59, 75, 99];

/// The page's query: the API's list filters as text (an empty field is no filter), `in_tier`
/// as `model:tier` from one select, and the page number.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    province: Option<String>,
    industry: Option<String>,
    tag: Option<String>,
    owner: Option<String>,
    in_tier: Option<String>,
    completeness_max: Option<String>,
    r#where: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    lang: Option<String>,
}

impl ListQuery {
    /// The page's filters by their names in the page's URL, non-empty ones only.
    fn filters(&self) -> Vec<(&'static str, String)> {
        [
            ("q", &self.q),
            ("province", &self.province),
            ("industry", &self.industry),
            ("tag", &self.tag),
            ("owner", &self.owner),
            ("in_tier", &self.in_tier),
            ("completeness_max", &self.completeness_max),
            ("where", &self.r#where),
        ]
        .into_iter()
        .filter_map(|(k, v)| filled(v).map(|v| (k, v)))
        .collect()
    }

    /// The filters in the API's names (the tier split into model and tier).
    fn api_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (k, v) in self.filters() {
            match (k, v.split_once(':')) {
                ("in_tier", Some((model, tier))) => {
                    pairs.push(("model", model.to_string()));
                    pairs.push(("tier", tier.to_string()));
                }
                ("in_tier", None) => {}
                _ => pairs.push((k, v)),
            }
        }
        pairs
    }

    fn sort(&self) -> &str {
        self.sort.as_deref().filter(|s| SORTS.contains(s)).unwrap_or("id")
    }

    /// This list at another page.
    fn page_url(&self, page: i64) -> String {
        let mut pairs = self.filters();
        pairs.push(("sort", self.sort().to_string()));
        pairs.push(("page", page.to_string()));
        format!("/customers?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }
}

/// Every published model's tiers as (`model:tier`, "model · tier") select options.
fn tier_options(s: &AppState, lang: Lang) -> Vec<Value> {
    let guard = s.live.read();
    let Some(loaded) = guard.as_ref() else {
        // The first page after a start: the options appear once the engine has loaded.
        let live = s.live.clone();
        tokio::spawn(async move { live.ensure_loaded().await });
        return Vec::new();
    };
    let en = lang == Lang::En;
    loaded
        .engine
        .catalog
        .models
        .iter()
        .map(|m| {
            let name = if en && !m.spec.name_en.is_empty() { &m.spec.name_en } else { &m.spec.name };
            let tiers: Vec<Value> = m
                .tiers
                .iter()
                .map(|t| json!({"value": format!("{}:{}", m.key(), t.key), "name": if en { &t.name_en } else { &t.name }}))
                .collect();
            json!({"name": name, "tiers": tiers})
        })
        .collect()
}

pub async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<ListQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr.clone()).await;
    let caller = match page.allowed("/customers", Action::ViewCustomers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let pairs = q.api_pairs();
    let n = q.page.unwrap_or(1).max(1);
    // The API's reading of the filters: the same checks, the same errors.
    let api: Result<CustomerListQuery, String> = serde_urlencoded::to_string(&pairs)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_urlencoded::from_str(&t).map_err(|e| e.to_string()));
    let filter = match api {
        Ok(api) => api.resolved(&s, caller).await.map_err(|e| (e.status, e.message, e.details)),
        Err(e) => Err((StatusCode::BAD_REQUEST, e, Value::Null)),
    };
    let sort: CustomerSort = serde_json::from_value(json!(q.sort())).unwrap_or_default();
    let (result, error) = match filter {
        Ok(f) => match s.store.list_customers(&f, sort, (n - 1) * PER_PAGE, PER_PAGE).await {
            Ok(r) => (Some(r), None),
            Err(e) => return crate::server::ApiError::from(e).into_response(),
        },
        Err(e) => (None, Some(e)),
    };
    let defs = s.store.list_custom_fields().await.unwrap_or_default();
    let all_users = s.store.list_users().await.unwrap_or_default();
    let users: Vec<Value> = all_users.iter().filter(|u| u.active).map(|u| json!({"login": u.login, "name": u.display_name})).collect();
    let names = super::owner_names(&all_users);
    let (items, total): (Vec<Value>, i64) = result.as_ref().map_or((Vec::new(), 0), |r| {
        let named = |c| {
            let mut v = caller.customer_json(c, &defs);
            super::name_owner(&mut v, &names);
            v
        };
        (r.items.iter().map(named).collect(), r.total)
    });
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    // Every matching customer at once, when one bulk edit may change them all.
    let bulk_query = (total <= strata_store::MAX_BULK as i64 && total > items.len() as i64)
        .then(|| serde_urlencoded::to_string(&pairs).unwrap_or_default());
    let mut export = vec![("format", "xlsx".to_string()), ("lang", page.lang.code().to_string()), ("sort", q.sort().to_string())];
    export.extend(pairs.iter().cloned());
    let f: serde_json::Map<String, Value> = q.filters().into_iter().map(|(k, v)| (k.to_string(), Value::from(v))).collect();
    let mut res = page.render(
        "customers.html",
        json!({"items": items, "total": total, "page": n, "pages": pages, "f": f, "sort": q.sort(), "sorts": SORTS,
               "completeness_max": COMPLETENESS_MAX, "users": users, "bulk_query": bulk_query, "tier_models": tier_options(&s, page.lang),
               "error": error.as_ref().map(|e| json!({"message": e.1, "details": e.2})),
               "may_edit": caller.require(Action::EditCustomers).is_ok(), "may_assign": caller.require(Action::AssignOwners).is_ok(),
               "export_url": caller.require(Action::Export).is_ok().then(|| format!("/api/v1/exports/customers?{}", serde_urlencoded::to_string(&export).unwrap_or_default())),
               "prev_url": q.page_url(n - 1), "next_url": q.page_url(n + 1)}),
    );
    if let Some((status, _, _)) = error {
        *res.status_mut() = status;
    }
    res
}

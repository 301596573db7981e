//! The customer list's filters over HTTP: a rule-language `where`, the current tier of a model,
//! both in exports too, their errors, and amounts a role may not see kept out of filters.

use axum::http::{Method, StatusCode};
use serde_json::json;
use strata_core::customer::Role;

use super::{
    http::Api,
    support::{CUSTOMERS_CSV, ORDERS_CSV},
    tiers_http::VALUE_MODEL,
};

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn names(api: &Api, query: &str) -> (StatusCode, Vec<String>, serde_json::Value) {
    let (status, page) = api.json(Method::GET, &format!("/api/v1/customers?{query}"), None).await;
    let names =
        page["items"].as_array().map(|a| a.iter().filter_map(|c| c["name"].as_str().map(String::from)).collect()).unwrap_or_default();
    (status, names, page)
}

#[tokio::test]
async fn where_and_tier_filters_with_their_errors() {
    let today = chrono::NaiveDate::from_ymd_opt(2024, 6, 30);
    let api = Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), today).await;
    api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await;
    api.upload("orders", "", "o.csv", ORDERS_CSV.as_bytes()).await;
    let (_, p) = api.json(Method::POST, "/api/v1/tier-models/preview", Some(json!({"spec": VALUE_MODEL}))).await;
    let v = p["version"].as_i64().expect("version");
    api.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{v}/publish"), None).await;

    let (status, found, page) = names(&api, &format!("where={}", enc("count(orders) >= 2 and province = \"广东省\""))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(found, vec!["深圳市腾飞科技有限公司"]);
    assert_eq!(page["total"], 1);
    let (_, by_tier, _) = names(&api, "model=value&tier=big").await;
    let (_, by_rule, _) = names(&api, &format!("where={}", enc("tier(\"value\") = \"大客户\""))).await;
    assert_eq!(by_tier, found);
    assert_eq!(by_rule, found, "a tier by its name in the rule language");
    let (_, none, page) = names(&api, &format!("where={}&model=value&tier=dormant", enc("count(orders) >= 2"))).await;
    assert!(none.is_empty() && page["total"] == 0, "filters combine: {page}");

    let (status, _, e) = names(&api, &format!("where={}", enc("sum(orders.amout) > 1"))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_where")), "{e}");
    let message = e["message"].as_str().unwrap_or("");
    assert!(message.contains("amout") && message.contains("amount") && message.contains("column"), "{message}");
    assert_eq!(e["details"]["line"], 1);
    let (status, _, e) = names(&api, "model=value").await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
    let (status, _, e) = names(&api, &format!("where={}", enc("percentile(count(orders)) > 0.5"))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_where")), "{e}");

    // Exports take the same filters.
    let (status, body, _) = api
        .send(
            axum::http::Request::get(format!("/api/v1/exports/customers?format=jsonl&where={}", enc("count(orders) >= 2")))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8_lossy(&body).lines().count(), 1);

    // A sales rep filters within their scope, and never on amounts.
    let sales = api.user("wangwei", Role::Sales).await;
    let (status, mine, _) = names(&sales, &format!("where={}", enc("count(orders) >= 1"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!mine.is_empty() && mine.len() <= 2, "{mine:?}");
    let (status, _, e) = names(&sales, &format!("where={}", enc("sum(orders.amount) > 10000"))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden_filter_field")), "{e}");
}

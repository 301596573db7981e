//! Bulk owner and tag changes over HTTP: all or nothing, the permission to reassign, customers
//! outside the caller's scope or not theirs to change, limits, unknown fields, and the audit.

use axum::http::{Method, StatusCode};
use serde_json::json;
use strata_core::customer::Role;

use super::{http::Api, support::CUSTOMERS_CSV};

async fn customers(api: &Api) -> Vec<serde_json::Value> {
    let (_, page) = api.json(Method::GET, "/api/v1/customers?sort=id", None).await;
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn bulk_edits_are_all_or_nothing() {
    let api = Api::new().await;
    api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await;
    let all = customers(&api).await;
    let ids: Vec<i64> = all.iter().filter_map(|c| c["id"].as_i64()).collect();
    assert_eq!(ids.len(), 3);

    let (status, r) =
        api.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"ids": ids, "owner": "wangwei", "add_tag": " 重点 "}))).await;
    assert_eq!((status, r["changed"].as_i64()), (StatusCode::OK, Some(3)), "{r}");
    let after = customers(&api).await;
    assert!(after.iter().all(|c| c["owner"] == "wangwei" && c["tags"].as_array().is_some_and(|t| t.contains(&json!("重点")))), "{after:?}");
    let kept = after.iter().find(|c| c["name"] == "深圳市腾飞科技有限公司").expect("C001");
    assert!(kept["tags"].as_array().is_some_and(|t| t.contains(&json!("战略客户"))), "other tags stay: {kept}");

    // Bad requests change nothing.
    let unchanged = |label: &'static str| {
        let api = api.clone();
        async move {
            let now = customers(&api).await;
            assert!(now.iter().all(|c| !c["tags"].as_array().is_some_and(|t| t.contains(&json!("不该有")))), "{label}: {now:?}");
        }
    };
    let cases = [
        (json!({"ids": [ids[0], 999_999], "add_tag": "不该有"}), StatusCode::NOT_FOUND, "not_found"),
        (json!({"ids": ids, "owner": "nobody", "add_tag": "不该有"}), StatusCode::BAD_REQUEST, "unknown_user"),
        (json!({"ids": ids, "add_tag": "   "}), StatusCode::BAD_REQUEST, "invalid_tag"),
        (json!({"ids": (1..=10_001).collect::<Vec<i64>>(), "add_tag": "不该有"}), StatusCode::BAD_REQUEST, "bulk_too_large"),
    ];
    for (body, want, code) in cases {
        let (status, e) = api.json(Method::POST, "/api/v1/customers/bulk", Some(body)).await;
        assert_eq!((status, e["code"].as_str()), (want, Some(code)), "{e}");
        unchanged(code).await;
    }
    let (status, e) = api.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"ids": ids, "owner_id": 1}))).await;
    assert!(status.is_client_error() && e["message"].as_str().unwrap_or("").contains("owner_id"), "unknown fields are refused: {e}");

    // A sales rep may tag their own customers, not reassign them, and not touch another's.
    let (status, _) = api.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"ids": ids, "remove_tag": "重点"}))).await;
    assert_eq!(status, StatusCode::OK);
    let wangwei = api.user("wangwei", Role::Sales).await;
    let (status, r) = wangwei.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"ids": ids, "add_tag": "跟进"}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, e) = wangwei.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"ids": ids, "owner": "wangwei"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    api.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"ids": [ids[1]], "owner": "admin"}))).await;
    let lisi = api.user("lisi", Role::Sales).await;
    let (status, e) = lisi.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"ids": [ids[0], ids[1]], "add_tag": "不该有"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    unchanged("another rep's customers").await;

    // By the list's filters instead of ids: the same scope and rules.
    let (status, r) = api.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"query": "tag=战略客户", "add_tag": "按条件"}))).await;
    assert_eq!((status, r["changed"].as_i64()), (StatusCode::OK, Some(1)), "{r}");
    let (_, tagged) = api.json(Method::GET, "/api/v1/customers?tag=按条件", None).await;
    assert_eq!(tagged["items"][0]["name"], "深圳市腾飞科技有限公司", "{tagged}");
    let bad = [
        (json!({"ids": [ids[0]], "query": "tag=x", "add_tag": "不该有"}), "invalid_body"),
        (json!({"add_tag": "不该有"}), "invalid_body"),
        (json!({"query": "where=sum(", "add_tag": "不该有"}), "invalid_where"),
        (json!({"query": "colour=red", "add_tag": "不该有"}), "invalid_query"),
    ];
    for (body, code) in bad {
        let (status, e) = api.json(Method::POST, "/api/v1/customers/bulk", Some(body)).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{e}");
    }
    unchanged("bad queries").await;
    let (status, e) = lisi.json(Method::POST, "/api/v1/customers/bulk", Some(json!({"query": "", "add_tag": "不该有"}))).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "a rep's query covers a team mate's customers: {e}"
    );

    let (_, audit) = api.json(Method::GET, "/api/v1/audit?action=customers.bulk", None).await;
    let entries = audit["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 5, "one entry per bulk edit that was made: {audit}");
    let first = entries.last().expect("the first edit");
    assert_eq!(first["detail"]["customers"], 3);
    assert!(first["detail"]["before"].to_string().contains("战略客户"), "the previous tags are kept: {first}");
}

//! Tier models over HTTP: check with positioned errors, preview with the migration matrix,
//! publish, explanations, and the live engine re-evaluating customers the moment their data
//! is written — also when the write came through another server on the same database.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::{
    http::Api,
    support::{CUSTOMERS_CSV, ORDERS_CSV},
};

pub const VALUE_MODEL: &str = r#"
key = "value"
name = "价值分层"
name_en = "Value"
kind = "ladder"

[[tiers]]
key = "big"
name = "大客户"
name_en = "Big"
when = "sum(orders.amount, last 365d) > 10000"

[[tiers]]
key = "active"
name = "活跃"
name_en = "Active"
when = "count(orders, last 365d) >= 1"

[[tiers]]
key = "dormant"
name = "沉睡"
name_en = "Dormant"
"#;

fn today() -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(2024, 3, 31)
}

async fn customer_id(api: &Api, q: &str) -> i64 {
    let (_, page) = api.json(Method::GET, &format!("/api/v1/customers?q={q}"), None).await;
    page["items"][0]["id"].as_i64().unwrap_or_else(|| panic!("customer {q}: {page}"))
}

async fn tier_of(api: &Api, id: i64) -> Option<String> {
    let (status, t) = api.json(Method::GET, &format!("/api/v1/customers/{id}/tiers"), None).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let item = t["items"].as_array().and_then(|a| a.iter().find(|i| i["model"] == "value")).cloned().unwrap_or(Value::Null);
    item["tier"]["key"].as_str().map(String::from)
}

async fn history(api: &Api, id: i64) -> Vec<(Option<String>, Option<String>, String)> {
    let (_, h) = api.json(Method::GET, &format!("/api/v1/customers/{id}/tier-history"), None).await;
    h["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| (e["from_tier"].as_str().map(String::from), e["to_tier"].as_str().map(String::from), e["reason"].to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn models_check_preview_publish_and_explain() {
    let api = Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), today()).await;
    assert_eq!(api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await.0, StatusCode::OK);
    assert_eq!(api.upload("orders", "", "o.csv", ORDERS_CSV.as_bytes()).await.0, StatusCode::OK);

    // A typo is rejected with its place and a suggestion; a file that is not TOML too.
    let typo = VALUE_MODEL.replace("orders.amount", "orders.amout");
    let (status, e) = api.json(Method::POST, "/api/v1/tier-models/check", Some(json!({"spec": typo}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("model_invalid")), "{e}");
    assert_eq!(e["details"][0]["path"], "tiers[1].when", "{e}");
    assert!(e["details"][0]["help"].as_str().unwrap_or_default().contains("amount"), "{e}");
    assert!(e["details"][0]["position"].is_array(), "{e}");
    assert!(e["details"][0]["rendered_zh"].as_str().unwrap_or_default().contains("提示：是不是 `amount`？"), "{e}");
    let (status, e) = api.json(Method::POST, "/api/v1/tier-models/check", Some(json!({"spec": "key = "}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("model_file_invalid")), "{e}");
    assert!(e["details"]["message_zh"].as_str().unwrap_or_default().starts_with("模型文件无法解析：TOML 解析错误：第 1 行"), "{e}");
    let (status, ok) = api.json(Method::POST, "/api/v1/tier-models/check", Some(json!({"spec": VALUE_MODEL}))).await;
    assert_eq!(status, StatusCode::OK, "{ok}");
    assert_eq!(ok["tiers"].as_array().map(Vec::len), Some(3));
    let yaml = strata_core::tiering::spec::ModelSpec::from_toml(VALUE_MODEL).expect("toml").to_yaml();
    let (status, ok) = api.json(Method::POST, "/api/v1/tier-models/check", Some(json!({"spec": yaml, "format": "yaml"}))).await;
    assert_eq!((status, ok["key"].as_str()), (StatusCode::OK, Some("value")), "{ok}");
    let (status, e) = api.json(Method::POST, "/api/v1/tier-models/check", Some(json!({"spec": yaml, "format": "xml"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")), "{e}");

    // Preview: counts and the migration matrix from "no tier"; nothing is in force yet.
    let (status, p) = api.json(Method::POST, "/api/v1/tier-models/preview", Some(json!({"spec": VALUE_MODEL}))).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["preview"]["customers"], 3);
    assert_eq!(p["preview"]["moving"], 3);
    // C002's only order was refunded: it does not count.
    assert_eq!(p["preview"]["counts"], json!([["big", 1], ["dormant", 2]]), "{p}");
    let version = p["version"].as_i64().expect("version");
    let c1 = customer_id(&api, "C001").await;
    assert_eq!(tier_of(&api, c1).await, None, "a preview changes nothing");

    // Publish: every customer gets a tier with its explanation and history.
    let (status, out) = api.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{version}/publish"), None).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!((out["changes"].as_u64(), out["version"].as_i64()), (Some(3), Some(version)));
    let (status, e) = api.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{version}/publish"), None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("already_published")), "{e}");
    let (_, t) = api.json(Method::GET, &format!("/api/v1/customers/{c1}/tiers"), None).await;
    let item = &t["items"][0];
    assert_eq!(item["tier"]["name"], "大客户", "{t}");
    assert_eq!(item["version"], version);
    assert!(item["explanation"]["detail"].to_string().contains("sum(orders.amount, last 365d)"), "{t}");
    assert_eq!(history(&api, c1).await, vec![(None, Some("big".into()), "\"publish\"".into())]);
    let (_, list) = api.json(Method::GET, "/api/v1/tier-models", None).await;
    assert_eq!(list["items"][0]["published_version"], version, "{list}");
    // Counts per tier come from the engine once it holds the published version; the store's
    // count is the same.
    assert!(api.state.live.tier_counts("value", version).is_some());
    let stored: Vec<Value> =
        api.state.store.tier_counts("value").await.expect("counts").into_iter().map(|(t, n)| json!({"tier": t, "customers": n})).collect();
    assert_eq!(list["items"][0]["counts"], json!(stored), "{list}");
    assert_eq!(list["items"][0]["counts"], json!([{"tier": "big", "customers": 1}, {"tier": "dormant", "customers": 2}]), "{list}");
    assert_eq!(api.state.live.tier_counts("value", version + 1), None, "another version is not the engine's");
    let (status, shown) = api.json(Method::GET, "/api/v1/tier-models/value", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["versions"][0]["status"], "published");
    let (status, _) = api.json(Method::GET, "/api/v1/tier-models/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, preset) = api.json(Method::GET, "/api/v1/tier-presets/rfm", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(preset["spec"].as_str().unwrap_or_default().contains("kind = \"rfm\""));
}

#[tokio::test]
async fn writes_re_evaluate_at_once_and_other_servers_follow() {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("tempdir"));
    let a = Api::on(dir.clone(), today()).await;
    let b = Api::on(dir.clone(), today()).await;
    assert_eq!(a.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await.0, StatusCode::OK);
    assert_eq!(a.upload("orders", "", "o.csv", ORDERS_CSV.as_bytes()).await.0, StatusCode::OK);
    let (_, p) = a.json(Method::POST, "/api/v1/tier-models/preview", Some(json!({"spec": VALUE_MODEL}))).await;
    let v = p["version"].as_i64().expect("version");
    let (status, out) = a.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{v}/publish"), None).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let c2 = customer_id(&a, "C002").await;
    assert_eq!(tier_of(&b, c2).await.as_deref(), Some("dormant"), "server b loads the published model");

    // A new order through server a: the response comes after the re-evaluation.
    let big = "订单号,客户编号,下单日期,金额\nSO-7,C002,2024-03-30,2万\n";
    let (status, s) = a.upload("orders", "", "big.csv", big.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let batch = s["batch"]["id"].as_i64().expect("batch");
    assert_eq!(tier_of(&a, c2).await.as_deref(), Some("big"));
    // Server b follows the feed; both re-evaluated, the change is recorded once.
    let synced = b.state.live.sync().await.expect("sync");
    assert_eq!((synced.customers, synced.tier_changes), (1, 0), "{synced:?}");
    assert_eq!(tier_of(&b, c2).await.as_deref(), Some("big"));
    let changes = history(&a, c2).await;
    assert_eq!(changes.last(), Some(&(Some("dormant".into()), Some("big".into()), "\"event\"".into())), "{changes:?}");
    assert_eq!(changes.len(), 2, "{changes:?}");

    // A new customer gets the default tier at once; undoing the order moves C002 back.
    let (status, c) = b.json(Method::POST, "/api/v1/customers", Some(json!({"name": "新客户有限公司", "industry": "新行业"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let new_id = c["id"].as_i64().expect("id");
    assert_eq!(tier_of(&b, new_id).await.as_deref(), Some("dormant"));
    let (status, _) = b.json(Method::POST, &format!("/api/v1/batches/{batch}/undo"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tier_of(&b, c2).await.as_deref(), Some("dormant"));
    a.state.live.sync().await.expect("sync a");
    assert_eq!(tier_of(&a, new_id).await.as_deref(), Some("dormant"));
    assert_eq!(tier_of(&a, c2).await.as_deref(), Some("dormant"));

    // Deleting the customer removes it from every tier; the feed lists every change in order.
    let (status, _) = a.json(Method::DELETE, &format!("/api/v1/customers/{new_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, feed) = a.json(Method::GET, "/api/v1/tier-changes?after=0&limit=100", None).await;
    let reasons: Vec<&str> = feed["items"].as_array().map(|a| a.iter().filter_map(|e| e["reason"].as_str()).collect()).unwrap_or_default();
    assert_eq!(reasons, ["publish", "publish", "publish", "event", "event", "event"], "{feed}");
    let (status, e) = a.json(Method::GET, "/api/v1/tier-changes?limit=0", None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
    let (_, engine) = a.json(Method::GET, "/api/v1/engine", None).await;
    assert_eq!((engine["state"].as_str(), engine["models"].as_u64()), (Some("ready"), Some(1)), "{engine}");
}

#[tokio::test]
async fn events_posted_as_json_move_tiers_before_the_response() {
    let api = Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), today()).await;
    assert_eq!(api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await.0, StatusCode::OK);
    let (_, p) = api.json(Method::POST, "/api/v1/tier-models/preview", Some(json!({"spec": VALUE_MODEL}))).await;
    let v = p["version"].as_i64().expect("version");
    assert_eq!(api.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{v}/publish"), None).await.0, StatusCode::OK);
    let c2 = customer_id(&api, "C002").await;
    assert_eq!(tier_of(&api, c2).await.as_deref(), Some("dormant"));

    let order = json!({"external_id": "EV-1", "customer_external_id": "C002", "order_date": "2024-03-30", "amount": "2万"});
    let (status, out) = api.json(Method::POST, "/api/v1/events/orders", Some(json!({"rows": [order]}))).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!((out["applied"].as_u64(), out["tier_changes"].as_u64()), (Some(1), Some(1)), "{out}");
    assert_eq!(tier_of(&api, c2).await.as_deref(), Some("big"));
    assert_eq!(history(&api, c2).await.last().map(|h| h.2.clone()), Some("\"event\"".to_string()));
    // Sending the same order again changes nothing.
    let (status, again) = api.json(Method::POST, "/api/v1/events/orders", Some(json!({"rows": [order]}))).await;
    assert_eq!((status, again["applied"].as_u64(), again["tier_changes"].as_u64()), (StatusCode::OK, Some(0), Some(0)), "{again}");

    // One bad row rejects the whole request; nothing is written.
    let rows = json!({"rows": [
        {"external_id": "EV-2", "customer_external_id": "C001", "order_date": "2024-03-30", "amount": "100"},
        {"external_id": "EV-3", "customer_external_id": "C001", "order_date": "someday", "amount": "100"},
        {"external_id": "EV-4", "customer_external_id": "C404", "order_date": "2024-03-30", "amount": "100"}]});
    let (status, e) = api.json(Method::POST, "/api/v1/events/orders", Some(rows)).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rows_rejected")), "{e}");
    assert_eq!(e["details"]["rejected"][0]["row"], 2, "{e}");
    let c1 = customer_id(&api, "C001").await;
    let (_, orders) = api.json(Method::GET, &format!("/api/v1/customers/{c1}/orders"), None).await;
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(0), "{orders}");
    let unknown = json!({"rows": [{"external_id": "EV-5", "customer_external_id": "C404", "order_date": "2024-03-30", "amount": "1"}]});
    let (status, e) = api.json(Method::POST, "/api/v1/events/orders", Some(unknown)).await;
    assert_eq!((status, e["details"]["rejected"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_customer")), "{e}");
    let (status, _) = api.json(Method::POST, "/api/v1/events/widgets", Some(json!({"rows": []}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, e) = api.json(Method::POST, "/api/v1/events/orders", Some(json!({"rows": []}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")));
}

#[tokio::test]
async fn a_merge_and_its_undo_move_tiers_at_once() {
    let api = Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), today()).await;
    api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await;
    api.upload("orders", "", "o.csv", ORDERS_CSV.as_bytes()).await;
    let (_, p) = api.json(Method::POST, "/api/v1/tier-models/preview", Some(json!({"spec": VALUE_MODEL}))).await;
    let v = p["version"].as_i64().expect("version");
    api.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{v}/publish"), None).await;
    let (c1, c2) = (customer_id(&api, "C001").await, customer_id(&api, "C002").await);
    assert_eq!((tier_of(&api, c1).await.as_deref(), tier_of(&api, c2).await.as_deref()), (Some("big"), Some("dormant")));
    let (status, m) = api.json(Method::POST, "/api/v1/merges", Some(json!({"survivor": c2, "absorbed": [c1]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(tier_of(&api, c2).await.as_deref(), Some("big"), "the survivor has the absorbed customer's orders now");
    let (status, _) = api.json(Method::GET, &format!("/api/v1/customers/{c1}/tiers"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let id = m["merge"]["id"].as_i64().expect("merge id");
    let (status, u) = api.json(Method::POST, &format!("/api/v1/merges/{id}/undo"), None).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!((tier_of(&api, c1).await.as_deref(), tier_of(&api, c2).await.as_deref()), (Some("big"), Some("dormant")));
    let h = history(&api, c1).await;
    assert_eq!(h.first(), Some(&(None, Some("big".into()), "\"publish\"".into())), "the history came back with the customer: {h:?}");
}

#[tokio::test]
async fn concurrent_event_requests_commit_together_each_as_its_own_batch() {
    use strata_core::{
        commerce::{OrderInput, OrderStatus},
        import::{CustomerRef, Entity, Record},
        money::Currency,
    };
    let api = Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), today()).await;
    assert_eq!(api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await.0, StatusCode::OK);
    let (_, p) = api.json(Method::POST, "/api/v1/tier-models/preview", Some(json!({"spec": VALUE_MODEL}))).await;
    let v = p["version"].as_i64().expect("version");
    assert_eq!(api.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{v}/publish"), None).await.0, StatusCode::OK);
    let (c1, c2) = (customer_id(&api, "C001").await, customer_id(&api, "C002").await);

    // Nine orders of 3,000 for C001 and one of 20,000 for C002, one request each; request 5
    // names an unknown customer and request 8 repeats request 2's order.
    let order = |n: usize| {
        let (who, id, cents) = match n {
            5 => ("C404", "GR-5".to_string(), 100),
            8 => ("C001", "GR-2".to_string(), 300_000),
            10 => ("C002", "GR-10".to_string(), 2_000_000),
            _ => ("C001", format!("GR-{n}"), 300_000),
        };
        let input = OrderInput {
            external_id: id,
            order_date: chrono::NaiveDate::from_ymd_opt(2024, 3, 30).expect("date"),
            amount_cents: cents,
            currency: Currency::CNY,
            product_line: None,
            status: OrderStatus::Completed,
        };
        vec![(2, Record::Order(CustomerRef { external_id: Some(who.to_string()), name: None }, input))]
    };
    let fields: Vec<String> = ["external_id", "customer_external_id", "order_date", "amount"].iter().map(|s| s.to_string()).collect();
    let live = &api.state.live;
    live.ensure_loaded().await.expect("engine");
    // Sent at once: every request is queued before the first transaction starts.
    let sent = (0..12).map(|n| live.ingest(Entity::Orders, &fields, order(n), ("api", "admin"), None));
    let answers: Vec<strata::live::ingest::Ingested> =
        futures_util::future::join_all(sent).await.into_iter().map(|r| r.expect("ingest")).collect();

    assert_eq!((answers[5].batch.is_none(), answers[5].rejected.first().map(|r| r.code)), (true, Some("unknown_customer")));
    let mut batches = std::collections::BTreeSet::new();
    for (n, out) in answers.iter().enumerate().filter(|(n, _)| *n != 5) {
        assert_eq!(out.group, 12, "request {n} was committed with the others: {out:?}");
        let batch = out.batch.as_ref().expect("batch");
        assert!(batches.insert(batch.id), "request {n} has a batch of its own: {out:?}");
        let expected = if n == 8 { (0, 1) } else { (1, 0) };
        assert_eq!((batch.inserted, batch.unchanged), expected, "request {n}: {out:?}");
    }
    // Nothing of the rejected request was kept, not even its batch record.
    let (_, list) = api.json(Method::GET, &format!("/api/v1/customers/{c1}/orders"), None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(9), "{list}");
    let (_, b) = api.json(Method::GET, "/api/v1/imports", None).await;
    let recorded = b["items"].as_array().map(|a| a.iter().filter(|i| i["file_name"] == "api").count());
    assert_eq!(recorded, Some(11), "{b}");
    // Tiers moved once each, in the engine and in the store.
    assert_eq!((tier_of(&api, c1).await.as_deref(), tier_of(&api, c2).await.as_deref()), (Some("big"), Some("big")));
    let changes: usize = answers.iter().map(|o| o.tier_changes).sum();
    assert_eq!(changes, 3, "C001 dormant → active → big, C002 dormant → big: {answers:?}");
    assert_eq!(history(&api, c1).await.len(), 3, "publish, then two event moves");

    // Undoing one request's batch takes back that order alone.
    let first = answers[0].batch.as_ref().map(|b| b.id).expect("batch");
    let (status, _) = api.json(Method::POST, &format!("/api/v1/batches/{first}/undo"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = api.json(Method::GET, &format!("/api/v1/customers/{c1}/orders"), None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(8), "{list}");

    // Requests sent over HTTP at once are answered each on its own, grouped or not.
    let rows = |n: usize| json!({"rows": [{"external_id": format!("HT-{n}"), "customer_external_id": "C002", "order_date": "2024-03-30", "amount": "10"}]});
    let sent = (0..6).map(|n| api.json(Method::POST, "/api/v1/events/orders", Some(rows(n))));
    for (status, out) in futures_util::future::join_all(sent).await {
        assert_eq!((status, out["batch"]["inserted"].as_u64()), (StatusCode::OK, Some(1)), "{out}");
    }
    let (_, list) = api.json(Method::GET, &format!("/api/v1/customers/{c2}/orders"), None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(7), "{list}");
    // Each request's audit entry was written with its batch.
    let (_, audit) = api.json(Method::GET, "/api/v1/audit?action=events.write", None).await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(6), "{audit}");
}

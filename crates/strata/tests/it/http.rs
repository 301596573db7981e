//! The JSON API, driven in-process through the router (no sockets).

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
    Router,
};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::support::{CUSTOMERS_CSV, ORDERS_CSV};

#[derive(Clone)]
pub struct Api {
    pub app: Router,
    pub state: strata::server::AppState,
    /// Sent as `Authorization: Bearer …` unless the request has its own (None: anonymous).
    pub token: Option<String>,
    /// Keeps the data directory alive as long as the server.
    _dir: std::sync::Arc<tempfile::TempDir>,
}

impl Api {
    pub async fn new() -> Api {
        Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), None).await
    }

    /// A server over the data directory `dir` (a second call is a second server on the same
    /// database), evaluating tiers as of `today`.
    pub async fn on(dir: std::sync::Arc<tempfile::TempDir>, today: Option<chrono::NaiveDate>) -> Api {
        let mut config = strata::config::Config::new(dir.path().join("data"), None, Some("tester".into()));
        config.today = today;
        let store = strata_store::Store::open(&config.database_url).await.expect("store");
        let state = strata::server::AppState::new(store.clone(), config);
        let app = strata::server::router(state.clone());
        let admin = match store.user_credentials("admin").await.expect("credentials") {
            Some((u, _)) => u,
            None => store
                .create_user(&strata_core::customer::UserInput {
                    login: "admin".into(),
                    display_name: "管理员".into(),
                    email: None,
                    team: None,
                    role: strata_core::customer::Role::Admin,
                })
                .await
                .expect("admin"),
        };
        let (_, token) = strata::accounts::create_token(&store, &admin, "tests").await.expect("token");
        let api = Api { app, state, token: Some(token), _dir: dir };
        if !store.list_teams().await.expect("teams").is_empty() {
            return api;
        }
        store.create_team("华南大区").await.expect("team");
        let user = strata_core::customer::UserInput {
            login: "wangwei".into(),
            display_name: "王伟".into(),
            email: None,
            team: Some("华南大区".into()),
            role: strata_core::customer::Role::Sales,
        };
        store.create_user(&user).await.expect("user");
        api
    }

    /// The same server, calling with another token (None: no credentials).
    pub fn with_token(&self, token: Option<String>) -> Api {
        Api { token, ..self.clone() }
    }

    /// A user with `role` (and a token for them) on this server, in team 华南大区.
    pub async fn user(&self, login: &str, role: strata_core::customer::Role) -> Api {
        let store = &self.state.store;
        let input = strata_core::customer::UserInput {
            login: login.into(),
            display_name: login.into(),
            email: None,
            team: Some("华南大区".into()),
            role,
        };
        let user = match store.user_credentials(login).await.expect("credentials") {
            Some((u, _)) => u,
            None => store.create_user(&input).await.expect("user"),
        };
        let (_, token) = strata::accounts::create_token(store, &user, "tests").await.expect("token");
        self.with_token(Some(token))
    }

    pub async fn send(&self, mut req: Request<Body>) -> (StatusCode, Vec<u8>, Option<String>) {
        if let Some(t) = &self.token {
            if !req.headers().contains_key(header::AUTHORIZATION) && !req.headers().contains_key(header::COOKIE) {
                let v = format!("Bearer {t}").parse().expect("header");
                req.headers_mut().insert(header::AUTHORIZATION, v);
            }
        }
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let ctype = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = res.into_body().collect().await.expect("body").to_bytes().to_vec();
        (status, body, ctype)
    }

    pub async fn json(&self, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        let body = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let (status, bytes, _) = self.send(req.body(body).expect("request")).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub async fn upload(&self, entity: &str, query: &str, name: &str, content: &[u8]) -> (StatusCode, Value) {
        let boundary = "strata-test-boundary";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/imports/{entity}{query}"))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .expect("request");
        let (status, bytes, _) = self.send(req).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn health_and_unknown_routes() {
    let api = Api::new().await;
    let (status, body) = api.json(Method::GET, "/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["backend"], "sqlite");
    let (status, _, _) = api.send(Request::get("/").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the root leads to the customer list (and from there to the login)");
    let (status, _, ctype) = api.with_token(None).send(Request::get("/login").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.unwrap_or_default().starts_with("text/html"));
    let (status, body) = api.json(Method::GET, "/api/v1/nothing-here", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("GET /api/v1/nothing-here")), "{body}");
    assert!(body["details"]["message_zh"].as_str().is_some_and(|m| m.starts_with("没有 GET /api/v1/nothing-here 这个地址")), "{body}");
    // A known path with a method it does not take: a JSON error naming both.
    let (status, body) = api.json(Method::DELETE, "/health", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("/health") && m.contains("DELETE")), "{body}");
    let (status, body) = api.json(Method::PATCH, "/api/v1/customers", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")), "{body}");
}

#[tokio::test]
async fn customers_crud_with_validation() {
    let api = Api::new().await;
    let new = json!({"name": " 深圳市腾飞科技有限公司 ", "phone": "138 0013 8000", "owner": "wangwei", "tags": ["战略客户", "战略客户"], "province": "广东省"});
    let (status, c) = api.json(Method::POST, "/api/v1/customers", Some(new.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["phone"], "+8613800138000");
    assert_eq!(c["canonical_name"], "腾飞科技");
    assert_eq!(c["tags"], json!(["战略客户"]));
    let id = c["id"].as_i64().expect("id");

    let (status, e) = api.json(Method::POST, "/api/v1/customers", Some(json!({"name": "x", "phone": "12345", "email": "nope"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")));
    assert_eq!(e["details"].as_array().map(Vec::len), Some(2), "{e}");
    for forbidden in [json!({"name": "x", "owner_id": 1}), json!({"name": "x", "tier": "A"}), json!({"name": "x", "id": 5})] {
        let (status, e) = api.json(Method::POST, "/api/v1/customers", Some(forbidden.clone())).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")), "{forbidden}");
    }
    let (status, e) = api.json(Method::POST, "/api/v1/customers", Some(json!({"name": "x", "owner": "ghost"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_user")));

    let (status, got) = api.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["record_counts"]["orders"], 0);
    let (status, _) = api.json(Method::GET, "/api/v1/customers/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, updated) =
        api.json(Method::PUT, &format!("/api/v1/customers/{id}"), Some(json!({"name": "腾飞科技集团", "external_id": "C-9"}))).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["external_id"], "C-9");

    let (status, page) = api.json(Method::GET, "/api/v1/customers?q=腾飞&sort=name_desc&per_page=10", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 1);
    let (status, e) = api.json(Method::GET, "/api/v1/customers?per_page=0", None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
    let (status, e) = api.json(Method::GET, "/api/v1/customers?sort=sideways", None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
    let (status, page) = api.json(Method::GET, "/api/v1/customers?completeness_max=100&sort=completeness", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page["items"][0]["completeness"].as_u64().is_some_and(|p| p <= 100), "{page}");
    let (status, e) = api.json(Method::GET, "/api/v1/customers?completeness_max=101", None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
    assert!(e["message"].as_str().is_some_and(|m| m.contains("101")), "{e}");

    let (status, _) = api.json(Method::DELETE, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.json(Method::DELETE, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn import_export_and_undo_over_http() {
    let api = Api::new().await;
    let (status, s) = api.upload("customers", "", "customers.csv", CUSTOMERS_CSV.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!((s["inserted"].as_u64(), s["committed"].as_bool()), (Some(3), Some(true)));
    let (status, s) = api.upload("orders", "", "orders.csv", ORDERS_CSV.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let batch = s["batch"]["id"].as_i64().expect("batch id");

    // Rejected rows: 422 with the summary and a downloadable report; nothing written.
    let bad = "订单号,客户编号,下单日期,金额\nSO-9,C404,2024-01-01,5\nSO-10,C001,not a date,5\n";
    let (status, e) = api.upload("orders", "", "bad.csv", bad.as_bytes()).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rows_rejected")), "{e}");
    assert_eq!(e["details"]["rejected_rows"], 2);
    let report = e["details"]["report"].as_str().expect("report url").to_string();
    let (status, bytes, _) = api.send(Request::get(&report).body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    let report = String::from_utf8_lossy(&bytes);
    assert!(report.contains("unknown_customer") && report.contains("没有客户编号为 `C404` 的客户"), "{report}");
    assert!(report.contains("`not a date` 不是日期"), "each reason in Chinese too: {report}");
    let sample = e["details"]["sample"].to_string();
    assert!(sample.contains("reason_zh") && sample.contains("不是日期"), "{e}");
    let (status, _, _) = api.send(Request::get("/api/v1/import-reports/..%2F..%2Fetc%2Fpasswd").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, e) = api.upload("widgets", "", "w.csv", b"a\n1\n").await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    assert!(e["message"].as_str().is_some_and(|m| m.contains("`widgets`") && m.contains("orders")), "{e}");
    // Errors name the file as it was uploaded, not the temporary copy it is read from.
    let (status, e) = api.upload("customers", "", "x.csv", b"").await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("empty_file")));
    assert!(e["message"].as_str().is_some_and(|m| m.starts_with("x.csv: ")), "{e}");
    let (status, e) = api.upload("customers", "", "客户名单.xlsx", b"PK\x03\x04 not really a workbook").await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_xlsx")), "{e}");
    assert!(e["message"].as_str().is_some_and(|m| m.starts_with("客户名单.xlsx: ")), "{e}");
    assert!(e["details"]["message_zh"].as_str().is_some_and(|m| m.starts_with("客户名单.xlsx：无法读取这个 .xlsx 工作簿")), "{e}");
    let (status, e) = api
        .upload(
            "orders",
            "",
            "无客户.csv",
            "订单号,下单日期,金额
SO1,2024-01-01,5
"
            .as_bytes(),
        )
        .await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("missing_column")), "{e}");
    assert_eq!(e["details"]["message_zh"], "无客户.csv：订单需要指明客户：请加一列「客户编号」或「客户名称」", "{e}");

    // Customer records and exports.
    let (_, page) = api.json(Method::GET, "/api/v1/customers?q=C001", None).await;
    let id = page["items"][0]["id"].as_i64().expect("id");
    let (status, orders) = api.json(Method::GET, &format!("/api/v1/customers/{id}/orders"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(2));
    let (status, bytes, ctype) =
        api.send(Request::get("/api/v1/exports/customers?format=csv&lang=en").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.unwrap_or_default().starts_with("text/csv"));
    let csv = String::from_utf8_lossy(&bytes);
    assert!(csv.contains("'=HYPERLINK("), "{csv}");
    let (status, bytes, _) =
        api.send(Request::get("/api/v1/exports/orders?format=jsonl&province=广东省").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8_lossy(&bytes).lines().count(), 2);
    let (status, bytes, _) = api.send(Request::get("/api/v1/exports/orders?format=xlsx").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"PK"), "an xlsx (zip) file");
    let (status, e) = api.json(Method::GET, "/api/v1/exports/orders?colour=red", None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));

    // Undo, twice.
    let (status, out) = api.json(Method::POST, &format!("/api/v1/batches/{batch}/undo"), None).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["deleted"], 3);
    let (status, e) = api.json(Method::POST, &format!("/api/v1/batches/{batch}/undo"), None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("batch_already_undone")));
    let (status, list) = api.json(Method::GET, "/api/v1/imports", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn directory_endpoints() {
    let api = Api::new().await;
    let (status, _) = api.json(Method::POST, "/api/v1/teams", Some(json!({"name": "华东大区"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, e) = api.json(Method::POST, "/api/v1/teams", Some(json!({"name": "华东大区"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("team_exists")));
    assert_eq!(e["details"]["message_zh"], "团队 `华东大区` 已存在", "{e}");
    let (status, u) = api
        .json(Method::POST, "/api/v1/users", Some(json!({"login": "lina", "display_name": "李娜", "role": "sales", "team": "华东大区"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let (status, e) = api.json(Method::POST, "/api/v1/users", Some(json!({"login": "x", "role": "emperor"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")));
    let field = json!({"key": "company_size", "label": "企业规模", "kind": "enum", "options": ["小", "大"]});
    let (status, _) = api.json(Method::POST, "/api/v1/custom-fields", Some(field)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, e) = api.json(Method::POST, "/api/v1/custom-fields", Some(json!({"key": "name", "label": "n", "kind": "text"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reserved_field_key")));
    let (status, c) = api.json(Method::POST, "/api/v1/customers", Some(json!({"name": "甲公司", "custom": {"company_size": "中"}}))).await;
    assert_eq!((status, c["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_option")));
    let (status, c) = api.json(Method::POST, "/api/v1/customers", Some(json!({"name": "甲公司", "custom": {"company_size": "大"}}))).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (_, users) = api.json(Method::GET, "/api/v1/users", None).await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(3), "admin, wangwei and the new user");
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let api = Api::new().await;
    let (status, doc) = api.with_token(None).json(Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!((status, doc["openapi"].as_str()), (StatusCode::OK, Some("3.1.0")));
    for (method, path, ..) in strata::server::OPERATIONS {
        assert!(doc["paths"][format!("/api/v1{path}")][*method].is_object(), "{method} {path} in the document");
        let uri = format!("/api/v1{}", fill(path));
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let body = (m != Method::GET && m != Method::DELETE).then(|| json!({}));
        let (status, e) = api.json(m, &uri, body).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        let unrouted = status == StatusCode::NOT_FOUND && e["message"].as_str().is_some_and(|m| m.starts_with("route"));
        assert!(!unrouted, "{method} {uri} is documented but not routed: {e}");
    }
}

/// A documented path with its parameters filled in.
fn fill(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{records}" => "orders",
            "{entity}" => "customers",
            "{kind}" if path.starts_with("/model-fits") => "bgnbd",
            "{kind}" => "orders",
            "{name}" if path.starts_with("/import-reports") => "missing.csv",
            "{name}" => "rfm",
            "{key}" => "value",
            "{login}" => "wangwei",
            s if s.starts_with('{') => "1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

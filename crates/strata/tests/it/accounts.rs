//! Accounts over HTTP: first-run setup, sessions with CSRF, login throttling, API tokens, role
//! permissions, record scope, masked and hidden fields, and the audit trail.

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Method, Request, StatusCode},
};
use serde_json::{json, Value};
use strata_core::customer::Role;

use super::{
    http::Api,
    support::{CUSTOMERS_CSV, ORDERS_CSV},
};

/// A request with a session cookie (and optionally the CSRF token and an Origin), from `ip`.
fn browser(method: Method, uri: &str, cookie: &str, csrf: Option<&str>, origin: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri).header(header::HOST, "strata.local").header(header::COOKIE, cookie);
    if let Some(c) = csrf {
        r = r.header("x-csrf-token", c);
    }
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    let body = match body {
        Some(b) => {
            r = r.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    r.body(body).expect("request")
}

fn login_request(login: &str, password: &str, ip: [u8; 4]) -> Request<Body> {
    let mut r = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"login": login, "password": password}).to_string()))
        .expect("request");
    r.extensions_mut().insert(ConnectInfo(std::net::SocketAddr::from((ip, 40000))));
    r
}

#[tokio::test]
async fn setup_sessions_csrf_and_throttling() {
    let api = Api::new().await;
    let anon = api.with_token(None);
    let (status, e) = anon.json(Method::GET, "/api/v1/customers", None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (_, needed) = anon.json(Method::GET, "/api/v1/auth/setup", None).await;
    assert_eq!(needed["needed"], true, "no admin can log in yet");
    let (status, e) = anon.json(Method::POST, "/api/v1/auth/setup", Some(json!({"login": "boss", "password": "short"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password")));
    let setup = Request::post("/api/v1/auth/setup")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"login": "boss", "password": "春眠不觉晓处处闻啼鸟"}).to_string()))
        .expect("request");
    let res = tower::ServiceExt::oneshot(api.app.clone(), setup).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let set_cookie = res.headers().get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap_or("").to_string();
    let (status, again) =
        anon.json(Method::POST, "/api/v1/auth/setup", Some(json!({"login": "x", "password": "春眠不觉晓处处闻啼鸟"}))).await;
    assert_eq!((status, again["code"].as_str()), (StatusCode::CONFLICT, Some("already_set_up")));

    // The session reads freely; a write needs its CSRF token and the same site.
    let (status, body, _) = anon.send(browser(Method::GET, "/api/v1/auth/me", &cookie, None, None, None)).await;
    let me: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!((status, me["user"]["login"].as_str()), (StatusCode::OK, Some("boss")), "{me}");
    let csrf = me["csrf_token"].as_str().expect("csrf").to_string();
    let new = json!({"name": "会话测试有限公司"});
    let (status, body, _) = anon.send(browser(Method::POST, "/api/v1/customers", &cookie, None, None, Some(new.clone()))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&body));
    let evil = Some("https://evil.example");
    let (status, _, _) = anon.send(browser(Method::POST, "/api/v1/customers", &cookie, Some(&csrf), evil, Some(new.clone()))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a cross-site form post is refused");
    let (_, page) = api.json(Method::GET, "/api/v1/customers?q=会话测试", None).await;
    assert_eq!(page["total"], 0, "refused writes wrote nothing");
    let same = Some("http://strata.local");
    let (status, _, _) = anon.send(browser(Method::POST, "/api/v1/customers", &cookie, Some(&csrf), same, Some(new))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = anon.send(browser(Method::POST, "/api/v1/auth/logout", &cookie, Some(&csrf), None, None)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = anon.send(browser(Method::GET, "/api/v1/auth/me", &cookie, None, None, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "logging out ends the session");

    // Wrong passwords: the attacker's address slows down, the user's does not.
    let attacker = [10, 0, 0, 66];
    for _ in 0..5 {
        let (status, _, _) = anon.send(login_request("boss", "wrong password!", attacker)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body, _) = anon.send(login_request("boss", "春眠不觉晓处处闻啼鸟", attacker)).await;
    let e: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!((status, e["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("login_throttled")), "{e}");
    assert!(e["details"]["retry_after_s"].as_u64().is_some_and(|s| s >= 1), "{e}");
    assert!(e["details"]["message_zh"].as_str().is_some_and(|m| m.starts_with("该地址登录失败次数过多")), "{e}");
    let (status, _, _) = anon.send(login_request("boss", "春眠不觉晓处处闻啼鸟", [10, 0, 0, 7])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = anon.send(login_request("nobody", "春眠不觉晓处处闻啼鸟", [10, 0, 0, 7])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an unknown login looks like a wrong password");

    // The audit trail has it all, for admins only.
    let (_, audit) = api.json(Method::GET, "/api/v1/audit?action=login.failed", None).await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(7), "five wrong, one throttled, one unknown: {audit}");
    let (_, audit) = api.json(Method::GET, "/api/v1/audit?actor=boss", None).await;
    let actions: Vec<&str> =
        audit["items"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).filter(|a| *a != "login.failed").collect();
    assert_eq!(actions, ["login", "logout", "customer.create", "setup"], "{audit}");
    let created = audit["items"].as_array().into_iter().flatten().find(|e| e["action"] == "customer.create").cloned().unwrap_or_default();
    assert_eq!((created["before"].is_null(), created["after"]["name"].as_str()), (true, Some("会话测试有限公司")), "{created}");
}

#[tokio::test]
async fn roles_scope_and_field_rules() {
    let api = Api::new().await;
    api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await;
    api.upload("orders", "", "o.csv", ORDERS_CSV.as_bytes()).await;
    let (_, page) = api.json(Method::GET, "/api/v1/customers?q=C003", None).await;
    let other = page["items"][0]["id"].as_i64().expect("C003");
    let sales = api.user("wangwei", Role::Sales).await;
    let analyst = api.user("lina", Role::Analyst).await;

    // Sales see their own customers (C001, C002 belong to wangwei), with contact details.
    let (_, mine) = sales.json(Method::GET, "/api/v1/customers", None).await;
    assert_eq!(mine["total"], 2, "{mine}");
    assert_eq!(mine["items"][0]["phone"], "+8613800138000");
    let (status, _) = sales.json(Method::GET, &format!("/api/v1/customers/{other}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another owner's customer does not exist for them");
    let (status, _) = sales.json(Method::GET, &format!("/api/v1/customers/{other}/orders"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = sales.json(Method::PUT, &format!("/api/v1/customers/{other}"), Some(json!({"name": "改名"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "and cannot be changed");
    let c1 = mine["items"][0]["id"].as_i64().expect("C001");
    // A team mate's customer: visible, its phone masked, not changeable.
    let team = json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "phone": "13600000001"});
    let (_, t) = api.json(Method::POST, "/api/v1/customers", Some(team)).await;
    let team_id = t["id"].as_i64().expect("team customer");
    let (status, seen) = sales.json(Method::GET, &format!("/api/v1/customers/{team_id}"), None).await;
    assert_eq!((status, seen["phone"].as_str()), (StatusCode::OK, Some("+86136****0001")), "{seen}");
    let (status, _) =
        sales.json(Method::PUT, &format!("/api/v1/customers/{team_id}"), Some(json!({"name": "改名", "owner": "admin"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, found) = sales.json(Method::GET, "/api/v1/customers?q=%2B8613600000001", None).await;
    assert_eq!(found["total"], 0, "a masked phone cannot be confirmed by searching for it: {found}");
    let (_, own) = sales.json(Method::GET, "/api/v1/customers?q=%2B8613800138000", None).await;
    assert_eq!(own["total"], 1, "their own customers are found by phone: {own}");
    let (_, orders) = sales.json(Method::GET, &format!("/api/v1/customers/{c1}/orders"), None).await;
    assert!(orders["items"][0].get("amount_cents").is_none(), "only managers see amounts: {orders}");
    let (status, e) = sales.json(Method::POST, "/api/v1/customers", Some(json!({"name": "别人的客户有限公司", "owner": "admin"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("outside_scope")));
    assert!(e["details"]["message_zh"].as_str().is_some_and(|m| m.starts_with("你只能写入自己负责的客户")), "{e}");
    let (_, none) = api.json(Method::GET, "/api/v1/customers?q=别人的客户", None).await;
    assert_eq!(none["total"], 0, "nothing was written");
    let (status, e) = sales.json(Method::POST, "/api/v1/merges", Some(json!({"survivor": c1, "absorbed": [other]}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    assert_eq!(e["details"]["message_zh"], "角色「销售」没有「合并客户」权限", "{e}");
    // A manager may merge, but only customers they may change: one outside the team is not found.
    let manager = api.user("majun", Role::Manager).await;
    let (status, e) = manager.json(Method::POST, "/api/v1/merges", Some(json!({"survivor": c1, "absorbed": [other]}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{e}");
    assert_eq!(api.json(Method::GET, &format!("/api/v1/customers/{other}"), None).await.0, StatusCode::OK, "nothing was merged");
    assert_eq!(sales.json(Method::GET, "/api/v1/audit", None).await.0, StatusCode::FORBIDDEN);

    // The check on entry tells a sales rep a match exists, masked, without its id.
    let dup = json!({"name": "=HYPERLINK(\"http://evil.example\",\"x\")", "phone": "13900000000"});
    let (status, created) = sales.json(Method::POST, "/api/v1/customers", Some(dup)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let w = &created["possible_duplicates"][0];
    assert_eq!((w["masked"].as_bool(), w["id"].is_null()), (Some(true), true), "{created}");
    assert!(!w.to_string().contains("13900000000") && !w.to_string().contains("HYPERLINK"), "{w}");

    // Analysts see every customer, but no contact details, not even through a search.
    let (_, all) = analyst.json(Method::GET, "/api/v1/customers", None).await;
    assert_eq!(all["total"], 5, "{all}");
    assert!(all["items"].as_array().into_iter().flatten().all(|c| c.get("phone").is_none() && c.get("email").is_none()), "{all}");
    let (_, found) = analyst.json(Method::GET, "/api/v1/customers?q=%2B8613800138000", None).await;
    assert_eq!(found["total"], 0, "a hidden phone cannot be learned by searching for it");
    let (_, found) = api.json(Method::GET, "/api/v1/customers?q=%2B8613800138000", None).await;
    assert_eq!(found["total"], 1);
    let (status, bytes, _) = analyst.send(Request::get("/api/v1/exports/customers?format=csv").body(Body::empty()).expect("req")).await;
    let csv = String::from_utf8_lossy(&bytes);
    assert_eq!(status, StatusCode::OK);
    assert!(!csv.contains("8613800138000") && !csv.contains("手机") && csv.contains("深圳市腾飞科技有限公司"), "{csv}");
    let (status, e) = analyst.json(Method::POST, "/api/v1/customers", Some(json!({"name": "x"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));

    // A revoked token stops working at once.
    let (status, t) = sales.json(Method::POST, "/api/v1/tokens", Some(json!({"name": "phone app"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let app = api.with_token(t["token"].as_str().map(String::from));
    assert_eq!(app.json(Method::GET, "/api/v1/auth/me", None).await.1["user"]["login"], "wangwei");
    let id = t["id"].as_i64().expect("token id");
    assert_eq!(sales.json(Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await.0, StatusCode::NO_CONTENT);
    let (status, e) = app.json(Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_token")));
}

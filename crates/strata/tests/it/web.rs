//! The web pages in-process: login form, the customer list and page in both languages, stored
//! markup shown as text, and field rules on pages.

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use serde_json::json;
use strata_core::customer::Role;

use super::{
    http::Api,
    support::{CUSTOMERS_CSV, ORDERS_CSV},
    tiers_http::VALUE_MODEL,
};

pub const PASSWORD: &str = "春眠不觉晓处处闻啼鸟";

pub async fn page(api: &Api, uri: &str, cookie: &str) -> (StatusCode, String, Option<String>, Option<String>) {
    let req = Request::get(uri).header(header::COOKIE, cookie).body(Body::empty()).expect("request");
    let res = tower::ServiceExt::oneshot(api.app.clone(), req).await.expect("response");
    let status = res.status();
    let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(String::from);
    let set_cookie = res.headers().get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).map(String::from);
    let body = http_body_util::BodyExt::collect(res.into_body()).await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned(), location, set_cookie)
}

pub async fn log_in(api: &Api, login: &str, password: &str) -> (StatusCode, Option<String>, String) {
    let form = format!("login={login}&password={}&next=%2Fcustomers", urlencode(password));
    let req =
        Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(form)).expect("request");
    let res = tower::ServiceExt::oneshot(api.app.clone(), req).await.expect("response");
    let status = res.status();
    let cookie = res.headers().get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).map(|c| c.split(';').next().unwrap_or("").to_string());
    let body = http_body_util::BodyExt::collect(res.into_body()).await.expect("body").to_bytes();
    (status, cookie, String::from_utf8_lossy(&body).into_owned())
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn pages_log_in_list_show_and_switch_language() {
    let today = chrono::NaiveDate::from_ymd_opt(2024, 6, 30);
    let api = Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), today).await;
    let store = api.state.store.clone();
    api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await;
    api.upload("orders", "", "o.csv", ORDERS_CSV.as_bytes()).await;
    api.json(Method::POST, "/api/v1/customers", Some(json!({"name": "<script>alert(1)</script>有限公司", "owner": "wangwei"}))).await;
    api.json(Method::POST, "/api/v1/customers", Some(json!({"name": "javascript:alert(document.cookie)", "kind": "person"}))).await;
    let team = json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "phone": "13600000001"});
    let (_, t) = api.json(Method::POST, "/api/v1/customers", Some(team)).await;
    let team_id = t["id"].as_i64().expect("id");
    let (_, p) = api.json(Method::POST, "/api/v1/tier-models/preview", Some(json!({"spec": VALUE_MODEL}))).await;
    let v = p["version"].as_i64().expect("version");
    api.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{v}/publish"), None).await;
    let (admin, _) = store.user_credentials("admin").await.expect("read").expect("admin");
    strata::accounts::set_password(&store, &admin, PASSWORD).await.expect("password");

    let (status, _, location, _) = page(&api, "/customers", "").await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/login?next=/customers")));
    let (status, _, body) = log_in(&api, "admin", "wrong password!").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("用户名或密码错误"), "{body}");
    let (status, cookie, _) = log_in(&api, "admin", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = cookie.expect("session cookie");

    let (status, list, _, _) = page(&api, "/customers?q=科技", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("深圳市腾飞科技有限公司") && list.contains("共 1 个客户"), "{list}");
    let (_, all, _, _) = page(&api, "/customers", &cookie).await;
    assert!(all.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;") && !all.contains("<script>alert"), "stored markup is text");
    assert!(all.contains("=HYPERLINK("), "shown as text, never a link");
    assert!(all.contains("<td class=\"owner\" title=\"wangwei\">王伟</td>"), "owners by name, the login on hover: {all}");
    assert!(all.contains(">javascript:alert(document.cookie)</a>") && !all.contains("href=\"javascript:"), "a javascript: name is text");
    let (_, en, _, set_lang) = page(&api, "/customers?lang=en", &cookie).await;
    assert!(en.contains("6 customers") && en.contains(">中文<"), "{en}");
    assert!(all.contains("\"forbidden\":\"你的角色没有这项权限\""), "Chinese pages know the error codes in Chinese");
    assert!(en.contains("const strataErrorWords = ") && !en.contains("你的角色没有这项权限"), "English pages do not: {en}");
    assert!(set_lang.unwrap_or_default().starts_with("strata_lang=en"));
    let (_, en_again, _, _) = page(&api, "/customers", &format!("{cookie}; strata_lang=en")).await;
    assert!(en_again.contains("Log out"), "the language is remembered");
    // The model list: kind, status and tiers in words, tiers best first.
    let (status, models, _, _) = page(&api, "/models", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(models.contains(">规则阶梯</td>") && models.contains("v1 · 已发布"), "{models}");
    let (big, active) = (models.find("<span class=\"tag\">大客户 "), models.find("<span class=\"tag\">沉睡 "));
    assert!(big.is_some() && active.is_some() && big < active, "tiers by name, best first: {models}");
    let (_, models_en, _, _) = page(&api, "/models?lang=en", &cookie).await;
    assert!(models_en.contains("rule ladder") && models_en.contains("<span class=\"tag\">Big "), "{models_en}");

    let (_, page_list, _, _) = page(&api, "/customers?q=C001", &cookie).await;
    let id = page_list
        .split("href=\"/customers/")
        .filter_map(|r| r.split('"').next())
        .find(|id| id.parse::<i64>().is_ok())
        .expect("a customer link")
        .to_string();
    let (status, one, _, _) = page(&api, &format!("/customers/{id}"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(one.contains("大客户") && one.contains("sum(orders.amount, last 365d) &gt; 10000"), "the tier and why: {one}");
    assert!(one.contains("SO-1") && one.contains("¥1234.50"), "the timeline: {one}");
    assert!(one.contains("<title>深圳市腾飞科技有限公司 · Strata</title>"), "the title is the name alone");
    assert!(
        one.contains("id=\"metrics\"") && one.contains("累计订单数</dt><dd>2</dd>") && one.contains("累计成交额</dt><dd>¥13234.50"),
        "metrics: {one}"
    );
    assert!(one.contains("id=\"history-value\"") && one.contains("→ 大客户") && one.contains("模型发布"), "the tier history: {one}");
    assert!(one.contains("<dd id=\"phone\">138 0013 8000</dd>"), "an admin sees the phone, as written in China: {one}");
    assert!(one.contains("value=\"+8613800138000\""), "and edits it as stored");
    assert_eq!(page(&api, "/customers/999999", &cookie).await.0, StatusCode::NOT_FOUND);
    // What would move a customer up, the checks and the timeline's codes, in the page's language.
    let (_, c2_list, _, _) = page(&api, "/customers?q=C002", &cookie).await;
    let c2 = c2_list.split("href=\"/customers/").filter_map(|r| r.split('"').next()).find(|id| id.parse::<i64>().is_ok()).expect("C002");
    let (_, zh, _, _) = page(&api, &format!("/customers/{c2}"), &cookie).await;
    assert!(zh.contains("如何升级: → 活跃：count(orders, last 365d) &gt;= 1（当前 0，还差 1）"), "{zh}");
    assert!(zh.contains("(0: 不成立)") && zh.contains("已退款") && !zh.contains("refunded"), "{zh}");
    let (_, en, _, _) = page(&api, &format!("/customers/{c2}?lang=en"), &cookie).await;
    assert!(en.contains("→ Active: count(orders, last 365d) &gt;= 1 (now 0, 1 more)") && en.contains("(0: no)"), "{en}");
    assert!(en.contains("· refunded"), "{en}");

    // A sales rep sees the team's customer with its phone masked, and no amounts.
    api.user("wangwei", Role::Sales).await;
    let (wangwei, _) = store.user_credentials("wangwei").await.expect("read").expect("user");
    strata::accounts::set_password(&store, &wangwei, PASSWORD).await.expect("password");
    let (_, sales_cookie, _) = log_in(&api, "wangwei", PASSWORD).await;
    let sales_cookie = sales_cookie.expect("cookie");
    let (status, masked, _, _) = page(&api, &format!("/customers/{team_id}"), &sales_cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(masked.contains("<dd id=\"phone\">136 **** 0001</dd>") && !masked.contains("13600000001"), "{masked}");
    assert!(masked.contains("<dd title=\"admin\">管理员 · 华南大区</dd>"), "the owner by name: {masked}");
    let (_, own, _, _) = page(&api, &format!("/customers/{id}"), &sales_cookie).await;
    assert!(!own.contains("¥1234.50") && own.contains("SO-1"), "amounts are hidden from sales: {own}");
    assert!(!own.contains("sum(orders.amount, last 365d) &gt; 10000 (13234.50"), "and from explanations");
    assert!(own.contains("累计订单数") && !own.contains("累计成交额") && !own.contains("13234.5"), "and from metrics");

    // The dashboard: every customer and the revenue for the admin; the rep's scope, no amounts.
    let (status, board, _, _) = page(&api, "/dashboard", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let dist = |html: &str| -> serde_json::Value {
        let at = html.find("const d = ").expect("distributions") + "const d = ".len();
        let end = at + html[at..].find(";\n").expect("end");
        serde_json::from_str(&html[at..end]).expect("json")
    };
    let all_tiers = dist(&board);
    let customers =
        |d: &serde_json::Value| d[0]["tiers"].as_array().expect("tiers").iter().map(|t| t["customers"].as_u64().unwrap_or(0)).sum::<u64>();
    assert_eq!(customers(&all_tiers), 6, "{all_tiers}");
    assert!(
        all_tiers[0]["tiers"]
            .as_array()
            .expect("tiers")
            .iter()
            .any(|t| t["tier"] == "大客户" && t["revenue"].as_f64().is_some_and(|r| r > 10000.0)),
        "{all_tiers}"
    );
    assert!(board.contains("const amounts = true"));
    let (_, sales_board, _, _) = page(&api, "/dashboard", &sales_cookie).await;
    let sales_tiers = dist(&sales_board);
    assert!(customers(&sales_tiers) < 6, "the rep's scope: {sales_tiers}");
    assert!(sales_tiers[0]["tiers"].as_array().expect("tiers").iter().all(|t| t["revenue"].is_null()), "{sales_tiers}");
    assert!(sales_board.contains("const amounts = false") && !sales_board.contains("13234.5"));
}

#[tokio::test]
async fn the_first_run_asks_for_the_admin_in_the_browser() {
    let api = Api::new().await;
    let (status, first, _, _) = page(&api, "/login", "").await;
    assert!(status == StatusCode::OK && first.contains("id=\"setup-form\"") && !first.contains("action=\"&#x2f;login\""), "{first}");
    let body = json!({"login": "boss", "password": PASSWORD});
    assert_eq!(api.with_token(None).json(Method::POST, "/api/v1/auth/setup", Some(body)).await.0, StatusCode::OK);
    let (_, then, _, _) = page(&api, "/login", "").await;
    assert!(!then.contains("setup-form") && then.contains("id=\"submit\""), "then the login form: {then}");
}

//! The administration pages and user changes, and the customer list page's filters, bulk bar
//! and export link, in-process: who may open them, what they show, what they refuse.

use axum::http::{Method, StatusCode};
use serde_json::json;
use strata_core::customer::Role;

use super::{
    http::Api,
    support::{CUSTOMERS_CSV, ORDERS_CSV},
    tiers_http::VALUE_MODEL,
    web::{log_in, page, PASSWORD},
};

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn user_changes_are_checked_and_audited() {
    let api = Api::new().await;
    let (status, u) =
        api.json(Method::PATCH, "/api/v1/users/wangwei", Some(json!({"role": "manager", "team": null, "email": "W@X.CN"}))).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!((u["role"].as_str(), u["team"].as_str(), u["email"].as_str()), (Some("manager"), None, Some("w@x.cn")));
    let (_, audit) = api.json(Method::GET, "/api/v1/audit?action=user.role", None).await;
    let e = &audit["items"][0];
    assert_eq!((e["before"]["role"].as_str(), e["after"]["role"].as_str()), (Some("sales"), Some("manager")), "{audit}");

    let (status, e) = api.json(Method::PATCH, "/api/v1/users/admin", Some(json!({"active": false}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("last_admin")), "{e}");
    let (status, e) = api.json(Method::PATCH, "/api/v1/users/wangwei", Some(json!({"password": "x"}))).await;
    assert!(status.is_client_error() && e["message"].as_str().unwrap_or("").contains("password"), "{e}");
    let (status, e) = api.json(Method::PATCH, "/api/v1/users/wangwei", Some(json!({"role": "boss"}))).await;
    assert!(status.is_client_error(), "{e}");
    let (status, _) = api.json(Method::PATCH, "/api/v1/users/nobody", Some(json!({"active": false}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.json(Method::PATCH, "/api/v1/users/wangwei", Some(json!({"team": "没有的团队"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let sales = api.user("lisi", Role::Sales).await;
    let (status, e) = sales.json(Method::PATCH, "/api/v1/users/lisi", Some(json!({"role": "admin"}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "no one promotes themselves");
}

#[tokio::test]
async fn admin_pages_and_the_list_page() {
    let today = chrono::NaiveDate::from_ymd_opt(2024, 6, 30);
    let api = Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), today).await;
    let store = api.state.store.clone();
    api.upload("customers", "", "c.csv", CUSTOMERS_CSV.as_bytes()).await;
    api.upload("orders", "", "o.csv", ORDERS_CSV.as_bytes()).await;
    let (_, p) = api.json(Method::POST, "/api/v1/tier-models/preview", Some(json!({"spec": VALUE_MODEL}))).await;
    let v = p["version"].as_i64().expect("version");
    api.json(Method::POST, &format!("/api/v1/tier-models/value/versions/{v}/publish"), None).await;
    for login in ["admin", "wangwei"] {
        let (u, _) = store.user_credentials(login).await.expect("read").expect("user");
        strata::accounts::set_password(&store, &u, PASSWORD).await.expect("password");
    }
    let admin = log_in(&api, "admin", PASSWORD).await.1.expect("cookie");
    let sales = log_in(&api, "wangwei", PASSWORD).await.1.expect("cookie");

    let (status, users, _, _) = page(&api, "/admin/users", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(users.contains("data-login=\"wangwei\"") && users.contains("华南大区") && users.contains("id=\"add-user\""), "{users}");
    let (_, roles, _, _) = page(&api, "/admin/roles", &admin).await;
    assert!(roles.contains("data-role=\"sales\"") && roles.contains("脱敏") && roles.contains("本团队的"), "{roles}");
    let (_, audit, _, _) = page(&api, "/admin/audit?action=login", &admin).await;
    assert!(audit.contains("<td class=\"action\" title=\"login\">登录</td>") && !audit.contains("import.commit"), "{audit}");
    let (status, bad, _, _) = page(&api, "/admin/audit?from=2024-13-01", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("2024-13-01") && bad.contains("id=\"audit-error\""), "{bad}");
    for path in ["/admin/users", "/admin/roles", "/admin/audit"] {
        assert_eq!(page(&api, path, &sales).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, sales_list, _, _) = page(&api, "/customers", &sales).await;
    assert!(!sales_list.contains("nav-admin") && !sales_list.contains("id=\"bulk-owner\""), "no admin link, no reassigning");
    assert!(sales_list.contains("id=\"bulk\"") && sales_list.contains("id=\"export\""), "a rep tags and exports");

    // The new-customer form and the edit form, for those who may change the customer.
    let (status, form, _, _) = page(&api, "/customers/new", &admin).await;
    assert!(status == StatusCode::OK && form.contains("id=\"new-customer\""), "{form}");
    let (_, list_all, _, _) = page(&api, "/customers?q=C002", &admin).await;
    let c002 = list_all
        .split("href=\"/customers/")
        .filter_map(|r| r.split('"').next())
        .find(|id| id.parse::<i64>().is_ok())
        .expect("C002's link")
        .to_string();
    let (_, theirs, _, _) = page(&api, &format!("/customers/{c002}"), &admin).await;
    assert!(theirs.contains("id=\"edit-customer\""), "an admin edits");
    api.user("lisi", Role::Sales).await;
    let (u, _) = store.user_credentials("lisi").await.expect("read").expect("user");
    strata::accounts::set_password(&store, &u, PASSWORD).await.expect("password");
    let lisi = log_in(&api, "lisi", PASSWORD).await.1.expect("cookie");
    let (status, not_theirs, _, _) = page(&api, &format!("/customers/{c002}"), &lisi).await;
    assert!(!not_theirs.contains("id=\"edit-customer\""), "another rep's customer ({status}) has no edit form");
    let (_, own_page, _, _) = page(&api, &format!("/customers/{c002}"), &sales).await;
    assert!(own_page.contains("id=\"edit-customer\""), "its owner edits it");

    // The list page reads its filters as the API does.
    let (_, list, _, _) = page(&api, "/customers?in_tier=value%3Abig", &admin).await;
    assert!(list.contains("深圳市腾飞科技有限公司") && list.contains("共 1 个客户"), "{list}");
    assert!(list.contains("value:big\" selected") && list.contains("bulk-owner") && list.contains("nav-admin"), "{list}");
    let export = list.split("id=\"export\" href=\"").nth(1).and_then(|r| r.split('"').next()).expect("export link");
    let export = export.replace("&#x2f;", "/").replace("&amp;", "&");
    assert!(
        export.starts_with("/api/v1/exports/customers?format=xlsx") && export.contains("model=value") && export.contains("tier=big"),
        "{export}"
    );
    assert!(list.contains("rule-completions"), "completions of the where box");
    let (_, offered) = api.json(Method::GET, "/api/v1/rule-completions", None).await;
    let texts: Vec<&str> = offered["items"].as_array().into_iter().flatten().filter_map(|c| c["text"].as_str()).collect();
    assert!(texts.contains(&"orders.amount") && texts.contains(&"tier(\"value\")") && texts.contains(&"省份"), "{offered}");
    let rep = api.user("wangwei", Role::Sales).await;
    let (_, rep_offered) = rep.json(Method::GET, "/api/v1/rule-completions", None).await;
    let rep_texts: Vec<&str> = rep_offered["items"].as_array().into_iter().flatten().filter_map(|c| c["text"].as_str()).collect();
    assert!(rep_texts.contains(&"count(orders, last 90d)") && !rep_texts.iter().any(|t| t.contains(".amount")), "{rep_offered}");
    let (status, js, _, _) = page(&api, "/assets/complete.js", "").await;
    assert!(status == StatusCode::OK && js.contains("window.strataComplete"));
    let (_, by_owner, _, _) = page(&api, "/customers?owner=wangwei", &admin).await;
    assert!(by_owner.contains("共 2 个客户"), "{by_owner}");
    let rule = enc("count(orders) >= 2");
    let (_, by_rule, _, _) = page(&api, &format!("/customers?where={rule}"), &admin).await;
    assert!(by_rule.contains("共 1 个客户") && by_rule.contains("count(orders) &gt;= 2"), "{by_rule}");
    let (status, wrong, _, _) = page(&api, &format!("/customers?where={}", enc("sum(orders.amout) > 1")), &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(wrong.contains("id=\"filter-error\"") && wrong.contains("amout") && wrong.contains("共 0 个客户"), "{wrong}");
    assert!(wrong.contains("筛选条件无效：第 1 行第 12 列：orders 没有字段 `amout`") && wrong.contains("是不是 `amount`？"), "{wrong}");
    let (status, forbidden, _, _) = page(&api, &format!("/customers?where={}", enc("sum(orders.amount) > 1")), &sales).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a rep cannot filter on amounts: {forbidden}");

    // The dashboard shows completeness per owner, linking to the owner's least complete customers.
    let (_, board, _, _) = page(&api, "/dashboard", &admin).await;
    assert!(board.contains("id=\"completeness-by-owner\"") && board.contains("资料完整度"), "{board}");
    assert!(board.contains("&#x2f;customers?owner=wangwei&amp;completeness_max=59&amp;sort=completeness"), "{board}");
}

#[tokio::test]
async fn access_rules_change_what_a_role_may_do_and_see() {
    let api = Api::new().await;
    let team = json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "phone": "13600000001"});
    let (_, t) = api.json(Method::POST, "/api/v1/customers", Some(team)).await;
    let id = t["id"].as_i64().expect("id");
    let rep = api.user("wangwei", Role::Sales).await;
    let phone = |v: &serde_json::Value| v["phone"].as_str().map(String::from);
    let (_, seen) = rep.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!(phone(&seen).as_deref(), Some("+86136****0001"), "the default: masked");

    let hide = json!({"fields": {"contact_details": {"own": "visible", "others": "hidden"}}});
    let (status, r) = api.json(Method::PUT, "/api/v1/access-rules/sales", Some(hide)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["rules"]["fields"]["contact_details"]["others"], "hidden");
    assert_eq!(r["rules"]["actions"]["export"], true, "the rest keeps its defaults: {r}");
    let (_, seen) = rep.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!(phone(&seen), None, "now hidden: {seen}");
    let (_, found) = rep.json(Method::GET, "/api/v1/customers?q=%2B8613600000001", None).await;
    assert_eq!(found["total"], 0, "and not searchable");
    let (_, audit) = api.json(Method::GET, "/api/v1/audit?action=permissions.change", None).await;
    assert_eq!(audit["items"][0]["object"], "role:sales", "{audit}");

    let analyst = api.user("zhengshu", Role::Analyst).await;
    let export = || axum::http::Request::get("/api/v1/exports/customers?format=csv").body(axum::body::Body::empty()).expect("request");
    assert_eq!(analyst.send(export()).await.0, StatusCode::OK);
    let (status, _) = api.json(Method::PUT, "/api/v1/access-rules/analyst", Some(json!({"actions": {"export": false}}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(analyst.send(export()).await.0, StatusCode::FORBIDDEN, "exports taken away");

    let manager = api.user("majun", Role::Manager).await;
    assert_eq!(manager.json(Method::GET, "/api/v1/audit", None).await.0, StatusCode::FORBIDDEN);
    api.json(Method::PUT, "/api/v1/access-rules/manager", Some(json!({"actions": {"view_audit": true}}))).await;
    assert_eq!(manager.json(Method::GET, "/api/v1/audit", None).await.0, StatusCode::OK, "an auditing manager");

    let refused = [
        ("admin", json!({"actions": {"export": false}}), "admin_rules_fixed"),
        ("manager", json!({"actions": {"manage_users": true}}), "manage_users_reserved"),
        ("sales", json!({"fields": {"amounts": {"own": "hidden", "others": "visible"}}}), "field_rule_inverted"),
    ];
    for (role, body, code) in refused {
        let (status, e) = api.json(Method::PUT, &format!("/api/v1/access-rules/{role}"), Some(body)).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{e}");
    }
    let (status, e) = api.json(Method::PUT, "/api/v1/access-rules/sales", Some(json!({"actions": {"fly": true}}))).await;
    assert!(status.is_client_error() && e["message"].as_str().unwrap_or("").contains("fly"), "{e}");
    assert_eq!(api.json(Method::PUT, "/api/v1/access-rules/boss", Some(json!({}))).await.0, StatusCode::NOT_FOUND);
    assert_eq!(rep.json(Method::PUT, "/api/v1/access-rules/sales", Some(json!({}))).await.0, StatusCode::FORBIDDEN);
    let (_, listed) = api.json(Method::GET, "/api/v1/access-rules", None).await;
    let sales = listed["items"].as_array().into_iter().flatten().find(|r| r["role"] == "sales").cloned().unwrap_or_default();
    assert_eq!(sales["rules"]["fields"]["contact_details"]["others"], "hidden", "refused changes changed nothing: {listed}");

    // A role that may edit but sees contact details masked keeps them on a replace.
    let service = api.user("luoqing", Role::Service).await;
    let masked = json!({"fields": {"contact_details": {"own": "masked", "others": "masked"}}});
    assert_eq!(api.json(Method::PUT, "/api/v1/access-rules/service", Some(masked)).await.0, StatusCode::OK);
    let (_, shown) = service.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await;
    let back = json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "phone": shown["phone"], "industry": "制造"});
    let (status, r) = service.json(Method::PUT, &format!("/api/v1/customers/{id}"), Some(back)).await;
    assert_eq!(status, StatusCode::OK, "the masked value sent back: {r}");
    let without = json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "industry": "制造"});
    assert_eq!(service.json(Method::PUT, &format!("/api/v1/customers/{id}"), Some(without)).await.0, StatusCode::OK);
    let (_, stored) = api.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!((stored["phone"].as_str(), stored["industry"].as_str()), (Some("+8613600000001"), Some("制造")), "kept: {stored}");
    let changed = json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "phone": "13900000009"});
    let (status, e) = service.json(Method::PUT, &format!("/api/v1/customers/{id}"), Some(changed)).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden_field")), "{e}");
    assert_eq!(api.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await.1["phone"], "+8613600000001");

    // Service does not see amounts: a money field it never saw survives its replace.
    let field = json!({"key": "budget", "label": "年度预算", "kind": "money"});
    assert_eq!(api.json(Method::POST, "/api/v1/custom-fields", Some(field)).await.0, StatusCode::CREATED);
    let with_budget =
        json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "phone": "13600000001", "custom": {"budget": 500000}});
    let (status, r) = api.json(Method::PUT, &format!("/api/v1/customers/{id}"), Some(with_budget)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (_, shown) = service.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await;
    assert!(shown["custom"].get("budget").is_none(), "{shown}");
    let without = json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "city": "深圳"});
    assert_eq!(service.json(Method::PUT, &format!("/api/v1/customers/{id}"), Some(without)).await.0, StatusCode::OK);
    let (_, stored) = api.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await;
    assert!(stored["custom"]["budget"].as_f64().is_some_and(|b| b > 0.0) && stored["city"] == "深圳", "the budget is kept: {stored}");
    let sneaky = json!({"name": "团队客户有限公司", "owner": "admin", "team": "华南大区", "custom": {"budget": 1}});
    let (status, e) = service.json(Method::PUT, &format!("/api/v1/customers/{id}"), Some(sneaky)).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden_field")), "{e}");

    let (status, _) = api.json(Method::DELETE, "/api/v1/access-rules/sales", None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen) = rep.json(Method::GET, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!(phone(&seen).as_deref(), Some("+86136****0001"), "back to the default");
}

//! Duplicate detection through the binary and the API: customers typed three ways by three reps
//! are found as one group with the reasons; namesakes in other cities and same-named people are
//! not. Their command-line output in Chinese too.

use axum::http::{Method, StatusCode};

use super::{
    http::Api,
    support::{path_str, Bin},
};

const CUSTOMERS: &str = "客户编号,客户名称,手机,邮箱,城市,统一社会信用代码,客户类型\n\
D1,深圳市腾飞科技有限公司,13800138000,,深圳,,公司\n\
D2,腾飞科技（深圳）,,,深圳,,公司\n\
D3,深圳腾飞科技股份有限公司,+86 138-0013-8000,,深圳,,公司\n\
D4,杭州云帆贸易有限公司,,,杭州,91110108551385082Q,公司\n\
D5,云帆商贸,,,,91110108551385082Q,公司\n\
D6,腾飞科技有限公司,13900000001,,成都,,公司\n\
D7,王伟,13700000001,,,,个人\n\
D8,王伟,13700000002,,,,个人\n\
D9,华信医疗器械有限公司,,,北京,,公司\n";

#[test]
fn scan_finds_the_duplicates_and_says_why() {
    let bin = Bin::new();
    let file = bin.write("dupes.csv", CUSTOMERS.as_bytes());
    let out = bin.ok(&["import", "customers", path_str(&file)]);
    assert!(out.contains("9 new"), "{out}");
    // The import itself warns about the customers that look like earlier ones.
    assert!(out.contains("possible duplicate: #2 腾飞科技(深圳) looks like 深圳市腾飞科技有限公司 (score 1.00)"), "{out}");
    assert!(out.contains("possible duplicate: #5 云帆商贸 looks like 杭州云帆贸易有限公司"), "{out}");
    assert!(!out.contains("#8 王伟"), "{out}");
    let json = bin.ok(&["dedupe", "scan", "--json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    let groups: Vec<Vec<String>> = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| g["members"].as_array().into_iter().flatten().filter_map(|m| m["name"].as_str().map(String::from)).collect())
        .collect();
    assert_eq!(v["groups"], 2, "{v}");
    assert!(
        groups.contains(&vec!["深圳市腾飞科技有限公司".to_string(), "腾飞科技(深圳)".into(), "深圳腾飞科技股份有限公司".into()]),
        "{v}"
    );
    assert!(groups.contains(&vec!["杭州云帆贸易有限公司".to_string(), "云帆商贸".into()]), "{v}");
    assert!(json.contains("same phone +8613800138000") && json.contains("same unified social credit code"), "{json}");
    let text = bin.ok(&["dedupe", "scan"]);
    assert!(text.contains("2 groups of possible duplicates among 9 customers"), "{text}");
    let bad = bin.fails(&["dedupe", "scan", "--threshold", "1.5"]);
    assert!(bad.contains("between 0 and 1"), "{bad}");

    // Completeness: nobody has an owner, contacts or a source channel in this file.
    let report: serde_json::Value =
        serde_json::from_str(bin.ok(&["quality", "completeness", "--json", "--worst", "2"]).trim()).expect("json");
    assert_eq!((report["customers"].as_u64(), report["owners"][0]["owner"].as_str()), (Some(9), None), "{report}");
    let missing = report["owners"][0]["missing"].to_string();
    assert!(missing.contains("[\"owner\",9]") && missing.contains("[\"contact\",9]"), "{missing}");
    assert_eq!(report["least_complete"].as_array().map(|a| a.len()), Some(2), "{report}");
    assert!(bin.ok(&["quality", "completeness"]).contains("9 customers"));
}

#[tokio::test]
async fn the_api_ranks_duplicate_groups() {
    let api = Api::new().await;
    let (status, _) = api.upload("customers", "", "dupes.csv", CUSTOMERS.as_bytes()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = api.json(Method::GET, "/api/v1/duplicates?limit=1", None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["groups"].as_u64(), v["items"].as_array().map(|a| a.len())), (Some(2), Some(1)), "{v}");
    assert_eq!(v["items"][0]["score"], 1.0, "{v}");
    let (status, e) = api.json(Method::GET, "/api/v1/duplicates?threshold=2", None).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_threshold")));

    // The check on entry: the new customer is created and the answer says whom it looks like.
    let new = serde_json::json!({"name": "腾飞科技（深圳）股份有限公司", "city": "深圳", "phone": "138 0013 8000"});
    let (status, c) = api.json(Method::POST, "/api/v1/customers", Some(new)).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let warnings = c["possible_duplicates"].as_array().cloned().unwrap_or_default();
    assert!(warnings.len() >= 3, "{c}");
    assert_eq!(warnings[0]["score"], 1.0, "{c}");
    assert!(warnings.iter().any(|w| w["message"] == "looks like 深圳市腾飞科技有限公司"), "{c}");
    assert!(warnings.iter().all(|w| w["name"] != "腾飞科技有限公司"), "the 成都 namesake is not a match: {c}");
    let (_, other) = api.json(Method::POST, "/api/v1/customers", Some(serde_json::json!({"name": "全新材料有限公司"}))).await;
    assert_eq!(other["possible_duplicates"], serde_json::json!([]), "{other}");
}

const ORDERS: &str =
    "订单编号,客户编号,下单日期,金额\nO1,D1,2024-03-01,100\nO2,D2,2024-04-01,5000\nO3,D3,2024-05-01,20\nO4,D9,2024-05-02,70\n";

#[test]
fn merge_and_undo_through_the_cli() {
    let bin = Bin::new();
    let file = bin.write("dupes.csv", CUSTOMERS.as_bytes());
    let check = bin.ok(&["import", "customers", path_str(&file), "--dry-run"]);
    assert!(check.contains("checked 9 rows, nothing written: 9 new, 0 updated"), "{check}");
    assert_eq!(bin.ok(&["export", "customers", "--format", "jsonl"]).lines().count(), 0, "a check writes nothing");
    bin.ok(&["import", "customers", path_str(&file)]);
    bin.ok(&["import", "orders", path_str(&bin.write("orders.csv", ORDERS.as_bytes()))]);
    let plan = bin.ok(&["dedupe", "merge", "1", "2", "3", "--take", "phone=3", "--dry-run"]);
    assert!(plan.contains("merging 2, 3 into customer 1 would keep:"), "{plan}");
    assert!(plan.contains("by chosen") && plan.contains("by largest_revenue"), "{plan}");
    let listed = |bin: &Bin| bin.ok(&["export", "customers", "--format", "jsonl"]).lines().count();
    assert_eq!(listed(&bin), 9, "a dry run changes nothing");
    let out = bin.ok(&["dedupe", "merge", "1", "2", "3"]);
    assert!(out.contains("merged 2, 3 into customer 1 as merge 1 (2 records moved)"), "{out}");
    assert_eq!(listed(&bin), 7);
    assert!(bin.ok(&["dedupe", "merges"]).contains("into 1 ← 2, 3"));
    // Refused: itself, a missing customer, a field that does not exist, undoing twice.
    assert!(bin.fails(&["dedupe", "merge", "4", "4"]).contains("cannot be merged with itself"));
    assert!(bin.fails(&["dedupe", "merge", "4", "99"]).contains("customer 99 not found"));
    let typo = bin.fails(&["dedupe", "merge", "4", "5", "--take", "emial=5"]);
    assert!(typo.contains("unknown merge field `emial`; did you mean `email`?"), "{typo}");
    assert!(bin.fails(&["dedupe", "merge", "4", "5", "--take", "email"]).contains("FIELD=CUSTOMER_ID"));
    let undo = bin.ok(&["dedupe", "undo", "1"]);
    assert!(undo.contains("2 customers restored, 2 records moved back"), "{undo}");
    assert_eq!(listed(&bin), 9);
    assert!(bin.fails(&["dedupe", "undo", "1"]).contains("already undone"));
}

#[tokio::test]
async fn the_api_merges_and_undoes() {
    let api = Api::new().await;
    api.upload("customers", "", "dupes.csv", CUSTOMERS.as_bytes()).await;
    api.upload("orders", "", "orders.csv", ORDERS.as_bytes()).await;
    let body = serde_json::json!({"survivor": 1, "absorbed": [2, 3], "dry_run": true});
    let (status, plan) = api.json(Method::POST, "/api/v1/merges", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let owner = plan["decisions"].as_array().into_iter().flatten().find(|d| d["field"] == "owner").cloned().unwrap_or_default();
    assert_eq!((owner["rule"].as_str(), owner["from"].as_i64()), (Some("largest_revenue"), Some(2)), "{plan}");
    let (status, m) = api.json(Method::POST, "/api/v1/merges", Some(serde_json::json!({"survivor": 1, "absorbed": [2, 3]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let id = m["merge"]["id"].as_i64().expect("merge id");
    let (status, _) = api.json(Method::GET, "/api/v1/customers/2", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = api.json(Method::GET, "/api/v1/merges?customer=3", None).await;
    assert_eq!(list["items"].as_array().map(|a| a.len()), Some(1), "{list}");
    let bad = [
        (serde_json::json!({"survivor": 4, "absorbed": [4]}), "merge_with_itself"),
        (serde_json::json!({"survivor": 4, "absorbed": []}), "merge_needs_two"),
        (serde_json::json!({"survivor": 4, "absorbed": [5], "owner_id": 1}), "invalid_body"),
        (serde_json::json!({"survivor": 4, "absorbed": [2]}), "not_found"),
    ];
    for (body, code) in bad {
        let (status, e) = api.json(Method::POST, "/api/v1/merges", Some(body.clone())).await;
        assert_eq!(e["code"].as_str(), Some(code), "{body}: {status} {e}");
        assert!(e["details"]["message_zh"].as_str().is_some_and(|m| !m.is_empty()), "every refusal in Chinese too: {e}");
        if code == "invalid_body" {
            assert!(e["details"]["message_zh"].as_str().is_some_and(|m| m.contains("不认识的字段 `owner_id`")), "{e}");
        }
    }
    let (status, u) = api.json(Method::POST, &format!("/api/v1/merges/{id}/undo"), None).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    let (status, again) = api.json(Method::POST, &format!("/api/v1/merges/{id}/undo"), None).await;
    assert_eq!((status, again["code"].as_str()), (StatusCode::CONFLICT, Some("merge_already_undone")));
    let (status, c) = api.json(Method::GET, "/api/v1/customers/2", None).await;
    assert_eq!((status, c["name"].as_str()), (StatusCode::OK, Some("腾飞科技(深圳)")), "{c}");
}

#[test]
fn dedupe_merge_and_quality_speak_chinese() {
    let bin = Bin::new();
    bin.ok(&["import", "customers", path_str(&bin.write("dupes.csv", CUSTOMERS.as_bytes()))]);
    bin.ok(&["import", "orders", path_str(&bin.write("orders.csv", ORDERS.as_bytes()))]);
    let (ok, out) = bin.zh(&["dedupe", "scan"]);
    assert!(ok && out.contains("9 个客户中有 2 组疑似重复"), "{out}");
    assert!(out.contains("电话相同 +8613800138000") || out.contains("统一社会信用代码相同"), "{out}");
    let (ok, out) = bin.zh(&["dedupe", "scan", "--threshold", "1.5"]);
    assert!(!ok && out.contains("--threshold 应在 0 到 1 之间"), "{out}");
    let (ok, out) = bin.zh(&["quality", "completeness"]);
    assert!(ok && out.contains("9 个客户，应填字段已填") && out.contains("（无负责人）") && out.contains("负责人 (9)"), "{out}");

    let (ok, out) = bin.zh(&["dedupe", "merge", "1", "2", "3", "--take", "phone=3", "--dry-run"]);
    assert!(ok && out.contains("把 2, 3 并入客户 1 将保留：") && out.contains("规则：指定") && out.contains("规则：收入最高"), "{out}");
    assert!(out.contains("电话"), "fields by their Chinese names: {out}");
    let (ok, out) = bin.zh(&["dedupe", "merge", "1", "2", "3"]);
    assert!(ok && out.contains("已把 2, 3 并入客户 1（合并 1，移动 2 条记录）") && out.contains("撤销：`strata dedupe undo 1`"), "{out}");
    let (ok, out) = bin.zh(&["dedupe", "merges"]);
    assert!(ok && out.contains("并入 1 ← 2, 3"), "{out}");
    let (ok, out) = bin.zh(&["dedupe", "merge", "4", "4"]);
    assert!(!ok && out.contains("客户 4 不能与自身合并"), "{out}");
    let (ok, out) = bin.zh(&["dedupe", "merge", "4", "5", "--take", "emial=5"]);
    assert!(!ok && out.contains("没有可合并的字段 `emial`；是不是 `email`？"), "{out}");
    let (ok, out) = bin.zh(&["dedupe", "undo", "1"]);
    assert!(ok && out.contains("已撤销合并 1：恢复 2 个客户，移回 2 条记录"), "{out}");
    let (ok, out) = bin.zh(&["dedupe", "merges"]);
    assert!(ok && out.contains("撤销"), "{out}");
}

//! The store conformance story: every store function, run on SQLite always and on PostgreSQL
//! when `STRATA_TEST_POSTGRES_URL` is set (each run in a fresh database).

use std::collections::BTreeMap;

use sqlx::Connection;
use strata_core::{
    custom_field::{CustomFieldDef, FieldKind},
    customer::{CustomerInput, CustomerKind, Role, UserInput},
    import::{Entity, ImportOptions, Mapping, Record},
};
use strata_store::{CustomerFilter, CustomerSort, ModelTierWrites, Store, StoreError, TierWrite};

mod accounts;
mod change_feed;
mod dashboard;
mod deferred_keys;
mod event_books;
mod grouped_batches;
mod merges;
mod model_fits;

fn records(entity: Entity, headers: &[&str], rows: &[&[&str]], custom: &[CustomFieldDef]) -> (Vec<String>, Vec<(u64, Record)>) {
    let hs: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
    let m = Mapping::resolve(entity, &hs, &BTreeMap::new(), custom).expect("mapping");
    let opts = ImportOptions { custom_fields: custom.to_vec(), ..ImportOptions::default() };
    let recs =
        rows.iter().enumerate().map(|(i, r)| (i as u64 + 2, m.record(r, &opts).unwrap_or_else(|e| panic!("row {i}: {e:?}")))).collect();
    let fields = m.field_keys();
    (fields, recs)
}

async fn import(
    store: &Store,
    entity: Entity,
    headers: &[&str],
    rows: &[&[&str]],
    custom: &[CustomFieldDef],
) -> (i64, strata_store::ChunkOutcome) {
    let (fields, recs) = records(entity, headers, rows, custom);
    let mut s = store.begin_import(entity, "test.csv", "tester", &fields).await.expect("begin");
    let out = s.write(recs).await.expect("write");
    let batch = s.commit(rows.len() as u64, out.rejected.len() as u64, "sha").await.expect("commit");
    (batch.id, out)
}

fn customer(name: &str) -> CustomerInput {
    CustomerInput {
        external_id: None,
        kind: CustomerKind::Company,
        name: name.into(),
        credit_code: None,
        industry: Some("制造".into()),
        province: Some("广东省".into()),
        city: Some("深圳".into()),
        source_channel: None,
        owner: Some("wangwei".into()),
        team: Some("华南大区".into()),
        lifecycle_stage: None,
        phone: Some("+8613800138000".into()),
        email: None,
        tags: vec!["战略客户".into()],
        custom: BTreeMap::new(),
        since: None,
    }
}

async fn story(store: Store) {
    store.ping().await.expect("ping");

    // Teams, users, custom fields.
    store.create_team("华南大区").await.expect("team");
    let taken = store.create_team("华南大区").await.unwrap_err();
    assert_eq!((taken.code(), taken.message_zh().as_deref()), ("team_exists", Some("团队 `华南大区` 已存在")));
    let user =
        UserInput {
            login: "wangwei".into(), display_name: "王伟".into(), email: None, team: Some("华南大区".into()), role: Role::Sales
        };
    let u = store.create_user(&user).await.expect("user");
    assert_eq!(u.team.as_deref(), Some("华南大区"));
    assert_eq!(store.create_user(&user).await.unwrap_err().code(), "user_exists");
    assert_eq!(
        store.create_user(&UserInput { team: Some("nope".into()), login: "x".into(), ..user.clone() }).await.unwrap_err().code(),
        "unknown_team"
    );
    assert_eq!(store.list_users().await.unwrap().len(), 1);
    let budget =
        CustomFieldDef {
            key: "annual_budget".into(), label: "年度预算".into(), kind: FieldKind::Money, options: vec![], required: false
        };
    store.define_custom_field(&budget).await.expect("field");
    assert_eq!(store.define_custom_field(&budget).await.unwrap_err().code(), "field_exists");
    let bad = CustomFieldDef { key: "name".into(), ..budget.clone() };
    assert_eq!(store.define_custom_field(&bad).await.unwrap_err().code(), "reserved_field_key");
    let fields = store.list_custom_fields().await.unwrap();
    assert_eq!(fields, vec![budget.clone()]);

    // Customers through the API path.
    let mut input = customer("深圳市腾飞科技有限公司");
    input.custom.insert("annual_budget".into(), serde_json::json!(50_000_000));
    let c = store.create_customer(&input).await.expect("create");
    assert_eq!(c.canonical_name, "腾飞科技");
    assert_eq!(c.owner.as_deref(), Some("wangwei"));
    assert_eq!(c.tags, vec!["战略客户"]);
    let mut bad_custom = input.clone();
    bad_custom.custom.insert("nope".into(), serde_json::json!(1));
    assert_eq!(store.create_customer(&bad_custom).await.unwrap_err().code(), "unknown_custom_field");
    let mut bad_owner = input.clone();
    bad_owner.owner = Some("ghost".into());
    assert_eq!(store.create_customer(&bad_owner).await.unwrap_err().code(), "unknown_user");
    let mut renamed = input.clone();
    renamed.name = "腾飞科技集团".into();
    renamed.external_id = Some("C-900".into());
    let c2 = store.replace_customer(c.id, &renamed).await.expect("replace");
    assert_eq!((c2.name.as_str(), c2.external_id.as_deref()), ("腾飞科技集团", Some("C-900")));
    assert!(matches!(store.get_customer(999_999).await, Err(StoreError::NotFound { .. })));

    // Import customers: one keyed by external id, one matched by name + phone.
    let headers = ["客户编号", "客户名称", "手机", "省份", "标签", "年度预算", "负责人"];
    let rows: &[&[&str]] = &[
        &["C-1", "广州华信医疗器械有限公司", "13900000001", "广东省", "重点", "12万", "wangwei"],
        &["C-2", "北京星河软件有限公司", "010-12345678", "北京市", "", "", ""],
        &["", "杭州云帆贸易有限公司", "13700000003", "浙江省", "", "", ""],
    ];
    let (cust_batch, out) = import(&store, Entity::Customers, &headers, rows, &fields).await;
    assert_eq!((out.inserted, out.updated, out.unchanged, out.rejected.len()), (3, 0, 0, 0));
    let (_, again) = import(&store, Entity::Customers, &headers, rows, &fields).await;
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 3), "re-import is idempotent");
    deferred_keys::deferred_keys(&store, "C-1").await;
    deferred_keys::large_customer_import(&store).await;
    deferred_keys::long_customer_numbers(&store).await;
    grouped_batches::grouped_batches(&store, "C-1").await;

    // Lists and filters.
    let all = store.list_customers(&CustomerFilter::default(), CustomerSort::Id, 0, 10).await.unwrap();
    assert_eq!(all.total, 4);
    let by_tag = CustomerFilter { tag: Some("重点".into()), ..Default::default() };
    assert_eq!(store.list_customers(&by_tag, CustomerSort::Id, 0, 10).await.unwrap().total, 1);
    let by_q = CustomerFilter { q: Some("星河".into()), ..Default::default() };
    let page = store.list_customers(&by_q, CustomerSort::Name, 0, 10).await.unwrap();
    assert_eq!(page.items[0].external_id.as_deref(), Some("C-2"));
    let by_owner = CustomerFilter { owner: Some("wangwei".into()), province: Some("广东省".into()), ..Default::default() };
    assert_eq!(store.list_customers(&by_owner, CustomerSort::IdDesc, 0, 10).await.unwrap().total, 2);
    let pct = CustomerFilter { q: Some("%".into()), ..Default::default() };
    assert_eq!(store.list_customers(&pct, CustomerSort::Id, 0, 10).await.unwrap().total, 0, "LIKE wildcards are escaped");
    let huaxin = store
        .list_customers(&CustomerFilter { q: Some("C-1".into()), ..Default::default() }, CustomerSort::Id, 0, 1)
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(huaxin.custom.get("annual_budget"), Some(&serde_json::json!(12_000_000)));
    assert_eq!(store.customers_by_ids(&[huaxin.id, 12345]).await.unwrap().len(), 1);

    // Orders by external id and by name; bad references and duplicates are rejected.
    let oh = ["订单号", "客户编号", "客户名称", "下单日期", "金额", "状态"];
    let orders: &[&[&str]] = &[
        &["SO-1", "C-1", "", "2024-01-05", "1000", "已完成"],
        &["SO-2", "", "杭州云帆贸易", "2024/2/1", "¥2,000.50", ""],
        &["SO-3", "C-404", "", "2024-03-01", "10", ""],
        &["SO-1", "C-1", "", "2024-01-05", "1000", ""],
    ];
    let (order_batch, out) = import(&store, Entity::Orders, &oh, orders, &[]).await;
    assert_eq!(out.inserted, 2);
    let codes: Vec<(u64, &str)> = out.rejected.iter().map(|r| (r.row, r.code)).collect();
    assert_eq!(codes, vec![(4, "unknown_customer"), (5, "duplicate_in_file")]);

    // A changed re-import updates, keeps a before-image, and undo restores it.
    let changed: &[&[&str]] = &[&["SO-1", "C-1", "", "2024-01-05", "1500", "已退款"]];
    let (change_batch, out) = import(&store, Entity::Orders, &oh, changed, &[]).await;
    assert_eq!((out.inserted, out.updated), (0, 1));
    let before_undo = store.export_page(Entity::Orders, &CustomerFilter::default(), 0, 10).await.unwrap();
    assert!(before_undo[0].cells.iter().any(|(k, v)| *k == "status" && v.to_cell() == "refunded"));
    assert_eq!(store.undo_batch(order_batch, "tester").await.unwrap_err().code(), "batch_superseded");
    let undone = store.undo_batch(change_batch, "tester").await.expect("undo");
    assert_eq!((undone.deleted, undone.restored), (0, 1));
    let after = store.export_page(Entity::Orders, &CustomerFilter::default(), 0, 10).await.unwrap();
    let so1 = &after[0].cells;
    assert!(so1.iter().any(|(k, v)| *k == "amount_cents" && v.to_cell() == "100000"), "{so1:?}");
    assert!(so1.iter().any(|(k, v)| *k == "status" && v.to_cell() == "completed"));
    assert!(so1.iter().any(|(k, v)| *k == "customer_external_id" && v.to_cell() == "C-1"));
    assert_eq!(store.undo_batch(change_batch, "tester").await.unwrap_err().code(), "batch_already_undone");

    // The engine reads every event table into columnar books (the same on both backends).
    let index = strata_core::metrics::CustomerIndex::new(store.customer_ids().await.unwrap());
    let book = store.event_book(strata_core::metrics::EventKind::Orders, &index).await.expect("order book");
    assert_eq!(book.len(), 2);
    let mut seen: Vec<(i32, i64, u8)> = (0..index.len() as u32)
        .flat_map(|p| {
            let e = book.events(p);
            (0..e.len()).map(move |j| (e.day.get(j), e.nums[0].get(j), e.flag[j])).collect::<Vec<_>>()
        })
        .collect();
    seen.sort();
    assert_eq!(seen, vec![(19727, 100_000, 1), (19754, 200_050, 1)]);
    for kind in strata_core::metrics::EventKind::ALL {
        store.event_book(kind, &index).await.unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
    let external = store.customer_external_ids().await.unwrap();
    assert_eq!(external.len(), index.len());
    // Attributes load into the engine's columns the same way on both backends.
    let attrs = store.customer_attributes(&index, &store.list_custom_fields().await.unwrap()).await.expect("attributes");
    assert_eq!(attrs.len(), index.len());
    let p0 = index.position(external.iter().find(|(_, e)| e.as_deref() == Some("C-1")).unwrap().0).unwrap() as usize;
    assert!(attrs.text_at(strata_core::rules::schema::Attr::Province, p0).is_some());
    // Tags and custom values (JSON in the store) reach the columns too.
    let tagged = attrs.tag_code("战略客户");
    let with_tag: Vec<usize> = (0..index.len()).filter(|&p| attrs.has_tag(p, tagged)).collect();
    assert!(!with_tag.is_empty(), "a tagged customer");
    let budgets: Vec<f64> =
        (0..index.len()).map(|p| attrs.number(strata_core::rules::schema::Attr::Custom(0), p)).filter(|x| !x.is_nan()).collect();
    assert!(budgets.contains(&500_000.0), "money custom fields read in yuan: {budgets:?}");

    // Tier models: versions, publish with tier changes, history, counts, re-publish.
    let ids: Vec<i64> = index.ids().to_vec();
    let v1 = store.save_model_version("value", "价值分层", "ladder", "key = \"value\"", "draft", "tester").await.unwrap();
    assert_eq!(v1, 1);
    store.set_model_preview("value", v1, "{\"moving\": 2}").await.unwrap();
    assert_eq!(store.model_versions("value").await.unwrap()[0].status, "preview");
    let first: Vec<TierWrite> = ids.iter().map(|&id| TierWrite { customer_id: id, from: None, to: Some("A".into()) }).collect();
    store.publish_model("value", v1, "{\"on\": 1}", &first).await.expect("publish");
    assert_eq!(store.publish_model("value", v1, "{}", &[]).await.unwrap_err().code(), "already_published");
    assert_eq!(store.tier_counts("value").await.unwrap(), vec![("A".to_string(), ids.len() as i64)]);
    let v2 = store.save_model_version("value", "价值分层", "ladder", "key = \"value\" # 2", "draft", "tester").await.unwrap();
    let moves = vec![
        TierWrite { customer_id: ids[0], from: Some("A".into()), to: Some("B".into()) },
        TierWrite { customer_id: ids[1], from: Some("A".into()), to: None },
    ];
    store.publish_model("value", v2, "{\"on\": 2}", &moves).await.expect("publish v2");
    let published = store.published_models().await.unwrap();
    assert_eq!((published.len(), published[0].version, published[0].calibration.as_deref()), (1, 2, Some("{\"on\": 2}")));
    assert_eq!(store.model_versions("value").await.unwrap()[1].status, "retired");
    let mine = store.customer_tiers(ids[0]).await.unwrap();
    assert_eq!((mine[0].tier.as_str(), mine[0].version), ("B", 2));
    assert!(store.customer_tiers(ids[1]).await.unwrap().is_empty());
    let hist = store.tier_history(ids[0]).await.unwrap();
    let seen: Vec<(Option<&str>, Option<&str>, &str)> =
        hist.iter().map(|h| (h.from_tier.as_deref(), h.to_tier.as_deref(), h.reason.as_str())).collect();
    assert_eq!(seen, vec![(None, Some("A"), "publish"), (Some("A"), Some("B"), "publish")]);
    store
        .record_tier_changes("value", 2, &[TierWrite { customer_id: ids[0], from: Some("B".into()), to: Some("A".into()) }], "event")
        .await
        .unwrap();
    let feed = store.tier_changes_since(hist[1].id, 10).await.unwrap();
    assert_eq!(feed.iter().map(|h| h.reason.as_str()).collect::<Vec<_>>(), ["publish", "event"]);
    assert_eq!(store.current_tiers("value").await.unwrap().len(), ids.len() - 1);
    store.set_model_calibration("value", "{\"on\": 3}").await.unwrap();
    assert_eq!(store.latest_model_versions().await.unwrap()[0].calibration.as_deref(), Some("{\"on\": 3}"));
    assert!(matches!(store.record_tier_changes("nope", 1, &moves, "event").await, Err(StoreError::NotFound { .. })));

    // Customers with orders cannot be un-imported before their orders.
    assert_eq!(store.undo_batch(cust_batch, "tester").await.unwrap_err().code(), "batch_has_dependents");
    let refused = store.delete_customer(huaxin.id).await.unwrap_err();
    assert_eq!(refused.code(), "customer_has_records");
    assert!(refused.message_zh().is_some_and(|m| m.contains("请先删除或转移")), "{refused:?}");
    let recs = store.customer_records(Entity::Orders, huaxin.id, 10).await.unwrap();
    assert_eq!(recs.len(), 1);
    let counts = store.customer_record_counts(huaxin.id).await.unwrap();
    assert!(counts.contains(&("orders", 1)));
    store.undo_batch(order_batch, "tester").await.expect("undo orders");
    let out = store.undo_batch(cust_batch, "tester").await.expect("undo customers");
    assert_eq!(out.deleted, 3);
    assert_eq!(store.list_customers(&CustomerFilter::default(), CustomerSort::Id, 0, 10).await.unwrap().total, 1);

    // Rows without an id get a content key: re-importing an interaction file matches.
    let ih = ["客户编号", "跟进方式", "跟进时间", "跟进内容"];
    let cust_again: &[&[&str]] = &[&["C-9", "成都蓉城餐饮管理有限公司", "13600000009", "四川省", "", "", ""]];
    import(&store, Entity::Customers, &headers, cust_again, &fields).await;
    let inter: &[&[&str]] = &[&["C-9", "电话", "2024-05-01 10:00", "询价"], &["C-9", "微信", "2024-05-02 10:00", "发方案"]];
    let (_, first) = import(&store, Entity::Interactions, &ih, inter, &[]).await;
    let (_, second) = import(&store, Entity::Interactions, &ih, inter, &[]).await;
    assert_eq!((first.inserted, second.inserted, second.unchanged), (2, 0, 2));

    // A rolled-back import leaves nothing, not even its batch.
    let batches_before = store.list_batches(100).await.unwrap().len();
    let (f, recs) = records(Entity::Customers, &headers, &[&["C-77", "临时客户有限公司", "", "", "", "", ""]], &fields);
    let mut s = store.begin_import(Entity::Customers, "x.csv", "tester", &f).await.unwrap();
    s.write(recs).await.unwrap();
    s.rollback().await.unwrap();
    assert_eq!(store.list_batches(100).await.unwrap().len(), batches_before);
    let q = CustomerFilter { q: Some("C-77".into()), ..Default::default() };
    assert_eq!(store.list_customers(&q, CustomerSort::Id, 0, 10).await.unwrap().total, 0);

    // Batches are recorded with their counts.
    let b = store.get_batch(cust_batch).await.unwrap();
    assert_eq!((b.entity.as_str(), b.inserted, b.status.as_str()), ("customers", 3, "undone"));
    assert!(matches!(store.get_batch(9999).await, Err(StoreError::NotFound { .. })));

    // Exports page through in id order with filters.
    let cust = store
        .export_page(Entity::Customers, &CustomerFilter { province: Some("四川省".into()), ..Default::default() }, 0, 10)
        .await
        .unwrap();
    assert_eq!(cust.len(), 1);
    assert!(cust[0].cells.iter().any(|(k, v)| *k == "name" && v.to_cell() == "成都蓉城餐饮管理有限公司"));
    let deletable = store.create_customer(&customer("待删除有限公司")).await.unwrap();
    store.delete_customer(deletable.id).await.expect("delete");
    assert_eq!(store.list_teams().await.unwrap().len(), 1);
    change_feed::change_feed(&store).await;
    model_fits::model_fits(&store).await;
    dashboard::dashboard(&store).await;
    merges::merges(&store).await;
    accounts::accounts(&store).await;
    store.close().await;
}

/// The customers table's non-unique indexes, as the migrations make them.
const CUSTOMER_INDEXES: [&str; 9] = [
    "customers_canonical_name",
    "customers_completeness",
    "customers_created",
    "customers_industry_name",
    "customers_name",
    "customers_owner",
    "customers_province_name",
    "customers_team",
    "customers_updated",
];

#[tokio::test]
async fn conformance_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strata.db");
    let store = Store::open(path.to_str().unwrap()).await.expect("open sqlite");
    story(store).await;
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("raw connection");
    accounts::audit_is_append_only!(raw);
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut raw)
    .await
    .expect("indexes");
    assert_eq!(names, CUSTOMER_INDEXES, "a large customers import rebuilt every index it dropped");
}

#[tokio::test]
async fn conformance_on_postgres() {
    let Ok(url) = std::env::var("STRATA_TEST_POSTGRES_URL") else {
        eprintln!("STRATA_TEST_POSTGRES_URL not set: PostgreSQL conformance skipped");
        return;
    };
    let db = format!("strata_conf_{}_{}", std::process::id(), chrono::Utc::now().timestamp_micros());
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {db}")).execute(&mut admin).await.expect("create database");
    let (base, _) = url.rsplit_once('/').expect("URL has a database part");
    let store = Store::open(&format!("{base}/{db}")).await.expect("open postgres");
    story(store).await;
    let mut raw = sqlx::PgConnection::connect(&format!("{base}/{db}")).await.expect("raw connection");
    accounts::audit_is_append_only!(raw);
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'customers' AND indexdef NOT LIKE 'CREATE UNIQUE%' ORDER BY indexname",
    )
    .fetch_all(&mut raw)
    .await
    .expect("indexes");
    assert_eq!(names, CUSTOMER_INDEXES, "a large customers import rebuilt every index it dropped");
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'customers'::regclass AND contype = 'f'")
        .fetch_one(&mut raw)
        .await
        .expect("foreign keys");
    assert_eq!(keys, 2, "the owner and team foreign keys are back");
    let tables = ["orders", "payments", "interactions", "deals", "tickets", "feedback"];
    for table in tables {
        let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'")
            .bind(table)
            .fetch_one(&mut raw)
            .await
            .expect("primary keys");
        assert_eq!(keys, 1, "{table}: the primary key a large import deferred is back");
    }
    drop(raw);
    sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)")).execute(&mut admin).await.expect("drop database");
}

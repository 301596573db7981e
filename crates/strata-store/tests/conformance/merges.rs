//! The merge part of the store story: re-pointed rows, aliases for absorbed external ids, exact
//! undo after unrelated later changes, and the merges and undos that are refused.

use super::*;
use strata_store::MergeWrite;

async fn snapshot(store: &Store, ids: &[i64]) -> Vec<(strata_core::customer::Customer, Vec<(&'static str, i64)>, usize)> {
    let mut out = Vec::new();
    for &id in ids {
        let c = store.get_customer(id).await.expect("customer");
        let counts = store.customer_record_counts(id).await.unwrap();
        let history = store.tier_history(id).await.unwrap().len();
        out.push((c, counts, history));
    }
    out
}

pub(crate) async fn merges(store: &Store) {
    let make = |ext: &str, name: &str| CustomerInput { external_id: Some(ext.into()), ..customer(name) };
    let a = store.create_customer(&make("M-1", "深圳市合并测试科技有限公司")).await.unwrap();
    let b = store.create_customer(&CustomerInput { email: Some("it@hebing.cn".into()), ..make("M-2", "合并测试科技") }).await.unwrap();
    let c = store.create_customer(&make("M-3", "合并测试科技（深圳）")).await.unwrap();
    let bystander = store.create_customer(&make("M-9", "无关客户有限公司")).await.unwrap();
    let oh = ["订单编号", "客户编号", "客户名称", "下单日期", "金额", "状态"];
    let orders: &[&[&str]] = &[
        &["M-SO-1", "M-2", "", "2024-06-01", "100", ""],
        &["M-SO-2", "M-2", "", "2024-07-01", "200", ""],
        &["M-SO-3", "M-3", "", "2024-08-01", "300", "已退款"],
        &["M-SO-4", "M-1", "", "2024-08-02", "50", ""],
    ];
    import(store, Entity::Orders, &oh, orders, &[]).await;
    let ch = ["联系人编号", "客户编号", "客户名称", "姓名", "手机", "邮箱"];
    import(store, Entity::Contacts, &ch, &[&["M-CT-1", "M-3", "", "李娜", "13700137000", ""]], &[]).await;
    let v = store.save_model_version("merge_tiers", "合并", "ladder", "key = \"merge_tiers\"", "draft", "tester").await.unwrap();
    let to_a = |id: i64| TierWrite { customer_id: id, from: None, to: Some("A".into()) };
    store.publish_model("merge_tiers", v, "{}", &[to_a(b.id), to_a(c.id)]).await.unwrap();
    assert_eq!(store.customer_revenue(&[a.id, b.id, c.id, 999_999]).await.unwrap(), vec![5_000, 30_000, 0, 0]);

    let ids = [a.id, b.id, c.id];
    let before = snapshot(store, &ids).await;
    let seen: Vec<(i64, chrono::DateTime<chrono::Utc>)> = before.iter().map(|(c, _, _)| (c.id, c.updated_at)).collect();
    let input = CustomerInput { email: Some("it@hebing.cn".into()), ..make("M-1", "深圳市合并测试科技有限公司") };
    let write = |absorbed: &'static [i64], seen: &'static [(i64, chrono::DateTime<chrono::Utc>)]| MergeWrite {
        survivor: 0,
        absorbed,
        input: Box::leak(Box::new(input.clone())),
        owner_id: a.owner_id,
        team_id: a.team_id,
        decisions: serde_json::json!([{"field": "email", "from": b.id}]),
        seen,
    };
    let absorbed: &'static [i64] = Box::leak(vec![b.id, c.id].into_boxed_slice());
    let seen: &'static [(i64, chrono::DateTime<chrono::Utc>)] = Box::leak(seen.into_boxed_slice());

    // Refused plans change nothing.
    let with_itself = MergeWrite { survivor: a.id, absorbed: Box::leak(vec![a.id].into_boxed_slice()), ..write(absorbed, seen) };
    assert_eq!(store.merge_customers(&with_itself, "tester").await.unwrap_err().code(), "merge_with_itself");
    let missing = MergeWrite { survivor: a.id, absorbed: Box::leak(vec![b.id, 999_999].into_boxed_slice()), ..write(absorbed, seen) };
    assert!(matches!(store.merge_customers(&missing, "tester").await, Err(StoreError::NotFound { .. })));
    let stale: &'static [(i64, chrono::DateTime<chrono::Utc>)] =
        Box::leak(vec![(b.id, b.created_at - chrono::Duration::days(1))].into_boxed_slice());
    assert_eq!(
        store.merge_customers(&MergeWrite { survivor: a.id, ..write(absorbed, stale) }, "tester").await.unwrap_err().code(),
        "customer_changed"
    );
    assert_eq!(snapshot(store, &ids).await, before);

    // The merge: every row follows, absorbed customers are gone, their external ids lead on.
    let m = store.merge_customers(&MergeWrite { survivor: a.id, ..write(absorbed, seen) }, "tester").await.expect("merge");
    assert_eq!((m.survivor_id, m.absorbed_ids.clone(), m.moved, m.status.as_str()), (a.id, vec![b.id, c.id], 6, "merged"));
    let merged = store.get_customer(a.id).await.unwrap();
    assert_eq!(merged.email.as_deref(), Some("it@hebing.cn"));
    assert!(matches!(store.get_customer(b.id).await, Err(StoreError::NotFound { .. })));
    let counts: BTreeMap<&str, i64> = store.customer_record_counts(a.id).await.unwrap().into_iter().collect();
    assert_eq!((counts["orders"], counts["contacts"]), (4, 1));
    assert_eq!(store.tier_history(a.id).await.unwrap().len(), 2);
    assert!(store.tiers_of("merge_tiers", &[b.id, c.id]).await.unwrap().is_empty());
    import(store, Entity::Orders, &oh, &[&["M-SO-5", "M-2", "", "2024-09-01", "10", ""]], &[]).await;
    let late = store.customer_events(strata_core::metrics::EventKind::Orders, a.id).await.unwrap();
    assert_eq!(late.len(), 5, "an order naming an absorbed customer's number reaches the survivor");
    let customers_before = store.list_customers(&CustomerFilter::default(), CustomerSort::Id, 0, 1).await.unwrap().total;
    let (_, out) = import(store, Entity::Customers, &["客户编号", "客户名称", "行业"], &[&["M-2", "合并测试科技", "软件"]], &[]).await;
    assert_eq!((out.inserted, out.updated), (0, 1), "a customer row naming an absorbed customer's number updates the survivor");
    let updated = store.get_customer(a.id).await.unwrap();
    assert_eq!((updated.industry.as_deref(), updated.external_id.as_deref()), (Some("软件"), Some("M-1")));
    assert_eq!(store.list_customers(&CustomerFilter::default(), CustomerSort::Id, 0, 1).await.unwrap().total, customers_before);
    assert_eq!(store.list_merges(Some(b.id), 10).await.unwrap().len(), 1);
    assert!(store.list_merges(Some(bystander.id), 10).await.unwrap().is_empty());

    // Unrelated later changes to other customers do not stand in the way of an exact undo.
    store.replace_customer(bystander.id, &make("M-9", "无关客户二有限公司")).await.unwrap();
    let newcomer = store.create_customer(&make("M-10", "新来客户有限公司")).await.unwrap();
    assert!(newcomer.id > c.id, "ids freed by a merge are never handed out again");

    // A changed survivor needs force; then the undo restores everything exactly.
    let edited = CustomerInput { city: Some("广州".into()), ..input.clone() };
    store.replace_customer(a.id, &edited).await.unwrap();
    let err = store.undo_merge(m.id, "tester", false).await.unwrap_err();
    assert_eq!(err.code(), "survivor_changed_since_merge");
    assert!(err.to_string().contains("city"), "{err}");
    let undo = store.undo_merge(m.id, "tester", true).await.expect("undo");
    assert_eq!((undo.restored_customers, undo.moved_back), (2, 6));
    let after = snapshot(store, &ids).await;
    assert_eq!(after[1..], before[1..], "absorbed customers come back exactly, with their rows and history");
    assert_eq!((after[0].0.clone(), after[0].2), (before[0].0.clone(), before[0].2));
    let survivor_orders = after[0].1.iter().find(|(t, _)| *t == "orders").map(|(_, n)| *n);
    assert_eq!(survivor_orders, Some(2), "its own order and the one imported after the merge stay");
    assert_eq!(store.tiers_of("merge_tiers", &[b.id, c.id]).await.unwrap().len(), 2);
    assert_eq!(store.undo_merge(m.id, "tester", false).await.unwrap_err().code(), "merge_already_undone");
    assert_eq!(store.get_merge(m.id).await.unwrap().status, "undone");

    // An undo whose survivor was absorbed later, or deleted, is refused.
    let seen2: Vec<(i64, chrono::DateTime<chrono::Utc>)> = Vec::new();
    let seen2: &'static [(i64, chrono::DateTime<chrono::Utc>)] = Box::leak(seen2.into_boxed_slice());
    let into_b = MergeWrite { survivor: b.id, absorbed: Box::leak(vec![c.id].into_boxed_slice()), ..write(absorbed, seen2) };
    let into_b = MergeWrite { input: Box::leak(Box::new(make("M-2", "合并测试科技"))), ..into_b };
    let m2 = store.merge_customers(&into_b, "tester").await.expect("merge c into b");
    let into_a = MergeWrite { survivor: a.id, absorbed: Box::leak(vec![b.id].into_boxed_slice()), ..write(absorbed, seen2) };
    let m3 = store.merge_customers(&into_a, "tester").await.expect("merge b into a");
    assert_eq!(store.undo_merge(m2.id, "tester", false).await.unwrap_err().code(), "merge_survivor_merged");
    store.undo_merge(m3.id, "tester", false).await.expect("undo the later merge first");
    store.undo_merge(m2.id, "tester", false).await.expect("then the earlier one");
    let lone = store.create_customer(&make("M-11", "孤立客户有限公司")).await.unwrap();
    let m4 = store
        .merge_customers(
            &MergeWrite {
                survivor: lone.id,
                absorbed: Box::leak(vec![newcomer.id].into_boxed_slice()),
                input: Box::leak(Box::new(make("M-11", "孤立客户有限公司"))),
                ..into_b
            },
            "tester",
        )
        .await
        .expect("merge");
    store.delete_customer(lone.id).await.expect("delete survivor");
    assert_eq!(store.undo_merge(m4.id, "tester", false).await.unwrap_err().code(), "merge_survivor_deleted");
}

//! The dashboard part of the store story: tier moves, the customers of a scope, and the
//! completeness of customer records.

use super::*;

/// Dashboard reads run on both backends: tier moves and the customers of a scope.
pub(super) async fn dashboard(store: &Store) {
    let all = CustomerFilter::default();
    let moves = store.tier_moves("value", &all, chrono::Utc::now() - chrono::Duration::days(1)).await.expect("moves");
    assert!(moves.iter().any(|m| m.from_tier.is_none()), "first evaluations count as moves from no tier: {moves:?}");
    let none = CustomerFilter { scope: strata_store::RecordScope::Owner(999_999), ..Default::default() };
    assert!(store.tier_moves("value", &none, chrono::Utc::now() - chrono::Duration::days(1)).await.expect("moves").is_empty());
    let ids = store.customer_ids_in(&all).await.expect("ids");
    let listed = store.list_customers(&all, CustomerSort::Id, 0, 1000).await.unwrap();
    assert_eq!(ids, listed.items.iter().map(|c| c.id).collect::<Vec<_>>());
    assert!(store.customer_ids_in(&none).await.expect("ids").is_empty(), "the scope applies");
    let wangwei = CustomerFilter { owner: Some("wangwei".into()), ..Default::default() };
    let owned = store.list_customers(&wangwei, CustomerSort::Id, 0, 1000).await.unwrap();
    assert_eq!(store.customer_ids_in(&wangwei).await.expect("ids").len() as i64, owned.total, "filters naming the owner join users");
}

/// The stored completeness column agrees with the core's score for every customer, follows
/// contacts as they come, and serves the list's filter and sort.
pub(super) async fn completeness(store: &Store, rows: &strata_store::CompletenessRows) {
    use strata_core::completeness::{filled_of, percent};
    let all = store.list_customers(&CustomerFilter::default(), CustomerSort::Id, 0, 1000).await.unwrap();
    assert!(!all.items.is_empty());
    for c in &all.items {
        let row = rows.rows.iter().find(|r| r.id == c.id).expect("row");
        assert_eq!(filled_of(c), row.filled, "{}", c.name);
        assert_eq!(c.completeness, percent(row.company, &row.filled), "{}", c.name);
    }
    let bare = store
        .create_customer(&CustomerInput {
            industry: None,
            city: None,
            owner: None,
            team: None,
            phone: None,
            tags: vec![],
            ..customer("空白测试有限公司")
        })
        .await
        .unwrap();
    assert_eq!((bare.completeness, bare.has_contact), (13, false), "province only: 1 of 8");
    let ch = ["联系人编号", "客户编号", "客户名称", "姓名", "手机"];
    let (batch, _) = import(store, Entity::Contacts, &ch, &[&["CT-BARE", "", "空白测试有限公司", "韩梅梅", "13600000000"]], &[]).await;
    let with_contact = store.get_customer(bare.id).await.unwrap();
    assert_eq!((with_contact.completeness, with_contact.has_contact), (25, true), "a contact counts");
    store.undo_batch(batch, "tester").await.expect("undo contacts");
    assert_eq!(store.get_customer(bare.id).await.unwrap().completeness, 13, "and stops counting when it goes");

    let low = CustomerFilter { completeness_max: Some(50), ..Default::default() };
    let page = store.list_customers(&low, CustomerSort::Completeness, 0, 1000).await.unwrap();
    assert!(page.items.iter().any(|c| c.id == bare.id));
    assert!(page.items.iter().all(|c| c.completeness <= 50));
    assert!(page.items.windows(2).all(|w| (w[0].completeness, w[0].id) < (w[1].completeness, w[1].id)));
    assert_eq!(page.total as usize, all.items.iter().filter(|c| c.completeness <= 50).count() + 1);
    let high = CustomerFilter { completeness_min: Some(51), ..Default::default() };
    assert_eq!(store.list_customers(&high, CustomerSort::CompletenessDesc, 0, 1).await.unwrap().total + page.total, all.total + 1);

    // Per owner: the same percentages, averaged; the customer without an owner has no login.
    let owners = store.completeness_by_owner(&CustomerFilter::default()).await.unwrap();
    let everyone = store.list_customers(&CustomerFilter::default(), CustomerSort::Id, 0, 1000).await.unwrap();
    assert_eq!(owners.iter().map(|o| o.customers).sum::<i64>(), everyone.total);
    for o in &owners {
        let mine: Vec<_> = everyone.items.iter().filter(|c| c.owner == o.login).collect();
        let mean = mine.iter().map(|c| f64::from(c.completeness)).sum::<f64>() / mine.len() as f64;
        assert_eq!(o.customers as usize, mine.len(), "{:?}", o.login);
        assert!((o.mean - mean).abs() < 1e-9, "{:?}: {} vs {mean}", o.login, o.mean);
        assert_eq!(o.incomplete as usize, mine.iter().filter(|c| i64::from(c.completeness) < strata_store::INCOMPLETE_BELOW).count());
    }
    assert!(owners.windows(2).all(|w| w[0].mean <= w[1].mean), "least complete first");
    assert!(owners.iter().any(|o| o.login.is_none() && o.incomplete >= 1), "the bare customer");
    let scoped = CustomerFilter { owner: Some("wangwei".into()), ..Default::default() };
    let one = store.completeness_by_owner(&scoped).await.unwrap();
    assert!(one.iter().all(|o| o.login.as_deref() == Some("wangwei")) && !one.is_empty());
}

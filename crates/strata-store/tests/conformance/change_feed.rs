//! The change-feed part of the store story: feed entries, compare-and-set tier writes, leases.

use super::*;

/// Every write that can move a tier lands in the change feed; tier writes compare and set;
/// leases give a job to one holder at a time.
pub(super) async fn change_feed(store: &Store) {
    use strata_store::ChangeKind::{Customer, Models, Reload};
    let feed = |after: i64| async move {
        store.changes_after(after, 100).await.unwrap().into_iter().map(|c| (c.kind, c.customer_id)).collect::<Vec<_>>()
    };
    let start = store.last_change_seq().await.unwrap();
    let x = store.create_customer(&CustomerInput { external_id: Some("F-1".into()), ..customer("深圳飞流科技有限公司") }).await.unwrap();
    store.replace_customer(x.id, &CustomerInput { external_id: Some("F-1".into()), ..customer("深圳飞流科技有限公司") }).await.unwrap();
    assert_eq!(feed(start).await, vec![(Customer, Some(x.id)), (Customer, Some(x.id))]);
    let seq = store.last_change_seq().await.unwrap();
    let oh = ["订单编号", "客户编号", "客户名称", "下单日期", "金额", "状态"];
    let (batch, _) = import(store, Entity::Orders, &oh, &[&["F-SO-1", "F-1", "", "2024-06-01", "88", ""]], &[]).await;
    assert_eq!(feed(seq).await, vec![(Customer, Some(x.id))]);
    let events = store.customer_events(strata_core::metrics::EventKind::Orders, x.id).await.unwrap();
    assert_eq!((events.len(), events[0].day, events[0].nums[0], events[0].flag), (1, 19875, 8_800, 1));
    let defs = store.list_custom_fields().await.unwrap();
    let row = store.customer_attribute_row(x.id, &defs).await.unwrap().expect("attributes");
    assert_eq!((row.text[2].as_deref(), row.tags.clone()), (Some("广东省"), vec!["战略客户".to_string()]));
    let seq = store.last_change_seq().await.unwrap();
    store.undo_batch(batch, "tester").await.unwrap();
    assert_eq!(feed(seq).await, vec![(Customer, Some(x.id))]);
    assert!(store.customer_events(strata_core::metrics::EventKind::Orders, x.id).await.unwrap().is_empty());

    // Tier writes from several followers land once.
    let seq = store.last_change_seq().await.unwrap();
    let v = store.save_model_version("feed", "跟随", "ladder", "key = \"feed\"", "draft", "tester").await.unwrap();
    store.publish_model("feed", v, "{}", &[]).await.unwrap();
    assert_eq!(feed(seq).await, vec![(Models, None)]);
    let v2 = store.save_model_version("feed2", "第二", "ladder", "key = \"feed2\"", "draft", "tester").await.unwrap();
    store.publish_model("feed2", v2, "{}", &[]).await.unwrap();
    let set =
        |from: Option<&str>, to: Option<&str>| TierWrite { customer_id: x.id, from: from.map(String::from), to: to.map(String::from) };
    assert_eq!(store.apply_tier_changes("feed", v, &[set(None, Some("A"))], "event").await.unwrap().len(), 1);
    assert!(store.apply_tier_changes("feed", v, &[set(None, Some("A"))], "event").await.unwrap().is_empty());
    assert!(store.apply_tier_changes("feed", v, &[set(Some("B"), Some("C"))], "event").await.unwrap().is_empty());
    assert_eq!(store.apply_tier_changes("feed", v, &[set(Some("A"), Some("B"))], "event").await.unwrap().len(), 1);
    assert_eq!(store.tiers_of("feed", &[x.id, 999_999]).await.unwrap(), vec![(x.id, "B".to_string())]);
    let compact = store.current_tier_indices("feed", &["A".to_string(), "B".to_string()]).await.unwrap();
    assert_eq!((compact.known.clone(), compact.other.len()), (vec![(x.id, 1)], 0));
    let renamed = store.current_tier_indices("feed", &["A".to_string()]).await.unwrap();
    assert_eq!((renamed.known.len(), renamed.other.get(&x.id).map(String::as_str)), (0, Some("B")));
    let hist: Vec<_> = store.tier_history(x.id).await.unwrap().into_iter().filter(|h| h.model == "feed").map(|h| h.to_tier).collect();
    assert_eq!(hist, vec![Some("A".to_string()), Some("B".to_string())]);

    // Inside an import, tier changes commit or roll back with the rows that caused them.
    let (fields, recs) = records(Entity::Orders, &oh, &[&["F-SO-2", "F-1", "", "2024-07-01", "99", ""]], &[]);
    let mut s = store.begin_import(Entity::Orders, "live.csv", "tester", &fields).await.unwrap();
    assert_eq!(s.write(recs.clone()).await.unwrap().inserted, 1);
    assert_eq!(
        s.apply_tier_changes(&[ModelTierWrites { key: "feed", version: v, changes: &[set(Some("B"), Some("C"))] }], "event").await.unwrap()
            [0]
        .len(),
        1
    );
    assert!(
        s.apply_tier_changes(&[ModelTierWrites { key: "feed", version: v, changes: &[set(Some("B"), Some("D"))] }], "event").await.unwrap()
            [0]
        .is_empty(),
        "compare and set"
    );
    // Several models at once: each model's changes come back applied or not, in its own list
    // (written in customer order across models on SQLite); a missing customer gets no tier.
    let gone = |to: &str| TierWrite { customer_id: 999_999, from: None, to: Some(to.to_string()) };
    let moved_gone = TierWrite { customer_id: 999_998, from: Some("A".into()), to: Some("B".into()) };
    let both = s
        .apply_tier_changes(
            &[
                ModelTierWrites { key: "feed", version: v, changes: &[moved_gone, set(Some("C"), Some("D"))] },
                ModelTierWrites { key: "feed2", version: v2, changes: &[gone("A"), set(None, Some("A"))] },
            ],
            "event",
        )
        .await
        .unwrap();
    let ids = |w: &[TierWrite]| w.iter().map(|c| (c.customer_id, c.to.clone())).collect::<Vec<_>>();
    assert_eq!(
        both.iter().map(|w| ids(w)).collect::<Vec<_>>(),
        vec![vec![(x.id, Some("D".to_string()))], vec![(x.id, Some("A".to_string()))]]
    );
    assert_eq!(s.apply_tier_changes(&[], "event").await.unwrap(), Vec::<Vec<TierWrite>>::new());
    assert!(matches!(
        s.apply_tier_changes(&[ModelTierWrites { key: "nope", version: v, changes: &[set(None, Some("A"))] }], "event").await,
        Err(strata_store::StoreError::NotFound { .. })
    ));
    s.rollback().await.unwrap();
    assert_eq!(store.tiers_of("feed", &[x.id]).await.unwrap(), vec![(x.id, "B".to_string())]);
    assert!(store.tiers_of("feed2", &[x.id]).await.unwrap().is_empty());
    assert!(store.customer_events(strata_core::metrics::EventKind::Orders, x.id).await.unwrap().is_empty());
    let mut s = store.begin_import(Entity::Orders, "live.csv", "tester", &fields).await.unwrap();
    s.write(recs).await.unwrap();
    s.apply_tier_changes(&[ModelTierWrites { key: "feed", version: v, changes: &[set(Some("B"), Some("C"))] }], "event").await.unwrap();
    let live = s.commit(1, 0, "sha").await.unwrap();
    assert_eq!(store.tiers_of("feed", &[x.id]).await.unwrap(), vec![(x.id, "C".to_string())]);
    assert_eq!(store.customer_events(strata_core::metrics::EventKind::Orders, x.id).await.unwrap().len(), 1);
    let hist: Vec<_> = store.tier_history(x.id).await.unwrap().into_iter().filter(|h| h.model == "feed").map(|h| h.to_tier).collect();
    assert_eq!(hist.last().cloned().flatten().as_deref(), Some("C"));
    assert_eq!(store.tier_counts("feed").await.unwrap(), vec![("C".to_string(), 1)]);
    store.undo_batch(live.id, "tester").await.unwrap();
    // A lost tier is compare-and-set too, and leaves a history row to no tier.
    assert!(store.apply_tier_changes("feed", v, &[set(Some("B"), None)], "event").await.unwrap().is_empty());
    assert_eq!(store.apply_tier_changes("feed", v, &[set(Some("C"), None)], "event").await.unwrap().len(), 1);
    assert!(store.tiers_of("feed", &[x.id]).await.unwrap().is_empty());
    let hist: Vec<_> = store.tier_history(x.id).await.unwrap().into_iter().filter(|h| h.model == "feed").collect();
    assert_eq!(hist.last().map(|h| (h.from_tier.as_deref(), h.to_tier.as_deref())), Some((Some("C"), None)));

    // Leases.
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    assert!(store.try_lease("sweep", "a", later).await.unwrap());
    assert!(store.try_lease("sweep", "a", later).await.unwrap(), "the holder renews");
    assert!(!store.try_lease("sweep", "b", later).await.unwrap(), "another holder waits");
    assert_eq!(store.job_last_run("sweep").await.unwrap(), None);
    store.finish_lease("sweep", "a", "2026-12-01").await.unwrap();
    assert_eq!(store.job_last_run("sweep").await.unwrap().as_deref(), Some("2026-12-01"));
    assert!(store.try_lease("sweep", "b", later).await.unwrap(), "a finished lease is free");

    // Deleting a customer and defining a field are noted too.
    let seq = store.last_change_seq().await.unwrap();
    store.delete_customer(x.id).await.unwrap();
    assert!(store.customer_attribute_row(x.id, &defs).await.unwrap().is_none());
    let def = CustomFieldDef { key: "feed_flag".into(), label: "标记".into(), kind: FieldKind::Bool, options: vec![], required: false };
    store.define_custom_field(&def).await.unwrap();
    assert_eq!(feed(seq).await, vec![(Customer, Some(x.id)), (Reload, None)]);
    let gaps = store.changes_at(&[seq + 1, seq + 50]).await.unwrap();
    assert_eq!(gaps.len(), 1);

    event_books::event_books(store).await;
}

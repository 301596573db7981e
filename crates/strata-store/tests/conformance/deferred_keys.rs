//! The deferred-key part of the store story: a large import into an empty orders table drops
//! the unique index of order numbers, inserts without key checks and builds the index once at
//! the end; a key repeated across chunks fails that build with `DUPLICATE_KEYS` and rolls
//! everything back, and the same rows imported with keys checked reject the repeat.

use super::*;

/// Runs while the orders table is still empty; `customer` is an external id that exists.
pub(crate) async fn deferred_keys(store: &Store, customer: &str) {
    let headers = ["订单编号", "客户编号", "下单日期", "金额"];
    let chunk = |from: usize, to: usize| -> Vec<Vec<String>> {
        (from..to).map(|n| vec![format!("DK-{n}"), customer.to_string(), "2024-05-01".into(), format!("{n}.50")]).collect()
    };
    let recs = |rows: &[Vec<String>]| {
        let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        records(Entity::Orders, &headers, &rows, &[])
    };
    let (fields, first) = recs(&chunk(0, 50));
    // The second chunk repeats DK-7, which only the rebuilt index can see.
    let (_, mut repeat) = recs(&chunk(50, 60));
    repeat.push((99, recs(&chunk(7, 8)).1.remove(0).1));

    // Every event table's key index can be deferred (migrations 14 and 15 name them).
    for entity in [Entity::Payments, Entity::Interactions, Entity::Deals, Entity::Tickets, Entity::Feedback] {
        let mut s = store.begin_import(entity, "big.csv", "tester", &[]).await.unwrap();
        s.expect_rows(100_000, true).await.unwrap();
        assert!(s.keys_deferred(), "{entity:?}");
        s.rollback().await.unwrap();
    }
    let mut s = store.begin_import(Entity::Orders, "big.csv", "tester", &fields).await.unwrap();
    s.expect_rows(100_000, true).await.unwrap();
    assert!(s.keys_deferred(), "an empty table's key index is deferred");
    assert_eq!(s.write(first.clone()).await.unwrap().inserted, 50);
    let out = s.write(repeat.clone()).await.unwrap();
    assert_eq!((out.inserted, out.rejected.len()), (11, 0), "no key check while deferred");
    let err = s.commit(61, 0, "sha").await.expect_err("a repeated key fails the deferred check");
    assert_eq!(err.code(), strata_store::DUPLICATE_KEYS, "{err}");
    assert_eq!(store.export_page(Entity::Orders, &CustomerFilter::default(), 0, 1000).await.unwrap().len(), 0, "nothing was written");

    // Again with keys checked row by row: the repeat is rejected with its row number.
    let mut s = store.begin_import(Entity::Orders, "big.csv", "tester", &fields).await.unwrap();
    s.expect_rows(100_000, false).await.unwrap();
    assert!(!s.keys_deferred());
    s.write(first.clone()).await.unwrap();
    let out = s.write(repeat).await.unwrap();
    assert_eq!((out.inserted, out.rejected.len(), out.rejected[0].row), (10, 1, 99));
    s.rollback().await.unwrap();

    // Without repeats the deferred import commits, and the rebuilt index checks keys again.
    let mut s = store.begin_import(Entity::Orders, "big.csv", "tester", &fields).await.unwrap();
    s.expect_rows(100_000, true).await.unwrap();
    assert!(s.keys_deferred());
    s.write(first.clone()).await.unwrap();
    s.check_keys().await.expect("no repeats");
    let batch = s.commit(50, 0, "sha").await.expect("commit");
    let rows = store.export_page(Entity::Orders, &CustomerFilter::default(), 0, 1000).await.unwrap();
    let cell = |k: &str| rows[1].cells.iter().find(|(c, _)| *c == k).map(|(_, v)| v.to_cell()).unwrap_or_default();
    assert_eq!(rows.len(), 50);
    assert_eq!((cell("external_id"), cell("order_date"), cell("amount_cents")), ("DK-1".into(), "2024-05-01".into(), "150".into()));
    let mut s = store.begin_import(Entity::Orders, "big.csv", "tester", &fields).await.unwrap();
    s.expect_rows(100_000, true).await.unwrap();
    assert!(!s.keys_deferred(), "a table holding rows keeps its key index");
    let out = s.write(first).await.unwrap();
    assert_eq!((out.inserted, out.unchanged), (0, 50), "the same rows again change nothing");
    s.rollback().await.unwrap();
    // The story goes on from an empty orders table.
    assert_eq!(store.undo_batch(batch.id, "tester").await.expect("undo").deleted, 50);
}

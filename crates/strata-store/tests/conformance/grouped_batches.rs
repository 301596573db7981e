//! The group-commit part of the store story: several batches in one import transaction, each
//! under a savepoint with its own record and counts; a batch with a rejected row is rolled back
//! alone (its record too, also when it was the transaction's first), and undoing one committed
//! batch leaves the others.

use super::*;

/// Runs while the orders table is empty; `customer` is an external id that exists.
pub(crate) async fn grouped_batches(store: &Store, customer: &str) {
    let headers = ["订单编号", "客户编号", "下单日期", "金额"];
    let request = |number: &str, who: &str| {
        let row = [number, who, "2024-05-02", "10"];
        records(Entity::Orders, &headers, &[&row[..]], &[])
    };
    let (fields, first_bad) = request("GB-0", "NO-SUCH-CUSTOMER");
    let before = store.list_batches(1000).await.unwrap().len();
    let mut s = store.begin_import(Entity::Orders, "api", "alice", &fields).await.unwrap();
    // The first batch is rejected: rolled back to its savepoint, its record discarded.
    s.savepoint().await.unwrap();
    assert_eq!(s.write(first_bad).await.unwrap().rejected.len(), 1);
    s.rollback_to_savepoint().await.unwrap();
    s.discard_batch().await.unwrap();
    // Two good batches around a rejected one.
    // A good batch's savepoint is released when the next one is taken (`renew_savepoint`).
    let (mut committed, mut held) = (Vec::new(), false);
    for (n, who, actor) in [("GB-1", customer, "bob"), ("GB-2", "NO-SUCH-CUSTOMER", "carol"), ("GB-3", customer, "dave")] {
        match held {
            true => s.renew_savepoint().await.unwrap(),
            false => s.savepoint().await.unwrap(),
        }
        s.next_batch("api", actor).await.unwrap();
        let out = s.write(request(n, who).1).await.unwrap();
        if out.rejected.is_empty() {
            assert_eq!(out.inserted, 1, "{n}");
            committed.push(s.finish_batch(1, 0, "").await.unwrap());
            held = true;
        } else {
            s.rollback_to_savepoint().await.unwrap();
            held = false;
        }
    }
    assert!(held);
    s.release_savepoint().await.unwrap();
    s.commit_batches().await.unwrap();
    let batches = store.list_batches(1000).await.unwrap();
    assert_eq!(batches.len(), before + 2, "two batches recorded: {batches:?}");
    let actors: Vec<&str> = committed.iter().map(|b| b.actor.as_str()).collect();
    assert_eq!(actors, ["bob", "dave"]);
    for b in &committed {
        let stored = store.get_batch(b.id).await.unwrap();
        assert_eq!((stored.inserted, stored.rows_total, stored.actor.as_str()), (1, 1, b.actor.as_str()));
    }
    let numbers = |rows: Vec<strata_store::ExportRow>| -> Vec<String> {
        rows.iter().filter_map(|r| r.cells.iter().find(|(c, _)| *c == "external_id").map(|(_, v)| v.to_cell())).collect()
    };
    let rows = store.export_page(Entity::Orders, &CustomerFilter::default(), 0, 1000).await.unwrap();
    assert_eq!(numbers(rows), ["GB-1", "GB-3"]);
    // Each batch undoes alone.
    assert_eq!(store.undo_batch(committed[0].id, "tester").await.expect("undo").deleted, 1);
    let rows = store.export_page(Entity::Orders, &CustomerFilter::default(), 0, 1000).await.unwrap();
    assert_eq!(numbers(rows), ["GB-3"]);
    // The story goes on from an empty orders table.
    assert_eq!(store.undo_batch(committed[1].id, "tester").await.expect("undo").deleted, 1);
}

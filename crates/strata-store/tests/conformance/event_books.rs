//! The event-book part of the store story: the engine's bulk read of every event table (on
//! SQLite from covering indexes or by scattered scans, several connections at once) holds
//! exactly what the per-customer read returns, for every customer, with a gap in the ids.

use super::*;
use strata_core::metrics::{CustomerIndex, EventKind};

/// A deterministic sequence for the generated rows.
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

/// One of the 40 generated customers, never number 20 (deleted later: it has no events).
fn pick(seed: &mut u64) -> u64 {
    match next(seed) % 40 {
        20 => 21,
        c => c,
    }
}

async fn import_owned(store: &Store, entity: Entity, headers: &[&str], rows: &[Vec<String>]) {
    let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    import(store, entity, headers, &rows, &[]).await;
}

pub(crate) async fn event_books(store: &Store) {
    let mut ids = Vec::new();
    for i in 0..40 {
        let input = CustomerInput { external_id: Some(format!("EB-{i}")), ..customer(&format!("事件簿测试客户{i}号有限公司")) };
        ids.push(store.create_customer(&input).await.expect("customer").id);
    }
    let mut seed = 7;
    let statuses = ["", "已退款", "已取消", "completed"];
    let products = ["", "医疗器械", "制造", "软件"];
    let orders: Vec<Vec<String>> = (0..400)
        .map(|n| {
            let c = pick(&mut seed);
            let day = 1 + next(&mut seed) % 28;
            let month = 1 + next(&mut seed) % 12;
            let amount = if n == 7 { "30000000".to_string() } else { format!("{}.{:02}", next(&mut seed) % 5000, n % 100) };
            let status = statuses[(next(&mut seed) % 4) as usize];
            let product = products[(next(&mut seed) % 4) as usize];
            vec![format!("EB-SO-{n}"), format!("EB-{c}"), format!("2024-{month:02}-{day:02}"), amount, status.into(), product.into()]
        })
        .collect();
    // Announced as a large first load: the table's secondary indexes (and on PostgreSQL its
    // foreign keys) are dropped and rebuilt at commit; a rollback restores them untouched.
    let order_headers = ["订单编号", "客户编号", "下单日期", "金额", "状态", "产品线"];
    let rows: Vec<Vec<&str>> = orders.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let (fields, recs) = records(Entity::Orders, &order_headers, &rows, &[]);
    for commit in [false, true] {
        let mut s = store.begin_import(Entity::Orders, "large.csv", "tester", &fields).await.unwrap();
        s.expect_rows(100_000, false).await.unwrap();
        assert_eq!(s.write(recs.clone()).await.unwrap().inserted, 400);
        if commit {
            s.commit(400, 0, "sha").await.expect("commit with the indexes rebuilt");
        } else {
            s.rollback().await.unwrap();
        }
    }
    let methods = ["", "银行转账", "支付宝"];
    let payments: Vec<Vec<String>> = (0..120)
        .map(|n| {
            let c = pick(&mut seed);
            let day = 1 + next(&mut seed) % 28;
            vec![format!("EB-PM-{n}"), format!("EB-{c}"), format!("2023-11-{day:02}"), format!("{}", 1 + n * 3), methods[n % 3].into()]
        })
        .collect();
    import_owned(store, Entity::Payments, &["回款编号", "客户编号", "回款日期", "回款金额", "付款方式"], &payments).await;
    let interactions: Vec<Vec<String>> = (0..60)
        .map(|n| {
            let c = pick(&mut seed);
            let hour = next(&mut seed) % 24;
            vec![
                format!("EB-{c}"),
                ["电话", "微信", "拜访"][n % 3].into(),
                format!("2024-03-{:02} {hour:02}:30", 1 + n % 28),
                format!("第{n}次"),
            ]
        })
        .collect();
    import_owned(store, Entity::Interactions, &["客户编号", "跟进方式", "跟进时间", "跟进内容"], &interactions).await;
    // A customer without events in the middle of the ids: the index is no longer consecutive.
    store.delete_customer(ids[20]).await.expect("delete a customer without events");

    let index = CustomerIndex::new(store.customer_ids().await.unwrap());
    for kind in EventKind::ALL {
        let book = store.event_book(kind, &index).await.unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let mut total = 0;
        for (p, &id) in index.ids().iter().enumerate() {
            // (day, numbers, category texts, flag) of each event, in order.
            type Event = (i32, Vec<i64>, Vec<Option<String>>, u8);
            let mut want: Vec<Event> = store
                .customer_events(kind, id)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.day, e.nums.to_vec(), e.cats.to_vec(), e.flag))
                .collect();
            let got = book.events(p as u32);
            let mut have: Vec<Event> = (0..got.len())
                .map(|k| {
                    let cats = (0..2).map(|i| book.dictionary(i).text(got.cats[i].get(k)).map(str::to_string)).collect();
                    (got.day.get(k), (0..3).map(|i| got.nums[i].get(k)).collect(), cats, got.flag[k])
                })
                .collect();
            assert!(have.windows(2).all(|w| w[0].0 <= w[1].0), "{kind:?} events of customer {id} are in day order");
            want.sort();
            have.sort();
            assert_eq!(have, want, "{kind:?} events of customer {id}");
            total += want.len();
        }
        assert_eq!(book.len(), total, "{kind:?}");
        if matches!(kind, EventKind::Orders | EventKind::Payments | EventKind::Interactions) {
            assert!(total >= 60, "{kind:?} has the generated rows");
        }
    }
}

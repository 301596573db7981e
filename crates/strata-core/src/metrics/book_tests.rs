//! Tests of `EventBook`: building from scattered rows, overlay updates, compaction.

use super::*;

fn order(day: Day, cents: i64, product: u32) -> EventRow {
    let mut r = EventRow::new(day);
    r.nums[0] = cents;
    r.cats[0] = product;
    r.flag = 1;
    r
}

fn days(s: EventSlice<'_>) -> Vec<Day> {
    s.day.to_vec()
}

#[test]
fn builds_grouped_and_sorted_from_scattered_rows() {
    let mut b = EventBookBuilder::new(EventKind::Orders, &[2, 0, 3]);
    b.push(2, &order(30, 300, 1));
    b.push(0, &order(10, 100, 0));
    b.push(2, &order(5, 50, 2));
    b.push(0, &order(11, 110, 0));
    b.push(2, &order(20, 200, 1));
    b.push(1, &order(1, 1, 0)); // more than announced
    b.push(9, &order(1, 1, 0)); // unknown position
    assert_eq!(b.dropped(), 2);
    let book = b.finish();
    assert_eq!(book.len(), 5);
    assert_eq!(days(book.events(0)), vec![10, 11]);
    assert!(book.events(1).is_empty());
    let c = book.events(2);
    assert_eq!(days(c), vec![5, 20, 30]);
    assert_eq!(c.nums[0].to_vec(), [50, 200, 300]);
    assert_eq!((c.cats[0].get(0), c.cats[0].get(2)), (2, 1));
    assert!(book.events(77).is_empty());
}

#[test]
fn unfilled_slots_are_removed() {
    let mut b = EventBookBuilder::new(EventKind::Orders, &[3, 1]);
    b.push(0, &order(1, 1, 0));
    b.push(1, &order(2, 2, 0));
    let book = b.finish();
    assert_eq!(book.len(), 2);
    assert_eq!(days(book.events(0)), vec![1]);
    assert_eq!(days(book.events(1)), vec![2]);
}

#[test]
fn spans_select_windows_by_day() {
    let mut b = EventBookBuilder::new(EventKind::Orders, &[4]);
    for d in [1, 5, 5, 9] {
        b.push(0, &order(d, 1, 0));
    }
    let book = b.finish();
    let s = book.events(0);
    assert_eq!(s.span(DayRange { start: 5, end: 5 }), 1..3);
    assert_eq!(s.span(DayRange { start: 6, end: 8 }), 3..3);
    assert_eq!(s.span(DayRange { start: 10, end: 2 }), 4..4);
    assert_eq!(s.span(DayRange::ALL), 0..4);
}

#[test]
fn overlay_adds_and_replaces_then_compacts() {
    let mut b = EventBookBuilder::new(EventKind::Orders, &[2, 1]);
    b.push(0, &order(10, 100, 0));
    b.push(0, &order(20, 200, 0));
    b.push(1, &order(15, 150, 0));
    let mut book = b.finish();
    book.add(0, &order(15, 999, 3));
    assert_eq!(days(book.events(0)), vec![10, 15, 20]);
    assert_eq!(book.events(0).nums[0].to_vec(), [100, 999, 200]);
    assert_eq!(book.len(), 4);
    book.add(4, &order(1, 1, 0)); // a customer added after the build
    assert_eq!(days(book.events(4)), vec![1]);
    assert_eq!(book.customers(), 5);
    book.replace(1, &[order(3, 3, 0), order(2, 2, 0)]);
    assert_eq!(days(book.events(1)), vec![2, 3]);
    assert_eq!(book.len(), 6);
    book.replace(0, &[]);
    assert_eq!(book.len(), 3);
    book.compact();
    assert_eq!(book.overlay_customers(), 0);
    assert_eq!(book.len(), 3);
    assert!(book.events(0).is_empty());
    assert_eq!(days(book.events(1)), vec![2, 3]);
    assert_eq!(days(book.events(4)), vec![1]);
}

#[test]
fn kinds_without_category_fields_read_missing() {
    let mut b = EventBookBuilder::new(EventKind::Feedback, &[1]);
    let mut r = EventRow::new(3);
    r.nums[0] = 9;
    r.cats[0] = 5;
    b.push(0, &r);
    let book = b.finish();
    let s = book.events(0);
    assert_eq!(s.nums[0].to_vec(), [9]);
    assert_eq!(s.nums[1].to_vec(), [NO_NUM]);
    assert!(s.nums[2].is_empty());
    assert_eq!(s.cats[0].get(0), 0);
}

#[test]
fn parts_joined_equal_one_book_built_whole() {
    // (customer, day, cents, product): part two has a wide amount, part three a day before 1970.
    let rows =
        [(0, 5, 10, 1), (1, 3, 20, 0), (0, 1, 30, 2), (3, 9, 1 << 40, 1), (2, 4, 40, 0), (5, -30, 50, 300), (4, 2, 60, 1), (5, 7, 70, 2)];
    let counts = |range: std::ops::Range<u32>| -> Vec<u32> { range.map(|p| rows.iter().filter(|r| r.0 == p).count() as u32).collect() };
    let build = |range: std::ops::Range<u32>| {
        let mut b = EventBookBuilder::new(EventKind::Orders, &counts(range.clone()));
        for &(p, day, cents, product) in rows.iter().filter(|r| range.contains(&r.0)) {
            b.push(p - range.start, &order(day, cents, product));
        }
        b.finish()
    };
    let whole = build(0..6);
    let joined = EventBook::concat(EventKind::Orders, vec![build(0..2), build(2..2), build(2..4), build(4..6)], Default::default());
    assert_eq!((joined.len(), joined.customers()), (whole.len(), whole.customers()));
    for p in 0..6 {
        let (a, b) = (whole.events(p), joined.events(p));
        assert_eq!(days(a), days(b), "customer {p}");
        assert_eq!(a.nums[0].to_vec(), b.nums[0].to_vec(), "customer {p}");
        assert_eq!((0..a.len()).map(|i| a.cats[0].get(i)).collect::<Vec<_>>(), (0..b.len()).map(|i| b.cats[0].get(i)).collect::<Vec<_>>());
    }
    assert_eq!(days(joined.events(5)), vec![-30, 7]);
    let none = EventBook::concat(EventKind::Orders, Vec::new(), Default::default());
    assert_eq!((none.len(), none.customers()), (0, 0));
}

#[test]
fn grouped_rows_build_the_same_book_as_scattered_ones() {
    let rows = [(0, 5, 10, 1), (0, 1, 30, 2), (2, 4, 40, 0), (2, -3, 1 << 40, 300), (4, 2, 60, 1)];
    let mut grouped = GroupedBookBuilder::new(EventKind::Orders, 6);
    let mut scattered = EventBookBuilder::new(EventKind::Orders, &[2, 0, 2, 0, 1, 0]);
    for &(p, day, cents, product) in &rows {
        grouped.push(p, &order(day, cents, product));
        scattered.push(p, &order(day, cents, product));
    }
    grouped.push(1, &order(9, 9, 0)); // behind the last position seen
    grouped.push(6, &order(9, 9, 0)); // outside the range
    assert_eq!(grouped.dropped(), 2);
    let (a, b) = (grouped.finish(), scattered.finish());
    assert_eq!((a.len(), a.customers()), (b.len(), b.customers()));
    for p in 0..6 {
        assert_eq!(days(a.events(p)), days(b.events(p)), "customer {p}");
        assert_eq!(a.events(p).nums[0].to_vec(), b.events(p).nums[0].to_vec());
        assert_eq!(a.events(p).cats[0].get(1), b.events(p).cats[0].get(1));
    }
    assert_eq!(days(a.events(2)), vec![-3, 4]);
    let feedback = GroupedBookBuilder::new(EventKind::Feedback, 2).finish();
    assert_eq!((feedback.len(), feedback.customers()), (0, 2));
}

/// Every event of every customer, field by field (the fields the kind has).
fn snapshot(book: &EventBook) -> Vec<Vec<EventRow>> {
    let k = book.kind();
    (0..book.customers() as u32)
        .map(|p| {
            let s = book.events(p);
            (0..s.len())
                .map(|j| {
                    let mut r = s.row(j);
                    r.nums.iter_mut().skip(k.numbers().len()).for_each(|v| *v = NO_NUM);
                    r.cats.iter_mut().skip(k.categories().len()).for_each(|c| *c = 0);
                    r
                })
                .collect()
        })
        .collect()
}

proptest::proptest! {
    /// Compaction keeps every customer's events (field by field, in day order) whatever the
    /// overlay holds: adds, replacements, new customers, values that widen a column.
    #[test]
    fn compaction_keeps_every_event(
        kind in proptest::sample::select(vec![EventKind::Orders, EventKind::Payments, EventKind::Tickets, EventKind::Feedback]),
        base in proptest::collection::vec((0u32..12, -5i32..70_000, proptest::prop_oneof![0i64..1000, proptest::strategy::Just(1i64 << 40), proptest::strategy::Just(NO_NUM)], 0u32..300), 0..60),
        edits in proptest::collection::vec((0u32..16, proptest::bool::ANY, -70_000i32..70_000, -5i64..(1i64 << 33), 0u32..70_000), 0..30),
    ) {
        let row = |day: Day, n: i64, c: u32| {
            let mut r = EventRow::new(day);
            r.nums = [n, n / 3, NO_NUM];
            r.cats = [c, c / 2];
            r.flag = (c % 2) as u8;
            r
        };
        let mut counts = vec![0u32; 12];
        base.iter().for_each(|b| counts[b.0 as usize] += 1);
        let mut b = EventBookBuilder::new(kind, &counts);
        base.iter().for_each(|&(p, d, n, c)| b.push(p, &row(d, n, c)));
        let mut book = b.finish();
        for &(p, replace, d, n, c) in &edits {
            if replace {
                book.replace(p, &[row(d, n, c), row(d / 2, n, c)]);
            } else {
                book.add(p, &row(d, n, c));
            }
        }
        let before = snapshot(&book);
        let len = book.len();
        book.compact();
        proptest::prop_assert_eq!(book.overlay_customers(), 0);
        proptest::prop_assert_eq!(book.len(), len);
        proptest::prop_assert_eq!(snapshot(&book), before);
    }
}

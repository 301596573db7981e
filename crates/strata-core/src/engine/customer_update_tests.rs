//! Bringing one customer up to date: new, changed, deleted customers and new events agree with
//! a full evaluation; values no rule had seen yet still match; out-of-order ids ask for a reload.

use super::{
    attributes::AttributeRow,
    customer_update::{CustomerState, CustomerUpdate, RawEvent},
    engine_tests::{day, engine, keys, loaded, VALUE},
    TierChange,
};
use crate::{
    metrics::{EventKind, NO_NUM},
    rules::schema::Schema,
    tiering::{model::Catalog, rfm::NO_TIER, spec::ModelSpec},
};

fn attrs(industry: &str, province: &str, tags: &[&str]) -> AttributeRow {
    let mut r = AttributeRow::default();
    r.text[1] = Some(industry.into());
    r.text[2] = Some(province.into());
    r.tags = tags.iter().map(|t| t.to_string()).collect();
    r
}

fn order(d: &str, yuan: i64) -> RawEvent {
    RawEvent { day: day(d), nums: [yuan * 100, NO_NUM, NO_NUM], cats: [None, None], flag: 1 }
}

#[test]
fn new_changed_and_deleted_customers() {
    let mut e = loaded(&[VALUE]);
    assert_eq!(keys(&e, 0), ["A", "D", "B", "D", "C"]);
    // A new customer in 广东 制造 with no orders: rule B.
    let new = CustomerState { attributes: Some(attrs("制造", "广东", &[])), events: vec![(EventKind::Orders, vec![])] };
    let got = e.update_customer(6, &new);
    assert_eq!(got, CustomerUpdate::Evaluated(vec![TierChange { position: 5, model: 0, from: NO_TIER, to: 1 }]));
    // Customer 4 gets a big recent order: A.
    let rich = CustomerState {
        attributes: Some(attrs("零售", "上海", &[])),
        events: vec![(EventKind::Orders, vec![order("2024-06-01", 200_000)])],
    };
    e.update_customer(4, &rich);
    assert_eq!(keys(&e, 0), ["A", "D", "B", "A", "C", "B"]);
    // Deleted: no tier, also after the daily sweep.
    assert!(matches!(e.update_customer(2, &CustomerState::default()), CustomerUpdate::Evaluated(_)));
    e.advance(day("2024-06-16"));
    assert_eq!(keys(&e, 0), ["A", "-", "B", "A", "C", "B"]);
    assert!(e.is_gone(1));
    // Unknown ids: ignored when there is nothing to add, a reload when they arrive out of order.
    assert_eq!(e.update_customer(99, &CustomerState::default()), CustomerUpdate::Ignored);
    assert_eq!(e.update_customer(0, &new), CustomerUpdate::NeedsReload);
}

#[test]
fn values_no_rule_had_seen_match_after_an_update() {
    let text = r#"
key = "energy"
name = "新能源"
kind = "ladder"
[[tiers]]
key = "yes"
name = "是"
when = "industry = \"新能源\" or has_tag(\"储能\")"
[[tiers]]
key = "no"
name = "否"
"#;
    let mut e = engine();
    let catalog = Catalog::compile(&[ModelSpec::from_toml(text).unwrap()], &Schema::default()).unwrap();
    e.load(catalog, &Schema::default(), vec![None]);
    assert_eq!(keys(&e, 0), ["no"; 5]);
    e.update_customer(4, &CustomerState { attributes: Some(attrs("新能源", "上海", &[])), events: vec![] });
    e.update_customer(2, &CustomerState { attributes: Some(attrs("医疗器械", "北京", &["储能"])), events: vec![] });
    assert_eq!(keys(&e, 0), ["no", "yes", "no", "yes", "no"]);
}

#[test]
fn recorded_events_agree_with_a_full_evaluation() {
    let mut e = loaded(&[VALUE]);
    let changes = e.record_raw(EventKind::Orders, 5, &order("2024-06-15", 150_000)).expect("known customer");
    assert_eq!(changes, vec![TierChange { position: 4, model: 0, from: 2, to: 0 }]);
    assert!(e.record_raw(EventKind::Orders, 42, &order("2024-06-15", 1)).is_none());
    let incremental = keys(&e, 0);
    e.advance(e.today());
    assert_eq!(keys(&e, 0), incremental);
}

mod agreement {
    //! Whatever sequence of new events, edits and deletions arrives, the incrementally updated
    //! engine holds the same tiers as an engine built from scratch on the final data with the
    //! same cut points.

    use proptest::prelude::*;

    use super::{attrs, order};
    use crate::{
        engine::{
            attributes::Attributes,
            customer_update::{CustomerState, RawEvent},
            engine_tests::{day, keys, READER, SCORE, VALUE},
            Engine,
        },
        metrics::{CustomerIndex, EventBookBuilder, EventKind, EventRow},
        rules::schema::Schema,
        tiering::{model::Catalog, spec::ModelSpec},
    };

    const INDUSTRIES: [&str; 3] = ["制造", "零售", "新能源"];
    const PROVINCES: [&str; 2] = ["广东", "上海"];

    #[derive(Debug, Clone)]
    enum Op {
        Order { customer: usize, days_ago: u32, yuan: i64 },
        Edit { customer: usize, industry: usize, province: usize, tagged: bool },
        Delete { customer: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..6usize, 0..400u32, 1..200_000i64).prop_map(|(customer, days_ago, yuan)| Op::Order { customer, days_ago, yuan }),
            (0..6usize, 0..3usize, 0..2usize, any::<bool>()).prop_map(|(customer, industry, province, tagged)| Op::Edit {
                customer,
                industry,
                province,
                tagged
            }),
            (0..6usize).prop_map(|customer| Op::Delete { customer }),
        ]
    }

    /// The data of one customer as the test keeps it (None = deleted).
    type Data = Option<(usize, usize, bool, Vec<RawEvent>)>;

    fn state(d: &Data) -> CustomerState {
        match d {
            None => CustomerState::default(),
            Some((i, p, tagged, orders)) => CustomerState {
                attributes: Some(attrs(INDUSTRIES[*i], PROVINCES[*p], if *tagged { &["战略客户"] } else { &[] })),
                events: vec![(EventKind::Orders, orders.clone())],
            },
        }
    }

    fn row(e: &RawEvent) -> EventRow {
        let mut r = EventRow::new(e.day);
        r.nums = e.nums;
        r.flag = e.flag;
        r
    }

    /// An engine built from scratch over the customers that exist in `data`.
    fn fresh(data: &[Data], today: i32) -> Engine {
        let ids: Vec<i64> = (0..data.len()).filter(|&c| data[c].is_some()).map(|c| c as i64 + 1).collect();
        let present: Vec<&(usize, usize, bool, Vec<RawEvent>)> = data.iter().flatten().collect();
        let counts: Vec<u32> = present.iter().map(|d| d.3.len() as u32).collect();
        let mut b = EventBookBuilder::new(EventKind::Orders, &counts);
        let mut a = Attributes::new(&[]);
        for (p, d) in present.iter().enumerate() {
            d.3.iter().for_each(|e| b.push(p as u32, &row(e)));
            a.set(p, &state(&Some((*d).clone())).attributes.unwrap_or_default());
        }
        Engine::new(CustomerIndex::new(ids), vec![b.finish()], a, today, 1)
    }

    fn catalog() -> Catalog {
        let specs: Vec<ModelSpec> = [VALUE, SCORE, READER].iter().map(|t| ModelSpec::from_toml(t).unwrap()).collect();
        Catalog::compile(&specs, &Schema::default()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn incremental_updates_agree_with_a_fresh_build(ops in proptest::collection::vec(op(), 0..40)) {
            let today = day("2024-06-15");
            let mut data: Vec<Data> = (0..6).map(|c| Some((c % 3, c % 2, c == 2, vec![order("2024-05-01", 1_000 * (c as i64 + 1))]))).collect();
            let mut live = fresh(&data, today);
            live.load(catalog(), &Schema::default(), vec![]);
            let cuts: Vec<_> = live.states.iter().map(|s| Some(s.calibration.clone())).collect();
            for op in &ops {
                match *op {
                    Op::Order { customer, days_ago, yuan } => {
                        if let Some(d) = data[customer].as_mut() {
                            let e = RawEvent { day: today - days_ago as i32, ..order("2024-01-01", yuan) };
                            d.3.push(e.clone());
                            prop_assert!(live.record_raw(EventKind::Orders, customer as i64 + 1, &e).is_some());
                        }
                    }
                    Op::Edit { customer, industry, province, tagged } => {
                        let orders = data[customer].as_ref().map(|d| d.3.clone()).unwrap_or_default();
                        if data[customer].is_some() {
                            data[customer] = Some((industry, province, tagged, orders));
                            live.update_customer(customer as i64 + 1, &state(&data[customer]));
                        }
                    }
                    Op::Delete { customer } => {
                        data[customer] = None;
                        live.update_customer(customer as i64 + 1, &CustomerState::default());
                    }
                }
            }
            let mut rebuilt = fresh(&data, today);
            rebuilt.load(catalog(), &Schema::default(), cuts);
            for m in 0..3 {
                let kept: Vec<String> = keys(&live, m)
                    .into_iter()
                    .enumerate()
                    .filter(|(p, _)| !live.is_gone(*p as u32))
                    .map(|(_, k)| k)
                    .collect();
                prop_assert_eq!(&kept, &keys(&rebuilt, m), "model {}", m);
            }
        }
    }
}

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

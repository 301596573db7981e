//! Engine tests: a small customer base evaluated by ladders, scores, RFM and the presets;
//! incremental updates agree with full evaluation; explanations and model errors.

use super::{
    attributes::{AttributeRow, Attributes},
    Engine,
};
use crate::{
    metrics::{day_of, CustomerIndex, Day, EventBook, EventBookBuilder, EventKind, EventRow},
    rules::schema::Schema,
    tiering::{
        model::Catalog,
        rfm::{NO_TIER, REVENUE},
        spec::ModelSpec,
    },
};

pub(super) fn day(s: &str) -> Day {
    day_of(s.parse().unwrap())
}

fn order(d: &str, yuan: i64) -> EventRow {
    let mut r = EventRow::new(day(d));
    r.nums[0] = yuan * 100;
    r.flag = REVENUE;
    r
}

/// Customers 1..=5 with orders; attributes: industry and province; customer 3 tagged.
pub(super) fn engine() -> Engine {
    let orders: Vec<Vec<EventRow>> = vec![
        vec![order("2024-05-01", 50_000), order("2024-05-20", 80_000), order("2024-06-01", 10_000)],
        vec![order("2023-01-01", 1_000)],
        vec![order("2024-04-01", 2_000), order("2024-06-10", 3_000)],
        vec![],
        vec![order("2024-06-14", 500)],
    ];
    let counts: Vec<u32> = orders.iter().map(|o| o.len() as u32).collect();
    let mut b = EventBookBuilder::new(EventKind::Orders, &counts);
    for (p, rows) in orders.iter().enumerate() {
        for r in rows {
            b.push(p as u32, r);
        }
    }
    let book: EventBook = b.finish();
    let mut attrs = Attributes::new(&[]);
    let rows = [
        ("制造", "广东", &[][..]),
        ("医疗器械", "北京", &[]),
        ("制造", "广东", &["战略客户"]),
        ("零售", "上海", &[]),
        ("制造", "江苏", &[]),
    ];
    for (p, (industry, province, tags)) in rows.iter().enumerate() {
        let mut r = AttributeRow::default();
        r.text[1] = Some(industry.to_string());
        r.text[2] = Some(province.to_string());
        r.tags = tags.iter().map(|t| t.to_string()).collect();
        attrs.set(p, &r);
    }
    Engine::new(CustomerIndex::new(vec![1, 2, 3, 4, 5]), vec![book], attrs, day("2024-06-15"), 2)
}

pub(super) const VALUE: &str = r#"
key = "value"
name = "价值分层"
kind = "ladder"
[[tiers]]
key = "A"
name = "核心"
when = "sum(订单.金额, 最近90天) > 100000"
[[tiers]]
key = "B"
name = "重点"
when = "has_tag(\"战略客户\") or (industry = \"制造\" and province = \"广东\")"
[[tiers]]
key = "C"
name = "活跃"
when = "days_since(last order) <= 30"
[[tiers]]
key = "D"
name = "普通"
"#;

pub(super) const SCORE: &str = r#"
key = "score"
name = "综合评分"
kind = "score"
[[dimensions]]
key = "revenue"
name = "销售额"
expr = "sum(orders.amount)"
weight = 3
normalise = "min_max"
[[dimensions]]
key = "count"
name = "订单数"
expr = "count(orders)"
weight = 1
normalise = "bins"
bins = [[1, 50], [3, 100]]
[[tiers]]
key = "high"
name = "高"
min_score = 60
[[tiers]]
key = "low"
name = "低"
min_score = 0
"#;

pub(super) const READER: &str = r#"
key = "focus"
name = "重点关注"
kind = "ladder"
[[tiers]]
key = "yes"
name = "是"
when = "tier(\"value\") in [\"核心\", \"B\"] and tier(\"score\") = \"高\""
[[tiers]]
key = "no"
name = "否"
"#;

fn specs(texts: &[&str]) -> Vec<ModelSpec> {
    texts.iter().map(|t| ModelSpec::from_toml(t).unwrap()).collect()
}

pub(super) fn keys(e: &Engine, m: usize) -> Vec<String> {
    e.tiers[m].iter().map(|&t| if t == NO_TIER { "-".into() } else { e.catalog.models[m].tiers[usize::from(t)].key.clone() }).collect()
}

pub(super) fn loaded(texts: &[&str]) -> Engine {
    let mut e = engine();
    let catalog = Catalog::compile(&specs(texts), &Schema::default()).unwrap();
    e.load(catalog, &Schema::default(), vec![]);
    e
}

#[test]
fn ladders_scores_and_cross_model_reads() {
    let e = loaded(&[READER, VALUE, SCORE]);
    assert_eq!(keys(&e, 1), ["A", "D", "B", "D", "C"]);
    // revenue min 0 (customer 4) … max 140,000: customer 1 = 3/4·100 + 1/4·100 = 100.
    assert_eq!(keys(&e, 2), ["high", "low", "low", "low", "low"]);
    assert_eq!(keys(&e, 0), ["yes", "no", "no", "no", "no"]);
    assert_eq!(e.catalog.order, vec![1, 2, 0]);
    assert!((e.states[2].scores[0] - 100.0).abs() < 1e-3);
}

#[test]
fn incremental_updates_agree_with_full_evaluation() {
    let mut e = loaded(&[READER, VALUE, SCORE]);
    let changes = e.record(EventKind::Orders, 3, &order("2024-06-15", 200_000));
    let moved: Vec<(u32, usize, u16, u16)> = changes.iter().map(|c| (c.position, c.model, c.from, c.to)).collect();
    // Customer 4 becomes A in value; score keeps stored cut points (max 140,000): high; focus: yes.
    assert_eq!(moved, vec![(3, 1, 3, 0), (3, 2, 1, 0), (3, 0, 1, 0)]);
    let incremental = e.tiers.clone();
    let fresh_catalog = e.catalog.clone();
    let calibrations: Vec<_> = e.states.iter().map(|s| Some(s.calibration.clone())).collect();
    e.load(fresh_catalog, &Schema::default(), calibrations);
    assert_eq!(e.tiers, incremental);
}

#[test]
fn the_daily_sweep_moves_time_based_tiers() {
    let mut e = loaded(&[VALUE]);
    assert_eq!(keys(&e, 0)[4], "C");
    let changes = e.advance(day("2024-08-01"));
    assert_eq!(keys(&e, 0), ["B", "D", "B", "D", "D"]);
    assert_eq!(changes.len(), 2);
}

#[test]
fn presets_compile_and_evaluate() {
    use crate::predict::{BgNbd, Forecast, GammaGamma, PurchaseModel, TimeUnit};
    let presets = crate::tiering::spec::PRESETS.iter().map(|(_, t)| *t).collect::<Vec<_>>();
    // The retention preset needs the purchase models: without fits it does not check.
    let errors = Catalog::compile(&specs(&presets), &Schema::default()).unwrap_err();
    assert!(errors.iter().all(|e| e.model == "retention" && e.code == "model_not_fitted"), "{errors:?}");
    let forecast = Forecast {
        purchases: Some(PurchaseModel { params: BgNbd { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, unit: TimeUnit::Weeks }),
        spend: Some(GammaGamma { p: 6.25, q: 3.74, gamma: 15.44 }),
    };
    let schema = Schema { forecast, ..Schema::default() };
    let mut e = engine();
    e.set_forecast(forecast);
    e.load(Catalog::compile(&specs(&presets), &schema).unwrap(), &schema, vec![]);
    let retention = e.catalog.index("retention").unwrap();
    assert_eq!(keys(&e, retention)[3], "no_purchase");
    assert!(keys(&e, retention).iter().all(|k| k != "rescue" && k != "slipping"), "recent buyers are alive");
    let lifecycle = e.catalog.index("lifecycle").unwrap();
    assert_eq!(keys(&e, lifecycle), ["new", "churned", "new", "prospect", "new"]);
    let bant = e.catalog.index("bant").unwrap();
    assert!(keys(&e, bant).iter().all(|k| k == "no_deal"));
    let r = e.catalog.index("rfm").unwrap();
    assert_eq!(keys(&e, r)[3], "no_purchase");
}

#[test]
fn explanations_name_failed_rules_and_gaps() {
    let e = loaded(&[VALUE, SCORE]);
    let x = e.explain(0, 4).unwrap();
    let json = serde_json::to_value(&x).unwrap();
    assert_eq!(json["tier"]["key"], "C");
    let steps = json["detail"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["result"], "failed");
    assert_eq!(steps[0]["checks"][0]["condition"], "sum(orders.amount, last 90d) > 100000");
    assert_eq!(steps[0]["checks"][0]["value"], "500");
    assert_eq!(steps[1]["checks"][2]["condition"], "province in [\"广东\"]");
    assert_eq!(steps[1]["checks"][2]["value"], "江苏");
    assert_eq!(steps[2]["result"], "matched");
    assert!(x.to_move_up[0].text(true).starts_with("→ 重点"), "{:?}", x.to_move_up);
    assert_eq!(json["to_move_up"][0]["kind"], "conditions");
    let s = serde_json::to_value(e.explain(1, 2).unwrap()).unwrap();
    assert_eq!(s["detail"]["dimensions"][1]["points"], 50.0);
    let d = e.explain(0, 3).unwrap();
    assert!(d.to_move_up[0].text(false).contains("days_since(last order) <= 30 (now missing)"), "{:?}", d.to_move_up);
    assert!(d.to_move_up[0].text(true).contains("days_since(last order) <= 30（当前 无）"), "{:?}", d.to_move_up);
}

#[test]
fn model_errors_say_where_and_how_to_fix() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"key="m"
name="m"
kind="ladder"
[[tiers]]
key="a"
name="a"
when="sum(orders.amout) > 5""#,
            "unknown_field",
            "tiers[1].when",
        ),
        (
            r#"key="m"
name="m"
kind="ladder"
[[tiers]]
key="a"
name="a"
[[tiers]]
key="b"
name="b"
when="count(orders) > 1""#,
            "tier_after_default",
            "tiers[2]",
        ),
        (
            r#"key="m"
name="m"
kind="score"
[[dimensions]]
key="x"
name="x"
expr="count(orders)"
weight=0
[[tiers]]
key="a"
name="a"
min_score=50"#,
            "bad_weight",
            "dimensions[1].weight",
        ),
        (
            r#"key="m"
name="m"
kind="rfm"
[rfm]
recency={quantiles=5}
frequency={quantiles=2}
monetary={quantiles=5}
segments="standard"
[[tiers]]
key="a"
name="a""#,
            "bad_buckets",
            "rfm.frequency",
        ),
    ];
    for (text, code, path) in cases {
        let spec = ModelSpec::from_toml(text).unwrap();
        let errors = Catalog::compile(&[spec], &Schema::default()).unwrap_err();
        assert!(errors.iter().any(|e| e.code == *code && e.path == *path), "want {code} at {path}, got {errors:?}");
    }
}

#[test]
fn cycles_between_models_are_rejected() {
    let a = r#"key="a"
name="甲"
kind="ladder"
[[tiers]]
key="x"
name="x"
when="tier(\"b\") = \"y\""
[[tiers]]
key="z"
name="z""#;
    let b = r#"key="b"
name="乙"
kind="ladder"
[[tiers]]
key="y"
name="y"
when="tier(\"a\") = \"x\""
[[tiers]]
key="w"
name="w""#;
    let errors = Catalog::compile(&specs(&[a, b]), &Schema::default()).unwrap_err();
    assert_eq!(errors[0].code, "model_cycle");
    assert!(errors[0].message.contains("a → b → a"), "{}", errors[0].message);
    let unknown = ModelSpec::from_toml("key=\"m\"\nname=\"m\"\nkind=\"ladder\"\nbogus=1").unwrap_err();
    assert!(unknown.contains("bogus"), "{unknown}");
}

/// Predictions as rule metrics: a ladder on p_alive, moved by a new order without a reload;
/// features as of a past day see only the events up to it.
#[test]
fn predictions_follow_new_orders_and_past_days_see_the_past() {
    use crate::predict::{BgNbd, Forecast, PurchaseModel, TimeUnit};
    const RISK: &str = r#"
key = "risk"
name = "挽留"
kind = "ladder"
[[tiers]]
key = "at_risk"
name = "高危"
when = "p_alive < 0.5"
[[tiers]]
key = "ok"
name = "正常"
"#;
    let forecast = Forecast {
        purchases: Some(PurchaseModel { params: BgNbd { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, unit: TimeUnit::Weeks }),
        spend: None,
    };
    let schema = Schema { forecast, ..Schema::default() };
    let mut e = engine();
    e.set_forecast(forecast);
    let catalog = Catalog::compile(&specs(&[RISK]), &schema).unwrap();
    e.load(catalog, &schema, vec![]);
    // Recent repeat buyers are alive; one-time buyers have P(alive) = 1; customer 4 has no
    // orders (unknown), so the condition does not match and the default applies.
    assert_eq!(keys(&e, 0), ["ok", "ok", "ok", "ok", "ok"]);
    // A customer with two orders long ago is at risk; a new order today brings them back.
    let p = e.add_customer(6).expect("new customer");
    e.record(EventKind::Orders, p, &order("2023-01-01", 100));
    e.record(EventKind::Orders, p, &order("2023-02-01", 100));
    assert_eq!(keys(&e, 0)[p as usize], "at_risk");
    let changes = e.record(EventKind::Orders, p, &order("2024-06-14", 100));
    assert_eq!(keys(&e, 0)[p as usize], "ok");
    assert_eq!(changes.len(), 1);
    // The book as of a past day holds only the events up to it.
    let past = e.book(EventKind::Orders).until(day("2024-05-01"));
    assert_eq!((past.events(0).len(), past.events(2).len(), past.events(p).len()), (1, 1, 2));
}

/// `percentile(…)` in a ladder: ranks against the population at calibration, stored with the
/// version; an incremental change moves only the customer it concerns.
#[test]
fn percentiles_in_rules_rank_against_the_calibrated_population() {
    const TOP: &str = r#"
key = "top"
name = "头部"
kind = "ladder"
[[tiers]]
key = "top"
name = "头部"
when = "percentile(sum(orders.amount)) > 0.8"
[[tiers]]
key = "rest"
name = "其他"
"#;
    let mut e = engine();
    let catalog = Catalog::compile(&specs(&[TOP]), &Schema::default()).unwrap();
    assert!(catalog.models[0].is_relative());
    let cuts = e.load(catalog.clone(), &Schema::default(), vec![]);
    // Revenue 140,000 / 1,000 / 5,000 / 0 / 500 ranks 1, 0.5, 0.75, 0, 0.25: only customer 1 is above 0.8.
    assert_eq!(keys(&e, 0), ["top", "rest", "rest", "rest", "rest"]);
    assert_eq!(cuts[0].scales.len(), 1);
    // A big new order moves customer 3 into the top against the stored scale; nobody else moves.
    let changes = e.record(EventKind::Orders, 2, &order("2024-06-14", 200_000));
    assert_eq!(keys(&e, 0), ["top", "rest", "top", "rest", "rest"]);
    assert_eq!(changes.len(), 1);
    // Loading with the stored cut points reproduces the tiers; the explanation names the rank.
    let mut again = engine();
    again.load(catalog, &Schema::default(), cuts.into_iter().map(Some).collect());
    assert_eq!(keys(&again, 0), ["top", "rest", "rest", "rest", "rest"]);
    let why = again.explain(0, 0).unwrap();
    let text = serde_json::to_string(&why).unwrap();
    assert!(text.contains("percentile(sum(orders.amount))"), "{text}");
    // Not inside a score dimension; not nested.
    let score = "key = \"s\"\nname = \"s\"\nkind = \"score\"\n[[dimensions]]\nkey = \"d\"\nname = \"d\"\nexpr = \"percentile(count(orders))\"\nweight = 1\nnormalise = \"min_max\"\n[[tiers]]\nkey = \"a\"\nname = \"a\"\nmin_score = 0\n";
    let errors = Catalog::compile(&specs(&[score]), &Schema::default()).unwrap_err();
    assert_eq!(errors[0].path, "dimensions[1].expr");
    let nested = crate::rules::check_condition("percentile(percentile(count(orders))) > 0.5", &Schema::default()).unwrap_err();
    assert_eq!(nested.code, "wrong_arguments");
}

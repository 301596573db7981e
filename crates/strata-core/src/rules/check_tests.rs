//! Checker tests: which rules are accepted, and the code, position and fix of each rejection.

use super::{check_condition, check_number, program::*, schema::*};
use crate::tiering::TierLabel;

fn schema() -> Schema {
    Schema {
        custom: vec![
            CustomAttr { key: "budget".into(), label: "预算".into(), ty: ValueType::Number },
            CustomAttr { key: "region".into(), label: "大区".into(), ty: ValueType::Text },
        ],
        models: vec![ModelRef {
            key: "value".into(),
            name: "价值分层".into(),
            tiers: vec![TierLabel::new("A", "A类", "A"), TierLabel::new("B", "B类", "B"), TierLabel::new("C", "C类", "C")],
        }],
        forecast: Default::default(),
    }
}

#[test]
fn accepts_the_rules_from_the_brief() {
    let s = schema();
    for src in [
        "count(orders, last 90d) > 5 and sum(orders.amount, last 90d) > 100000",
        "days_since(last order) > 180 and tier(\"value\") in [\"A\", \"B\"]",
        "industry in [\"医疗器械\", \"制造\"] and province = \"广东\"",
        "has_tag(\"战略客户\")",
        "计数(订单, 最近90天) > 3 且 省份 = “广东”",
        "预算 >= 5万 and custom.region != \"华南\"",
        "growth(sum(orders.amount, this quarter)) > 20%",
        "distinct(orders.product_line, last year) >= 2",
        "avg(feedback.nps, last 365d) >= 9 or avg(feedback.csat) >= 4.5",
        "since < 2020-01-01 and today() - since > 365",
        "div(sum(orders.amount), count(orders), 0) > 5000",
        "sum(orders.amount) / 10000 > 3",
        "not (tier(\"价值分层\") = \"C类\")",
        "days_since(first order) between 30 and 90",
    ] {
        if let Err(e) = check_condition(src, &s) {
            panic!("{}", e.render(src));
        }
    }
}

#[test]
fn programs_share_metrics_and_record_model_reads() {
    let p = check_condition("count(orders, last 90d) > 5 and count(orders, last 90d) < 50 and tier(\"value\") = \"A\"", &schema()).unwrap();
    assert_eq!(p.metrics.len(), 1);
    assert_eq!(p.reads_models, vec![0]);
    let n = check_number("sum(orders.amount, last 365d)", &schema()).unwrap();
    assert_eq!(n.ty, ValueType::Number);
}

#[test]
fn rejections_say_where_and_how_to_fix() {
    let s = schema();
    let cases: [(&str, &str, usize, &str); 16] = [
        ("sum(orders.amout) > 1", "unknown_field", 11, "did you mean `amount`?"),
        ("industri = \"x\"", "unknown_field", 0, "did you mean `industry`?"),
        ("since > 5", "type_mismatch", 0, "compare dates with dates"),
        ("count(orders) > \"5\"", "type_mismatch", 0, "remove the quotes"),
        ("sum(orders.amount) / count(orders) > 1", "division_by_maybe_zero", 21, "div(a, b, 0)"),
        ("province > \"广东\"", "text_order", 0, "use = , != or in"),
        ("count(order) + 1", "wrong_type", 0, "compare it"),
        ("count(ordrs) > 1", "unknown_event_kind", 6, "did you mean `orders`?"),
        ("tier(\"valu\") = \"A\"", "unknown_model", 5, "did you mean `value`?"),
        ("tier(\"value\") = \"D\"", "unknown_tier", 16, "its tiers are"),
        ("cnt(orders) > 1", "unknown_function", 0, "did you mean `count`?"),
        ("orders.amount > 5", "event_field_outside_aggregate", 0, "sum(orders.amount"),
        ("orders > 5", "event_kind_as_value", 0, "count(orders"),
        ("sum(orders.product_line) > 1", "wrong_arguments", 4, "distinct"),
        ("growth(count(orders)) > 0", "wrong_arguments", 7, "growth(sum(orders.amount, this quarter))"),
        ("count(orders, 90) > 1", "expected_window", 14, "last 90d"),
    ];
    for (src, code, at, help) in cases {
        let e = check_condition(src, &s).unwrap_err();
        assert_eq!((e.code, e.span.start), (code, at), "{src}: {e:?}");
        assert!(e.help.as_deref().unwrap_or("").contains(help), "{src}: help {:?} lacks {help:?}", e.help);
    }
}

#[test]
fn cost_limit_rejects_rules_with_too_many_aggregates() {
    let group = |g: usize| {
        let parts: Vec<String> = (1..=50).map(|d| format!("count(orders, last {}d) > 0", g * 100 + d)).collect();
        format!("({})", parts.join(" or "))
    };
    let rule = (0..6).map(group).collect::<Vec<_>>().join(" or ");
    let e = check_condition(&rule, &schema()).unwrap_err();
    assert_eq!(e.code, "rule_too_costly");
}

#[test]
fn nullable_metrics_are_known() {
    let p = check_number("avg(orders.amount)", &schema()).unwrap();
    assert!(p.metrics[0].nullable());
    let p = check_number("count(orders)", &schema()).unwrap();
    assert!(!p.metrics[0].nullable());
    assert!(matches!(p.root, Node::Metric(0)));
}

mod properties {
    use proptest::prelude::*;

    use super::schema;
    use crate::rules::{check_condition, parse};

    const PIECES: [&str; 24] = [
        "count(orders, last 90d)",
        "sum(orders.amount)",
        " > ",
        " = ",
        " and ",
        " or ",
        "not ",
        "(",
        ")",
        "\"广东\"",
        "5",
        "10万",
        "province",
        "tier(\"value\")",
        " in [",
        "]",
        ",",
        "days_since(last order)",
        " / ",
        "-",
        "2024-01-01",
        "最近90天",
        "“",
        "\u{FF08}",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any text: parsing and checking never panic, and error spans lie inside the text on
        /// character boundaries.
        #[test]
        fn arbitrary_text_never_panics(src in "\\PC{0,80}") {
            for result in [parse(&src).map(|_| ()), check_condition(&src, &schema()).map(|_| ())] {
                if let Err(e) = result {
                    prop_assert!(e.span.start <= e.span.end && e.span.end <= src.len());
                    prop_assert!(src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end));
                    let _ = e.render(&src);
                }
            }
        }

        /// Rule-shaped text built from real pieces.
        #[test]
        fn rule_shaped_text_never_panics(pieces in proptest::collection::vec(0..PIECES.len(), 0..30)) {
            let src: String = pieces.iter().map(|&i| PIECES[i]).collect();
            if let Err(e) = check_condition(&src, &schema()) {
                prop_assert!(e.span.end <= src.len());
                let _ = e.render(&src);
            }
        }
    }
}

#[test]
fn predictions_need_the_fits_in_force() {
    use crate::predict::{BgNbd, Forecast, GammaGamma, Prediction, PurchaseModel, TimeUnit};
    let mut s = schema();
    let e = check_condition("p_alive < 0.3", &s).unwrap_err();
    assert_eq!((e.code, e.span.start), ("model_not_fitted", 0));
    assert!(e.help.as_deref().unwrap_or("").contains("strata model fit bgnbd"));
    s.forecast = Forecast {
        purchases: Some(PurchaseModel { params: BgNbd { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, unit: TimeUnit::Weeks }),
        spend: None,
    };
    let p = check_condition("p_alive < 0.3 and 存活概率() < 0.5 and expected_orders(90d) > 1", &s).unwrap();
    let predicted: Vec<Aggregate> = p.metrics.iter().map(|m| m.aggregate).collect();
    assert_eq!(predicted, vec![Aggregate::Predicted(Prediction::PAlive), Aggregate::Predicted(Prediction::ExpectedOrders(90))]);
    let e = check_condition("clv(12 months) > 100", &s).unwrap_err();
    assert_eq!(e.code, "model_not_fitted");
    assert!(e.help.as_deref().unwrap_or("").contains("gamma-gamma"));
    s.forecast.spend = Some(GammaGamma { p: 6.25, q: 3.74, gamma: 15.44 });
    let p = check_condition("p_alive < 0.3 and percentile(clv) > 0.8", &s).unwrap();
    assert_eq!(p.metrics[1].aggregate, Aggregate::Predicted(Prediction::Clv(12)));
    for (src, months) in [("clv(12 months) > 100", 12), ("clv(1y) > 1", 12), ("clv(6个月) > 1", 6), ("clv() > 1", 12), ("clv(90d) > 1", 3)]
    {
        let p = check_condition(src, &s).unwrap_or_else(|e| panic!("{}", e.render(src)));
        assert_eq!(p.metrics[0].aggregate, Aggregate::Predicted(Prediction::Clv(months)), "{src}");
    }
    for (src, code) in [
        ("expected_orders(orders) > 1", "expected_duration"),
        ("expected_orders() > 1", "wrong_arguments"),
        ("clv(200 months) > 1", "wrong_arguments"),
        ("p_alive(90d) > 0", "wrong_arguments"),
        ("count(orders, 90d) > 1", "expected_window"),
    ] {
        assert_eq!(check_condition(src, &s).unwrap_err().code, code, "{src}");
    }
}

#[test]
fn rejections_read_in_chinese_too() {
    let s = schema();
    let cases = [
        ("sum(orders.amout) > 1", "orders 没有字段 `amout`", Some("是不是 `amount`？")),
        ("industri = \"x\"", "未知字段 `industri`", Some("是不是 `industry`？")),
        ("since > 5", "这里把日期和数字比较", Some("日期请与日期比较")),
        ("count(orders) > \"5\"", "这里把数字和文本比较", Some("去掉数字两边的引号")),
        ("count(orders) > \"很多\"", "这里把数字和文本比较", Some("请与数字比较")),
        ("sum(orders.amount) / count(orders) > 1", "对某些客户来说除数可能为零", Some("div(a, b, 0)")),
        ("count(order) + 1", "这里是数字，但需要条件（真/假）", Some("请写成比较")),
        ("tier(\"value\") = \"D\"", "模型 `value` 没有层级 `D`", Some("它的层级有")),
        ("count(orders) > 1 count", "完整的规则后面多了`count`", Some("请用 `and` / `or` 连接")),
        ("province = \"广东", "这段文本没有结束的引号", Some("请用 \" 结束文本")),
        ("", "规则是空的", Some("请写一个条件")),
        ("p_alive < 0.3", "这个预测需要BG/NBD 拟合", Some("请先拟合")),
        ("count(orders) > 5x", "5 后面的单位 `x` 无法识别", None),
        ("count() > 1", "`count` 的参数：一类事件，可加时间窗口", None),
        ("has_tag() ", "`has_tag` 的参数：一个加引号的标签", None),
    ];
    for (src, message, help) in cases {
        let e = check_condition(src, &s).unwrap_err();
        let (m, h) = e.words(true);
        assert!(m.contains(message), "{src}: {m:?} lacks {message:?}");
        if let Some(help) = help {
            assert!(h.unwrap_or("").contains(help), "{src}: help {h:?} lacks {help:?}");
        }
    }
    let e = check_condition("sum(orders.amout) > 1", &s).unwrap_err();
    assert_eq!(
        e.render_in("sum(orders.amout) > 1", true),
        "第 1 行第 12 列：orders 没有字段 `amout`\n  sum(orders.amout) > 1\n             ^^^^^\n  提示：是不是 `amount`？"
    );
}

//! Parser tests: rule text → S-expression of the tree, and errors → (code, position).

use super::{parse, syntax::*};
use crate::metrics::Window;

fn window(w: &Window) -> String {
    match w {
        Window::All => "all".into(),
        Window::LastDays(n) => format!("last{n}d"),
        Window::Between(a, b) => format!("between{a}..{b}"),
        other => format!("{other:?}"),
    }
}

fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Num(n) => format!("{n}"),
        ExprKind::Text(s) => format!("{s:?}"),
        ExprKind::Date(d) => format!("d{d}"),
        ExprKind::Bool(b) => format!("{b}"),
        ExprKind::Path(p) => p.iter().map(|n| n.text.as_str()).collect::<Vec<_>>().join("."),
        ExprKind::Call { name, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match a {
                    Arg::Expr(e) => sexpr(e),
                    Arg::Window(w, _) => window(w),
                    Arg::Event(end, n) => format!("{end:?}:{}", n.text),
                    Arg::Duration { days, count, months, .. } => {
                        if *months {
                            format!("{count}mo")
                        } else {
                            format!("{days}d")
                        }
                    }
                })
                .collect();
            format!("({} {})", name.text, args.join(" "))
        }
        ExprKind::Unary { op, expr } => format!("({op:?} {})", sexpr(expr)),
        ExprKind::Binary { op, lhs, rhs } => format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs)),
        ExprKind::In { expr, list, negated } => {
            format!(
                "({} {} [{}])",
                if *negated { "notin" } else { "in" },
                sexpr(expr),
                list.iter().map(sexpr).collect::<Vec<_>>().join(" ")
            )
        }
        ExprKind::Between { expr, lo, hi } => format!("(between {} {} {})", sexpr(expr), sexpr(lo), sexpr(hi)),
    }
}

#[test]
fn parses_the_rules_a_sales_director_writes() {
    let cases = [
        (
            "count(orders, last 90d) > 5 and sum(orders.amount, last 90d) > 100000",
            "(and (> (count orders last90d) 5) (> (sum orders.amount last90d) 100000))",
        ),
        (
            "days_since(last order) > 180 and tier(\"value\") in [\"A\", \"B\"]",
            "(and (> (days_since Last:order) 180) (in (tier \"value\") [\"A\" \"B\"]))",
        ),
        ("p_alive() < 0.3 and clv(12 months) > 1万", "(and (< (p_alive ) 0.3) (> (clv 12mo) 10000))"),
        (
            "expected_orders(90d) >= 1 or expected_orders(2 weeks) > 0 or clv(1y) > 0",
            "(or (or (>= (expected_orders 90d) 1) (> (expected_orders 14d) 0)) (> (clv 12mo) 0))",
        ),
        (
            "industry in [\"医疗器械\", \"制造\"] and province = \"广东\"",
            "(and (in industry [\"医疗器械\" \"制造\"]) (= province \"广东\"))",
        ),
        ("has_tag(\"战略客户\")", "(has_tag \"战略客户\")"),
        ("a or b and c", "(or a (and b c))"),
        ("not a and b", "(and (Not a) b)"),
        ("a + b * c - -d > 1", "(> (- (+ a (* b c)) (Neg d)) 1)"),
        ("(a + b) * c = 2", "(= (* (+ a b) c) 2)"),
        ("x not in [1, 2]", "(notin x [1 2])"),
        ("行业 不属于 [\"医疗\"]", "(notin 行业 [\"医疗\"])"),
        ("计数(订单, 最近90天) > 3 且 省份 = “广东”", "(and (> (计数 订单 last90d) 3) (= 省份 \"广东\"))"),
        ("count(orders, 近3个月) >= 1 或 count(orders, 本季度) > 0", "(or (>= (count orders last90d) 1) (> (count orders ThisQuarter) 0))"),
        ("sum(orders.amount, this quarter) > 10万", "(> (sum orders.amount ThisQuarter) 100000)"),
        ("count(orders, between 2024-01-01 and 2024-01-31) > 0", "(> (count orders between19723..19753) 0)"),
        ("days_since(首次订单) between 30 and 90", "(between (days_since First:订单) 30 90)"),
        ("count(orders, last 2w) > 0 and count(orders, last year) > 0", "(and (> (count orders last14d) 0) (> (count orders LastYear) 0))"),
        ("custom.预算 >= 5万", "(>= custom.预算 50000)"),
        ("is_company = true", "(= is_company true)"),
        ("growth(sum(orders.amount, this quarter)) > 20%", "(> (growth (sum orders.amount ThisQuarter)) 0.2)"),
    ];
    for (src, want) in cases {
        let e = parse(src).unwrap_or_else(|e| panic!("{src}: {}", e.render(src)));
        assert_eq!(sexpr(&e), want, "{src}");
    }
}

#[test]
fn spans_cover_the_source_text() {
    let src = "count(orders) > 5 and 省份 = \"广东\"";
    let e = parse(src).unwrap();
    assert_eq!(e.span.start, 0);
    assert_eq!(e.span.end, src.len());
    let ExprKind::Binary { rhs, .. } = e.kind else { panic!() };
    assert_eq!(&src[rhs.span.start..rhs.span.end], "省份 = \"广东\"");
}

#[test]
fn syntax_errors_name_the_position() {
    let cases = [
        ("", "empty_rule", 0),
        ("count(orders > 5", "expected_token", 16),
        ("a > 5 b", "unexpected_token", 6),
        ("a in 1", "expected_token", 5),
        ("a in []", "empty_list", 5),
        ("a >", "expected_value", 3),
        ("count(orders, between 2024-02-01 and 2024-01-01)", "reversed_window", 14),
        ("a between 1 or 2", "expected_token", 12),
        ("orders. > 1", "expected_name", 8),
        ("90d > 1", "misplaced_duration", 0),
        ("a not b", "unexpected_token", 2),
    ];
    for (src, code, at) in cases {
        let e = parse(src).unwrap_err();
        assert_eq!((e.code, e.span.start), (code, at), "{src}: {e:?}");
    }
}

#[test]
fn limits_are_enforced() {
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert_eq!(parse(&deep).unwrap_err().code, "rule_too_deep");
    let long = "a = 1 or ".repeat(3000) + "a = 1";
    assert_eq!(parse(&long).unwrap_err().code, "rule_too_long");
    let wide = vec!["a = 1"; 900].join(" or ");
    assert_eq!(parse(&wide).unwrap_err().code, "rule_too_large");
    let chain = vec!["a = 1"; 100].join(" or ");
    assert_eq!(parse(&chain).unwrap_err().code, "rule_too_deep");
    let negs = format!("{}1", "-".repeat(200));
    assert_eq!(parse(&negs).unwrap_err().code, "rule_too_deep");
}

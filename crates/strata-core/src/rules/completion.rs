//! What an editor can offer while a rule is typed: every function with a ready-to-use example,
//! customer attributes (built-in and custom, in English and Chinese), event kinds and their
//! fields, tier models and their tiers, windows and keywords — all from the same schema the
//! checker uses, so a completion is never something the checker would refuse.

use serde::Serialize;

use crate::engine::query::reads_money;
use crate::metrics::EventKind;
use crate::rules::{
    check::check_number,
    schema::{Schema, BUILTIN_ATTRS, EVENT_NAMES},
};

/// One completion: the text inserted, what it is, and a short note shown beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completion {
    /// Inserted in place of the word being typed.
    pub text: String,
    /// `function`, `attribute`, `event`, `field`, `model`, `window` or `keyword`.
    pub kind: &'static str,
    pub detail: String,
    /// It reads amounts: not offered to a role that may not filter on them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub money: bool,
}

/// (function, example inserted, what it gives).
pub const FUNCTION_EXAMPLES: [(&str, &str, &str); 15] = [
    ("count", "count(orders, last 90d)", "number of events in a window"),
    ("sum", "sum(orders.amount, last 365d)", "total of an event field"),
    ("avg", "avg(feedback.nps)", "mean of an event field"),
    ("min", "min(orders.amount, last 365d)", "smallest value"),
    ("max", "max(orders.amount, last 365d)", "largest value"),
    ("distinct", "distinct(orders.product_line)", "number of different values"),
    ("days_since", "days_since(last order)", "days since the last (or first) event"),
    ("growth", "growth(sum(orders.amount, this quarter))", "this period against the previous one"),
    ("tier", "tier(\"rfm\")", "the customer's tier in another model"),
    ("has_tag", "has_tag(\"战略客户\")", "whether the customer has a tag"),
    ("div", "div(sum(orders.amount), count(orders), 0)", "a / b, or the third value when b is 0"),
    ("today", "today()", "the evaluation date"),
    ("p_alive", "p_alive", "probability the customer is still active (BG/NBD)"),
    ("expected_orders", "expected_orders(90d)", "predicted orders in a horizon"),
    ("clv", "clv(12 months)", "predicted lifetime value in a horizon"),
];

const WINDOWS: [&str; 9] =
    ["last 90d", "last 30d", "last 365d", "this month", "last month", "this quarter", "last quarter", "this year", "last year"];
const KEYWORDS: [&str; 5] = ["and", "or", "not", "in", "between"];

/// Whether the fits a function needs are in force (predictions need BG/NBD, `clv` Gamma-Gamma).
fn available(function: &str, schema: &Schema) -> bool {
    match function {
        "p_alive" | "expected_orders" => schema.forecast.purchases.is_some(),
        "clv" => schema.forecast.purchases.is_some() && schema.forecast.spend.is_some(),
        "tier" => !schema.models.is_empty(),
        _ => true,
    }
}

/// Everything that can be typed at a word boundary, for `schema`; `money_custom` are the
/// indices of its custom fields that hold money.
pub fn vocabulary(schema: &Schema, money_custom: &[usize]) -> Vec<Completion> {
    let c = |text: String, kind: &'static str, detail: String| Completion { text, kind, detail, money: false };
    let mut out: Vec<Completion> = FUNCTION_EXAMPLES
        .iter()
        .filter(|(f, _, _)| available(f, schema) && *f != "tier")
        .map(|(_, ex, what)| Completion {
            money: check_number(ex, schema).is_ok_and(|p| reads_money(&p, money_custom)),
            ..c((*ex).to_string(), "function", (*what).to_string())
        })
        .collect();
    for (_, name, aliases, ty) in BUILTIN_ATTRS {
        out.push(c(name.to_string(), "attribute", ty.name().to_string()));
        out.extend(aliases.iter().map(|a| c((*a).to_string(), "attribute", name.to_string())));
    }
    for (i, f) in schema.custom.iter().enumerate() {
        let money = money_custom.contains(&i);
        out.push(Completion { money, ..c(f.key.clone(), "attribute", f.label.clone()) });
        if f.label != f.key {
            out.push(Completion { money, ..c(f.label.clone(), "attribute", f.key.clone()) });
        }
    }
    out.extend(EVENT_NAMES.iter().map(|e| c((*e).to_string(), "event", "events".into())));
    for kind in EventKind::ALL {
        for field in kind.numbers().iter().chain(kind.categories()) {
            let money = kind.is_money(field);
            out.push(Completion { money, ..c(format!("{}.{field}", kind.name()), "field", if money { "money" } else { "" }.into()) });
        }
    }
    for m in &schema.models {
        let tiers: Vec<&str> = m.tiers.iter().map(|t| t.name.as_str()).collect();
        out.push(c(format!("tier(\"{}\")", m.key), "model", format!("{}: {}", m.name, tiers.join(" / "))));
    }
    out.extend(WINDOWS.iter().map(|w| c((*w).to_string(), "window", String::new())));
    out.extend(KEYWORDS.iter().map(|k| c((*k).to_string(), "keyword", String::new())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::check::check_condition;
    use crate::rules::schema::{event_field, event_kind, CustomAttr, EventField, ModelRef, ValueType};
    use crate::tiering::TierLabel;

    fn schema() -> Schema {
        let mut s = Schema::default();
        s.custom.push(CustomAttr { key: "region_level".into(), label: "区域等级".into(), ty: ValueType::Text });
        let tier = TierLabel { key: "a".into(), name: "重要价值客户".into(), name_en: "A".into() };
        s.models.push(ModelRef { key: "rfm".into(), name: "RFM".into(), tiers: vec![tier] });
        s
    }

    /// A condition that uses the completion as it would be used.
    fn used(v: &Completion, s: &Schema) -> String {
        match v.kind {
            "function" if v.text.starts_with("has_tag") => v.text.clone(),
            "function" if v.text.starts_with("today") => format!("since < {}", v.text),
            "function" => format!("{} > 1", v.text),
            "attribute" => match s.attr(&v.text).map(|a| a.1) {
                Some(ValueType::Date) => format!("{} < 2024-01-01", v.text),
                Some(ValueType::Number) => format!("{} > 1", v.text),
                _ => format!("{} = \"x\"", v.text),
            },
            "event" => format!("count({}) > 1", v.text),
            "field" => {
                let (kind, field) = v.text.split_once('.').expect("kind.field");
                match event_kind(kind).and_then(|k| event_field(k, field)) {
                    Some(EventField::Cat(_)) => format!("distinct({}) > 1", v.text),
                    _ => format!("sum({}) > 1", v.text),
                }
            }
            "model" => format!("{} = \"重要价值客户\"", v.text),
            "window" => format!("count(orders, {}) > 1", v.text),
            _ => "true".into(),
        }
    }

    #[test]
    fn every_completion_checks_where_it_is_used() {
        let s = schema();
        let vocab = vocabulary(&s, &[]);
        for v in vocab.iter().filter(|v| v.kind != "keyword") {
            let cond = used(v, &s);
            assert!(check_condition(&cond, &s).is_ok(), "{cond}: {:?}", check_condition(&cond, &s).err());
        }
        for kind in ["function", "attribute", "event", "field", "model", "window", "keyword"] {
            assert!(vocab.iter().any(|v| v.kind == kind), "{kind}");
        }
        assert!(vocab.iter().any(|v| v.text == "区域等级" && v.detail == "region_level"), "custom fields by label too");
        assert!(vocab.iter().any(|v| v.text == "orders.amount" && v.detail == "money" && v.money));
        assert!(
            vocab.iter().any(|v| v.text.starts_with("sum(orders.amount") && v.money)
                && vocab.iter().any(|v| v.text.starts_with("count(") && !v.money)
        );
    }

    #[test]
    fn predictions_are_offered_only_with_their_fits() {
        let s = schema();
        let texts: Vec<String> = vocabulary(&s, &[]).into_iter().map(|v| v.text).collect();
        assert!(!texts.iter().any(|t| t.starts_with("p_alive") || t.starts_with("clv")), "{texts:?}");
        assert!(!vocabulary(&Schema::default(), &[]).iter().any(|v| v.text.starts_with("tier(")), "no models, no tier()");
    }
}

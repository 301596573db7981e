//! The customer page's metrics: a fixed set of rule-language metrics (orders, revenue,
//! recency, payments, product lines, interactions, tickets, NPS/CSAT, growth, and the
//! predictions when their fits are in force) computed by the engine from the customer's own
//! events. Amounts only for a caller who sees them.

use serde_json::{json, Value};
use strata_core::{
    engine::query::reads_money,
    rules::{check::check_number, program::Node},
};

use super::i18n::{self, Lang};
use crate::server::AppState;

/// How a value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Count,
    Money,
    Days,
    /// A ratio shown as a percentage (growth, probabilities).
    Percent,
    /// A mean score with one decimal.
    Score,
}

/// (word key, metric in the rule language, how it is shown).
const METRICS: [(&str, &str, Shown); 14] = [
    ("m_orders_365", "count(orders, last 365d)", Shown::Count),
    ("m_orders_all", "count(orders)", Shown::Count),
    ("m_revenue_365", "sum(orders.amount, last 365d)", Shown::Money),
    ("m_revenue_all", "sum(orders.amount)", Shown::Money),
    ("m_growth", "growth(sum(orders.amount, last 365d))", Shown::Percent),
    ("m_last_order", "days_since(last order)", Shown::Days),
    ("m_first_order", "days_since(first order)", Shown::Days),
    ("m_payments_365", "sum(payments.amount, last 365d)", Shown::Money),
    ("m_product_lines", "distinct(orders.product_line)", Shown::Count),
    ("m_interactions_90", "count(interactions, last 90d)", Shown::Count),
    ("m_tickets_365", "count(tickets, last 365d)", Shown::Count),
    ("m_nps", "avg(feedback.nps)", Shown::Score),
    ("m_p_alive", "p_alive", Shown::Percent),
    ("m_clv", "clv(12 months)", Shown::Money),
];

fn text(v: f64, shown: Shown, lang: Lang) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    match shown {
        Shown::Count => format!("{v:.0}"),
        Shown::Money => format!("¥{v:.2}"),
        Shown::Days => i18n::word(lang, "days_n").replace("{n}", &format!("{v:.0}")),
        Shown::Percent => format!("{:.1}%", v * 100.0),
        Shown::Score => format!("{v:.1}"),
    }
}

/// `[{label, rule, value}]` for the customer `id`; empty while the engine loads.
pub fn of_customer(s: &AppState, id: i64, amounts: bool, lang: Lang) -> Vec<Value> {
    let guard = s.live.read();
    let Some(loaded) = guard.as_ref() else { return Vec::new() };
    let e = &loaded.engine;
    let Some(p) = e.index.position(id) else { return Vec::new() };
    let schema = e.rule_schema(&loaded.schema);
    METRICS
        .iter()
        .filter_map(|(key, rule, shown)| {
            // A prediction without its fit in force does not check: it is left out.
            let program = check_number(rule, &schema).ok()?;
            if !amounts && reads_money(&program, &[]) {
                return None;
            }
            let Node::Metric(i) = program.root else { return None };
            let v = e.metric_at(*program.metrics.get(i)?, p);
            Some(json!({"label": i18n::word(lang, key), "rule": rule, "value": text(v, *shown, lang)}))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::rules::schema::Schema;

    #[test]
    fn every_metric_is_a_metric_and_named_in_both_languages() {
        for (key, rule, _) in METRICS {
            assert!(!i18n::word(Lang::Zh, key).is_empty() && !i18n::word(Lang::En, key).is_empty(), "{key}");
            if matches!(key, "m_p_alive" | "m_clv") {
                continue; // they need the purchase-model fits
            }
            let program = check_number(rule, &Schema::default()).unwrap_or_else(|e| panic!("{rule}: {e:?}"));
            assert!(matches!(program.root, Node::Metric(_)), "{rule}");
        }
        assert_eq!(text(f64::NAN, Shown::Count, Lang::Zh), "—");
        assert_eq!(text(0.125, Shown::Percent, Lang::En), "12.5%");
        assert_eq!(text(12345.6, Shown::Money, Lang::Zh), "¥12345.60");
    }
}

//! Ad-hoc conditions over the whole customer base (the customer list's `where` filter): a
//! checked rule evaluated for every customer against the engine's state, read-only, with the
//! metrics it needs computed for the occasion.

use std::cell::Cell;

use super::{
    eval::{self, Facts, TRUE},
    metric::ResolvedMetric,
    plan::{Binding, Plan},
    Engine,
};
use crate::rules::{
    program::{Aggregate, Metric, Node, Program},
    schema::{Attr, Schema},
};

impl Engine {
    /// What rules may name here: the base's custom fields and the active models.
    pub fn rule_schema(&self, base: &Schema) -> Schema {
        let mut s = self.catalog.schema(base);
        s.forecast = self.forecast;
        s
    }

    /// Ascending positions of existing customers for whom the condition `program` holds
    /// (unknown counts as not holding). `percentile(…)` needs a model's calibration: a program
    /// using it matches nobody (callers reject it first).
    pub fn positions_where(&self, program: &Program) -> Vec<u32> {
        if program.root.has_percentile() {
            return Vec::new();
        }
        let resolved: Vec<ResolvedMetric> = program.metrics.iter().map(|m| ResolvedMetric::new(*m, self.today, self.forecast)).collect();
        let mut columns: Vec<Vec<f64>> = vec![Vec::new(); resolved.len()];
        super::fill_metric_columns(&resolved, &self.books, &mut columns, self.threads);
        let slots: Vec<usize> = (0..resolved.len()).collect();
        let none = Cell::new(0);
        let binding =
            Binding { slots: &slots, attrs: &self.attrs, models: &self.model_refs, today: f64::from(self.today), percentiles: &none };
        let plan = Plan::bind(program, &binding);
        let facts = Facts { metrics: &columns, attrs: &self.attrs, tiers: &self.tiers, scales: &[] };
        let mut out = Vec::new();
        for (lo, hi) in eval::blocks(self.customers()) {
            for (k, t) in facts.conditions(&plan, lo, hi).into_iter().enumerate() {
                let p = (lo + k) as u32;
                if t == TRUE && !self.gone.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }
}

impl Engine {
    /// One metric's value for the customer at `position`, computed from their events alone
    /// (the customer page's figures), as of the engine's today.
    pub fn metric_at(&self, metric: Metric, position: u32) -> f64 {
        ResolvedMetric::new(metric, self.today, self.forecast).value(self.book(metric.kind), position)
    }
}

/// Whether a rule reads money: an amount of orders, payments or deals, a predicted value, or
/// one of the custom fields at `money_custom` (indices into the schema's custom fields).
pub fn reads_money(program: &Program, money_custom: &[usize]) -> bool {
    let metric = program.metrics.iter().any(|m| match m.aggregate {
        Aggregate::Sum(i) | Aggregate::Avg(i) | Aggregate::Min(i) | Aggregate::Max(i) => {
            m.kind.numbers().get(i).is_some_and(|f| m.kind.is_money(f))
        }
        Aggregate::Predicted(crate::predict::Prediction::Clv(_)) => true,
        _ => false,
    });
    metric || node_reads(&program.root, &|a| matches!(a, Attr::Custom(i) if money_custom.contains(&usize::from(i))))
}

fn node_reads(n: &Node, hit: &dyn Fn(Attr) -> bool) -> bool {
    match n {
        Node::Attr(a) => hit(*a),
        Node::Neg(x) | Node::Not(x) | Node::Percentile(x) => node_reads(x, hit),
        Node::Arith(_, a, b) | Node::Cmp(_, a, b) | Node::And(a, b) | Node::Or(a, b) => node_reads(a, hit) || node_reads(b, hit),
        Node::DivOr(a, b, c) => node_reads(a, hit) || node_reads(b, hit) || node_reads(c, hit),
        Node::NumIn { value, .. } => node_reads(value, hit),
        Node::Const(_) | Node::Bool(_) | Node::Metric(_) | Node::Today | Node::TextIn { .. } | Node::HasTag(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        engine::engine_tests::{keys, loaded, VALUE},
        rules::check::check_condition,
    };

    #[test]
    fn conditions_select_positions_with_metrics_attributes_and_tiers() {
        let e = loaded(&[VALUE]);
        let schema = e.rule_schema(&Schema::default());
        let cases = [
            ("count(orders) >= 2", vec![0, 2]),
            ("sum(orders.amount, last 90d) > 100000", vec![0]),
            ("industry = \"制造\" and province = \"广东\"", vec![0, 2]),
            ("has_tag(\"战略客户\")", vec![2]),
            ("days_since(last order) > 365", vec![1]),
            ("not (count(orders) > 0)", vec![3]),
        ];
        for (src, want) in cases {
            let p = check_condition(src, &schema).unwrap_or_else(|e| panic!("{src}: {e:?}"));
            assert_eq!(e.positions_where(&p), want, "{src}");
        }
        let names = keys(&e, 0);
        let p = check_condition("tier(\"value\") = \"A\"", &schema).expect("tier condition");
        let want: Vec<u32> = (0..5).filter(|&i| names[i as usize] == "A").collect();
        assert_eq!(e.positions_where(&p), want);
    }

    #[test]
    fn money_is_recognised_in_metrics_and_custom_fields() {
        let e = loaded(&[VALUE]);
        let schema = e.rule_schema(&Schema::default());
        let read = |src: &str| reads_money(&check_condition(src, &schema).expect(src), &[]);
        assert!(read("sum(orders.amount, last 90d) > 1"));
        assert!(read("avg(payments.amount) > 1"));
        assert!(!read("count(orders) > 1"));
        assert!(!read("industry = \"制造\" or days_since(last order) < 30"));
    }
}

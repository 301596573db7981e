//! Incremental evaluation: a customer added, one of its events recorded or its events of a
//! kind replaced, and that one customer re-evaluated in every model, without touching others.

use super::{kind_slot, run::evaluate_range, Engine, TierChange};
use crate::{
    metrics::{EventKind, EventRow},
    tiering::{model::Body, rfm::NO_TIER},
};

impl Engine {
    /// Adds a customer (ids must grow); returns its position.
    pub fn add_customer(&mut self, id: i64) -> Option<u32> {
        let p = self.index.insert(id)?;
        let n = self.customers();
        for b in &mut self.books {
            b.grow(n);
        }
        for (r, col) in self.metrics.iter().zip(&mut self.columns) {
            col.resize(n, f64::NAN);
            col[p as usize] = r.value(&self.books[kind_slot(r.metric.kind)], p);
        }
        for t in &mut self.tiers {
            t.resize(n, NO_TIER);
        }
        Some(p)
    }

    /// Records a new event for the customer at `position` and re-evaluates that customer.
    pub fn record(&mut self, kind: EventKind, position: u32, row: &EventRow) -> Vec<TierChange> {
        self.books[kind_slot(kind)].add(position, row);
        self.customer_changed(position, Some(kind))
    }

    /// Replaces every event of one kind of a customer (after an edit or delete).
    pub fn replace(&mut self, kind: EventKind, position: u32, rows: &[EventRow]) -> Vec<TierChange> {
        self.books[kind_slot(kind)].replace(position, rows);
        self.customer_changed(position, Some(kind))
    }

    /// Re-evaluates one customer after its events (`kind`) or attributes (None) changed.
    pub fn customer_changed(&mut self, position: u32, kind: Option<EventKind>) -> Vec<TierChange> {
        let p = position as usize;
        if p >= self.customers() {
            return Vec::new();
        }
        for (r, col) in self.metrics.iter().zip(&mut self.columns) {
            if kind.is_none_or(|k| k == r.metric.kind) {
                if col.len() <= p {
                    col.resize(p + 1, f64::NAN);
                }
                col[p] = r.value(&self.books[kind_slot(r.metric.kind)], position);
            }
        }
        let mut changes = Vec::new();
        for &m in &self.catalog.order.clone() {
            if let Some(v) = self.states[m].rfm.as_mut() {
                v.set(p, &self.books[kind_slot(EventKind::Orders)], self.today);
            }
            let (mut out, mut score) = ([NO_TIER], [0.0f32]);
            if !self.gone.contains(&position) {
                evaluate_range(&self.catalog.models[m], &self.states[m], &self.facts(), p, &mut out, &mut score);
            }
            if matches!(self.catalog.models[m].body, Body::Score { .. }) {
                let scores = &mut self.states[m].scores;
                if scores.len() <= p {
                    scores.resize(p + 1, 0.0);
                }
                scores[p] = score[0];
            }
            let from = self.tiers[m][p];
            if from != out[0] {
                self.tiers[m][p] = out[0];
                changes.push(TierChange { position, model: m, from, to: out[0] });
            }
        }
        changes
    }
}

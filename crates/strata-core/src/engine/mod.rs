//! The tier engine: customers' events and attributes in memory, the metric columns every active
//! model needs (shared between models), and each model's tiers. Full evaluation on load, publish
//! and the daily sweep; incremental re-evaluation of one customer when an event is written.
//! No IO and no clock: the store loads the state in, "today" is an argument.

pub mod attributes;
pub mod calibration;
pub mod calibration_jobs;
pub mod customer_update;
pub mod eval;
pub mod explain;
pub mod figures;
mod incremental;
pub mod metric;
pub mod move_up;
pub mod plan;
pub mod point_lookup;
pub mod query;
pub mod run;

#[cfg(test)]
mod customer_update_tests;
#[cfg(test)]
mod engine_tests;

use std::collections::BTreeSet;

use attributes::Attributes;
use calibration::Calibration;
use calibration_jobs::calibrate_all;
use eval::Facts;
use metric::{metric_columns, ResolvedMetric};
use plan::{Binding, Plan};
use run::{evaluate_range, for_parts, ModelState};

use crate::{
    metrics::{CustomerIndex, Day, EventBook, EventKind},
    predict::Forecast,
    rules::{program::Program, schema::Schema},
    tiering::{
        model::{Body, Catalog},
        rfm::{RfmValues, NO_TIER},
    },
};

/// One customer's tier changed in one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierChange {
    pub position: u32,
    /// Catalog index of the model.
    pub model: usize,
    pub from: u16,
    pub to: u16,
}

/// The engine's state.
pub struct Engine {
    pub index: CustomerIndex,
    /// One book per `EventKind::ALL` entry.
    pub books: Vec<EventBook>,
    pub attrs: Attributes,
    pub catalog: Catalog,
    pub states: Vec<ModelState>,
    /// Tier per position per model (`NO_TIER` = none).
    pub tiers: Vec<Vec<u16>>,
    metrics: Vec<ResolvedMetric>,
    /// Custom field keys (for explanations).
    custom_names: Vec<String>,
    /// The models rules may read, as the catalog's schema lists them (for binding).
    model_refs: Vec<crate::rules::schema::ModelRef>,
    columns: Vec<Vec<f64>>,
    /// Positions of customers deleted since load: no tier in any model.
    gone: BTreeSet<u32>,
    today: Day,
    /// The purchase models in force (predicted metrics).
    forecast: Forecast,
    threads: usize,
}

fn kind_slot(kind: EventKind) -> usize {
    EventKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

/// Fills `columns[i]` with the value of `metrics[i]` for every position: one pass per event
/// kind (of `books`, in `EventKind::ALL` order) for all its metrics.
fn fill_metric_columns(metrics: &[ResolvedMetric], books: &[EventBook], columns: &mut [Vec<f64>], threads: usize) {
    for kind in EventKind::ALL {
        let slots: Vec<usize> = (0..metrics.len()).filter(|&i| metrics[i].metric.kind == kind).collect();
        if slots.is_empty() {
            continue;
        }
        let of_kind: Vec<ResolvedMetric> = slots.iter().map(|&i| metrics[i]).collect();
        let mut outs: Vec<Vec<f64>> = slots.iter().map(|&i| std::mem::take(&mut columns[i])).collect();
        metric_columns(&of_kind, &books[kind_slot(kind)], &mut outs, threads);
        for (&i, out) in slots.iter().zip(outs) {
            columns[i] = out;
        }
    }
}

impl Engine {
    /// An engine over loaded state with no models yet. `books` may be in any order.
    pub fn new(index: CustomerIndex, books: Vec<EventBook>, attrs: Attributes, today: Day, threads: usize) -> Engine {
        let n = index.len();
        let mut slots: Vec<EventBook> = EventKind::ALL.iter().map(|&k| EventBook::empty(k, n)).collect();
        for b in books {
            let i = kind_slot(b.kind());
            slots[i] = b;
        }
        for b in &mut slots {
            b.grow(n);
        }
        Engine {
            index,
            books: slots,
            attrs,
            catalog: Catalog::default(),
            states: Vec::new(),
            tiers: Vec::new(),
            metrics: Vec::new(),
            custom_names: Vec::new(),
            model_refs: Vec::new(),
            columns: Vec::new(),
            gone: BTreeSet::new(),
            today,
            forecast: Forecast::default(),
            threads: threads.max(1),
        }
    }

    pub fn today(&self) -> Day {
        self.today
    }

    pub fn forecast(&self) -> Forecast {
        self.forecast
    }

    /// Puts purchase-model fits in force for the next evaluation (`load`, `advance`): predicted
    /// metrics read them.
    pub fn set_forecast(&mut self, forecast: Forecast) {
        self.forecast = forecast;
        for r in &mut self.metrics {
            *r = ResolvedMetric::new(r.metric, self.today, forecast);
        }
    }

    pub fn customers(&self) -> usize {
        self.index.len()
    }

    pub fn book(&self, kind: EventKind) -> &EventBook {
        &self.books[kind_slot(kind)]
    }

    fn facts(&self) -> Facts<'_> {
        Facts { metrics: &self.columns, attrs: &self.attrs, tiers: &self.tiers, scales: &[] }
    }

    /// Shared metric slots of a program's metrics (adding new ones unresolved).
    fn slots_for(&mut self, program: &Program) -> Vec<usize> {
        program
            .metrics
            .iter()
            .map(|m| {
                self.metrics.iter().position(|r| r.metric == *m).unwrap_or_else(|| {
                    self.metrics.push(ResolvedMetric::new(*m, self.today, self.forecast));
                    self.columns.push(Vec::new());
                    self.metrics.len() - 1
                })
            })
            .collect()
    }

    /// The value of each number program for every position (features for learning). Programs
    /// must not read tiers. Metrics are computed as of the engine's today.
    pub fn number_columns(&mut self, programs: &[Program]) -> Vec<Vec<f64>> {
        let slots: Vec<Vec<usize>> = programs.iter().map(|p| self.slots_for(p)).collect();
        self.compute_metrics();
        let n = self.customers();
        programs
            .iter()
            .zip(&slots)
            .map(|(p, slots)| {
                let none = std::cell::Cell::new(0);
                let b = Binding { slots, attrs: &self.attrs, models: &[], today: f64::from(self.today), percentiles: &none };
                let plan = Plan::bind(p, &b);
                self.facts().column(&plan, n).into_owned()
            })
            .collect()
    }

    /// Installs the active models with the cut points in force (None: calibrate now) and
    /// evaluates every customer. Returns the calibrations in force.
    pub fn load(&mut self, catalog: Catalog, base: &Schema, calibrations: Vec<Option<Calibration>>) -> Vec<Calibration> {
        self.custom_names = base.custom.iter().map(|c| c.key.clone()).collect();
        self.metrics.clear();
        self.columns.clear();
        self.catalog = catalog;
        self.model_refs = self.catalog.schema(base).models;
        self.states = (0..self.catalog.models.len()).map(|_| ModelState::default()).collect();
        self.bind_plans();
        self.tiers = vec![Vec::new(); self.catalog.models.len()];
        self.compute_metrics();
        let mut calibrations = calibrations;
        calibrations.resize(self.catalog.models.len(), None);
        let order = self.catalog.order.clone();
        for &m in &order {
            self.prepare_rfm(m);
        }
        // Models that read no other model's tiers are calibrated together, up front.
        let free: Vec<usize> =
            order.iter().copied().filter(|&m| calibrations[m].is_none() && self.catalog.models[m].reads.is_empty()).collect();
        for (m, c) in free.iter().zip(self.fit_many(&free)) {
            calibrations[*m] = Some(c);
        }
        for &m in &order {
            let c = match calibrations[m].take() {
                Some(c) => c,
                None => self.fit(m),
            };
            self.states[m].calibration = c;
            self.evaluate_model(m);
        }
        self.states.iter().map(|s| s.calibration.clone()).collect()
    }

    /// Binds every model's rules to the metric slots, dictionary codes and tier indices of now.
    fn bind_plans(&mut self) {
        for m in 0..self.catalog.models.len() {
            let programs: Vec<Program> = match &self.catalog.models[m].body {
                Body::Ladder { rules, .. } => rules.clone(),
                Body::Score { dimensions, .. } => dimensions.iter().map(|d| d.program.clone()).collect(),
                Body::Rfm { .. } => Vec::new(),
            };
            let mut plans = Vec::with_capacity(programs.len());
            let percentiles = std::cell::Cell::new(0);
            for p in &programs {
                let slots = self.slots_for(p);
                let b = Binding {
                    slots: &slots,
                    attrs: &self.attrs,
                    models: &self.model_refs,
                    today: f64::from(self.today),
                    percentiles: &percentiles,
                };
                plans.push(Plan::bind(p, &b));
            }
            self.states[m].plans = plans;
        }
    }

    /// Recomputes every metric column: one pass per event kind for all its metrics.
    fn compute_metrics(&mut self) {
        fill_metric_columns(&self.metrics, &self.books, &mut self.columns, self.threads);
    }

    fn prepare_rfm(&mut self, m: usize) {
        if matches!(self.catalog.models[m].body, Body::Rfm { .. }) {
            self.states[m].rfm = Some(RfmValues::compute(self.book(EventKind::Orders), self.today));
        }
    }

    /// Cut points for model `m` on the current population.
    pub fn fit(&self, m: usize) -> Calibration {
        self.fit_many(&[m]).pop().unwrap_or_default()
    }

    /// Cut points for models `ms` on the current population, computed together: the pieces
    /// of all of them share the threads. The models must not read each other's tiers.
    fn fit_many(&self, ms: &[usize]) -> Vec<Calibration> {
        let models: Vec<_> = ms.iter().map(|&m| (&self.catalog.models[m], &self.states[m])).collect();
        calibrate_all(&models, &self.facts(), self.customers(), self.today, self.threads)
    }

    /// Recomputes model `m`'s cut points and re-evaluates it (and models reading it).
    pub fn refresh(&mut self, m: usize) -> Vec<TierChange> {
        let before = self.tiers.clone();
        self.states[m].calibration = self.fit(m);
        for &i in &self.catalog.order.clone() {
            self.evaluate_model(i);
        }
        self.diff(&before)
    }

    /// Fresh cut points for every model (in dependency order) and every customer re-evaluated,
    /// against the metric columns the engine keeps current: what a quarterly review of every
    /// model costs. Returns the tier changes.
    pub fn refit_all(&mut self) -> Vec<TierChange> {
        let before = self.tiers.clone();
        let order = self.catalog.order.clone();
        let free: Vec<usize> = order.iter().copied().filter(|&m| self.catalog.models[m].reads.is_empty()).collect();
        for (&m, c) in free.iter().zip(self.fit_many(&free)) {
            self.states[m].calibration = c;
        }
        for &m in &order {
            if !free.contains(&m) {
                self.states[m].calibration = self.fit(m);
            }
            self.evaluate_model(m);
        }
        self.diff(&before)
    }

    /// Evaluates every position of model `m`.
    fn evaluate_model(&mut self, m: usize) {
        let n = self.customers();
        let mut out = std::mem::take(&mut self.tiers[m]);
        out.clear();
        out.resize(n, NO_TIER);
        // Score models keep the score per position next to the tier, written in place.
        let mut scores = std::mem::take(&mut self.states[m].scores);
        scores.clear();
        if let Body::Score { .. } = self.catalog.models[m].body {
            scores.resize(n, 0.0);
        }
        let (facts, model, state) = (self.facts(), &self.catalog.models[m], &self.states[m]);
        for_parts(&mut out, &mut scores, self.threads, |lo, part, scores| evaluate_range(model, state, &facts, lo, part, scores));
        self.states[m].scores = scores;
        for &p in &self.gone {
            if let Some(t) = out.get_mut(p as usize) {
                *t = NO_TIER;
            }
        }
        self.tiers[m] = out;
    }

    fn diff(&self, before: &[Vec<u16>]) -> Vec<TierChange> {
        let mut changes = Vec::new();
        for (m, (old, new)) in before.iter().zip(&self.tiers).enumerate() {
            // Equal stretches (nearly all of them) are skipped by a block compare.
            const STRETCH: usize = 256;
            for (k, (a, b)) in old.chunks(STRETCH).zip(new.chunks(STRETCH)).enumerate() {
                if a == b {
                    continue;
                }
                for (i, (&a, &b)) in a.iter().zip(b).enumerate() {
                    if a != b {
                        changes.push(TierChange { position: (k * STRETCH + i) as u32, model: m, from: a, to: b });
                    }
                }
            }
        }
        changes
    }

    /// Moves "today" (the daily sweep): windows and days-since metrics shift, every model is
    /// re-evaluated against the cut points in force. Returns the tier changes.
    pub fn advance(&mut self, today: Day) -> Vec<TierChange> {
        let before = self.tiers.clone();
        self.today = today;
        for r in &mut self.metrics {
            *r = ResolvedMetric::new(r.metric, today, self.forecast);
        }
        // `today()` in a rule is bound as a constant.
        self.bind_plans();
        self.compute_metrics();
        for &m in &self.catalog.order.clone() {
            self.prepare_rfm(m);
            self.evaluate_model(m);
        }
        self.diff(&before)
    }

    /// Bytes held by the engine's state (books, attributes, metric columns, tiers, scores).
    pub fn heap_bytes(&self) -> usize {
        self.index.heap_bytes()
            + self.books.iter().map(EventBook::heap_bytes).sum::<usize>()
            + self.attrs.heap_bytes()
            + self.columns.iter().map(|c| c.len() * 8).sum::<usize>()
            + self.tiers.iter().map(|t| t.len() * 2).sum::<usize>()
            + self.states.iter().map(|s| s.scores.len() * 4 + s.rfm.as_ref().map_or(0, |r| r.len() * 16)).sum::<usize>()
    }
}

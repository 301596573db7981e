//! Calibrating models on the current population, several at once: every piece of their cut
//! points (one RFM dimension's quantiles, one score dimension's scale, one ladder percentile
//! scale) is a job, and the jobs of all the models are taken by the threads from one queue,
//! costliest first, so that no thread idles while another finishes a model alone.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{
    calibration::{extremes, Calibration, Scale},
    eval::{blocks, Facts},
    plan::Plan,
    run::ModelState,
};
use crate::{
    metrics::Day,
    tiering::{
        model::{Body, Model},
        quantile::RankKey,
        rfm::{Dimension as RfmDimension, RfmCuts},
        spec::Normalise,
    },
};

/// Below this many customers a calibration runs on the calling thread.
const THREADED_FROM: usize = 20_000;

/// One piece of one model's cut points.
enum Job<'a> {
    /// An RFM dimension among the model's buyers.
    Rfm { model: usize, dim: RfmDimension, buyers: &'a [u32] },
    /// A score dimension's scale.
    Dimension { model: usize, dim: usize },
    /// The scale of a ladder's `percentile(…)` call (in binding order).
    Percentile { model: usize, inner: &'a Plan },
}

enum Piece {
    Cuts(Vec<RankKey>),
    Scale(Scale),
}

impl Job<'_> {
    /// Relative cost, for taking the costliest first.
    fn cost(&self, models: &[(&Model, &ModelState)]) -> u32 {
        match self {
            Job::Percentile { .. } => 4,
            Job::Dimension { model, dim } => match &models[*model].0.body {
                Body::Score { dimensions, .. } => match dimensions[*dim].normalise {
                    Normalise::Percentile => 4,
                    Normalise::MinMax => 1,
                    Normalise::Bins => 0,
                },
                _ => 0,
            },
            Job::Rfm { dim: RfmDimension::Monetary, .. } => 3,
            Job::Rfm { .. } => 2,
        }
    }

    fn run(&self, models: &[(&Model, &ModelState)], facts: &Facts<'_>, n: usize) -> Piece {
        match *self {
            Job::Rfm { model, dim, buyers } => {
                let (m, state) = models[model];
                match (&m.body, &state.rfm) {
                    (Body::Rfm { buckets, .. }, Some(values)) => Piece::Cuts(RfmCuts::cut(values, buyers, dim, &buckets[dim as usize])),
                    _ => Piece::Cuts(Vec::new()),
                }
            }
            Job::Dimension { model, dim } => {
                let (m, state) = models[model];
                match &m.body {
                    // Min–max needs no column: a block at a time, nothing kept.
                    Body::Score { dimensions, .. } if dimensions[dim].normalise == Normalise::MinMax => {
                        let (min, max) = blocks(n).fold((f64::INFINITY, f64::NEG_INFINITY), |acc, (lo, hi)| {
                            extremes(acc, &facts.numbers(&state.plans[dim], lo, hi))
                        });
                        Piece::Scale(Scale::min_max(min, max))
                    }
                    Body::Score { dimensions, .. } if dimensions[dim].normalise != Normalise::Bins => {
                        Piece::Scale(Scale::fit(&dimensions[dim], &facts.column(&state.plans[dim], n)))
                    }
                    _ => Piece::Scale(Scale::Bins),
                }
            }
            Job::Percentile { inner, .. } => Piece::Scale(Scale::percentile(&facts.column(inner, n))),
        }
    }

    fn model(&self) -> usize {
        match *self {
            Job::Rfm { model, .. } | Job::Dimension { model, .. } | Job::Percentile { model, .. } => model,
        }
    }
}

/// Fits the calibration of each of `models` (with their working state: RFM values, bound
/// plans) on the current population, as of `today`, on up to `threads` threads.
pub fn calibrate_all(models: &[(&Model, &ModelState)], facts: &Facts<'_>, n: usize, today: Day, threads: usize) -> Vec<Calibration> {
    let buyers: Vec<Vec<u32>> = models.iter().map(|(_, s)| s.rfm.as_ref().map(RfmCuts::buyers).unwrap_or_default()).collect();
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for (i, (m, state)) in models.iter().enumerate() {
        match &m.body {
            Body::Rfm { .. } if state.rfm.is_some() => {
                jobs.extend(RfmDimension::ALL.map(|dim| Job::Rfm { model: i, dim, buyers: &buyers[i] }));
            }
            Body::Rfm { .. } => {}
            Body::Score { dimensions, .. } => jobs.extend((0..dimensions.len()).map(|dim| Job::Dimension { model: i, dim })),
            Body::Ladder { .. } => {
                let mut calls = Vec::new();
                for plan in &state.plans {
                    plan.percentiles(&mut calls);
                }
                calls.sort_by_key(|(k, _)| *k);
                jobs.extend(calls.into_iter().map(|(_, inner)| Job::Percentile { model: i, inner }));
            }
        }
    }
    // Jobs keep their order within a model (scales in dimension order) by index; the queue
    // takes the costliest first (a stable sort keeps equal costs in model order).
    let mut queue: Vec<usize> = (0..jobs.len()).collect();
    queue.sort_by_key(|&j| std::cmp::Reverse(jobs[j].cost(models)));
    let threads = if n < THREADED_FROM { 1 } else { threads.clamp(1, jobs.len().max(1)) };
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&j) = queue.get(k) else { break done };
            done.push((j, jobs[j].run(models, facts, n)));
        }
    };
    let mut pieces: Vec<(usize, Piece)> = if threads <= 1 {
        work()
    } else {
        std::thread::scope(|s| {
            let others: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
            let mut all = work();
            for h in others {
                all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
            all
        })
    };
    pieces.sort_by_key(|(j, _)| *j);
    let mut out: Vec<Calibration> = models.iter().map(|_| Calibration { on: today, ..Calibration::default() }).collect();
    for (j, piece) in pieces {
        let c = &mut out[jobs[j].model()];
        match (&jobs[j], piece) {
            (Job::Rfm { dim, .. }, Piece::Cuts(cuts)) => {
                let rfm = c.rfm.get_or_insert_with(RfmCuts::default);
                match dim {
                    RfmDimension::Recency => rfm.recency = cuts,
                    RfmDimension::Frequency => rfm.frequency = cuts,
                    RfmDimension::Monetary => rfm.monetary = cuts,
                }
            }
            (_, Piece::Scale(s)) => c.scales.push(s),
            (_, Piece::Cuts(_)) => {}
        }
    }
    out
}

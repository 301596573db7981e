//! Evaluating one model over a range of positions: ladders (first true condition wins), weighted
//! scores (points per dimension against calibrated scales, tiers by minimum score) and RFM
//! (values from the order book, scores against cut points in force, segment map). The cut
//! points come from calibration_jobs.rs.

use super::{
    calibration::{Calibration, Scale},
    eval::{blocks, Facts, TRUE},
    plan::Plan,
    point_lookup::PointLookup,
};
use crate::tiering::{
    model::{Body, Model},
    rfm::{RfmValues, NO_TIER},
};

/// Positions scored together from which percentile scales are prepared as lookup tables.
const LOOKUP_FROM: usize = 512;

/// A model's working state besides its tiers.
#[derive(Debug, Clone, Default)]
pub struct ModelState {
    /// Ladder conditions or score dimensions, bound to the engine.
    pub plans: Vec<Plan>,
    pub calibration: Calibration,
    /// Weighted score per position (score models).
    pub scores: Vec<f32>,
    /// R, F, M values per position (RFM models).
    pub rfm: Option<RfmValues>,
}

/// Splits `out` (tier per position) and `scores` (score per position, or empty) into `threads`
/// parts and runs `f(first_position, tiers, scores)` on each.
pub fn for_parts(out: &mut [u16], scores: &mut [f32], threads: usize, f: impl Fn(usize, &mut [u16], &mut [f32]) + Sync) {
    let n = out.len();
    if threads <= 1 || n < 20_000 {
        f(0, out, scores);
        return;
    }
    let chunk = n.div_ceil(threads);
    std::thread::scope(|s| {
        let mut rest = scores;
        for (k, part) in out.chunks_mut(chunk).enumerate() {
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(part.len().min(rest.len()));
            rest = tail;
            let f = &f;
            s.spawn(move || f(k * chunk, part, mine));
        }
    });
}

/// Evaluates `model` for positions `lo..lo + out.len()` into `out` (tier per position) and,
/// for score models, `scores` (same length).
pub fn evaluate_range(model: &Model, state: &ModelState, facts: &Facts<'_>, lo: usize, out: &mut [u16], scores: &mut [f32]) {
    match &model.body {
        Body::Ladder { default, .. } => {
            let facts = Facts { scales: &state.calibration.scales, ..*facts };
            ladder(&state.plans, default.unwrap_or(NO_TIER), &facts, lo, out)
        }
        Body::Score { dimensions, by_min } => {
            let scales = &state.calibration.scales;
            // Percentile scales get a lookup table when there are enough customers to repay it.
            let lookups: Vec<Option<PointLookup>> =
                if out.len() >= LOOKUP_FROM { scales.iter().map(Scale::lookup).collect() } else { Vec::new() };
            for (b_lo, b_hi) in blocks(out.len()) {
                let mut total = vec![0.0f64; b_hi - b_lo];
                for (i, ((d, plan), scale)) in dimensions.iter().zip(&state.plans).zip(scales).enumerate() {
                    let lookup = lookups.get(i).and_then(Option::as_ref);
                    scale.add_points(d, &facts.numbers(plan, lo + b_lo, lo + b_hi), &mut total, lookup);
                }
                for (i, t) in total.into_iter().enumerate() {
                    if let Some(s) = scores.get_mut(b_lo + i) {
                        *s = t as f32;
                    }
                    // `by_min` descends, so the minima above the score are a prefix: counting
                    // them finds the first tier reached, without a branch per tier.
                    let above: usize = by_min.iter().map(|(m, _)| usize::from(t < *m - 1e-9)).sum();
                    out[b_lo + i] = by_min.get(above).map_or(NO_TIER, |(_, tier)| *tier);
                }
            }
        }
        Body::Rfm { map, default, .. } => {
            let (Some(values), Some(cuts)) = (&state.rfm, &state.calibration.rfm) else {
                out.fill(default.unwrap_or(NO_TIER));
                return;
            };
            for (b_lo, b_hi) in blocks(out.len()) {
                cuts.segments_into(values, map, default.unwrap_or(NO_TIER), lo + b_lo, &mut out[b_lo..b_hi]);
            }
        }
    }
}

fn ladder(plans: &[Plan], default: u16, facts: &Facts<'_>, lo: usize, out: &mut [u16]) {
    for (b_lo, b_hi) in blocks(out.len()) {
        let part = &mut out[b_lo..b_hi];
        part.fill(NO_TIER);
        let mut open = part.len();
        for (t, plan) in plans.iter().enumerate() {
            if open == 0 {
                break;
            }
            let cond = facts.conditions(plan, lo + b_lo, lo + b_hi);
            // Without branches (the outcome varies customer by customer), so it vectorises.
            let mut taken = 0;
            for (o, c) in part.iter_mut().zip(cond) {
                let take = (*o == NO_TIER) & (c == TRUE);
                *o = if take { t as u16 } else { *o };
                taken += usize::from(take);
            }
            open -= taken;
        }
        if default != NO_TIER {
            part.iter_mut().filter(|o| **o == NO_TIER).for_each(|o| *o = default);
        }
    }
}

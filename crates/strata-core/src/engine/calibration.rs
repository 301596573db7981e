//! Population-relative cut points stored with a model version: RFM quantile cuts and, per
//! weighted-score dimension, min–max or percentile scales. Scoring against stored cut points
//! keeps tiers stable between refreshes.

use serde::{Deserialize, Serialize};

use super::point_lookup::{width_inverse, PointLookup};
use crate::{
    metrics::Day,
    tiering::{model::Dimension, rank_select::select_values, rfm::RfmCuts, spec::Normalise},
};

/// Stored percentile scale: the population's value at every 0.1% step (1001 points).
pub const PERCENTILE_POINTS: usize = 1001;

/// How one score dimension maps raw values to points, as calibrated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    Bins,
    MinMax { min: f64, max: f64 },
    Percentile { points: Vec<f64> },
}

/// Cut points in force for one model version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The day the cut points were computed on.
    pub on: Day,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfm: Option<RfmCuts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scales: Vec<Scale>,
}

impl Scale {
    /// Calibrates `d` on the population's raw values (missing values are ignored).
    pub fn fit(d: &Dimension, values: &[f64]) -> Scale {
        match d.normalise {
            Normalise::Bins => Scale::Bins,
            Normalise::MinMax => {
                let (min, max) = extremes((f64::INFINITY, f64::NEG_INFINITY), values);
                Scale::min_max(min, max)
            }
            Normalise::Percentile => Scale::percentile(values),
        }
    }

    /// The min–max scale of the known values' least and greatest (with no known value the
    /// least is above the greatest: a flat scale).
    pub fn min_max(min: f64, max: f64) -> Scale {
        if min > max {
            Scale::MinMax { min: 0.0, max: 0.0 }
        } else {
            Scale::MinMax { min, max }
        }
    }

    /// The percentile scale of the known values: the values at 1001 evenly spaced sorted
    /// ranks, found by selection rather than a sort.
    pub fn percentile(values: &[f64]) -> Scale {
        if let Some(points) = whole_number_points(values) {
            return Scale::Percentile { points };
        }
        let mut keys: Vec<i64> = Vec::with_capacity(values.len());
        keys.extend(values.iter().filter(|x| !x.is_nan()).map(|&x| total_order(x.to_bits() as i64)));
        if keys.is_empty() {
            return Scale::Percentile { points: Vec::new() };
        }
        let last = keys.len() - 1;
        let ranks: Vec<usize> = (0..PERCENTILE_POINTS).map(|i| i * last / (PERCENTILE_POINTS - 1)).collect();
        let points = select_values(&keys, &ranks).into_iter().map(|k| f64::from_bits(total_order(k) as u64)).collect();
        Scale::Percentile { points }
    }

    /// The lookup table of a percentile scale, for scoring many values against it.
    pub fn lookup(&self) -> Option<PointLookup> {
        match self {
            Scale::Percentile { points } => PointLookup::new(points),
            _ => None,
        }
    }

    /// Adds `d.share × points(x)` for every value to `total`: the scale is matched once per
    /// block rather than per value. `lookup` is this scale's [`Scale::lookup`], when prepared.
    pub fn add_points(&self, d: &Dimension, xs: &[f64], total: &mut [f64], lookup: Option<&PointLookup>) {
        fn add(share: f64, xs: &[f64], total: &mut [f64], points: impl Fn(f64) -> f64) {
            // A select rather than a branch on missing values, so that the loop vectorises.
            for (t, &x) in total.iter_mut().zip(xs) {
                let p = share * points(x).clamp(0.0, 100.0);
                *t += if x.is_nan() { 0.0 } else { p };
            }
        }
        match self {
            Scale::Bins => add_bins(d, xs, total),
            Scale::MinMax { min, max } => add(d.share, xs, total, |x| min_max_points(*min, *max, x)),
            Scale::Percentile { points } if points.len() >= 2 => {
                let mut below = Vec::with_capacity(xs.len());
                match lookup {
                    // The table finds the interval, its width's inverse is stored.
                    Some(l) => {
                        l.count_below_into(xs, &mut below);
                        add_ranks(d.share, points, xs, &below, total, |k| l.width_inverse(k));
                    }
                    None => {
                        count_below(points, xs, &mut below);
                        add_ranks(d.share, points, xs, &below, total, |k| if k == 0 { 0.0 } else { width_inverse(points, k) });
                    }
                }
            }
            Scale::Percentile { .. } => {}
        }
    }

    /// Points 0–100 for a raw value; 0 when missing.
    pub fn points(&self, d: &Dimension, x: f64) -> f64 {
        if x.is_nan() {
            return 0.0;
        }
        let p = match self {
            Scale::Bins => bin_points(&d.bins, x),
            Scale::MinMax { min, max } => min_max_points(*min, *max, x),
            Scale::Percentile { points } => percentile_rank(points, x),
        };
        p.clamp(0.0, 100.0)
    }
}

/// The least and greatest of `(lo, hi)` and the known values of `xs`: `min` and `max` pass
/// over NaN, so missing values need no filter. Folded a block at a time or over a column.
pub fn extremes((lo, hi): (f64, f64), xs: &[f64]) -> (f64, f64) {
    xs.iter().fold((lo, hi), |(a, b), &x| (a.min(x), b.max(x)))
}

/// The percentile points of values that are all whole numbers in a narrow range (counts, days),
/// by one counting pass: the same points as selection finds, or None for other values.
fn whole_number_points(values: &[f64]) -> Option<Vec<f64>> {
    const WIDEST: i64 = 1 << 16;
    let (mut lo, mut hi, mut known) = (i64::MAX, i64::MIN, 0usize);
    for &x in values.iter().filter(|x| !x.is_nan()) {
        let k = x as i64;
        // -0.0, fractions, infinities and values beyond i64 do not come back bit for bit: the
        // first one ends the pass (a column of amounts is given up at once).
        if (k as f64).to_bits() != x.to_bits() {
            return None;
        }
        (lo, hi, known) = (lo.min(k), hi.max(k), known + 1);
    }
    if known == 0 || hi - lo >= WIDEST {
        return None;
    }
    let mut counts = vec![0u32; (hi - lo + 1) as usize];
    for &x in values.iter().filter(|x| !x.is_nan()) {
        counts[(x as i64 - lo) as usize] += 1;
    }
    let last = known - 1;
    let mut points = Vec::with_capacity(PERCENTILE_POINTS);
    let (mut value, mut through) = (0usize, counts[0] as usize);
    for i in 0..PERCENTILE_POINTS {
        let rank = i * last / (PERCENTILE_POINTS - 1);
        while through <= rank {
            value += 1;
            through += counts[value] as usize;
        }
        points.push((lo + value as i64) as f64);
    }
    Some(points)
}

/// Adds `d.share × bin points` for every value to `total`, a threshold at a time: how many
/// thresholds each value reaches is counted in passes that vectorise, then looked up.
fn add_bins(d: &Dimension, xs: &[f64], total: &mut [f64]) {
    let mut reached = vec![0u32; xs.len()];
    for b in &d.bins {
        for (r, &x) in reached.iter_mut().zip(xs) {
            *r += u32::from(x >= b[0]);
        }
    }
    // Points for 0, 1, 2, … thresholds reached: what `bin_points` gives.
    let table: Vec<f64> = std::iter::once(0.0).chain(d.bins.iter().map(|b| b[1])).map(|p| d.share * p.clamp(0.0, 100.0)).collect();
    for (t, &r) in total.iter_mut().zip(&reached) {
        *t += table.get(r as usize).copied().unwrap_or(0.0);
    }
}

/// Adds `share × percentile rank` for every value of `xs` to `total`, given `below` (the number
/// of points below each value) and `inverse(k)` ([`width_inverse`]; 0 for `k = 0`): the same
/// results as `rank_between`, with the case below the first point folded into the arithmetic
/// (interval 0 has width inverse 0, so it adds nothing to rank 0) rather than a branch that
/// mispredicts whenever many values sit on the first point (no revenue, no orders).
fn add_ranks(share: f64, points: &[f64], xs: &[f64], below: &[u32], total: &mut [f64], inverse: impl Fn(usize) -> f64) {
    let last = points.len() - 1;
    let step = 100.0 / last as f64;
    for ((t, &x), &i) in total.iter_mut().zip(xs).zip(below) {
        let i = i as usize;
        let k = i.min(last);
        let lower = points[k + usize::from(k == 0) - 1];
        let inside = ((k as f64 - 1.0).max(0.0) + (x - lower) * inverse(k)) * step;
        let rank = if i > last { 100.0 } else { inside };
        // `max` then `min` is `clamp` that also takes NaN (from infinite values) to 0.
        #[allow(clippy::manual_clamp)]
        let points = rank.max(0.0).min(100.0);
        *t += share * points * f64::from(u8::from(!x.is_nan()));
    }
}

/// The points of the last bin whose edge `x` reaches. Edges ascend (checked when the model is
/// compiled), so the reached bins are a prefix: counting them needs no branch per bin.
fn bin_points(bins: &[[f64; 2]], x: f64) -> f64 {
    let reached: usize = bins.iter().map(|b| usize::from(x >= b[0])).sum();
    reached.checked_sub(1).and_then(|i| bins.get(i)).map_or(0.0, |b| b[1])
}

fn min_max_points(min: f64, max: f64, x: f64) -> f64 {
    if max > min {
        (x - min) / (max - min) * 100.0
    } else if x >= max {
        100.0
    } else {
        0.0
    }
}

/// f64 bits to signed integers that order the way `f64::total_cmp` orders the floats, and back
/// (the transform is its own inverse).
fn total_order(key: i64) -> i64 {
    key ^ (((key >> 63) as u64) >> 1) as i64
}

/// Share (0–100) of the calibrated population with a lower value, interpolated between the
/// stored points.
pub(super) fn percentile_rank(points: &[f64], x: f64) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    rank_between(points, points.partition_point(|&q| q < x), x)
}

/// The percentile rank of `x` given `i`, the number of points below it: 0 below the first
/// point, 100 above the last, else interpolated inside the interval by multiplying with its
/// [`width_inverse`] (the formula `add_ranks` follows bit for bit).
#[inline]
fn rank_between(points: &[f64], i: usize, x: f64) -> f64 {
    let last = points.len() - 1;
    let k = i.clamp(1, last);
    let inside = ((k - 1) as f64 + (x - points[k - 1]) * width_inverse(points, k)) * (100.0 / last as f64);
    if i == 0 {
        0.0
    } else if i > last {
        100.0
    } else {
        inside
    }
}

/// `points.partition_point(|q| q < x)` for every `x` of `xs` (`points` not empty): the same
/// branch-free binary search, eight at a time in lockstep so that their loads overlap.
fn count_below(points: &[f64], xs: &[f64], out: &mut Vec<u32>) {
    const LANES: usize = 8;
    let search = |lanes: [f64; LANES], out: &mut Vec<u32>| {
        let mut base = [0usize; LANES];
        let mut size = points.len();
        while size > 1 {
            let half = size / 2;
            for l in 0..LANES {
                // A conditional move, not a branch: the outcome is a coin toss.
                base[l] += std::hint::select_unpredictable(points[base[l] + half] < lanes[l], half, 0);
            }
            size -= half;
        }
        for l in 0..LANES {
            out.push((base[l] + usize::from(points[base[l]] < lanes[l])) as u32);
        }
    };
    let mut chunks = xs.chunks_exact(LANES);
    for chunk in &mut chunks {
        let mut lanes = [0.0; LANES];
        lanes.copy_from_slice(chunk);
        search(lanes, out);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut lanes = [f64::NEG_INFINITY; LANES];
        lanes[..rest.len()].copy_from_slice(rest);
        search(lanes, out);
        out.truncate(out.len() - (LANES - rest.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{check_number, schema::Schema};

    fn dim(normalise: Normalise, bins: Vec<[f64; 2]>) -> Dimension {
        Dimension { program: check_number("1", &Schema::default()).unwrap(), share: 1.0, normalise, bins }
    }

    #[test]
    fn scales_map_values_to_points() {
        let values: Vec<f64> = (0..=100).map(f64::from).chain([f64::NAN]).collect();
        let mm = dim(Normalise::MinMax, vec![]);
        let s = Scale::fit(&mm, &values);
        assert_eq!(s, Scale::MinMax { min: 0.0, max: 100.0 });
        assert_eq!(s.points(&mm, 25.0), 25.0);
        assert_eq!(s.points(&mm, 1e9), 100.0);
        assert_eq!(s.points(&mm, f64::NAN), 0.0);
        let pc = dim(Normalise::Percentile, vec![]);
        let s = Scale::fit(&pc, &values);
        assert!((s.points(&pc, 50.0) - 50.0).abs() < 0.2, "{}", s.points(&pc, 50.0));
        assert_eq!(s.points(&pc, -1.0), 0.0);
        assert_eq!(s.points(&pc, 1000.0), 100.0);
        let bins = dim(Normalise::Bins, vec![[0.0, 0.0], [10.0, 50.0], [100.0, 100.0]]);
        let s = Scale::fit(&bins, &values);
        assert_eq!([s.points(&bins, -5.0), s.points(&bins, 10.0), s.points(&bins, 99.0), s.points(&bins, 100.0)], [0.0, 50.0, 50.0, 100.0]);
    }

    #[test]
    fn selected_percentile_points_equal_sorted_ones() {
        let values: Vec<f64> = (0..30_000)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => -0.0,
                2 => f64::from(i) * -1.5,
                3 => f64::INFINITY,
                _ => f64::from((i * 7919) % 10_007) / 3.0,
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let last = sorted.len() - 1;
        let want: Vec<f64> = (0..PERCENTILE_POINTS).map(|i| sorted[i * last / (PERCENTILE_POINTS - 1)]).collect();
        let Scale::Percentile { points } = Scale::percentile(&values) else { panic!("not a percentile scale") };
        assert_eq!(points.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    }

    #[test]
    fn whole_number_points_equal_sorted_ones() {
        let cases: Vec<Vec<f64>> = vec![
            (0..30_000).map(|i| f64::from((i * 7919) % 97)).chain([f64::NAN; 5]).collect(),
            (0..5_000).map(|i| f64::from(i % 3) - 1.0).collect(),
            vec![4.0; 1_500],
            vec![3.0],
            (0..2_000).map(|i| f64::from(-(i * i % 50_000))).collect(),
        ];
        for values in cases {
            let mut sorted: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
            sorted.sort_unstable_by(f64::total_cmp);
            let last = sorted.len() - 1;
            let want: Vec<f64> = (0..PERCENTILE_POINTS).map(|i| sorted[i * last / (PERCENTILE_POINTS - 1)]).collect();
            let got = whole_number_points(&values).expect("whole numbers");
            assert_eq!(got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        }
        for other in [vec![0.5, 1.0], vec![-0.0, 1.0], vec![0.0, 1e6], vec![f64::INFINITY, 1.0], vec![f64::NAN]] {
            assert_eq!(whole_number_points(&other), None, "{other:?}");
        }
    }

    #[test]
    fn batched_points_equal_one_by_one() {
        let spread: Vec<f64> = (0..5_000).map(|i| f64::from((i * 7919) % 1013) / 7.0).collect();
        // Many values on the lowest point (no revenue), then a heavy tail; and small counts.
        let zeros: Vec<f64> = (0..5_000).map(|i| if i % 5 < 2 { 0.0 } else { (f64::from((i * 7919) % 1013) / 60.0).exp() }).collect();
        let counts: Vec<f64> = (0..5_000).map(|i| f64::from((i * 7919) % 13 / 4)).collect();
        let bins = vec![[1.0, 40.0], [2.0, 70.0], [3.0, 100.0], [-5.0, 150.0]];
        let cases = [
            (dim(Normalise::Percentile, vec![]), spread.clone()),
            (dim(Normalise::Percentile, vec![]), zeros.clone()),
            (dim(Normalise::Percentile, vec![]), counts.clone()),
            (dim(Normalise::MinMax, vec![]), zeros.clone()),
            (dim(Normalise::Bins, bins), counts),
        ];
        for (d, values) in cases {
            let s = Scale::fit(&d, &values);
            let mut probe: Vec<f64> = (-50..1_200).map(|i| f64::from(i) / 7.0).chain(values.iter().take(500).copied()).collect();
            probe.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, f64::MAX, f64::MIN, 1e300]);
            for lookup in [None, s.lookup()] {
                let mut total = vec![0.0; probe.len()];
                s.add_points(&d, &probe, &mut total, lookup.as_ref());
                for (x, t) in probe.iter().zip(&total) {
                    assert_eq!(t.to_bits(), (0.0 + d.share * s.points(&d, *x)).to_bits(), "x={x}, {:?}", d.normalise);
                }
            }
        }
    }

    #[test]
    fn ties_and_empty_populations() {
        let pc = dim(Normalise::Percentile, vec![]);
        let s = Scale::fit(&pc, &[0.0; 10]);
        assert_eq!(s.points(&pc, 0.0), 0.0);
        assert_eq!(s.points(&pc, 1.0), 100.0);
        let s = Scale::fit(&pc, &[]);
        assert_eq!(s.points(&pc, 5.0), 0.0);
        let mm = dim(Normalise::MinMax, vec![]);
        let s = Scale::fit(&mm, &[3.0, 3.0]);
        assert_eq!((s.points(&mm, 3.0), s.points(&mm, 2.0)), (100.0, 0.0));
    }
}

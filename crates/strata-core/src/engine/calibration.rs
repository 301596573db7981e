//! Population-relative cut points stored with a model version: RFM quantile cuts and, per
//! weighted-score dimension, min–max or percentile scales. Scoring against stored cut points
//! keeps tiers stable between refreshes.

use serde::{Deserialize, Serialize};

use crate::{
    metrics::Day,
    tiering::{model::Dimension, rfm::RfmCuts, spec::Normalise},
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
        let present: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        match d.normalise {
            Normalise::Bins => Scale::Bins,
            Normalise::MinMax => {
                let min = present.iter().copied().fold(f64::INFINITY, f64::min);
                let max = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if present.is_empty() {
                    Scale::MinMax { min: 0.0, max: 0.0 }
                } else {
                    Scale::MinMax { min, max }
                }
            }
            Normalise::Percentile => Scale::percentile(present),
        }
    }

    /// The percentile scale of the known values.
    pub fn percentile(mut present: Vec<f64>) -> Scale {
        present.retain(|x| !x.is_nan());
        if present.is_empty() {
            return Scale::Percentile { points: Vec::new() };
        }
        present.sort_unstable_by(f64::total_cmp);
        let last = present.len() - 1;
        let points = (0..PERCENTILE_POINTS).map(|i| present[i * last / (PERCENTILE_POINTS - 1)]).collect();
        Scale::Percentile { points }
    }

    /// Points 0–100 for a raw value; 0 when missing.
    pub fn points(&self, d: &Dimension, x: f64) -> f64 {
        if x.is_nan() {
            return 0.0;
        }
        let p = match self {
            Scale::Bins => d.bins.iter().take_while(|b| x >= b[0]).last().map_or(0.0, |b| b[1]),
            Scale::MinMax { min, max } => {
                if max > min {
                    (x - min) / (max - min) * 100.0
                } else if x >= *max {
                    100.0
                } else {
                    0.0
                }
            }
            Scale::Percentile { points } => percentile_rank(points, x),
        };
        p.clamp(0.0, 100.0)
    }
}

/// Share (0–100) of the calibrated population with a lower value, interpolated between the
/// stored points.
pub(super) fn percentile_rank(points: &[f64], x: f64) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    let steps = (points.len() - 1) as f64;
    let i = points.partition_point(|&q| q < x);
    if i == 0 {
        return 0.0;
    }
    if i >= points.len() {
        return 100.0;
    }
    let (a, b) = (points[i - 1], points[i]);
    let frac = if b > a { (x - a) / (b - a) } else { 0.0 };
    ((i - 1) as f64 + frac) / steps * 100.0
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

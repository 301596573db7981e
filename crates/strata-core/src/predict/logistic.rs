//! Logistic regression for labelled outcomes (churned or not): standardised features, missing
//! values at the feature's mean, a small ridge penalty, fitted by maximum likelihood with the
//! same optimiser as the purchase models; weights reported per standard deviation.

use super::{
    optimizer::{minimize, Objective},
    PredictError,
};

/// A fitted model. `weights[j]` applies to feature j standardised as (x − mean) / sd.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Logistic {
    pub intercept: f64,
    pub weights: Vec<f64>,
    pub means: Vec<f64>,
    pub sds: Vec<f64>,
    pub iterations: u64,
}

/// Ridge penalty on the standardised weights (per customer).
const L2: f64 = 1e-4;
/// Fewest examples of each class to fit.
pub const MIN_PER_CLASS: usize = 10;

struct Data<'a> {
    /// Standardised features, row-major (n × k).
    x: Vec<f64>,
    k: usize,
    labels: &'a [bool],
}

impl Objective for Data<'_> {
    fn value_and_gradient(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let n = self.labels.len() as f64;
        let (mut loss, mut grad) = (0.0, vec![0.0; self.k + 1]);
        for (row, &y) in self.x.chunks_exact(self.k).zip(self.labels) {
            let z = theta[0] + row.iter().zip(&theta[1..]).map(|(a, b)| a * b).sum::<f64>();
            // log(1 + e^z) − y·z, computed without overflow
            let softplus = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
            loss += softplus - if y { z } else { 0.0 };
            let p = 1.0 / (1.0 + (-z).exp());
            let r = p - f64::from(u8::from(y));
            grad[0] += r;
            for (g, v) in grad[1..].iter_mut().zip(row) {
                *g += r * v;
            }
        }
        let mut value = loss / n;
        for (j, g) in grad.iter_mut().enumerate() {
            *g /= n;
            if j > 0 {
                value += 0.5 * L2 * theta[j] * theta[j];
                *g += L2 * theta[j];
            }
        }
        (value, grad)
    }
}

/// Mean and standard deviation of the known values (0 and 1 when none, or no spread).
fn moments(col: &[f64]) -> (f64, f64) {
    let known: Vec<f64> = col.iter().copied().filter(|v| v.is_finite()).collect();
    if known.is_empty() {
        return (0.0, 1.0);
    }
    let mean = known.iter().sum::<f64>() / known.len() as f64;
    let var = known.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / known.len() as f64;
    (mean, if var > 0.0 { var.sqrt() } else { 1.0 })
}

impl Logistic {
    /// Fits on `columns` (one per feature, each of the labels' length).
    pub fn fit(columns: &[Vec<f64>], labels: &[bool]) -> Result<Logistic, PredictError> {
        let positives = labels.iter().filter(|&&y| y).count();
        let fewest = positives.min(labels.len() - positives);
        if fewest < MIN_PER_CLASS {
            return Err(PredictError::TooFewLabelled { positives, negatives: labels.len() - positives, need: MIN_PER_CLASS });
        }
        let k = columns.len();
        let (means, sds): (Vec<f64>, Vec<f64>) = columns.iter().map(|c| moments(c)).unzip();
        let mut x = Vec::with_capacity(labels.len() * k);
        for i in 0..labels.len() {
            for ((col, mean), sd) in columns.iter().zip(&means).zip(&sds) {
                let v = col[i];
                x.push(if v.is_finite() { (v - mean) / sd } else { 0.0 });
            }
        }
        let base = positives as f64 / labels.len() as f64;
        let mut start = vec![0.0; k + 1];
        start[0] = (base / (1.0 - base)).ln();
        let min = minimize(&Data { x, k, labels }, start)?;
        Ok(Logistic { intercept: min.theta[0], weights: min.theta[1..].to_vec(), means, sds, iterations: min.iterations })
    }

    /// The probability of the outcome for one customer's feature values.
    pub fn probability(&self, values: &[f64]) -> f64 {
        let z = self.intercept
            + values
                .iter()
                .enumerate()
                .map(|(j, v)| if v.is_finite() { self.weights[j] * (v - self.means[j]) / self.sds[j] } else { 0.0 })
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    /// Probabilities for every row of `columns`.
    pub fn probabilities(&self, columns: &[Vec<f64>]) -> Vec<f64> {
        let n = columns.first().map_or(0, |c| c.len());
        (0..n).map(|i| self.probability(&columns.iter().map(|c| c[i]).collect::<Vec<f64>>())).collect()
    }

    /// The odds ratio of one standard deviation more of feature j.
    pub fn odds_per_sd(&self, j: usize) -> f64 {
        self.weights[j].exp()
    }
}

/// Area under the ROC curve (ties count one half): the chance that a random positive scores
/// above a random negative.
pub fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|&&o| labels[o]).count() as f64 * mid;
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&y| y).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return f64::NAN;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Precision and recall of "score ≥ threshold" as a prediction of the label.
pub fn precision_recall(scores: &[f64], labels: &[bool], threshold: f64) -> (f64, f64) {
    let (mut tp, mut fp, mut fneg) = (0.0, 0.0, 0.0);
    for (&s, &y) in scores.iter().zip(labels) {
        match (s >= threshold, y) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, true) => fneg += 1.0,
            _ => {}
        }
    }
    (if tp + fp > 0.0 { tp / (tp + fp) } else { f64::NAN }, if tp + fneg > 0.0 { tp / (tp + fneg) } else { f64::NAN })
}

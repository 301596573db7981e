//! BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): the likelihood
//! with its analytic gradient, maximum-likelihood fitting on grouped histories, and per-customer
//! scores (probability alive, expected purchases in a coming period).

use special::Gamma;

use super::ln_gamma;

use super::{
    history::{Grouped, TimeUnit},
    hypergeometric::hyp2f1,
    optimizer::{minimize, minimize_warm, Objective},
    PredictError,
};

/// Fitted BG/NBD parameters; durations in the fit's time unit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// A fit: the parameters, the total log-likelihood and what it was fitted on.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbdFit {
    pub params: BgNbd,
    pub unit: TimeUnit,
    pub log_likelihood: f64,
    pub customers: u64,
    pub repeat_customers: u64,
    pub iterations: u64,
}

/// At least this many customers, and this many repeat buyers, to fit.
pub const MIN_CUSTOMERS: u64 = 30;
pub const MIN_REPEAT_CUSTOMERS: u64 = 10;
/// Distinct histories in the warm-start sample of a large fit.
const WARM_SAMPLE_ROWS: usize = 25_000;

pub(super) struct Likelihood<'a> {
    data: &'a Grouped,
    /// Row ranges with the same repeat count, split into one run of groups per thread.
    parts: Vec<Vec<std::ops::Range<usize>>>,
}

/// Per-day terms of one evaluation: ln(α + d/unit) and 1/(α + d/unit).
struct DayTerms {
    ln_at: Vec<f64>,
    inv_at: Vec<f64>,
}

impl<'a> Likelihood<'a> {
    pub(super) fn new(data: &'a Grouped, threads: usize) -> Likelihood<'a> {
        let rows = &data.rows;
        let mut groups = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let start = i;
            while i < rows.len() && rows[i].repeat == rows[start].repeat {
                i += 1;
            }
            groups.push(start..i);
        }
        let threads = if rows.len() < 20_000 { 1 } else { threads.clamp(1, 16) };
        let share = rows.len().div_ceil(threads).max(1);
        let mut parts: Vec<Vec<std::ops::Range<usize>>> = vec![Vec::new()];
        let mut filled = 0;
        for g in groups {
            if filled >= share && parts.len() < threads {
                parts.push(Vec::new());
                filled = 0;
            }
            filled += g.len();
            if let Some(last) = parts.last_mut() {
                last.push(g);
            }
        }
        Likelihood { data, parts }
    }

    /// Total log-likelihood and its gradient with respect to (r, α, a, b).
    fn total(&self, p: BgNbd) -> (f64, [f64; 4]) {
        let unit = self.data.unit.days();
        let len = self.data.max_days as usize + 1;
        let (mut ln_at, mut inv_at) = (Vec::with_capacity(len), Vec::with_capacity(len));
        for d in 0..len {
            let v = p.alpha + d as f64 / unit;
            ln_at.push(v.ln());
            inv_at.push(1.0 / v);
        }
        let terms = DayTerms { ln_at, inv_at };
        let mut sums: Vec<(f64, [f64; 4])> = Vec::with_capacity(self.parts.len());
        if self.parts.len() == 1 {
            sums.push(self.part(p, &terms, &self.parts[0]));
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = self.parts.iter().map(|part| s.spawn(|| self.part(p, &terms, part))).collect();
                // A panicking part would be a bug; its sum reads as not finite, which the optimiser rejects.
                sums.extend(handles.into_iter().map(|h| h.join().unwrap_or((f64::NAN, [f64::NAN; 4]))));
            });
        }
        // Parts are added in a fixed order, so the result does not depend on thread timing.
        sums.into_iter().fold((0.0, [0.0; 4]), |(ll, g), (l, d)| (ll + l, [g[0] + d[0], g[1] + d[1], g[2] + d[2], g[3] + d[3]]))
    }

    /// The log-likelihood and gradient of some repeat-count groups.
    fn part(&self, p: BgNbd, terms: &DayTerms, groups: &[std::ops::Range<usize>]) -> (f64, [f64; 4]) {
        let BgNbd { r, alpha, a, b } = p;
        let (ln_at, inv_at) = (&terms.ln_at, &terms.inv_at);
        let (ln_alpha, lg_r, lg_b, lg_ab) = (alpha.ln(), ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let (dg_r, dg_b, dg_ab, ln_a) = (r.digamma(), b.digamma(), (a + b).digamma(), a.ln());
        let mut ll = 0.0;
        let mut g = [0.0f64; 4];
        for group in groups {
            let rows = &self.data.rows[group.clone()];
            let x = rows[0].repeat;
            let xf = f64::from(x);
            let rx = r + xf;
            let base = ln_gamma(rx) - lg_r + r * ln_alpha + lg_ab + ln_gamma(b + xf) - lg_b - ln_gamma(a + b + xf);
            let d_r = rx.digamma() - dg_r + ln_alpha;
            let d_a = dg_ab - (a + b + xf).digamma();
            let d_b = dg_ab + (b + xf).digamma() - dg_b - (a + b + xf).digamma();
            let (mut n, mut lse_sum, mut gr, mut galpha, mut w4_sum) = (0.0, 0.0, 0.0, 0.0, 0.0);
            if x == 0 {
                for row in rows {
                    let w = f64::from(row.count);
                    let (lt, it) = (ln_at[row.age_days as usize], inv_at[row.age_days as usize]);
                    lse_sum -= w * rx * lt;
                    gr -= w * lt;
                    galpha -= w * rx * it;
                    n += w;
                }
            } else {
                let c4 = ln_a - (b + xf - 1.0).ln();
                for row in rows {
                    let w = f64::from(row.count);
                    let (lt, it) = (ln_at[row.age_days as usize], inv_at[row.age_days as usize]);
                    let (lx, ix) = (ln_at[row.last_days as usize], inv_at[row.last_days as usize]);
                    // ln(e^A3 + e^A4) with A3 = −(r+x)·ln(α+T), A4 = ln a − ln(b+x−1) − (r+x)·ln(α+t_x),
                    // and the share w4 of the second term: one exp and one log per row.
                    let (a3, a4) = (-rx * lt, c4 - rx * lx);
                    let d = a3 - a4;
                    let e = (-d.abs()).exp();
                    let inv = 1.0 / (1.0 + e);
                    let (lse, w4) = if d > 0.0 { (a3 + e.ln_1p(), e * inv) } else { (a4 + e.ln_1p(), inv) };
                    let w3 = 1.0 - w4;
                    lse_sum += w * lse;
                    gr -= w * (w3 * lt + w4 * lx);
                    galpha -= w * rx * (w3 * it + w4 * ix);
                    w4_sum += w * w4;
                    n += w;
                }
            }
            let inv_b = if x > 0 { 1.0 / (b + xf - 1.0) } else { 0.0 };
            ll += n * base + lse_sum;
            g[0] += n * d_r + gr;
            g[1] += n * r / alpha + galpha;
            g[2] += n * d_a + w4_sum / a;
            g[3] += n * d_b - w4_sum * inv_b;
        }
        (ll, g)
    }
}

impl Objective for Likelihood<'_> {
    fn value_and_gradient(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let p = BgNbd { r: theta[0].exp(), alpha: theta[1].exp(), a: theta[2].exp(), b: theta[3].exp() };
        let (ll, g) = self.total(p);
        let n = self.data.customers as f64;
        let scale = [p.r, p.alpha, p.a, p.b];
        (-ll / n, (0..4).map(|k| -g[k] * scale[k] / n).collect())
    }
}

impl BgNbd {
    /// The total log-likelihood of grouped histories.
    pub fn log_likelihood(self, data: &Grouped) -> f64 {
        Likelihood::new(data, 1).total(self).0
    }

    /// Fits by maximum likelihood on one thread.
    pub fn fit(data: &Grouped) -> Result<BgNbdFit, PredictError> {
        BgNbd::fit_on(data, 1)
    }

    /// Fits by maximum likelihood, the likelihood summed on up to `threads` threads (the result
    /// does not depend on the number of threads beyond rounding in the last digits).
    pub fn fit_on(data: &Grouped, threads: usize) -> Result<BgNbdFit, PredictError> {
        if data.customers < MIN_CUSTOMERS {
            return Err(PredictError::TooFewCustomers { have: data.customers, need: MIN_CUSTOMERS });
        }
        if data.repeat_customers < MIN_REPEAT_CUSTOMERS {
            return Err(PredictError::TooFewRepeatCustomers { have: data.repeat_customers, need: MIN_REPEAT_CUSTOMERS });
        }
        let unit = data.unit.days();
        let mean_age = data.rows.iter().map(|r| f64::from(r.age_days) / unit * f64::from(r.count)).sum::<f64>() / data.customers as f64;
        let objective = Likelihood::new(data, threads);
        let start = vec![0.0, mean_age.max(1.0).ln(), 0.0, 0.0];
        // Large data: fit a systematic sample of the distinct histories first, then finish on
        // everything from there (same optimum, a fraction of the full evaluations).
        let min = if data.rows.len() > 2 * WARM_SAMPLE_ROWS {
            let sample = data.sample(data.rows.len() / WARM_SAMPLE_ROWS);
            minimize_warm(&objective, &Likelihood::new(&sample, threads), start)?
        } else {
            minimize(&objective, start)?
        };
        let params = BgNbd { r: min.theta[0].exp(), alpha: min.theta[1].exp(), a: min.theta[2].exp(), b: min.theta[3].exp() };
        if ![params.r, params.alpha, params.a, params.b].iter().all(|v| v.is_finite() && *v > 0.0) {
            return Err(PredictError::NotConverged { iterations: min.iterations, detail: format!("parameters out of range: {params:?}") });
        }
        Ok(BgNbdFit {
            params,
            unit: data.unit,
            log_likelihood: -min.value * data.customers as f64,
            customers: data.customers,
            repeat_customers: data.repeat_customers,
            iterations: min.iterations,
        })
    }

    /// The probability that a customer with `x` repeat purchases, the last at `t_x`, observed
    /// for `t` units, is still active.
    pub fn p_alive(self, x: f64, t_x: f64, t: f64) -> f64 {
        if x <= 0.0 {
            return 1.0;
        }
        let BgNbd { r, alpha, a, b } = self;
        let ratio = (r + x) * ((alpha + t).ln() - (alpha + t_x).ln());
        1.0 / (1.0 + (a / (b + x - 1.0)) * ratio.exp())
    }

    /// Expected purchases in the next `horizon` units of a customer with history (x, t_x, T).
    pub fn expected_purchases(self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = self;
        let z = horizon / (alpha + t + horizon);
        let first = (a + b + x - 1.0) / (a - 1.0);
        let power = ((alpha + t) / (alpha + t + horizon)).powf(r + x);
        let bracket = 1.0 - power * hyp2f1(r + x, b + x, a + b + x - 1.0, z);
        let odds = if x > 0.0 { (a / (b + x - 1.0)) * ((alpha + t) / (alpha + t_x)).powf(r + x) } else { 0.0 };
        (first * bracket / (1.0 + odds)).max(0.0)
    }

    /// Expected purchases of a new customer in their first `horizon` units.
    pub fn expected_purchases_new(self, horizon: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = self;
        let z = horizon / (alpha + horizon);
        (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + horizon)).powf(r) * hyp2f1(r, b, a + b - 1.0, z))
    }
}

//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves"):
//! fitted on repeat buyers' mean repeat-purchase value; gives the expected value of a customer's
//! future purchases.

use special::Gamma;

use super::ln_gamma;

use super::{
    history::Histories,
    optimizer::{minimize, Objective},
    PredictError,
};

/// Fitted Gamma-Gamma parameters (γ is `v` in `lifetimes`; in currency units).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGammaFit {
    pub params: GammaGamma,
    pub log_likelihood: f64,
    /// Repeat buyers fitted on.
    pub customers: u64,
    pub iterations: u64,
}

/// Repeat buyers needed to fit.
pub const MIN_REPEAT_BUYERS: u64 = 10;

/// Repeat buyers' (x, mean repeat value), sorted by x; ln values kept for the likelihood.
#[derive(Debug, Clone)]
pub struct SpendData {
    rows: Vec<(u32, f64)>,
    ln_value: Vec<f64>,
}

impl SpendData {
    /// Repeat buyers with a positive mean repeat value.
    pub fn of_histories(histories: &Histories) -> SpendData {
        SpendData::new(histories.buyers().filter(|h| h.repeat > 0 && h.repeat_value > 0.0).map(|h| (h.repeat, h.repeat_value)).collect())
    }

    pub fn new(mut rows: Vec<(u32, f64)>) -> SpendData {
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let ln_value = rows.iter().map(|r| r.1.ln()).collect();
        SpendData { rows, ln_value }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Total log-likelihood and gradient with respect to (p, q, γ).
    fn total(&self, g: GammaGamma) -> (f64, [f64; 3]) {
        let GammaGamma { p, q, gamma: v } = g;
        let (lg_q, dg_q, ln_v) = (ln_gamma(q), q.digamma(), v.ln());
        let (mut ll, mut grad) = (0.0, [0.0f64; 3]);
        let mut i = 0;
        while i < self.rows.len() {
            let x = self.rows[i].0;
            let xf = f64::from(x);
            let (px, ln_x) = (p * xf, xf.ln());
            let base = ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_v + px * ln_x;
            let (dg_pxq, dg_px) = ((px + q).digamma(), px.digamma());
            let (mut n, mut sum_lm, mut sum_lxmv, mut sum_inv) = (0.0, 0.0, 0.0, 0.0);
            while i < self.rows.len() && self.rows[i].0 == x {
                let m = self.rows[i].1;
                let xmv = xf * m + v;
                sum_lm += self.ln_value[i];
                sum_lxmv += xmv.ln();
                sum_inv += 1.0 / xmv;
                n += 1.0;
                i += 1;
            }
            ll += n * base + (px - 1.0) * sum_lm - (px + q) * sum_lxmv;
            grad[0] += xf * (n * (dg_pxq - dg_px + ln_x) + sum_lm - sum_lxmv);
            grad[1] += n * (dg_pxq - dg_q + ln_v) - sum_lxmv;
            grad[2] += n * q / v - (px + q) * sum_inv;
        }
        (ll, grad)
    }
}

impl Objective for SpendData {
    fn value_and_gradient(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let g = GammaGamma { p: theta[0].exp(), q: theta[1].exp(), gamma: theta[2].exp() };
        let (ll, d) = self.total(g);
        let n = self.rows.len() as f64;
        let scale = [g.p, g.q, g.gamma];
        (-ll / n, (0..3).map(|k| -d[k] * scale[k] / n).collect())
    }
}

impl GammaGamma {
    pub fn log_likelihood(self, data: &SpendData) -> f64 {
        data.total(self).0
    }

    /// Fits by maximum likelihood.
    pub fn fit(data: &SpendData) -> Result<GammaGammaFit, PredictError> {
        let n = data.len() as u64;
        if n < MIN_REPEAT_BUYERS {
            return Err(PredictError::TooFewRepeatCustomers { have: n, need: MIN_REPEAT_BUYERS });
        }
        let mean = data.rows.iter().map(|r| r.1).sum::<f64>() / n as f64;
        let min = minimize(data, vec![0.0, 0.0, mean.max(1e-6).ln()])?;
        let params = GammaGamma { p: min.theta[0].exp(), q: min.theta[1].exp(), gamma: min.theta[2].exp() };
        if params.q.is_nan() || params.q <= 1.0 {
            return Err(PredictError::NotConverged {
                iterations: min.iterations,
                detail: format!("q = {:.4} ≤ 1: the spend data has no finite mean value under this model", params.q),
            });
        }
        Ok(GammaGammaFit { params, log_likelihood: -min.value * n as f64, customers: n, iterations: min.iterations })
    }

    /// Expected value of a customer's future purchases, given `x` repeat purchases with mean
    /// value `mean` (for customers without repeat purchases, the population mean).
    pub fn expected_value(self, x: u32, mean: f64) -> f64 {
        let GammaGamma { p, q, gamma } = self;
        let xf = f64::from(x);
        if x == 0 {
            return p * gamma / (q - 1.0);
        }
        p * (gamma + xf * mean) / (p * xf + q - 1.0)
    }
}

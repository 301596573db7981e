//! Customer lifetime value over a horizon: BG/NBD expected purchases month by month, times the
//! Gamma-Gamma expected purchase value, discounted monthly.

use super::{bgnbd::BgNbd, gamma_gamma::GammaGamma};

/// Days per month (a Gregorian year over twelve).
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// Lifetime value settings: horizon and discount rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvTerms {
    pub months: u32,
    /// Yearly discount rate (0.10 = 10 %), applied monthly.
    pub yearly_discount: f64,
}

impl ClvTerms {
    fn monthly_factor(self) -> f64 {
        1.0 / (1.0 + self.yearly_discount).powf(1.0 / 12.0)
    }
}

/// The discounted value of a customer's expected purchases over the next `terms.months` months.
/// `days_per_unit` converts months into the BG/NBD fit's time unit; `history` is (x, t_x, T) in
/// that unit; `value` the expected value of one purchase.
pub fn lifetime_value(model: BgNbd, days_per_unit: f64, history: (f64, f64, f64), value: f64, terms: ClvTerms) -> f64 {
    let (x, t_x, t) = history;
    let step = DAYS_PER_MONTH / days_per_unit;
    let factor = terms.monthly_factor();
    let (mut total, mut before, mut discount) = (0.0, 0.0, 1.0);
    for month in 1..=terms.months {
        let upto = model.expected_purchases(step * f64::from(month), x, t_x, t);
        discount *= factor;
        total += (upto - before) * value * discount;
        before = upto;
    }
    total
}

/// Lifetime value of one customer from both models.
pub fn customer_value(
    purchases: BgNbd,
    spend: GammaGamma,
    days_per_unit: f64,
    history: (f64, f64, f64),
    mean_value: f64,
    terms: ClvTerms,
) -> f64 {
    let value = spend.expected_value(history.0 as u32, mean_value);
    lifetime_value(purchases, days_per_unit, history, value, terms)
}

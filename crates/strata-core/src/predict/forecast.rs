//! The fits in force as the tier engine uses them: per-customer P(alive), expected orders in a
//! coming period and lifetime value, from a customer's orders as of today.

use crate::metrics::{Day, EventSlice};

use super::{bgnbd::BgNbd, clv::ClvTerms, gamma_gamma::GammaGamma, history::History, history::TimeUnit};

/// A fitted BG/NBD model with its time unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PurchaseModel {
    pub params: BgNbd,
    pub unit: TimeUnit,
}

/// The predictive models in force (either may be missing: metrics needing it are then missing).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Forecast {
    pub purchases: Option<PurchaseModel>,
    pub spend: Option<GammaGamma>,
}

/// Yearly discount rate used by `clv(…)` in rules.
pub const RULE_YEARLY_DISCOUNT: f64 = 0.10;

/// What a rule asks of the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prediction {
    /// Probability the customer is still active.
    PAlive,
    /// Expected revenue orders in the next so many days.
    ExpectedOrders(u32),
    /// Discounted expected revenue over the next so many months.
    Clv(u32),
}

impl Forecast {
    /// Whether `prediction` can be computed with the fits in force.
    pub fn supports(&self, prediction: Prediction) -> bool {
        match prediction {
            Prediction::PAlive | Prediction::ExpectedOrders(_) => self.purchases.is_some(),
            Prediction::Clv(_) => self.purchases.is_some() && self.spend.is_some(),
        }
    }

    /// The prediction for one customer's orders as of `today`; NaN when a model is missing or the
    /// customer has not bought yet.
    pub fn value(&self, prediction: Prediction, orders: &EventSlice<'_>, today: Day) -> f64 {
        let Some(model) = self.purchases else { return f64::NAN };
        let Some(h) = History::of_orders(orders, today) else { return f64::NAN };
        let unit = model.unit.days();
        let (x, t_x, t) = (f64::from(h.repeat), f64::from(h.last_days) / unit, f64::from(h.age_days) / unit);
        match prediction {
            Prediction::PAlive => model.params.p_alive(x, t_x, t),
            Prediction::ExpectedOrders(days) => model.params.expected_purchases(f64::from(days) / unit, x, t_x, t),
            Prediction::Clv(months) => match self.spend {
                Some(spend) => super::clv::customer_value(
                    model.params,
                    spend,
                    unit,
                    (x, t_x, t),
                    h.repeat_value,
                    ClvTerms { months, yearly_discount: RULE_YEARLY_DISCOUNT },
                ),
                None => f64::NAN,
            },
        }
    }
}

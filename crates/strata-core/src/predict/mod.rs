//! Predicted purchases and value: BG/NBD (who is still active, how many purchases next), the
//! Gamma-Gamma spend model, and customer lifetime value, fitted by maximum likelihood on
//! histories derived from the order book.

mod bgnbd;
mod clv;
mod forecast;
mod gamma_gamma;
mod history;
mod hypergeometric;
mod logistic;
mod optimizer;
mod rule_tree;

pub use bgnbd::{BgNbd, BgNbdFit, MIN_CUSTOMERS, MIN_REPEAT_CUSTOMERS};
pub use clv::{customer_value, lifetime_value, ClvTerms, DAYS_PER_MONTH};
pub use forecast::{Forecast, Prediction, PurchaseModel, RULE_YEARLY_DISCOUNT};
pub use gamma_gamma::{GammaGamma, GammaGammaFit, SpendData, MIN_REPEAT_BUYERS};
pub use history::{Grouped, GroupedRow, Histories, History, TimeUnit};
pub use hypergeometric::hyp2f1;
pub use logistic::{auc, precision_recall, Logistic, MIN_PER_CLASS};
pub use rule_tree::{suggest_rules, SuggestedRule, TreeTerms};

/// ln Γ(x) for x > 0.
fn ln_gamma(x: f64) -> f64 {
    special::Gamma::ln_gamma(x).0
}

/// Why a model could not be fitted. Nothing is stored when a fit fails.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PredictError {
    #[error("too few customers with a purchase by the calibration end: {have}, at least {need} are needed")]
    TooFewCustomers { have: u64, need: u64 },
    #[error("too few repeat buyers by the calibration end: {have}, at least {need} are needed")]
    TooFewRepeatCustomers { have: u64, need: u64 },
    #[error("the optimiser did not converge after {iterations} iterations: {detail}")]
    NotConverged { iterations: u64, detail: String },
    #[error("too few examples to learn from: {positives} with the outcome and {negatives} without, at least {need} of each are needed")]
    TooFewLabelled { positives: usize, negatives: usize, need: usize },
    #[error("a history with {repeat} repeat purchases, last at day {last_days}, age {age_days} days is impossible")]
    BadHistory { repeat: u32, last_days: u32, age_days: u32 },
}

impl PredictError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            PredictError::TooFewCustomers { .. } => "too_few_customers",
            PredictError::TooFewRepeatCustomers { .. } => "too_few_repeat_buyers",
            PredictError::NotConverged { .. } => "fit_not_converged",
            PredictError::BadHistory { .. } => "bad_history",
            PredictError::TooFewLabelled { .. } => "too_few_examples",
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            PredictError::TooFewCustomers { have, need } => format!("截至校准日有购买的客户太少：{have} 个，至少需要 {need} 个"),
            PredictError::TooFewRepeatCustomers { have, need } => format!("截至校准日的复购客户太少：{have} 个，至少需要 {need} 个"),
            PredictError::NotConverged { iterations, detail } => format!("迭代 {iterations} 次后优化仍未收敛：{detail}"),
            PredictError::TooFewLabelled { positives, negatives, need } => {
                format!("可学习的样本太少：有该结果的 {positives} 个，没有的 {negatives} 个，两类各至少需要 {need} 个")
            }
            PredictError::BadHistory { repeat, last_days, age_days } => {
                format!("购买记录不可能成立：复购 {repeat} 次，最后一次在第 {last_days} 天，客户年龄 {age_days} 天")
            }
        }
    }
}

#[cfg(test)]
mod cdnow_tests;
#[cfg(test)]
mod outcome_tests;

//! Learning from outcomes: `strata model churn` (logistic regression on rule-language features,
//! trained before a cut-off and evaluated after it) and `strata model suggest-rules` (a shallow
//! tree whose leaves are rules with support and precision). Features are computed as of a past
//! day from the events up to that day only.

use crate::cli::language::Said;
use chrono::NaiveDate;
use serde_json::json;
use strata_core::{
    engine::Engine,
    metrics::{date_of, day_of, Day, EventKind},
    predict::{auc, precision_recall, suggest_rules, Logistic, TreeTerms},
    rules::{check::check_number, program::Program, schema::Schema},
    tiering::rfm::REVENUE,
};

/// What counts as the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    /// A buyer with no revenue order in the horizon after the day.
    Churned,
    /// A buyer whose revenue in the horizon is in the top 20 %.
    Top20,
    /// A customer with a deal closed in the horizon, one of them won (the population: customers
    /// with a won or lost deal closed in the horizon).
    Won,
}

/// Won and lost deals: (customer id, won, closing day), as `Store::closed_deals` lists them.
pub type ClosedDeals = Vec<(i64, bool, Day)>;

/// Reads the closed deals for the `won` outcome.
pub async fn closed_deals(store: &strata_store::Store) -> anyhow::Result<ClosedDeals> {
    Ok(store.closed_deals().await?.into_iter().filter_map(|(id, won, on)| Some((id, won, day_of(on.get(..10)?.parse().ok()?)))).collect())
}

/// Why a study could not run.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    #[error("feature `{feature}` does not check:\n{rendered}")]
    FeatureInvalid { feature: String, rendered: String, rendered_zh: String },
    #[error("the outcome window after the cut-off ends on {end}, after today ({today}); choose a cut-off at least {horizon} days ago")]
    WindowAfterToday { end: NaiveDate, today: NaiveDate, horizon: u32 },
    #[error("only {have} customers are in the population at {cutoff} (buyers by then; for `won`, customers with a deal closed in the horizon); at least 20 are needed")]
    TooFewBuyers { have: usize, cutoff: NaiveDate },
    #[error(transparent)]
    Predict(#[from] strata_core::predict::PredictError),
}

impl StudyError {
    pub fn code(&self) -> &'static str {
        match self {
            StudyError::FeatureInvalid { .. } => "feature_invalid",
            StudyError::WindowAfterToday { .. } => "window_after_today",
            StudyError::TooFewBuyers { .. } => "too_few_customers",
            StudyError::Predict(e) => e.code(),
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            StudyError::FeatureInvalid { feature, rendered_zh, .. } => format!("特征 `{feature}` 无法通过检查：\n{rendered_zh}"),
            StudyError::WindowAfterToday { end, today, horizon } => {
                format!("截止日之后的观察期到 {end} 结束，晚于今天（{today}）；请选择至少 {horizon} 天以前的截止日")
            }
            StudyError::TooFewBuyers { have, cutoff } => {
                format!("{cutoff} 时的样本只有 {have} 个客户（截至当时已购买的客户；`won` 为观察期内有商机关闭的客户），至少需要 20 个")
            }
            StudyError::Predict(e) => e.message_zh(),
        }
    }
}

/// The features used when none are given.
pub const DEFAULT_FEATURES: [&str; 8] = [
    "count(orders, last 90d)",
    "count(orders, last 365d)",
    "sum(orders.amount, last 365d)",
    "days_since(last order)",
    "days_since(first order)",
    "distinct(orders.product_line, last 365d)",
    "count(interactions, last 90d)",
    "count(tickets, last 365d)",
];

/// "180d", "26w", "6mo", "1y" (or 天/周/个月/年) as days; what is wrong in both languages.
pub fn parse_horizon(text: &str) -> Result<u32, Said> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u32 = n.parse().map_err(|_| {
        Said::new(
            format!("`{text}` is not a length of time; write e.g. 180d, 26w, 6mo or 1y"),
            format!("`{text}` 不是时长；请写成 180d、26w、6mo 或 1y 这样"),
        )
    })?;
    let per = match unit.trim() {
        "" | "d" | "天" => 1,
        "w" | "周" => 7,
        "mo" | "个月" | "月" => 30,
        "y" | "年" => 365,
        other => {
            return Err(Said::new(
                format!("unknown unit `{other}` in `{text}`; use d, w, mo or y"),
                format!("`{text}` 中的单位 `{other}` 无法识别；请用 d（天）、w（周）、mo（月）或 y（年）"),
            ))
        }
    };
    match n.checked_mul(per) {
        Some(days) if days > 0 => Ok(days),
        _ => Err(Said::new(format!("`{text}` must be a positive length of time"), format!("`{text}` 应为大于零的时长"))),
    }
}

/// Features for every customer as of `day`, from a base engine loaded today.
fn features_at(base: &Engine, day: Day, programs: &[Program]) -> Vec<Vec<f64>> {
    let books = EventKind::ALL.iter().map(|&k| base.book(k).until(day)).collect();
    let mut engine = Engine::new(base.index.clone(), books, base.attrs.clone(), day, crate::tiering::host::threads());
    engine.set_forecast(base.forecast());
    engine.number_columns(programs)
}

/// Customers with a deal closed in (day, end] and whether one of them was won.
fn deal_outcomes(base: &Engine, deals: &ClosedDeals, day: Day, end: Day) -> (Vec<usize>, Vec<bool>) {
    let mut by_position: std::collections::BTreeMap<usize, bool> = std::collections::BTreeMap::new();
    for &(id, won, on) in deals {
        if on > day && on <= end {
            if let Some(p) = base.index.position(id) {
                *by_position.entry(p as usize).or_insert(false) |= won;
            }
        }
    }
    by_position.into_iter().unzip()
}

/// The population (positions) and their outcome in (day, day + horizon]: buyers by `day` for
/// order outcomes; customers with a deal closed in the window for `won`.
fn labelled(base: &Engine, study: &Study<'_>, day: Day) -> (Vec<usize>, Vec<bool>) {
    let (outcome, horizon) = (study.outcome, study.horizon);
    if outcome == Outcome::Won {
        return deal_outcomes(base, &study.deals, day, day + horizon as Day);
    }
    let orders = base.book(EventKind::Orders);
    let end = day + horizon as Day;
    let mut positions = Vec::new();
    let mut revenue = Vec::new();
    for p in 0..base.customers() {
        let e = orders.events(p as u32);
        let (mut bought, mut after) = (false, 0i64);
        for j in 0..e.len() {
            if e.flag[j] & REVENUE == 0 {
                continue;
            }
            let d = e.day.get(j);
            if d <= day {
                bought = true;
            } else if d <= end {
                after += e.nums[0].get(j).max(0);
            }
        }
        if bought {
            positions.push(p);
            revenue.push(after);
        }
    }
    let labels = match outcome {
        Outcome::Churned => revenue.iter().map(|&r| r == 0).collect(),
        Outcome::Won => Vec::new(),
        Outcome::Top20 => {
            let mut sorted = revenue.clone();
            sorted.sort_unstable();
            let cut = sorted.get(sorted.len() * 4 / 5).copied().unwrap_or(0).max(1);
            revenue.iter().map(|&r| r >= cut).collect()
        }
    };
    (positions, labels)
}

fn rows_of(columns: &[Vec<f64>], positions: &[usize]) -> Vec<Vec<f64>> {
    columns.iter().map(|c| positions.iter().map(|&p| c[p]).collect()).collect()
}

/// A study: which outcome, the cut-off, the horizon and the features.
pub struct Study<'a> {
    pub outcome: Outcome,
    pub cutoff: NaiveDate,
    pub horizon: u32,
    pub features: &'a [String],
    /// For the `won` outcome.
    pub deals: ClosedDeals,
}

fn programs(study: &Study<'_>, schema: &Schema) -> Result<Vec<Program>, StudyError> {
    study
        .features
        .iter()
        .map(|f| match check_number(f, schema) {
            Ok(p) if p.root.has_percentile() => Err(StudyError::FeatureInvalid {
                feature: f.clone(),
                rendered: "percentile(…) ranks within a published model's population; use the value itself as a feature".into(),
                rendered_zh: "percentile(…) 是在已发布模型的客户群内排名；请直接用数值本身作为特征".into(),
            }),
            Ok(p) => Ok(p),
            Err(e) => Err(StudyError::FeatureInvalid { feature: f.clone(), rendered: e.render(f), rendered_zh: e.render_in(f, true) }),
        })
        .collect()
}

fn check_dates(study: &Study<'_>, today: Day) -> Result<Day, StudyError> {
    let cutoff = day_of(study.cutoff);
    let end = cutoff + study.horizon as Day;
    if end > today {
        return Err(StudyError::WindowAfterToday { end: date_of(end), today: date_of(today), horizon: study.horizon });
    }
    Ok(cutoff)
}

/// Trains on features at cut-off − horizon with outcomes up to the cut-off; evaluates on
/// features at the cut-off with outcomes after it. Returns the report as JSON.
pub fn churn(base: &Engine, schema: &Schema, study: &Study<'_>, threshold: f64) -> Result<serde_json::Value, StudyError> {
    let cutoff = check_dates(study, base.today())?;
    let programs = programs(study, schema)?;
    let train_day = cutoff - study.horizon as Day;
    let (train_pos, train_labels) = labelled(base, study, train_day);
    let (test_pos, test_labels) = labelled(base, study, cutoff);
    let train_x = rows_of(&features_at(base, train_day, &programs), &train_pos);
    let test_x = rows_of(&features_at(base, cutoff, &programs), &test_pos);
    let model = Logistic::fit(&train_x, &train_labels)?;
    let scores = model.probabilities(&test_x);
    let (precision, recall) = precision_recall(&scores, &test_labels, threshold);
    let rate = |l: &[bool]| l.iter().filter(|&&y| y).count() as f64 / l.len().max(1) as f64;
    let weights: Vec<serde_json::Value> = study
        .features
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let known: Vec<f64> = train_x[j].iter().copied().filter(|v| v.is_finite()).collect();
            let known = known.iter().any(|v| Some(v) != known.first());
            json!({ "feature": f, "weight_per_sd": model.weights[j], "odds_ratio_per_sd": model.odds_per_sd(j), "sd": model.sds[j], "mean": model.means[j], "has_data": known })
        })
        .collect();
    Ok(json!({
        "outcome": format!("{:?}", study.outcome).to_lowercase(), "horizon_days": study.horizon,
        "train": { "as_of": date_of(train_day).to_string(), "customers": train_pos.len(), "outcome_rate": rate(&train_labels) },
        "test": { "as_of": date_of(cutoff).to_string(), "customers": test_pos.len(), "outcome_rate": rate(&test_labels) },
        "auc": auc(&scores, &test_labels), "threshold": threshold, "precision": precision, "recall": recall,
        "intercept": model.intercept, "weights": weights, "iterations": model.iterations,
    }))
}

/// Rules that separate the outcome, learnt on features at the cut-off and outcomes after it.
pub fn suggest(base: &Engine, schema: &Schema, study: &Study<'_>, depth: usize) -> Result<serde_json::Value, StudyError> {
    let cutoff = check_dates(study, base.today())?;
    let programs = programs(study, schema)?;
    let (pos, labels) = labelled(base, study, cutoff);
    if pos.len() < 20 {
        return Err(StudyError::TooFewBuyers { have: pos.len(), cutoff: study.cutoff });
    }
    let x = rows_of(&features_at(base, cutoff, &programs), &pos);
    let rules = suggest_rules(study.features, &x, &labels, TreeTerms { depth: depth.clamp(1, 5), min_leaf_share: 0.01 });
    let base_rate = labels.iter().filter(|&&y| y).count() as f64 / labels.len() as f64;
    Ok(json!({
        "outcome": format!("{:?}", study.outcome).to_lowercase(), "as_of": study.cutoff.to_string(), "horizon_days": study.horizon,
        "customers": pos.len(), "base_rate": base_rate, "rules": rules,
    }))
}

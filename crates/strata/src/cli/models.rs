//! The command line's tier-model verbs (`strata tier …`) and predictive-model verbs
//! (`strata model …`).

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum TierCommand {
    /// List models with their latest and published versions.
    List,
    /// Show a model's versions, its file and customers per tier.
    Show {
        key: String,
        /// Show this version's file (default: the published one).
        #[arg(long)]
        version: Option<i64>,
    },
    /// Check model files against the custom fields and the published models (exit 1 on errors).
    Check { files: Vec<PathBuf> },
    /// Run a model file over every customer without changing any tier: counts, migration
    /// matrix from the tiers in force, sample customers. Saves the file as a draft version.
    Preview {
        file: PathBuf,
        /// Sample customers per matrix cell.
        #[arg(long, default_value_t = 3)]
        samples: usize,
        /// Evaluate as of this day (default: today, UTC+8).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Publish a model file: full re-evaluation, cut points stored, every tier change recorded.
    Publish {
        file: PathBuf,
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// The daily sweep: re-evaluate every customer as of today and refresh cut points that are due.
    Eval {
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// One JSON line per model instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Explain a customer's tiers (by id or external id): rules checked, scores, what would move it up.
    Explain {
        customer: String,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// A customer's current tiers and their history.
    History { customer: String },
    /// Print a preset model file: rfm, lifecycle or bant.
    Preset { name: String },
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Fit a model on the order table and put it in force (a failed fit changes nothing).
    Fit {
        kind: crate::forecast::FitKind,
        /// Last day of the calibration period (YYYY-MM-DD); default today.
        #[arg(long)]
        calibration_end: Option<chrono::NaiveDate>,
        /// Time unit of the fit: days or weeks.
        #[arg(long, default_value = "days", value_parser = parse_unit)]
        unit: strata_core::predict::TimeUnit,
        /// Business day taken as today (YYYY-MM-DD); default today in UTC+8.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// Print the stored fit as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Churn model: logistic regression on customer metrics, trained on the outcomes up to the
    /// cut-off and evaluated on those after it (AUC, precision/recall, weights in words).
    Churn {
        /// The day features are computed on for evaluation (YYYY-MM-DD).
        #[arg(long)]
        cutoff: chrono::NaiveDate,
        /// Churned = no revenue order within this long after a day: 180d, 26w, 6mo, 1y.
        #[arg(long, default_value = "180d", value_parser = crate::outcomes::parse_horizon)]
        horizon: u32,
        /// A feature in the rule language (repeatable); default: order, interaction and ticket metrics.
        #[arg(long)]
        feature: Vec<String>,
        /// Probability from which a customer counts as predicted to churn.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Rules learnt from an outcome (a shallow decision tree), ready to paste into a tier model.
    SuggestRules {
        #[arg(long, value_enum)]
        outcome: crate::outcomes::Outcome,
        /// Features are computed as of this day; the outcome is what happened after it.
        #[arg(long)]
        cutoff: chrono::NaiveDate,
        #[arg(long, default_value = "180d", value_parser = crate::outcomes::parse_horizon)]
        horizon: u32,
        #[arg(long)]
        feature: Vec<String>,
        /// Conditions per rule (tree depth), 1 to 5.
        #[arg(long, default_value_t = 3)]
        depth: usize,
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// The fits in force, and with --history N the last N fits of each kind.
    Show {
        #[arg(long)]
        history: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

fn parse_unit(s: &str) -> Result<strata_core::predict::TimeUnit, super::language::Said> {
    strata_core::predict::TimeUnit::parse(s).ok_or_else(|| {
        super::language::Said::new(
            format!("unknown time unit `{s}`; use days or weeks"),
            format!("不认识的时间单位 `{s}`；请用 days 或 weeks"),
        )
    })
}

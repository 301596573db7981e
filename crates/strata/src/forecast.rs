//! Purchase-model fits over the store: derive every customer's history from the order table at a
//! calibration end, fit BG/NBD or Gamma-Gamma, store the fit (it is then in force), show fits.

use std::time::Instant;

use chrono::NaiveDate;
use serde_json::json;
use strata_core::{
    metrics::{date_of, day_of, CustomerIndex, Day, EventBook, EventKind},
    predict::{BgNbd, Forecast, GammaGamma, Histories, PredictError, PurchaseModel, SpendData, TimeUnit},
};
use strata_store::{ModelFit, NewModelFit, Store, StoreError};

use crate::cli::language::{pick, Lang, Said};
use crate::forecast_report as report;

/// The models that can be fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitKind {
    /// BG/NBD: purchase counts and the probability a customer is still active.
    Bgnbd,
    /// Gamma-Gamma: the expected value of a customer's purchases (repeat buyers).
    #[value(name = "gamma-gamma", alias = "gamma_gamma")]
    #[serde(alias = "gamma-gamma")]
    GammaGamma,
}

impl FitKind {
    pub fn name(self) -> &'static str {
        match self {
            FitKind::Bgnbd => "bgnbd",
            FitKind::GammaGamma => "gamma_gamma",
        }
    }
}

/// Why a fit was not stored (the previous fit stays in force).
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error("no revenue orders on or before {end}: the first order is on {first}; choose a calibration end on or after it")]
    BeforeData { end: NaiveDate, first: NaiveDate },
    #[error("the calibration end {end} is after today ({today}); choose a day that has passed")]
    InFuture { end: NaiveDate, today: NaiveDate },
    #[error("there are no revenue orders to fit on; import orders first")]
    NoOrders,
    #[error(transparent)]
    Predict(#[from] PredictError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FitError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            FitError::BeforeData { .. } | FitError::InFuture { .. } => "calibration_outside_data",
            FitError::NoOrders => "no_orders",
            FitError::Predict(e) => e.code(),
            FitError::Store(e) => e.code(),
        }
    }

    /// The message in Chinese (a store error by the sentence for its code).
    pub fn message_zh(&self) -> String {
        match self {
            FitError::BeforeData { end, first } => format!("{end} 及之前没有计入收入的订单：第一笔订单在 {first}；请选择不早于它的校准日"),
            FitError::InFuture { end, today } => format!("校准日 {end} 晚于今天（{today}）；请选择已经过去的日期"),
            FitError::NoOrders => "没有可用于拟合的计入收入的订单；请先导入订单".to_string(),
            FitError::Predict(e) => e.message_zh(),
            FitError::Store(e) => e
                .message_zh()
                .unwrap_or_else(|| crate::web::error_words::sentence(e.code()).map_or_else(|| e.to_string(), |s| format!("{s}（{e}）"))),
        }
    }
}

/// What to fit.
#[derive(Debug, Clone, Copy)]
pub struct FitRequest {
    pub kind: FitKind,
    /// Default: today.
    pub calibration_end: Option<NaiveDate>,
    pub unit: TimeUnit,
}

/// First and last revenue order day in the book.
fn order_span(orders: &EventBook) -> Option<(Day, Day)> {
    let mut span: Option<(Day, Day)> = None;
    for p in 0..orders.customers() as u32 {
        let e = orders.events(p);
        for j in 0..e.len() {
            if e.flag[j] != 0 {
                let d = e.day.get(j);
                span = Some(span.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))));
            }
        }
    }
    span
}

/// Every customer's history at the calibration end, after checking the end against the data.
pub fn histories(orders: &EventBook, request: FitRequest, today: Day) -> Result<Histories, FitError> {
    let end_day = request.calibration_end.map_or(today, day_of);
    let end = date_of(end_day);
    if end_day > today {
        return Err(FitError::InFuture { end, today: date_of(today) });
    }
    let (first, _) = order_span(orders).ok_or(FitError::NoOrders)?;
    if end_day < first {
        return Err(FitError::BeforeData { end, first: date_of(first) });
    }
    Ok(Histories::of_book(orders, end_day))
}

/// The fit of `histories`, ready to store.
pub fn fit_histories(histories: &Histories, request: FitRequest, actor: &str) -> Result<NewModelFit, FitError> {
    let started = Instant::now();
    let (params, log_likelihood, customers, repeat, iterations) = match request.kind {
        FitKind::Bgnbd => {
            let fit = BgNbd::fit_on(&histories.grouped(request.unit)?, crate::tiering::host::threads())?;
            (serde_json::to_string(&fit.params), fit.log_likelihood, fit.customers, fit.repeat_customers, fit.iterations)
        }
        FitKind::GammaGamma => {
            let fit = GammaGamma::fit(&SpendData::of_histories(histories))?;
            (serde_json::to_string(&fit.params), fit.log_likelihood, fit.customers, fit.customers, fit.iterations)
        }
    };
    Ok(NewModelFit {
        kind: request.kind.name().into(),
        calibration_end: date_of(histories.end).to_string(),
        time_unit: request.unit.name().into(),
        params: params.unwrap_or_default(),
        log_likelihood,
        customers: customers as i64,
        repeat_customers: repeat as i64,
        iterations: iterations as i64,
        seconds: started.elapsed().as_secs_f64(),
        fitted_by: actor.into(),
    })
}

/// Loads the order table, fits and stores the fit; returns the stored fit.
pub async fn fit(store: &Store, request: FitRequest, today: Day, actor: &str) -> Result<ModelFit, FitError> {
    let index = CustomerIndex::new(store.customer_ids().await?);
    let orders = store.event_book(EventKind::Orders, &index).await?;
    let actor = actor.to_string();
    let new = tokio::task::spawn_blocking(move || fit_histories(&histories(&orders, request, today)?, request, &actor))
        .await
        .map_err(|e| FitError::Predict(PredictError::NotConverged { iterations: 0, detail: e.to_string() }))??;
    Ok(store.save_model_fit(&new, None).await?)
}

/// The fits in force as the engine uses them (fits that no longer parse are left out).
pub fn forecast_of(fits: &[ModelFit]) -> Forecast {
    let mut forecast = Forecast::default();
    for fit in fits {
        match fit.kind.as_str() {
            "bgnbd" => {
                let params = serde_json::from_str::<BgNbd>(&fit.params).ok();
                let unit = TimeUnit::parse(&fit.time_unit);
                if let (Some(params), Some(unit)) = (params, unit) {
                    forecast.purchases = Some(PurchaseModel { params, unit });
                }
            }
            "gamma_gamma" => forecast.spend = serde_json::from_str::<GammaGamma>(&fit.params).ok(),
            _ => {}
        }
    }
    forecast
}

/// After a new fit: if a published model reads predictions, re-evaluates every customer and
/// writes the tier changes (reason `refit`) under the sweep lease. Returns the changes written.
pub async fn reevaluate(store: &Store, today: Day) -> anyhow::Result<usize> {
    let defs = store.list_custom_fields().await?;
    let mut schema = strata_core::engine::attributes::schema_of(&defs);
    schema.forecast = forecast_of(&store.current_model_fits().await?);
    let published = store.published_models().await?;
    let (specs, _, _) = crate::tiering::host::catalog_inputs(&published, None)?;
    let reads = match strata_core::tiering::model::Catalog::compile(&specs, &schema) {
        Ok(catalog) => catalog.models.iter().any(|m| m.reads_predictions()),
        Err(_) => true,
    };
    if !reads {
        return Ok(0);
    }
    let holder = crate::tiering::sweep::holder_id();
    anyhow::ensure!(
        crate::tiering::sweep::take_lease(store, &holder).await?,
        "the fit is stored, but another process is re-evaluating tiers right now; the tiers that read predictions follow at its end or at the next daily sweep"
    );
    let last_run = store.job_last_run(crate::tiering::sweep::JOB).await?.unwrap_or_default();
    let result = async {
        let loaded = crate::tiering::host::load(store, today, None).await?;
        let snapshot = crate::tiering::host::TierSnapshot::of(&loaded);
        drop(loaded);
        let lines = crate::tiering::sweep::write(store, &[], &snapshot, today, "refit").await?;
        anyhow::Ok(lines.iter().map(|l| l.changes).sum())
    }
    .await;
    store.finish_lease(crate::tiering::sweep::JOB, &holder, &last_run).await?;
    result
}

/// A stored fit as JSON (parameters as an object).
pub fn fit_json(fit: &ModelFit) -> serde_json::Value {
    let params: serde_json::Value = serde_json::from_str(&fit.params).unwrap_or(serde_json::Value::Null);
    json!({
        "id": fit.id, "kind": fit.kind, "params": params, "log_likelihood": fit.log_likelihood,
        "calibration_end": fit.calibration_end, "time_unit": fit.time_unit, "customers": fit.customers,
        "repeat_customers": fit.repeat_customers, "iterations": fit.iterations, "seconds": fit.seconds,
        "fitted_at": fit.fitted_at, "fitted_by": fit.fitted_by,
    })
}

/// `strata model …`.
pub async fn run(config: &crate::config::Config, command: crate::cli::ModelCommand) -> anyhow::Result<()> {
    use crate::cli::ModelCommand;
    let lang = config.language;
    let store = crate::commands::open(config).await?;
    match command {
        ModelCommand::Fit { kind, calibration_end, unit, today, json } => {
            let today = crate::tiering::today(config.timezone, today.or(config.today));
            let fit = fit(&store, FitRequest { kind, calibration_end, unit }, today, &config.actor).await.map_err(|e| {
                let (name, code) = (kind.name(), e.code());
                Said::error(
                    format!("{name} not fitted, {code}: {e}; the fit in force is unchanged"),
                    format!("{name} 未拟合（{code}）：{}；当前生效的拟合不变", e.message_zh()),
                )
            })?;
            let moved = reevaluate(&store, today).await?;
            if json {
                let mut v = fit_json(&fit);
                v["tier_changes"] = json!(moved);
                println!("{v}");
            } else {
                println!("{}", report::fit_text(&fit, lang, config.timezone));
                if moved > 0 {
                    match lang {
                        Lang::Zh => println!("  写入 {moved} 次层级变化（读取预测值的模型）"),
                        Lang::En => println!("  {moved} tier changes written (models that read predictions)"),
                    }
                }
            }
        }
        ModelCommand::Churn { cutoff, horizon, feature, threshold, today, json } => {
            let (base, schema) =
                crate::tiering::host::engine_state(&store, crate::tiering::today(config.timezone, today.or(config.today))).await?;
            let features = features_or_default(feature);
            let study = crate::outcomes::Study {
                outcome: crate::outcomes::Outcome::Churned,
                cutoff,
                horizon,
                features: &features,
                deals: Vec::new(),
            };
            let report = crate::outcomes::churn(&base, &schema, &study, threshold).map_err(report::study_error)?;
            if json {
                println!("{report}");
            } else {
                report::print_churn(&report, lang);
            }
        }
        ModelCommand::SuggestRules { outcome, cutoff, horizon, feature, depth, today, json } => {
            let (base, schema) =
                crate::tiering::host::engine_state(&store, crate::tiering::today(config.timezone, today.or(config.today))).await?;
            let features = features_or_default(feature);
            let deals = if outcome == crate::outcomes::Outcome::Won { crate::outcomes::closed_deals(&store).await? } else { Vec::new() };
            let study = crate::outcomes::Study { outcome, cutoff, horizon, features: &features, deals };
            let report = crate::outcomes::suggest(&base, &schema, &study, depth).map_err(report::study_error)?;
            if json {
                println!("{report}");
            } else {
                report::print_rules(&report, lang);
            }
        }
        ModelCommand::Show { history, json } => {
            let current = store.current_model_fits().await?;
            if current.is_empty() && !json {
                println!(
                    "{}",
                    pick(
                        lang,
                        "尚未拟合任何模型；请运行 `strata model fit bgnbd`（以及 `gamma-gamma`）",
                        "no model fitted yet; run `strata model fit bgnbd` (and `gamma-gamma`)"
                    )
                );
            }
            let mut shown = Vec::new();
            for fit in current {
                let earlier = match history {
                    Some(n) => store.model_fit_history(&fit.kind, n.max(1)).await?,
                    None => Vec::new(),
                };
                if json {
                    shown.push(json!({ "in_force": fit_json(&fit), "history": earlier.iter().map(fit_json).collect::<Vec<_>>() }));
                    continue;
                }
                println!("{}", report::fit_text(&fit, lang, config.timezone));
                for old in earlier.iter().filter(|f| f.id != fit.id) {
                    println!(
                        "  {}{}",
                        pick(lang, "此前：", "earlier: "),
                        report::fit_text(old, lang, config.timezone).replace('\n', "\n  ")
                    );
                }
            }
            if json {
                println!("{}", serde_json::Value::Array(shown));
            }
        }
    }
    Ok(())
}

fn features_or_default(given: Vec<String>) -> Vec<String> {
    if given.is_empty() {
        crate::outcomes::DEFAULT_FEATURES.iter().map(|f| f.to_string()).collect()
    } else {
        given
    }
}

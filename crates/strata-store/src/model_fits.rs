//! Fitted predictive models: each successful fit stored with its parameters, log-likelihood and
//! what it was fitted on; the newest fit of a kind is the one in force.

use chrono::{DateTime, Utc};

use crate::{
    data_changes::{note_changes, ChangeKind},
    on_pool, Result, Store, StoreError,
};

/// A fit to store.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct NewModelFit {
    /// `bgnbd` or `gamma_gamma`.
    pub kind: String,
    /// The calibration end date (YYYY-MM-DD).
    pub calibration_end: String,
    pub time_unit: String,
    /// JSON object of parameters.
    pub params: String,
    pub log_likelihood: f64,
    pub customers: i64,
    pub repeat_customers: i64,
    pub iterations: i64,
    pub seconds: f64,
    pub fitted_by: String,
}

/// A stored fit: what was stored, with its id and when.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ModelFit {
    pub id: i64,
    pub fitted_at: DateTime<Utc>,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub fit: NewModelFit,
}

impl std::ops::Deref for ModelFit {
    type Target = NewModelFit;
    fn deref(&self) -> &NewModelFit {
        &self.fit
    }
}

const COLUMNS: &str =
    "id, kind, fitted_at, calibration_end, time_unit, params, log_likelihood, customers, repeat_customers, iterations, seconds, fitted_by";

impl Store {
    /// Stores a fit (it is in force from now on) and tells running servers; `origin` names the
    /// server that already put it in force (its follower skips the entry). Returns it as stored.
    pub async fn save_model_fit(&self, fit: &NewModelFit, origin: Option<&str>) -> Result<ModelFit> {
        let now = Utc::now();
        let sql = "INSERT INTO model_fits (kind, fitted_at, calibration_end, time_unit, params, log_likelihood, customers, repeat_customers, iterations, seconds, fitted_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id, fitted_at";
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting a model fit save"))?;
            let (id, fitted_at): (i64, DateTime<Utc>) = sqlx::query_as(sql)
                .bind(&fit.kind).bind(now).bind(&fit.calibration_end).bind(&fit.time_unit).bind(&fit.params)
                .bind(fit.log_likelihood).bind(fit.customers).bind(fit.repeat_customers).bind(fit.iterations)
                .bind(fit.seconds).bind(&fit.fitted_by)
                .fetch_one(&mut *tx).await.map_err(StoreError::db("saving a model fit"))?;
            note_changes!(&mut *tx, self.kind(), &[(ChangeKind::Models, None)], origin);
            tx.commit().await.map_err(StoreError::db("committing a model fit"))?;
            Ok(ModelFit { id, fitted_at, fit: fit.clone() })
        })
    }

    /// The fit in force of each kind (the newest), by kind.
    pub async fn current_model_fits(&self) -> Result<Vec<ModelFit>> {
        let sql =
            format!("SELECT {COLUMNS} FROM model_fits f WHERE id = (SELECT MAX(id) FROM model_fits WHERE kind = f.kind) ORDER BY kind");
        on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await).map_err(StoreError::db("reading model fits"))
    }

    /// Every fit of `kind`, newest first, at most `limit`.
    pub async fn model_fit_history(&self, kind: &str, limit: i64) -> Result<Vec<ModelFit>> {
        let sql = format!("SELECT {COLUMNS} FROM model_fits WHERE kind = $1 ORDER BY id DESC LIMIT $2");
        on_pool!(self, p => sqlx::query_as(&sql).bind(kind).bind(limit).fetch_all(p).await).map_err(StoreError::db("listing model fits"))
    }
}

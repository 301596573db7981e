//! Store errors: what failed, with stable snake_case codes for the API.

/// Something the store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error while {context}: {source}")]
    Database {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("{0}")]
    Config(String),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// A request that contradicts what is stored (e.g. undoing an undone batch).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A value failed validation.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
}

impl StoreError {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Database { context, source }
    }

    pub(crate) fn config(message: String) -> StoreError {
        StoreError::Config(message)
    }

    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> StoreError {
        StoreError::Conflict { code, message: message.into() }
    }

    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> StoreError {
        StoreError::Invalid { code, message: message.into() }
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Database { .. } => "database_error",
            StoreError::Config(_) => "config_error",
            StoreError::NotFound { .. } => "not_found",
            StoreError::Conflict { code, .. } | StoreError::Invalid { code, .. } => code,
        }
    }
}

impl From<strata_core::ValueError> for StoreError {
    fn from(e: strata_core::ValueError) -> Self {
        StoreError::Invalid { code: e.code, message: e.message }
    }
}

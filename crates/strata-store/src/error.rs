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
    Conflict { code: &'static str, message: String, message_zh: Option<String> },
    /// A value failed validation.
    #[error("{message}")]
    Invalid { code: &'static str, message: String, message_zh: Option<String> },
}

impl StoreError {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Database { context, source }
    }

    pub(crate) fn config(message: String) -> StoreError {
        StoreError::Config(message)
    }

    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> StoreError {
        StoreError::Conflict { code, message: message.into(), message_zh: None }
    }

    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> StoreError {
        StoreError::Invalid { code, message: message.into(), message_zh: None }
    }

    /// The same error with its message in Chinese (a conflict or an invalid value; others are
    /// returned as they are).
    pub fn zh(mut self, text: impl Into<String>) -> StoreError {
        if let StoreError::Conflict { message_zh, .. } | StoreError::Invalid { message_zh, .. } = &mut self {
            *message_zh = Some(text.into());
        }
        self
    }

    /// The message in Chinese, where the store words it: conflicts and invalid values that
    /// carry it, and what was not found.
    pub fn message_zh(&self) -> Option<String> {
        match self {
            StoreError::Conflict { message_zh, .. } | StoreError::Invalid { message_zh, .. } => message_zh.clone(),
            StoreError::NotFound { what, id } => Some(format!("找不到{} {id}", what_zh(what))),
            StoreError::Database { .. } | StoreError::Config(_) => None,
        }
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
        StoreError::Invalid { code: e.code, message: e.message, message_zh: e.message_zh }
    }
}

/// What a `NotFound` names (here or in the API), in Chinese.
fn what_zh(what: &str) -> &str {
    match what {
        "customer" => "客户",
        "import batch" => "导入批次",
        "merge" => "合并",
        "model version" => "模型版本",
        "tier model" => "分层模型",
        "user" => "用户",
        "active API token" => "有效的 API 令牌",
        "API token" => "API 令牌",
        "event kind" => "事件类别",
        "predictive model" => "预测模型",
        "preset" => "预置模型",
        "record kind" => "数据类别",
        "report" => "报告",
        "role" => "角色",
        "tier model version" => "分层模型版本",
        other => other,
    }
}

//! API errors: an HTTP status plus `{code, message, details}` where `code` is stable snake_case.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};
use strata_store::StoreError;

use crate::import::ImportError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: Value::Null }
    }

    /// Details of the error; an object is added to details that are an object already (a
    /// `message_zh` set before stays unless these carry their own).
    pub fn with_details(mut self, details: Value) -> ApiError {
        match (&mut self.details, details) {
            (Value::Object(have), Value::Object(more)) => have.extend(more),
            (slot, details) => *slot = details,
        }
        self
    }

    /// The same error with its message in Chinese as `details.message_zh` (added to details
    /// that are an object, or as the details when there are none).
    pub fn with_zh(mut self, text: impl Into<String>) -> ApiError {
        match &mut self.details {
            Value::Object(o) => {
                o.insert("message_zh".into(), Value::String(text.into()));
            }
            Value::Null => self.details = json!({"message_zh": text.into()}),
            _ => {}
        }
        self
    }

    /// `what` `id` not found, worded as the store words its own (in Chinese too).
    pub fn not_found(what: &'static str, id: &str) -> ApiError {
        StoreError::NotFound { what, id: id.to_string() }.into()
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        (self.status, Json(json!({"code": self.code, "message": self.message, "details": self.details}))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let status = match &e {
            StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
            StoreError::Conflict { .. } => StatusCode::CONFLICT,
            StoreError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            StoreError::Database { .. } | StoreError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if status.is_server_error() { "the database failed; see the server log".to_string() } else { e.to_string() };
        if status.is_server_error() {
            tracing::error!(error = %e, "store error");
        }
        match e.message_zh() {
            Some(zh) if !status.is_server_error() => ApiError::new(status, e.code(), message).with_details(json!({"message_zh": zh})),
            _ => ApiError::new(status, e.code(), message),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> ApiError {
        match e {
            ImportError::Store(s) => s.into(),
            ImportError::Report(_) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "report_error", e.to_string()),
            other => {
                let zh = other.message_zh();
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, other.code(), other.to_string()).with_details(json!({"message_zh": zh}))
            }
        }
    }
}

/// Turns axum's own rejections (bad JSON, bad query) into our error shape, worded in Chinese too.
pub fn json_rejection(e: axum::extract::rejection::JsonRejection) -> ApiError {
    let text = e.body_text();
    let zh = super::rejection_words::chinese(&text);
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", text).with_zh(zh)
}

pub fn query_rejection(e: axum::extract::rejection::QueryRejection) -> ApiError {
    let text = e.body_text();
    let zh = super::rejection_words::chinese(&text);
    ApiError::bad_request("invalid_query", text).with_zh(zh)
}

//! Import and export over HTTP: upload a file (multipart `file`, optional `mapping` JSON),
//! list/show/undo batches, download a rejection report, and download exports.

use std::{
    collections::BTreeMap,
    sync::{atomic::AtomicU64, Arc},
};
use strata_core::access::Action;

use axum::{
    body::{Body, Bytes},
    extract::{rejection::QueryRejection, DefaultBodyLimit, Multipart, Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::{import::Entity, money::Currency};
use tokio::io::AsyncWriteExt;

use super::{customers::ListQuery, error::query_rejection, ApiError, AppState, Caller};
use crate::{
    export::{self, ExportFormat, HeaderLang},
    import::{run_import, ImportRequest},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(batches))
        .route("/imports/{entity}", post(upload).layer(DefaultBodyLimit::max(2 << 30)))
        .route("/batches/{id}", get(batch))
        .route("/batches/{id}/undo", post(undo))
        .route("/import-reports/{name}", get(report))
        .route("/exports/{entity}", get(export_file))
}

fn entity_of(s: &str) -> Result<Entity, ApiError> {
    Entity::parse_named(s).map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_found", e.message.clone()).with_zh(e.message_in(true)))
}

async fn batches(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    Ok(Json(json!({"items": s.store.list_batches(100).await?})))
}

async fn batch(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewCustomers)?;
    Ok(Json(json!(s.store.get_batch(id).await?)))
}

async fn undo(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(Action::EditCustomers)?;
    caller.require_all_customers()?;
    let outcome = s.store.undo_batch(id, &caller.user.login).await?;
    caller.audit(&s, "import.undo", Some(format!("batch:{id}")), Some(json!(outcome))).await?;
    s.written().await;
    Ok(Json(json!(outcome)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    #[serde(default)]
    skip_invalid: bool,
    sheet: Option<String>,
    currency: Option<String>,
    /// Validate and count, write nothing.
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/imports/{entity}` with a multipart `file` part (and optionally `mapping`).
async fn upload(
    State(s): State<AppState>,
    caller: Caller,
    Path(entity): Path<String>,
    q: Result<Query<UploadQuery>, QueryRejection>,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    caller.require(Action::EditCustomers)?;
    caller.require_all_customers()?;
    let entity = entity_of(&entity)?;
    let Query(q) = q.map_err(query_rejection)?;
    let dir = s.config.uploads_dir();
    tokio::fs::create_dir_all(&dir).await.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "upload_failed", e.to_string()))?;
    let mut saved: Option<(tempfile::TempPath, String)> = None;
    let mut overrides = BTreeMap::new();
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::bad_request("invalid_upload", e.body_text());
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let ext = std::path::Path::new(&name).extension().and_then(|e| e.to_str()).unwrap_or("csv").to_ascii_lowercase();
                let tmp = tempfile::Builder::new()
                    .suffix(&format!(".{ext}"))
                    .tempfile_in(&dir)
                    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "upload_failed", e.to_string()))?;
                let path = tmp.into_temp_path();
                let mut f = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "upload_failed", e.to_string()))?;
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    f.write_all(&chunk)
                        .await
                        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "upload_failed", e.to_string()))?;
                }
                f.flush().await.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "upload_failed", e.to_string()))?;
                saved = Some((path, name));
            }
            Some("mapping") => {
                let text = field.text().await.map_err(bad)?;
                if !text.trim().is_empty() {
                    overrides = serde_json::from_str(&text).map_err(|e| {
                        ApiError::bad_request("invalid_mapping", format!("mapping must be a JSON object of header → field: {e}"))
                    })?;
                }
            }
            Some(other) => {
                return Err(ApiError::bad_request(
                    "invalid_upload",
                    format!("unexpected form field `{other}`; send `file` and optionally `mapping`"),
                ))
            }
            None => {}
        }
    }
    let (path, name) = saved.ok_or_else(|| ApiError::bad_request("invalid_upload", "the form has no `file` part"))?;
    let currency = match q.currency {
        Some(c) => Currency::parse(&c).map_err(|e| ApiError::bad_request("invalid_query", e.message))?,
        None => Currency::CNY,
    };
    let report_name = format!("{}-{}.rejected.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S%3f"), entity.name());
    let req = ImportRequest {
        entity,
        path: path.to_path_buf(),
        file_name: name,
        sheet: q.sheet,
        overrides,
        skip_invalid: q.skip_invalid,
        report_path: s.config.reports_dir().join(&report_name),
        actor: caller.user.login.clone(),
        options: strata_core::import::ImportOptions { currency, ..crate::commands::default_options(s.config.timezone) },
        dry_run: q.dry_run,
    };
    let summary = run_import(&s.store, req, Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))).await?;
    drop(path);
    if summary.committed {
        let detail = json!({"entity": entity.name(), "rows": summary.rows, "inserted": summary.inserted, "updated": summary.updated});
        caller.audit(&s, "import.commit", summary.batch.as_ref().map(|b| format!("batch:{}", b.id)), Some(detail)).await?;
        s.written().await;
    }
    let mut body = json!(summary);
    if let Some(o) = body.as_object_mut() {
        let url = summary.report.as_ref().map(|_| format!("/api/v1/import-reports/{report_name}"));
        o.insert("report".into(), json!(url));
    }
    if summary.committed || summary.dry_run {
        Ok((StatusCode::OK, Json(body)).into_response())
    } else {
        let message = format!("{} of {} rows were rejected; nothing was imported", summary.rejected_rows, summary.rows);
        Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rows_rejected", message).with_details(body))
    }
}

async fn report(State(s): State<AppState>, caller: Caller, Path(name): Path<String>) -> Result<Response, ApiError> {
    caller.require(Action::EditCustomers)?;
    let ok = name.ends_with(".rejected.csv")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.contains("..");
    if !ok {
        return Err(ApiError::not_found("report", &name));
    }
    let bytes = tokio::fs::read(s.config.reports_dir().join(&name)).await.map_err(|_| ApiError::not_found("report", &name))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"rejected.csv\"")], bytes)
        .into_response())
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    format: Option<ExportFormat>,
    lang: Option<HeaderLang>,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

/// `GET /api/v1/exports/{entity}?format=csv|xlsx|jsonl&lang=zh|en&<customer filters>`.
async fn export_file(
    State(s): State<AppState>,
    caller: Caller,
    Path(entity): Path<String>,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Action::Export)?;
    let entity = entity_of(&entity)?;
    let Query(q) = q.map_err(query_rejection)?;
    // The customer filters, typed as the list types them.
    let rest = serde_urlencoded::to_string(&q.rest).map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let list: ListQuery = serde_urlencoded::from_str(&rest).map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let filter = list.resolved(&s, &caller).await?;
    let omit = caller.export_omits(&s.store.list_custom_fields().await?);
    let format = q.format.unwrap_or(ExportFormat::Csv);
    let lang = q.lang.unwrap_or_default();
    let detail = json!({"entity": entity.name(), "filter": filter, "format": format.extension(), "columns_left_out": omit});
    caller.audit(&s, "export", None, Some(detail)).await?;
    let tmp = tempfile::Builder::new()
        .suffix(&format!(".{}", format.extension()))
        .tempfile_in(std::env::temp_dir())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "export_failed", e.to_string()))?;
    let path = tmp.into_temp_path();
    let written = match format {
        ExportFormat::Xlsx => export::write_xlsx(&s.store, entity, &filter, lang, &omit, &path).await,
        fmt => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(&path)
                    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "export_failed", e.to_string()))?,
            );
            export::write_stream(&s.store, entity, &filter, fmt, lang, &omit, &mut f).await
        }
    };
    written.map_err(|e| match e {
        export::ExportError::Store(s) => ApiError::from(s),
        export::ExportError::TooManyRows { rows } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_many_rows", e.to_string())
            .with_zh(format!("{rows} 行超出了一个 .xlsx 工作表的上限（最多 1,048,575 行）；请导出为 CSV 或 JSON Lines，或加筛选条件")),
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "export_failed", other.to_string()),
    })?;
    let file =
        tokio::fs::File::open(&path).await.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "export_failed", e.to_string()))?;
    // The temp file lives until the stream ends.
    let stream = futures_util::stream::unfold((file, path), |(mut f, p)| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), (f, p)))
            }
            Err(e) => Some((Err(e), (f, p))),
        }
    });
    let disposition = format!("attachment; filename=\"{}.{}\"", entity.name(), format.extension());
    Ok(([(header::CONTENT_TYPE, format.content_type().to_string()), (header::CONTENT_DISPOSITION, disposition)], Body::from_stream(stream))
        .into_response())
}

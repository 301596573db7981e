//! The import pipeline: a reader thread parses and validates rows into chunks; the async side
//! writes them through one store transaction. All-or-nothing unless `skip_invalid`.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{atomic::AtomicU64, Arc},
    time::Instant,
};

use serde::Serialize;
use strata_core::import::{Entity, ImportOptions, Mapping, MappingError, Record, Target};
use strata_store::{Batch, Store, StoreError};
use tokio::sync::mpsc;

use super::{
    report::{Rejection, Report},
    source::{self, RowSink, SourceError},
};

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub entity: Entity,
    pub path: PathBuf,
    /// The name recorded with the batch (the uploaded name for HTTP imports).
    pub file_name: String,
    pub sheet: Option<String>,
    /// Header → field key / `custom:key` / `ignore`.
    pub overrides: BTreeMap<String, String>,
    pub skip_invalid: bool,
    pub report_path: PathBuf,
    pub actor: String,
    pub options: ImportOptions,
    /// Validate and count everything, then roll back (the import wizard's check).
    pub dry_run: bool,
}

impl ImportRequest {
    /// The file as messages name it: the path given when it names the file, else (an upload
    /// kept under a temporary name) the name it was uploaded as.
    pub fn shown_name(&self) -> PathBuf {
        match self.path.file_name().and_then(|n| n.to_str()) {
            Some(n) if n == self.file_name => self.path.clone(),
            _ => PathBuf::from(&self.file_name),
        }
    }
}

/// How an import went.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub entity: Entity,
    pub file: String,
    pub format: String,
    pub encoding: String,
    pub committed: bool,
    /// A check only: the counts say what an import would do; nothing was written.
    pub dry_run: bool,
    pub batch: Option<Batch>,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected_rows: u64,
    pub rejections: u64,
    pub sample: Vec<Rejection>,
    pub report: Option<PathBuf>,
    pub mapping: Vec<(String, Target)>,
    pub unmapped: Vec<String>,
    pub seconds: f64,
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{file}: {source}")]
    Mapping { file: String, source: MappingError },
    #[error("{file}: the file has a header row but no data rows; nothing was imported")]
    NoRows { file: String },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot write the rejection report: {0}")]
    Report(#[from] std::io::Error),
}

impl ImportError {
    /// The message in Chinese (None for failures of the store or the report, which stay in
    /// English).
    pub fn message_zh(&self) -> Option<String> {
        match self {
            ImportError::Source(e) => Some(e.message_zh()),
            ImportError::Mapping { file, source } => Some(format!("{file}：{}", source.message_zh())),
            ImportError::NoRows { file } => Some(format!("{file}：文件有表头行但没有数据行；没有导入任何内容")),
            ImportError::Store(_) | ImportError::Report(_) => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Source(SourceError::UnknownEncoding { .. }) => "unknown_encoding",
            ImportError::Source(SourceError::Xlsx { .. }) => "invalid_xlsx",
            ImportError::Source(SourceError::Format { .. }) => "unsupported_format",
            ImportError::Source(SourceError::NoSheet { .. }) => "unknown_sheet",
            ImportError::Source(SourceError::Empty { .. }) | ImportError::NoRows { .. } => "empty_file",
            ImportError::Source(_) => "unreadable_file",
            ImportError::Mapping { source: MappingError::MissingField { .. } | MappingError::MissingCustomerRef { .. }, .. } => {
                "missing_column"
            }
            ImportError::Mapping { .. } => "invalid_mapping",
            ImportError::Store(e) => e.code(),
            ImportError::Report(_) => "report_error",
        }
    }
}

const CHUNK: usize = 8000;

pub(super) enum Msg {
    Mapped(Mapping),
    MappingFailed(MappingError),
    Chunk { records: Vec<(u64, Record)>, rejections: Vec<Rejection>, rows: u64 },
}

struct Validator {
    entity: Entity,
    overrides: BTreeMap<String, String>,
    options: ImportOptions,
    mapping: Option<Mapping>,
    tx: mpsc::Sender<Msg>,
    records: Vec<(u64, Record)>,
    rejections: Vec<Rejection>,
    rows: u64,
}

impl Validator {
    fn flush(&mut self) -> bool {
        let msg =
            Msg::Chunk { records: std::mem::take(&mut self.records), rejections: std::mem::take(&mut self.rejections), rows: self.rows };
        self.rows = 0;
        self.tx.blocking_send(msg).is_ok()
    }
}

impl RowSink for Validator {
    fn header(&mut self, cells: Vec<String>) -> bool {
        match Mapping::resolve(self.entity, &cells, &self.overrides, &self.options.custom_fields) {
            Ok(m) => {
                self.mapping = Some(m.clone());
                self.tx.blocking_send(Msg::Mapped(m)).is_ok()
            }
            Err(e) => {
                let _ = self.tx.blocking_send(Msg::MappingFailed(e));
                false
            }
        }
    }

    fn row(&mut self, line: u64, cells: &[&str]) -> bool {
        let Some(m) = &self.mapping else { return false };
        self.rows += 1;
        match m.record(cells, &self.options) {
            Ok(r) => self.records.push((line, r)),
            Err(errs) => self.rejections.extend(errs.into_iter().map(|e| Rejection {
                row: line,
                column: e.column,
                value: e.raw,
                code: e.code.into(),
                reason_zh: e.message_zh.unwrap_or_else(|| e.message.clone()),
                reason: e.message,
            })),
        }
        if self.records.len() + self.rejections.len() >= CHUNK {
            return self.flush();
        }
        true
    }
}

/// A row the store refused, as the report shows it (under the header of the column at fault).
pub(super) fn stored_rejection(m: &Mapping, r: strata_store::RejectedRow) -> Rejection {
    let column = m.index_of(&r.field).map_or_else(|| r.field.clone(), |i| m.columns[i].header.clone());
    Rejection { row: r.row, column, value: r.raw, code: r.code.into(), reason: r.message, reason_zh: r.message_zh }
}

/// Runs one import. `progress` counts bytes read (for a progress bar); `rows_done` counts rows.
/// A large file into an empty table goes in with its keys checked once at the end; if that
/// finds a repeated key, everything is rolled back and the file is read again with keys
/// checked row by row, so the repeats are rejected with their row numbers.
pub async fn run_import(
    store: &Store,
    req: ImportRequest,
    progress: source::Progress,
    rows_done: Arc<AtomicU64>,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    match import_once(store, &req, progress.clone(), rows_done.clone(), true, started).await {
        Err(ImportError::Store(e)) if e.code() == strata_store::DUPLICATE_KEYS => {
            tracing::info!(file = %req.file_name, "the file repeats an external id; reading it again with keys checked row by row");
            progress.store(0, std::sync::atomic::Ordering::Relaxed);
            rows_done.store(0, std::sync::atomic::Ordering::Relaxed);
            import_once(store, &req, progress, rows_done, false, started).await
        }
        done => done,
    }
}

/// One pass over the file; `defer_keys` lets a large import check keys once at the end.
async fn import_once(
    store: &Store,
    req: &ImportRequest,
    progress: source::Progress,
    rows_done: Arc<AtomicU64>,
    defer_keys: bool,
    started: Instant,
) -> Result<ImportSummary, ImportError> {
    let mut options = req.options.clone();
    options.custom_fields = store.list_custom_fields().await?;
    let (tx, mut rx) = mpsc::channel::<Msg>(4);
    let mut validator = Validator {
        entity: req.entity,
        overrides: req.overrides.clone(),
        options,
        mapping: None,
        tx,
        records: Vec::new(),
        rejections: Vec::new(),
        rows: 0,
    };
    let path = req.path.clone();
    let sheet = req.sheet.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let info = source::read(&path, sheet.as_deref(), progress, &mut validator);
        if info.is_ok() && validator.mapping.is_some() {
            validator.flush();
        }
        info
    });

    let file = req.file_name.clone();
    let file_bytes = std::fs::metadata(&req.path).map(|m| m.len()).unwrap_or(0);
    let mut report = Report::new(req.report_path.clone());
    let mut session = None;
    let mut mapping: Option<Mapping> = None;
    let mut mapping_error = None;
    let mut rows = 0u64;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::MappingFailed(e) => mapping_error = Some(e),
            Msg::Mapped(m) => {
                let mut s = store.begin_import(req.entity, &req.file_name, &req.actor, &Mapping::field_keys(&m)).await?;
                // A CSV row is rarely shorter than 24 bytes: a safe lower bound of the row count.
                s.expect_rows(file_bytes / 24, defer_keys && !req.dry_run).await?;
                if s.copies() {
                    // Every following message is a chunk: they go in through one COPY.
                    rows += super::copy_feed::feed(&mut s, &m, &mut rx, &mut report, &rows_done).await?;
                }
                session = Some(s);
                mapping = Some(m);
            }
            Msg::Chunk { records, rejections, rows: n } => {
                rows += n;
                for r in rejections {
                    report.add(r)?;
                }
                let (Some(s), Some(m)) = (session.as_mut(), mapping.as_ref()) else {
                    continue;
                };
                let out = s.write(records).await?;
                for r in out.rejected {
                    report.add(stored_rejection(m, r))?;
                }
                rows_done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    let info = reader.await.map_err(|e| StoreError::Config(format!("import reader failed: {e}")))?;
    let discard = |session: Option<strata_store::ImportSession>| async move {
        if let Some(s) = session {
            s.rollback().await?;
        }
        Ok::<(), StoreError>(())
    };
    let info = match info {
        Ok(i) => i,
        Err(e) => {
            discard(session).await?;
            return Err(e.named(&req.shown_name()).into());
        }
    };
    if let Some(e) = mapping_error {
        return Err(ImportError::Mapping { file, source: e });
    }
    let (Some(mut session), Some(mapping)) = (session, mapping) else {
        return Err(ImportError::NoRows { file });
    };
    if rows == 0 {
        session.rollback().await?;
        return Err(ImportError::NoRows { file });
    }
    // Repeated keys must be known before deciding to commit (and before reporting).
    session.check_keys().await?;
    let totals = session.totals().clone();
    let (report_path, sample, rejections, rejected_rows) = report.finish()?;
    let commit = !req.dry_run && (rejected_rows == 0 || req.skip_invalid);
    // A check reports what the valid rows would do.
    let would = req.dry_run;
    let batch = if commit {
        Some(session.commit(rows, rejected_rows, &info.sha256).await?)
    } else {
        session.rollback().await?;
        None
    };
    Ok(ImportSummary {
        entity: req.entity,
        file,
        format: info.format.into(),
        encoding: info.encoding.into(),
        committed: commit,
        batch,
        rows,
        dry_run: req.dry_run,
        inserted: if commit || would { totals.inserted } else { 0 },
        updated: if commit || would { totals.updated } else { 0 },
        unchanged: if commit || would { totals.unchanged } else { 0 },
        rejected_rows,
        rejections,
        sample,
        report: report_path,
        unmapped: mapping.unmapped().into_iter().map(str::to_string).collect(),
        mapping: mapping.columns.iter().map(|c| (c.header.clone(), c.target.clone())).collect(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

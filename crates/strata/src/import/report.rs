//! The rejected-rows report: every refused row with its line, column, raw value and reason,
//! streamed to a CSV file (UTF-8 with BOM so Excel shows Chinese correctly), plus the first few
//! kept in memory for display.

use std::{fs::File, io::BufWriter, path::PathBuf};

use serde::Serialize;

/// One refused cell or row.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub row: u64,
    pub column: String,
    pub value: String,
    pub code: String,
    pub reason: String,
    /// The reason in Chinese.
    pub reason_zh: String,
}

/// Collects rejections: a sample in memory, all of them in a CSV file opened on first use.
pub struct Report {
    path: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
    pub sample: Vec<Rejection>,
    pub count: u64,
    /// Distinct rows with at least one rejection.
    pub rows: u64,
    last_row: Option<u64>,
}

const SAMPLE: usize = 20;

impl Report {
    pub fn new(path: PathBuf) -> Report {
        Report { path, writer: None, sample: Vec::new(), count: 0, rows: 0, last_row: None }
    }

    pub fn add(&mut self, r: Rejection) -> std::io::Result<()> {
        if self.writer.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut f = BufWriter::new(File::create(&self.path)?);
            std::io::Write::write_all(&mut f, b"\xEF\xBB\xBF")?;
            let mut w = csv::Writer::from_writer(f);
            w.write_record(["行号 row", "列 column", "原始值 value", "错误代码 code", "原因 reason (en)", "原因 reason (zh)"])?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            let row = r.row.to_string();
            w.write_record([row.as_str(), &r.column, &crate::export::safe_cell(&r.value), &r.code, &r.reason, &r.reason_zh])?;
        }
        if self.last_row != Some(r.row) {
            self.rows += 1;
            self.last_row = Some(r.row);
        }
        self.count += 1;
        if self.sample.len() < SAMPLE {
            self.sample.push(r);
        }
        Ok(())
    }

    /// Flushes the file; returns its path if anything was written.
    pub fn finish(mut self) -> std::io::Result<(Option<PathBuf>, Vec<Rejection>, u64, u64)> {
        let written = match self.writer.take() {
            Some(mut w) => {
                w.flush()?;
                Some(self.path)
            }
            None => None,
        };
        Ok((written, self.sample, self.count, self.rows))
    }
}

//! Reading a spreadsheet row by row: CSV in UTF-8 (with or without BOM), UTF-16 or GB18030/GBK
//! detected from the bytes, and `.xlsx` (first sheet or a named one). Rows are streamed to a
//! sink, so memory does not grow with the file.

use std::{
    fs::File,
    io::{BufReader, Read, Seek, SeekFrom},
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use calamine::{DataRef, Reader, Xlsx};
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};
use sha2::{Digest, Sha256};

/// Why a file could not be read. Each names the file, and the line where that applies.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{file}: cannot open: {source}")]
    Open { file: PathBuf, source: std::io::Error },
    #[error("{file}: the text encoding is not UTF-8, UTF-16 or GB18030/GBK (byte {offset} is not valid in any of them); save the file as \"CSV UTF-8\" and import again")]
    UnknownEncoding { file: PathBuf, offset: usize },
    #[error("{file}, line {line}: {message}")]
    Csv { file: PathBuf, line: u64, message: String },
    #[error("{file}: not a readable .xlsx workbook ({message}); open it in Excel and save it again as .xlsx, or export it as CSV")]
    Xlsx { file: PathBuf, message: String },
    #[error("{file}: there is no sheet named `{sheet}`; sheets: {available}")]
    NoSheet { file: PathBuf, sheet: String, available: String },
    #[error("{file}: the file is empty (no header row)")]
    Empty { file: PathBuf },
    #[error("{file}: `.{ext}` files are not supported; use .csv, .txt, .tsv or .xlsx (old .xls: save as .xlsx first)")]
    Format { file: PathBuf, ext: String },
}

impl SourceError {
    /// The same in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            SourceError::Open { file, source } => format!("{}：无法打开：{source}", file.display()),
            SourceError::UnknownEncoding { file, offset } => format!(
                "{}：文本编码不是 UTF-8、UTF-16 或 GB18030/GBK（第 {offset} 个字节在这些编码里都无效）；请另存为“CSV UTF-8”后再导入",
                file.display()
            ),
            SourceError::Csv { file, line, message } => format!("{} 第 {line} 行：{message}", file.display()),
            SourceError::Xlsx { file, message } => {
                format!("{}：无法读取这个 .xlsx 工作簿（{message}）；请用 Excel 打开后重新另存为 .xlsx，或导出为 CSV", file.display())
            }
            SourceError::NoSheet { file, sheet, available } => {
                format!("{}：没有名为「{sheet}」的工作表；已有：{available}", file.display())
            }
            SourceError::Empty { file } => format!("{}：文件是空的（没有表头行）", file.display()),
            SourceError::Format { file, ext } => {
                format!("{}：不支持 .{ext} 文件；请用 .csv、.txt、.tsv 或 .xlsx（旧的 .xls 请先另存为 .xlsx）", file.display())
            }
        }
    }

    /// The same error naming the file as `name` (an uploaded file is read from a temporary
    /// path the user never saw).
    pub fn named(mut self, name: &Path) -> SourceError {
        let (SourceError::Open { file, .. }
        | SourceError::UnknownEncoding { file, .. }
        | SourceError::Csv { file, .. }
        | SourceError::Xlsx { file, .. }
        | SourceError::NoSheet { file, .. }
        | SourceError::Empty { file }
        | SourceError::Format { file, .. }) = &mut self;
        *file = name.to_path_buf();
        self
    }
}

/// What the reader learned about the file.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub format: &'static str,
    pub encoding: &'static str,
    pub sha256: String,
    pub bytes: u64,
}

/// Receives the header, then each non-blank data row with its line number (1-based, as the
/// user sees it in a spreadsheet). Returning `false` stops the read.
pub trait RowSink {
    fn header(&mut self, cells: Vec<String>) -> bool;
    fn row(&mut self, line: u64, cells: &[&str]) -> bool;
}

/// Bytes read so far (for progress bars), shared with another thread.
pub type Progress = Arc<AtomicU64>;

struct Counting<R> {
    inner: R,
    hash: Sha256,
    read: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Streams `path` into `sink`.
pub fn read(path: &Path, sheet: Option<&str>, progress: Progress, sink: &mut dyn RowSink) -> Result<SourceInfo, SourceError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" | "xlsm" => read_xlsx(path, sheet, progress, sink),
        "csv" | "txt" | "tsv" | "" => read_csv(path, progress, sink),
        other => Err(SourceError::Format { file: path.into(), ext: other.into() }),
    }
}

/// Picks the encoding from the first bytes of a file.
pub fn detect_encoding(prefix: &[u8], at_eof: bool) -> Result<(&'static Encoding, usize), usize> {
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok((UTF_8, 3));
    }
    if prefix.starts_with(&[0xFF, 0xFE]) {
        return Ok((UTF_16LE, 2));
    }
    if prefix.starts_with(&[0xFE, 0xFF]) {
        return Ok((UTF_16BE, 2));
    }
    if prefix.contains(&0) {
        return Err(prefix.iter().position(|b| *b == 0).unwrap_or(0));
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => return Ok((UTF_8, 0)),
        Err(e) if e.error_len().is_none() && !at_eof => return Ok((UTF_8, 0)),
        Err(_) => {}
    }
    // GB18030 (a superset of GBK and GB2312); a multi-byte character may be cut at the end.
    let cut = if at_eof { 0 } else { 3 };
    for k in 0..=cut.min(prefix.len()) {
        let (_, had_errors) = GB18030.decode_without_bom_handling(&prefix[..prefix.len() - k]);
        if !had_errors {
            return Ok((GB18030, 0));
        }
    }
    let first_bad = std::str::from_utf8(prefix).err().map_or(0, |e| e.valid_up_to());
    Err(first_bad)
}

fn read_csv(path: &Path, progress: Progress, sink: &mut dyn RowSink) -> Result<SourceInfo, SourceError> {
    let open_err = |e| SourceError::Open { file: path.into(), source: e };
    let mut file = File::open(path).map_err(open_err)?;
    let bytes = file.metadata().map_err(open_err)?.len();
    let mut prefix = vec![0u8; 64 * 1024];
    let mut n = 0;
    while n < prefix.len() {
        let k = file.read(&mut prefix[n..]).map_err(open_err)?;
        if k == 0 {
            break;
        }
        n += k;
    }
    prefix.truncate(n);
    if prefix.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SourceError::Empty { file: path.into() });
    }
    let (encoding, bom) =
        detect_encoding(&prefix, (n as u64) >= bytes).map_err(|offset| SourceError::UnknownEncoding { file: path.into(), offset })?;
    let delimiter = sniff_delimiter(&prefix);
    file.seek(SeekFrom::Start(0)).map_err(open_err)?;
    let counting = Counting { inner: BufReader::with_capacity(1 << 20, file), hash: Sha256::new(), read: progress };
    let mut counted = counting;
    if bom > 0 {
        let mut skip = vec![0u8; bom];
        counted.read_exact(&mut skip).map_err(open_err)?;
    }
    let reader: Box<dyn Read> = if encoding == UTF_8 {
        Box::new(&mut counted)
    } else {
        Box::new(encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(encoding)).bom_override(false).build(&mut counted))
    };
    let mut csv =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).buffer_capacity(1 << 20).from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut header_seen = false;
    loop {
        let more = csv.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            SourceError::Csv { file: path.into(), line, message: format!("{e}; check the quoting on this line") }
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        // Borrowed from the record: validation copies what it keeps.
        let mut cells: Vec<&str> = Vec::with_capacity(record.len());
        for field in record.iter() {
            match std::str::from_utf8(field) {
                Ok(s) => cells.push(s),
                Err(_) => {
                    return Err(SourceError::Csv {
                        file: path.into(),
                        line,
                        message: "text is not valid UTF-8 here although the start of the file is; save the whole file as \"CSV UTF-8\""
                            .into(),
                    })
                }
            }
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let go_on = if header_seen {
            sink.row(line, &cells)
        } else {
            header_seen = true;
            sink.header(cells.iter().map(|c| c.to_string()).collect())
        };
        if !go_on {
            break;
        }
    }
    drop(csv);
    if !header_seen {
        return Err(SourceError::Empty { file: path.into() });
    }
    let enc_name = if bom > 0 && encoding == UTF_8 { "UTF-8 with BOM" } else { encoding.name() };
    Ok(SourceInfo { format: "csv", encoding: enc_name, sha256: hex::encode(counted.hash.finalize()), bytes })
}

fn sniff_delimiter(prefix: &[u8]) -> u8 {
    let first_line = prefix.split(|b| *b == b'\n').next().unwrap_or(prefix);
    let count = |d: u8| first_line.iter().filter(|b| **b == d).count();
    let (tabs, commas, semis) = (count(b'\t'), count(b','), count(b';'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

fn cell_text(v: &DataRef) -> String {
    match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        DataRef::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
        DataRef::Empty => String::new(),
    }
}

fn read_xlsx(path: &Path, sheet: Option<&str>, progress: Progress, sink: &mut dyn RowSink) -> Result<SourceInfo, SourceError> {
    let open_err = |e| SourceError::Open { file: path.into(), source: e };
    let raw = std::fs::read(path).map_err(open_err)?;
    let bytes = raw.len() as u64;
    let sha256 = hex::encode(Sha256::digest(&raw));
    progress.store(bytes / 2, Ordering::Relaxed);
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(raw)).map_err(|e| SourceError::Xlsx { file: path.into(), message: e.to_string() })?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names.iter().find(|n| n.as_str() == s).cloned().ok_or_else(|| SourceError::NoSheet {
            file: path.into(),
            sheet: s.into(),
            available: names.join(", "),
        })?,
        None => names.first().cloned().ok_or_else(|| SourceError::Empty { file: path.into() })?,
    };
    let mut cells_reader =
        book.worksheet_cells_reader(&name).map_err(|e| SourceError::Xlsx { file: path.into(), message: e.to_string() })?;
    let mut current: Option<(u32, Vec<String>)> = None;
    let mut header_seen = false;
    let mut emit = |row: u32, cells: Vec<String>, header_seen: &mut bool| -> bool {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return true;
        }
        if *header_seen {
            sink.row(u64::from(row) + 1, &cells.iter().map(String::as_str).collect::<Vec<_>>())
        } else {
            *header_seen = true;
            sink.header(cells)
        }
    };
    loop {
        let cell = cells_reader.next_cell().map_err(|e| SourceError::Xlsx { file: path.into(), message: e.to_string() })?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        let text = cell_text(cell.get_value());
        match &mut current {
            Some((row, cells)) if *row == r => {
                if cells.len() <= c as usize {
                    cells.resize(c as usize + 1, String::new());
                }
                cells[c as usize] = text;
            }
            _ => {
                if let Some((row, cells)) = current.take() {
                    if !emit(row, cells, &mut header_seen) {
                        return Ok(SourceInfo { format: "xlsx", encoding: "xlsx", sha256, bytes });
                    }
                }
                let mut cells = vec![String::new(); c as usize + 1];
                cells[c as usize] = text;
                current = Some((r, cells));
            }
        }
    }
    if let Some((row, cells)) = current.take() {
        emit(row, cells, &mut header_seen);
    }
    progress.store(bytes, Ordering::Relaxed);
    if !header_seen {
        return Err(SourceError::Empty { file: path.into() });
    }
    Ok(SourceInfo { format: "xlsx", encoding: "xlsx", sha256, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encodings() {
        assert_eq!(detect_encoding("客户名称,手机\n".as_bytes(), true).unwrap().0, UTF_8);
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFname\n", true).unwrap(), (UTF_8, 3));
        let (gbk, _, _) = GB18030.encode("客户名称,手机\n深圳市腾飞科技有限公司,13800138000\n");
        assert_eq!(detect_encoding(&gbk, true).unwrap().0, GB18030);
        // cut in the middle of a two-byte character when not at the end of the file
        assert_eq!(detect_encoding(&gbk[..gbk.len() - 7], false).unwrap().0, GB18030);
        assert!(detect_encoding(b"\x00\x01\x02garbage", true).is_err());
        assert!(detect_encoding(&[0xFF, 0xFF, 0x81, 0x20, 0xFF, 0x30], true).is_err());
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a;b;c\n"), b';');
    }
}

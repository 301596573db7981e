//! Export of customers and event tables to CSV, `.xlsx` and JSON Lines. CSV and `.xlsx` are safe
//! to open in Excel (text that Excel would read as a formula is escaped); JSON Lines is lossless.

use std::{io::Write, path::Path};

use serde_json::{Map, Value};
use strata_core::{
    activity::Channel,
    commerce::{OrderStatus, PaymentMethod},
    custom_field::{CustomFieldDef, FieldKind},
    customer::{CustomerKind, LifecycleStage},
    deal::DealStage,
    import::Entity,
    label::Labelled,
    money::format_cents,
    service::{Severity, TicketStatus},
};
use strata_store::{export_columns, CustomerFilter, SqlValue, Store};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Jsonl,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Jsonl => "jsonl",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Jsonl => "application/x-ndjson",
        }
    }
}

/// Header language of CSV and `.xlsx` exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum HeaderLang {
    #[default]
    Zh,
    En,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] strata_store::StoreError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{rows} rows do not fit in one .xlsx sheet (1,048,575 at most); export as CSV or JSON Lines, or filter")]
    TooManyRows { rows: u64 },
}

/// True when Excel could read `s` as a formula: it starts with = + - @, a tab or a carriage
/// return, and is not simply a number (so "-300" stays a number).
pub fn is_formula_like(s: &str) -> bool {
    let starts = matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    starts && s.parse::<f64>().is_err()
}

/// A CSV cell that Excel shows as text: formula-like text gets a leading apostrophe.
pub fn safe_cell(s: &str) -> String {
    if is_formula_like(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

const PAGE: i64 = 5000;

struct Column {
    key: &'static str,
    header: String,
    custom: Option<CustomFieldDef>,
    /// For Chinese headers: a closed vocabulary's stored code → its Chinese label (the import
    /// reads either back).
    label: Option<fn(&str) -> Option<&'static str>>,
}

/// The Chinese labels of the closed-vocabulary column `key` of `entity`.
fn zh_labels(entity: Entity, key: &str) -> Option<fn(&str) -> Option<&'static str>> {
    Some(match (entity, key) {
        (Entity::Customers, "kind") => CustomerKind::zh_of_code,
        (Entity::Customers, "lifecycle_stage") => LifecycleStage::zh_of_code,
        (Entity::Orders, "status") => OrderStatus::zh_of_code,
        (Entity::Payments, "method") => PaymentMethod::zh_of_code,
        (Entity::Interactions, "channel") => Channel::zh_of_code,
        (Entity::Deals, "stage") => DealStage::zh_of_code,
        (Entity::Tickets, "severity") => Severity::zh_of_code,
        (Entity::Tickets, "status") => TicketStatus::zh_of_code,
        _ => return None,
    })
}

fn columns(entity: Entity, custom: &[CustomFieldDef], lang: HeaderLang, omit: &[String]) -> Vec<Column> {
    let label = |key: &'static str| -> String {
        let field = match key {
            "amount_cents" => "amount",
            "budget_cents" => "budget",
            k => k,
        };
        match (lang, key) {
            (HeaderLang::Zh, "created_at") => "记录创建时间".into(),
            (HeaderLang::Zh, "updated_at") => "记录更新时间".into(),
            (HeaderLang::En, "created_at") => "record_created_at".into(),
            (HeaderLang::En, "updated_at") => "record_updated_at".into(),
            (HeaderLang::Zh, _) => entity.field(field).map_or(field.to_string(), |f| f.label_zh.to_string()),
            (HeaderLang::En, _) => field.to_string(),
        }
    };
    let mut out = Vec::new();
    for (key, _, _) in export_columns(entity) {
        if omit.iter().any(|o| o == key) {
            continue;
        }
        if key == "custom" {
            for d in custom.iter().filter(|d| !omit.contains(&format!("custom.{}", d.key))) {
                let header = if lang == HeaderLang::Zh { d.label.clone() } else { d.key.clone() };
                out.push(Column { key, header, custom: Some(d.clone()), label: None });
            }
        } else {
            let labels = if lang == HeaderLang::Zh { zh_labels(entity, key) } else { None };
            out.push(Column { key, header: label(key), custom: None, label: labels });
        }
    }
    out.push(Column {
        key: "strata_id",
        header: if lang == HeaderLang::Zh { "系统编号".into() } else { "strata_id".into() },
        custom: None,
        label: None,
    });
    out
}

/// One cell for CSV/xlsx: (text, number if the cell is numeric).
fn cell(col: &Column, v: Option<&SqlValue>, id: i64) -> (String, Option<f64>) {
    if col.key == "strata_id" {
        return (id.to_string(), Some(id as f64));
    }
    let Some(v) = v else {
        return (String::new(), None);
    };
    if let Some(def) = &col.custom {
        let val = match v {
            SqlValue::Json(Value::Object(m)) => m.get(&def.key).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        };
        return match (def.kind, &val) {
            (_, Value::Null) => (String::new(), None),
            (FieldKind::Money, Value::Number(n)) => {
                let c = n.as_i64().unwrap_or(0);
                (format_cents(c), Some(c as f64 / 100.0))
            }
            (FieldKind::Number, Value::Number(n)) => (n.to_string(), n.as_f64()),
            (FieldKind::Bool, Value::Bool(b)) => ((if *b { "是" } else { "否" }).into(), None),
            (_, Value::String(s)) => (s.clone(), None),
            (_, Value::Array(a)) => (a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "), None),
            (_, other) => (other.to_string(), None),
        };
    }
    match (v, col.label) {
        (SqlValue::Int(Some(c)), _) if col.key.ends_with("_cents") => (format_cents(*c), Some(*c as f64 / 100.0)),
        (SqlValue::Int(Some(i)), _) => (i.to_string(), Some(*i as f64)),
        (SqlValue::Text(Some(code)), Some(label)) => (label(code).unwrap_or(code).to_string(), None),
        (other, _) => (other.to_cell(), None),
    }
}

/// Writes `entity` rows matching `filter` to `out` as CSV or JSON Lines; returns the row count.
pub async fn write_stream(
    store: &Store,
    entity: Entity,
    filter: &CustomerFilter,
    format: ExportFormat,
    lang: HeaderLang,
    omit: &[String],
    out: &mut (dyn Write + Send),
) -> Result<u64, ExportError> {
    let custom = if entity == Entity::Customers { store.list_custom_fields().await? } else { Vec::new() };
    let cols = columns(entity, &custom, lang, omit);
    let csv = format == ExportFormat::Csv;
    if csv {
        out.write_all(b"\xEF\xBB\xBF")?;
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(cols.iter().map(|c| c.header.as_str()))?;
        out.write_all(&w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?)?;
    }
    let mut after = 0;
    let mut n = 0u64;
    loop {
        let page = store.export_page(entity, filter, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut buf = Vec::with_capacity(page.len() * 128);
        if csv {
            let mut w = csv::WriterBuilder::new().from_writer(&mut buf);
            for row in &page {
                let cells: Vec<String> = cols
                    .iter()
                    .map(|c| safe_cell(&cell(c, row.cells.iter().find(|(k, _)| *k == c.key).map(|(_, v)| v), row.id).0))
                    .collect();
                w.write_record(&cells)?;
            }
            w.flush()?;
        } else {
            for row in &page {
                let mut m = Map::new();
                m.insert("strata_id".into(), Value::from(row.id));
                for (k, v) in row.cells.iter().filter(|(k, _)| !omit.iter().any(|o| o == k)) {
                    let mut v = v.to_json();
                    if let (true, Value::Object(o)) = (*k == "custom", &mut v) {
                        o.retain(|key, _| !omit.contains(&format!("custom.{key}")));
                    }
                    m.insert((*k).into(), v);
                }
                serde_json::to_writer(&mut buf, &Value::Object(m)).map_err(std::io::Error::other)?;
                buf.push(b'\n');
            }
        }
        out.write_all(&buf)?;
        n += page.len() as u64;
    }
    out.flush()?;
    Ok(n)
}

/// Writes an `.xlsx` workbook to `path` (constant memory, rows streamed to disk).
/// `omit` names columns left out (the caller may not see them; `custom.KEY` for custom fields).
pub async fn write_xlsx(
    store: &Store,
    entity: Entity,
    filter: &CustomerFilter,
    lang: HeaderLang,
    omit: &[String],
    path: &Path,
) -> Result<u64, ExportError> {
    let custom = if entity == Entity::Customers { store.list_custom_fields().await? } else { Vec::new() };
    let cols = columns(entity, &custom, lang, omit);
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let quoted = rust_xlsxwriter::Format::new().set_quote_prefix();
    let sheet = book.add_worksheet_with_constant_memory();
    sheet.set_name(entity.name())?;
    for (i, c) in cols.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, &c.header, &bold)?;
    }
    let mut after = 0;
    let mut n: u64 = 0;
    loop {
        let page = store.export_page(entity, filter, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for row in &page {
            n += 1;
            if n > 1_048_575 {
                return Err(ExportError::TooManyRows { rows: n });
            }
            for (i, c) in cols.iter().enumerate() {
                let (text, num) = cell(c, row.cells.iter().find(|(k, _)| *k == c.key).map(|(_, v)| v), row.id);
                match num {
                    Some(x) => sheet.write_number(n as u32, i as u16, x)?,
                    None if text.is_empty() => sheet,
                    None if is_formula_like(&text) => sheet.write_string_with_format(n as u32, i as u16, &text, &quoted)?,
                    None => sheet.write_string(n as u32, i as u16, &text)?,
                };
            }
        }
    }
    book.save(path)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_formula_like_cells() {
        for (raw, want) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-300", "-300"),
            ("+86138", "+86138"),
            ("腾飞科技", "腾飞科技"),
            ("", ""),
        ] {
            assert_eq!(safe_cell(raw), want, "input {raw:?}");
        }
    }
}

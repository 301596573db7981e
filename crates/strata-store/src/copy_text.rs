//! PostgreSQL's `COPY … FROM STDIN` text format: rows of [`SqlValue`]s written as tab-separated
//! lines, with `\N` for NULL and backslash escapes for the characters the format reserves.

use std::fmt::Write;

use crate::value::{IsoDate, SqlValue};

/// Appends one field to `line` (no separator).
fn push_field(line: &mut String, v: &SqlValue) {
    match v {
        SqlValue::Int(Some(n)) => {
            let _ = write!(line, "{n}");
        }
        SqlValue::Text(Some(s)) => push_escaped(line, s),
        SqlValue::Bool(Some(b)) => line.push(if *b { 't' } else { 'f' }),
        SqlValue::Date(Some(d)) => {
            let _ = write!(line, "{}", IsoDate(*d));
        }
        SqlValue::Time(Some(t)) => {
            let _ = write!(line, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        }
        // A JSON column's missing value is JSON null, as the array-bound path writes it.
        SqlValue::Json(j) => push_escaped(line, &j.to_string()),
        SqlValue::Int(None) | SqlValue::Text(None) | SqlValue::Bool(None) | SqlValue::Date(None) | SqlValue::Time(None) => {
            line.push_str("\\N")
        }
    }
}

fn push_escaped(line: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c => line.push(c),
        }
    }
}

/// Appends one row's fields (in column order, tab-separated) to `out`, then `end`: the
/// line end, or the rendered tail every row shares (see [`shared_tail`]).
pub(crate) fn push_row<'v>(out: &mut String, fields: impl IntoIterator<Item = &'v SqlValue>, end: &str) {
    for (i, v) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        push_field(out, v);
    }
    out.push_str(end);
}

/// The last fields of every row, rendered once: a tab before each, then the line end.
pub(crate) fn shared_tail(fields: &[SqlValue]) -> String {
    let mut tail = String::new();
    for v in fields {
        tail.push('\t');
        push_field(&mut tail, v);
    }
    tail.push('\n');
    tail
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use serde_json::{json, Value};

    use super::*;

    #[test]
    fn rows_are_tab_separated_with_escapes_and_nulls() {
        let cases: Vec<(Vec<SqlValue>, &str)> = vec![
            (vec![SqlValue::Int(Some(-42)), SqlValue::Int(None)], "-42\t\\N\n"),
            (vec![SqlValue::text("a\tb\nc\rd\\e"), SqlValue::Text(None)], "a\\tb\\nc\\rd\\\\e\t\\N\n"),
            (vec![SqlValue::text("深圳 \\N")], "深圳 \\\\N\n"),
            (vec![SqlValue::Bool(Some(true)), SqlValue::Bool(Some(false)), SqlValue::Bool(None)], "t\tf\t\\N\n"),
            (vec![SqlValue::Date(NaiveDate::from_ymd_opt(2024, 1, 5)), SqlValue::Date(None)], "2024-01-05\t\\N\n"),
            (vec![SqlValue::Time(Utc.with_ymd_and_hms(2026, 12, 5, 2, 3, 4).single())], "2026-12-05 02:03:04.000000+00\n"),
            // JSON's own escape (`\t` in the text) has its backslash escaped again.
            (vec![SqlValue::Json(json!({"备注": "a\tb"})), SqlValue::Json(Value::Null)], "{\"备注\":\"a\\\\tb\"}\tnull\n"),
        ];
        for (row, want) in cases {
            let mut out = String::new();
            push_row(&mut out, &row, "\n");
            assert_eq!(out, want, "{row:?}");
            // Split anywhere into a row and a shared tail: the same line.
            for at in 0..row.len() {
                let mut split = String::new();
                push_row(&mut split, &row[..at], &shared_tail(&row[at..]));
                let want_split = if at == 0 { format!("\t{want}") } else { want.to_string() };
                assert_eq!(split, want_split, "{row:?} split at {at}");
            }
        }
    }
}

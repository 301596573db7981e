//! A typed SQL value that binds and decodes the same way on both backends, and converts to and
//! from JSON (for before-images and exports).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{types::Json, ColumnIndex, Decode, Row, Type};

/// A date as `YYYY-MM-DD` (chrono's `%F`), written without parsing a format string per value.
pub(crate) struct IsoDate(pub NaiveDate);

impl std::fmt::Display for IsoDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Datelike;
        let d = self.0;
        if (0..=9999).contains(&d.year()) {
            write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
        } else {
            write!(f, "{}", d.format("%F"))
        }
    }
}

/// A time as text the way sqlx binds it on SQLite (raw statements bind the same text).
pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// The type of a column, for decoding and JSON conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColKind {
    Int,
    Text,
    Bool,
    Date,
    Time,
    Json,
}

/// One nullable value of a known SQL type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SqlValue {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    Time(Option<DateTime<Utc>>),
    Json(Value),
}

impl SqlValue {
    pub fn text(s: impl Into<String>) -> SqlValue {
        SqlValue::Text(Some(s.into()))
    }

    pub fn is_null(&self) -> bool {
        matches!(
            self,
            SqlValue::Int(None)
                | SqlValue::Text(None)
                | SqlValue::Bool(None)
                | SqlValue::Date(None)
                | SqlValue::Time(None)
                | SqlValue::Json(Value::Null)
        )
    }

    /// The JSON form: numbers, strings, booleans, ISO dates, RFC 3339 times, null.
    pub fn to_json(&self) -> Value {
        match self {
            SqlValue::Int(v) => v.map_or(Value::Null, Value::from),
            SqlValue::Text(v) => v.clone().map_or(Value::Null, Value::from),
            SqlValue::Bool(v) => v.map_or(Value::Null, Value::from),
            SqlValue::Date(v) => v.map_or(Value::Null, |d| Value::from(d.to_string())),
            SqlValue::Time(v) => v.map_or(Value::Null, |t| Value::from(t.to_rfc3339())),
            SqlValue::Json(v) => v.clone(),
        }
    }

    /// The plain-text form used in CSV and spreadsheet cells ("" for null).
    pub fn to_cell(&self) -> String {
        match self.to_json() {
            Value::Null => String::new(),
            Value::String(s) => s,
            v @ Value::Array(_) if matches!(self, SqlValue::Json(_)) => {
                // tag lists read back as "a, b"
                v.as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default()
            }
            other => other.to_string(),
        }
    }

    pub(crate) fn from_json(kind: ColKind, v: &Value) -> SqlValue {
        match kind {
            ColKind::Int => SqlValue::Int(v.as_i64()),
            ColKind::Text => SqlValue::Text(v.as_str().map(str::to_string)),
            ColKind::Bool => SqlValue::Bool(v.as_bool()),
            ColKind::Date => SqlValue::Date(v.as_str().and_then(|s| s.parse().ok())),
            ColKind::Time => SqlValue::Time(v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc))),
            ColKind::Json => SqlValue::Json(v.clone()),
        }
    }
}

/// Binds one [`SqlValue`] to the next placeholder of a `query` or `query_as`.
macro_rules! bind_value {
    ($q:expr, $v:expr) => {
        match $v {
            $crate::value::SqlValue::Int(x) => $q.bind(*x),
            $crate::value::SqlValue::Text(x) => $q.bind(x.as_deref()),
            $crate::value::SqlValue::Bool(x) => $q.bind(*x),
            $crate::value::SqlValue::Date(x) => $q.bind(*x),
            $crate::value::SqlValue::Time(x) => $q.bind(*x),
            $crate::value::SqlValue::Json(x) => $q.bind(sqlx::types::Json(x.clone())),
        }
    };
}
pub(crate) use bind_value;

/// Decodes column `idx` of `row` as `kind`.
pub(crate) fn read<'r, R: Row>(row: &'r R, idx: usize, kind: ColKind) -> Result<SqlValue, sqlx::Error>
where
    usize: ColumnIndex<R>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<bool>: Decode<'r, R::Database> + Type<R::Database>,
    Option<NaiveDate>: Decode<'r, R::Database> + Type<R::Database>,
    Option<DateTime<Utc>>: Decode<'r, R::Database> + Type<R::Database>,
    Option<Json<Value>>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(match kind {
        ColKind::Int => SqlValue::Int(row.try_get(idx)?),
        ColKind::Text => SqlValue::Text(row.try_get(idx)?),
        ColKind::Bool => SqlValue::Bool(row.try_get(idx)?),
        ColKind::Date => SqlValue::Date(row.try_get(idx)?),
        ColKind::Time => SqlValue::Time(row.try_get(idx)?),
        ColKind::Json => SqlValue::Json(row.try_get::<Option<Json<Value>>, _>(idx)?.map_or(Value::Null, |j| j.0)),
    })
}

/// The PostgreSQL type of a column kind (for staging tables).
pub(crate) fn pg_type(kind: ColKind) -> &'static str {
    match kind {
        ColKind::Int => "BIGINT",
        ColKind::Text => "TEXT",
        ColKind::Bool => "BOOLEAN",
        ColKind::Date => "DATE",
        ColKind::Time => "TIMESTAMPTZ",
        ColKind::Json => "JSONB",
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds one column of many rows as a PostgreSQL array (for `UNNEST`).
pub(crate) fn bind_pg_column<'q, 'v>(q: PgQuery<'q>, kind: ColKind, values: impl Iterator<Item = &'v SqlValue>) -> PgQuery<'q> {
    match kind {
        ColKind::Int => q.bind(values.map(|v| if let SqlValue::Int(x) = v { *x } else { None }).collect::<Vec<Option<i64>>>()),
        ColKind::Text => q.bind(values.map(|v| if let SqlValue::Text(x) = v { x.clone() } else { None }).collect::<Vec<Option<String>>>()),
        ColKind::Bool => q.bind(values.map(|v| if let SqlValue::Bool(x) = v { *x } else { None }).collect::<Vec<Option<bool>>>()),
        ColKind::Date => q.bind(values.map(|v| if let SqlValue::Date(x) = v { *x } else { None }).collect::<Vec<Option<NaiveDate>>>()),
        ColKind::Time => q.bind(values.map(|v| if let SqlValue::Time(x) = v { *x } else { None }).collect::<Vec<Option<DateTime<Utc>>>>()),
        ColKind::Json => q.bind(
            values.map(|v| if let SqlValue::Json(x) = v { Json(x.clone()) } else { Json(Value::Null) }).collect::<Vec<Json<Value>>>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::IsoDate;

    #[test]
    fn iso_dates_match_chrono_f_format() {
        for (y, m, d) in [(2024, 1, 5), (1, 12, 31), (0, 1, 1), (9999, 12, 31), (10000, 1, 1), (-44, 3, 15), (1970, 1, 1)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
            assert_eq!(IsoDate(date).to_string(), date.format("%F").to_string(), "{y}-{m}-{d}");
        }
    }
}

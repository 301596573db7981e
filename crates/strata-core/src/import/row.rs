//! Reading one row's cells as typed values: required and optional fields, money with header
//! units, dates, times, phones, e-mails, custom fields; every failure becomes a cell error.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::mapping::{Mapping, Target};
use super::record::{CellError, CustomerRef, ImportOptions, Record};
use crate::{
    date::{parse_date, parse_datetime},
    email::normalise_email,
    money::{parse_money, Currency, Money},
    phone::normalise_phone,
    text::{clean_multiline, non_empty, non_empty_cell},
    ValueError,
};

pub(super) struct Row<'a> {
    pub mapping: &'a Mapping,
    pub cells: &'a [&'a str],
    pub opts: &'a ImportOptions,
    pub errors: Vec<CellError>,
}

impl<'a> Row<'a> {
    pub(super) fn raw(&self, key: &str) -> Option<(usize, &'a str)> {
        let i = self.mapping.index_of(key)?;
        Some((i, self.cells.get(i).copied().unwrap_or("")))
    }

    pub(super) fn fail(&mut self, col: usize, raw: &str, e: ValueError) {
        self.errors.push(CellError {
            column: self.mapping.columns[col].header.clone(),
            raw: raw.to_string(),
            code: e.code,
            message: e.message,
            message_zh: e.message_zh,
        });
    }

    /// Cleaned text of an optional field.
    pub(super) fn text(&self, key: &str) -> Option<String> {
        self.raw(key).and_then(|(_, r)| non_empty(r))
    }

    pub(super) fn long_text(&self, key: &str) -> Option<String> {
        self.raw(key).map(|(_, r)| clean_multiline(r)).filter(|s| !s.is_empty() && non_empty(s).is_some())
    }

    /// Parses an optional field; a bad value is recorded and yields None.
    pub(super) fn opt<T>(&mut self, key: &str, parse: impl FnOnce(&str) -> Result<T, ValueError>) -> Option<T> {
        let (i, raw) = self.raw(key)?;
        let t = non_empty_cell(raw)?;
        self.parsed(i, raw, &t, parse)
    }

    /// Parses a required field; an empty or bad value is recorded and yields None.
    pub(super) fn req<T>(&mut self, key: &str, parse: impl FnOnce(&str) -> Result<T, ValueError>) -> Option<T> {
        let (i, raw) = self.raw(key)?;
        let Some(t) = non_empty_cell(raw) else {
            let label = self.mapping.entity.field(key).map_or(key, |s| s.label_zh);
            self.fail(
                i,
                raw,
                ValueError::new("required", format!("{label} ({key}) is required but empty")).zh(format!("{label}必填，但为空")),
            );
            return None;
        };
        self.parsed(i, raw, &t, parse)
    }

    /// `parse` of the cleaned cell `t` (column `i`, as written `raw`); a failure is recorded.
    fn parsed<T>(&mut self, i: usize, raw: &str, t: &str, parse: impl FnOnce(&str) -> Result<T, ValueError>) -> Option<T> {
        match parse(t) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(i, raw, e);
                None
            }
        }
    }

    pub(super) fn money(&mut self, key: &str, required: bool) -> Option<Money> {
        let pow = self.mapping.index_of(key).map_or(0, |i| self.mapping.columns[i].unit_pow);
        let cur = self.opts.currency;
        let parse = move |s: &str| {
            let m = parse_money(s, cur)?;
            let scaled = m
                .cents
                .checked_mul(10i64.pow(pow))
                .ok_or_else(|| ValueError::new("invalid_amount", "amount is too large").zh("金额过大"))?;
            Ok(Money { cents: scaled, currency: m.currency })
        };
        if required {
            self.req(key, parse)
        } else {
            self.opt(key, parse)
        }
    }

    pub(super) fn small_int(&mut self, key: &str, lo: u8, hi: u8) -> Option<u8> {
        self.opt(key, |s| {
            let n: f64 = s.parse().map_err(|_| {
                ValueError::new("invalid_score", format!("`{s}` is not a number from {lo} to {hi}"))
                    .zh(format!("`{s}` 不是 {lo} 到 {hi} 之间的数"))
            })?;
            if n.fract() != 0.0 || n < lo as f64 || n > hi as f64 {
                return Err(ValueError::new("invalid_score", format!("`{s}` must be a whole number from {lo} to {hi}"))
                    .zh(format!("`{s}` 应为 {lo} 到 {hi} 之间的整数")));
            }
            Ok(n as u8)
        })
    }

    pub(super) fn date(&mut self, key: &str) -> Option<NaiveDate> {
        self.opt(key, parse_date)
    }

    pub(super) fn time(&mut self, key: &str, required: bool) -> Option<DateTime<Utc>> {
        let off = self.opts.offset;
        if required {
            self.req(key, |s| parse_datetime(s, off))
        } else {
            self.opt(key, |s| parse_datetime(s, off))
        }
    }

    pub(super) fn phone(&mut self, key: &str) -> Option<String> {
        self.opt(key, normalise_phone)
    }

    pub(super) fn email(&mut self, key: &str) -> Option<String> {
        self.opt(key, normalise_email)
    }

    pub(super) fn currency_of(&mut self, amount: Option<Money>) -> Currency {
        let explicit = self.opt("currency", Currency::parse);
        explicit.or(amount.map(|m| m.currency)).unwrap_or(self.opts.currency)
    }

    pub(super) fn customer_ref(&mut self) -> CustomerRef {
        let r = CustomerRef { external_id: self.text("customer_external_id"), name: self.text("customer_name") };
        if r.external_id.is_none() && r.name.is_none() {
            let col = self.mapping.index_of("customer_external_id").or(self.mapping.index_of("customer_name")).unwrap_or(0);
            self.fail(
                col,
                "",
                ValueError::new("missing_customer", "the row names no customer; fill in 客户编号 or 客户名称")
                    .zh("这一行没有指明客户；请填写客户编号或客户名称"),
            );
        }
        r
    }

    pub(super) fn custom_values(&mut self) -> BTreeMap<String, serde_json::Value> {
        let mut out = BTreeMap::new();
        for (i, col) in self.mapping.columns.iter().enumerate() {
            let Target::Custom(key) = &col.target else {
                continue;
            };
            let Some(def) = self.opts.custom_fields.iter().find(|d| &d.key == key) else {
                continue;
            };
            let raw = self.cells.get(i).copied().unwrap_or("");
            match def.parse_cell(raw) {
                Ok(Some(v)) => {
                    out.insert(key.clone(), v);
                }
                Ok(None) => {}
                Err(e) => self.fail(i, raw, e),
            }
        }
        for def in self.opts.custom_fields.iter().filter(|d| d.required) {
            let mapped = self.mapping.columns.iter().any(|c| c.target == Target::Custom(def.key.clone()));
            if mapped && !out.contains_key(&def.key) {
                let i = self.mapping.columns.iter().position(|c| c.target == Target::Custom(def.key.clone())).unwrap_or(0);
                self.fail(
                    i,
                    "",
                    ValueError::new("required", format!("custom field {} ({}) is required but empty", def.label, def.key))
                        .zh(format!("自定义字段「{}」必填，但为空", def.label)),
                );
            }
        }
        out
    }

    pub(super) fn finish(self, record: Option<Record>) -> Result<Record, Vec<CellError>> {
        match record {
            Some(r) if self.errors.is_empty() => Ok(r),
            _ => Err(self.errors),
        }
    }
}

//! Customer attribute columns the rules read: closed and open text attributes as dictionary
//! codes, the "since" date, tags as bit sets, and custom fields typed by their definition.

use std::collections::HashMap;

use crate::{
    custom_field::FieldKind,
    customer::{CustomerKind, LifecycleStage},
    label::Labelled,
    metrics::{CodeColumn, Day, Dictionary},
    rules::schema::Attr,
};

/// A missing day in a date column.
pub const NO_DAY: Day = Day::MIN;

/// One text attribute: a code per position (0 = missing) and the dictionary of its values.
#[derive(Debug, Clone)]
pub struct TextColumn {
    codes: CodeColumn,
    dict: Dictionary,
}

impl Default for TextColumn {
    fn default() -> TextColumn {
        TextColumn { codes: CodeColumn::zeros(0), dict: Dictionary::new() }
    }
}

impl TextColumn {
    pub fn code(&self, p: usize) -> u32 {
        self.codes.get(p)
    }

    pub fn text(&self, p: usize) -> Option<&str> {
        self.dict.text(self.code(p))
    }

    fn set(&mut self, p: usize, value: Option<&str>) {
        if self.codes.len() <= p {
            self.codes.resize(p + 1);
        }
        let code = value.filter(|v| !v.is_empty()).map_or(0, |v| self.dict.intern(v));
        self.codes.set(p, code);
    }

    pub fn dictionary(&self) -> &Dictionary {
        &self.dict
    }
}

/// A custom field column.
#[derive(Debug, Clone)]
pub enum CustomColumn {
    /// number, money (currency units), date (day number) and bool (0/1); NaN when missing.
    Number(Vec<f64>),
    /// text and single-choice fields.
    Text(TextColumn),
    /// multiple-choice fields: the chosen values per position.
    Multi(Vec<Vec<u32>>, Dictionary),
}

/// Built-in text attributes in column order.
const TEXT_ATTRS: [Attr; 8] =
    [Attr::Kind, Attr::Industry, Attr::Province, Attr::City, Attr::Source, Attr::Owner, Attr::Team, Attr::Lifecycle];

/// Every attribute of every customer position.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    text: [TextColumn; 8],
    since: Vec<Day>,
    /// Tags with codes below 64 as a bit set; rarer ones in `more_tags`.
    tag_bits: Vec<u64>,
    more_tags: HashMap<u32, Vec<u32>>,
    tags: Dictionary,
    custom: Vec<CustomColumn>,
}

/// One customer's attributes as the store hands them over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeRow {
    /// Indexed like the built-in text attributes: kind, industry, province, city, source, owner
    /// (name), team (name), lifecycle (stage code).
    pub text: [Option<String>; 8],
    pub since: Option<Day>,
    pub tags: Vec<String>,
    /// Per custom field of the schema, in order.
    pub custom: Vec<CustomValue>,
}

/// A custom field value for the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomValue {
    Missing,
    Number(f64),
    Text(String),
    Many(Vec<String>),
}

fn text_slot(attr: Attr) -> Option<usize> {
    TEXT_ATTRS.iter().position(|a| *a == attr)
}

impl Attributes {
    /// Empty columns for the given custom field kinds (in schema order).
    pub fn new(custom: &[FieldKind]) -> Attributes {
        let custom = custom
            .iter()
            .map(|k| match k {
                FieldKind::Text | FieldKind::Enum => CustomColumn::Text(TextColumn::default()),
                FieldKind::MultiEnum => CustomColumn::Multi(Vec::new(), Dictionary::new()),
                FieldKind::Number | FieldKind::Money | FieldKind::Date | FieldKind::Bool => CustomColumn::Number(Vec::new()),
            })
            .collect();
        Attributes { custom, ..Attributes::default() }
    }

    /// Number of positions with attributes.
    pub fn len(&self) -> usize {
        self.since.len()
    }

    pub fn is_empty(&self) -> bool {
        self.since.is_empty()
    }

    /// Sets every attribute of position `p`.
    pub fn set(&mut self, p: usize, row: &AttributeRow) {
        if self.since.len() <= p {
            self.since.resize(p + 1, NO_DAY);
            self.tag_bits.resize(p + 1, 0);
        }
        for (col, v) in self.text.iter_mut().zip(&row.text) {
            col.set(p, v.as_deref());
        }
        self.since[p] = row.since.unwrap_or(NO_DAY);
        self.tag_bits[p] = 0;
        self.more_tags.remove(&(p as u32));
        for t in &row.tags {
            let code = self.tags.intern(t);
            if code < 64 {
                self.tag_bits[p] |= 1 << code;
            } else {
                self.more_tags.entry(p as u32).or_default().push(code);
            }
        }
        for (i, col) in self.custom.iter_mut().enumerate() {
            let v = row.custom.get(i).unwrap_or(&CustomValue::Missing);
            match col {
                CustomColumn::Number(xs) => {
                    if xs.len() <= p {
                        xs.resize(p + 1, f64::NAN);
                    }
                    xs[p] = if let CustomValue::Number(x) = v { *x } else { f64::NAN };
                }
                CustomColumn::Text(c) => c.set(p, if let CustomValue::Text(s) = v { Some(s) } else { None }),
                CustomColumn::Multi(sets, dict) => {
                    if sets.len() <= p {
                        sets.resize(p + 1, Vec::new());
                    }
                    sets[p] = match v {
                        CustomValue::Many(vs) => vs.iter().map(|s| dict.intern(s)).collect(),
                        CustomValue::Text(s) => vec![dict.intern(s)],
                        _ => Vec::new(),
                    };
                }
            }
        }
    }

    /// How many distinct values the dictionaries hold: plans bind codes, so they must be bound
    /// again when this grows.
    pub fn codes_len(&self) -> usize {
        let custom: usize = self
            .custom
            .iter()
            .map(|c| match c {
                CustomColumn::Text(t) => t.dict.len(),
                CustomColumn::Multi(_, d) => d.len(),
                CustomColumn::Number(_) => 0,
            })
            .sum();
        self.text.iter().map(|t| t.dict.len()).sum::<usize>() + self.tags.len() + custom
    }

    /// The text column of a built-in or custom text attribute.
    pub fn text_column(&self, attr: Attr) -> Option<&TextColumn> {
        match attr {
            Attr::Custom(i) => match self.custom.get(usize::from(i)) {
                Some(CustomColumn::Text(c)) => Some(c),
                _ => None,
            },
            a => text_slot(a).map(|i| &self.text[i]),
        }
    }

    /// Codes that `value` written in a rule stands for in a text attribute: the value itself
    /// and, for closed vocabularies (kind, lifecycle), the stored code of a label or synonym.
    pub fn codes_of(&self, attr: Attr, value: &str) -> Vec<u32> {
        let stored = match attr {
            Attr::Kind => CustomerKind::parse_label(value).ok().map(|k| k.code()),
            Attr::Lifecycle => LifecycleStage::parse_label(value).ok().map(|s| s.code()),
            _ => None,
        };
        let dict = match attr {
            Attr::Custom(i) => match self.custom.get(usize::from(i)) {
                Some(CustomColumn::Text(c)) => &c.dict,
                Some(CustomColumn::Multi(_, d)) => d,
                _ => return Vec::new(),
            },
            a => match text_slot(a) {
                Some(i) => &self.text[i].dict,
                None => return Vec::new(),
            },
        };
        let mut codes: Vec<u32> = [Some(value), stored].into_iter().flatten().filter_map(|v| dict.code(v)).collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    /// The text codes of position `p` for a text attribute (several for multiple choice).
    pub fn codes_at(&self, attr: Attr, p: usize) -> CodesAt<'_> {
        match attr {
            Attr::Custom(i) => match self.custom.get(usize::from(i)) {
                Some(CustomColumn::Text(c)) => CodesAt::One(c.code(p)),
                Some(CustomColumn::Multi(sets, _)) => CodesAt::Many(sets.get(p).map_or(&[][..], |v| v.as_slice())),
                _ => CodesAt::One(0),
            },
            a => CodesAt::One(text_slot(a).map_or(0, |i| self.text[i].code(p))),
        }
    }

    /// A number, date (day number) or bool (0/1) attribute of position `p`; NaN when missing.
    pub fn number(&self, attr: Attr, p: usize) -> f64 {
        match attr {
            Attr::Since => match self.since.get(p) {
                Some(&d) if d != NO_DAY => f64::from(d),
                _ => f64::NAN,
            },
            Attr::Custom(i) => match self.custom.get(usize::from(i)) {
                Some(CustomColumn::Number(xs)) => xs.get(p).copied().unwrap_or(f64::NAN),
                _ => f64::NAN,
            },
            _ => f64::NAN,
        }
    }

    /// Whether position `p` carries tag `tag`.
    pub fn has_tag(&self, p: usize, tag: Option<u32>) -> bool {
        match tag {
            None => false,
            Some(code) if code < 64 => self.tag_bits.get(p).is_some_and(|b| b & (1 << code) != 0),
            Some(code) => self.more_tags.get(&(p as u32)).is_some_and(|v| v.contains(&code)),
        }
    }

    pub fn tag_text(&self, code: u32) -> Option<&str> {
        self.tags.text(code)
    }

    /// The text of `code` in a text attribute's dictionary.
    pub fn code_text(&self, attr: Attr, code: u32) -> Option<&str> {
        match attr {
            Attr::Custom(i) => match self.custom.get(usize::from(i))? {
                CustomColumn::Text(c) => c.dict.text(code),
                CustomColumn::Multi(_, d) => d.text(code),
                CustomColumn::Number(_) => None,
            },
            a => self.text[text_slot(a)?].dict.text(code),
        }
    }

    /// The text of a text attribute at position `p` (the first value of a multiple choice).
    pub fn text_at(&self, attr: Attr, p: usize) -> Option<&str> {
        match self.codes_at(attr, p) {
            CodesAt::One(0) => None,
            CodesAt::One(c) => self.code_text(attr, c),
            CodesAt::Many(cs) => cs.first().and_then(|&c| self.code_text(attr, c)),
        }
    }

    pub fn tag_code(&self, tag: &str) -> Option<u32> {
        self.tags.code(tag)
    }

    /// Bytes held by the columns.
    pub fn heap_bytes(&self) -> usize {
        let text: usize = self.text.iter().map(|c| c.codes.heap_bytes() + c.dict.heap_bytes()).sum();
        let custom: usize = self
            .custom
            .iter()
            .map(|c| match c {
                CustomColumn::Number(xs) => xs.len() * 8,
                CustomColumn::Text(t) => t.codes.heap_bytes() + t.dict.heap_bytes(),
                CustomColumn::Multi(sets, d) => sets.iter().map(|s| 24 + s.len() * 4).sum::<usize>() + d.heap_bytes(),
            })
            .sum();
        text + custom + self.since.len() * 4 + self.tag_bits.len() * 8 + self.more_tags.len() * 48 + self.tags.heap_bytes()
    }
}

/// A position's codes in a text attribute.
#[derive(Debug, Clone, Copy)]
pub enum CodesAt<'a> {
    One(u32),
    Many(&'a [u32]),
}

/// Indices into `schema.custom` of the custom fields that hold money (amounts a role may not
/// see, filter on or be offered).
pub fn money_custom(schema: &crate::rules::schema::Schema, defs: &[crate::custom_field::CustomFieldDef]) -> Vec<usize> {
    schema
        .custom
        .iter()
        .enumerate()
        .filter(|(_, c)| defs.iter().any(|d| d.key == c.key && d.kind == FieldKind::Money))
        .map(|(i, _)| i)
        .collect()
}

/// The rule schema of a customer base's custom fields.
pub fn schema_of(defs: &[crate::custom_field::CustomFieldDef]) -> crate::rules::schema::Schema {
    use crate::rules::schema::{CustomAttr, ValueType};
    let custom = defs
        .iter()
        .map(|d| CustomAttr {
            key: d.key.clone(),
            label: d.label.clone(),
            ty: match d.kind {
                FieldKind::Text | FieldKind::Enum | FieldKind::MultiEnum => ValueType::Text,
                FieldKind::Number | FieldKind::Money => ValueType::Number,
                FieldKind::Date => ValueType::Date,
                FieldKind::Bool => ValueType::Bool,
            },
        })
        .collect();
    crate::rules::schema::Schema { custom, models: Vec::new(), forecast: Default::default() }
}

/// A stored custom value (JSON, as validated on write) as the engine holds it: money in
/// currency units, dates as day numbers, yes/no as 1/0.
pub fn custom_value(kind: FieldKind, v: Option<&serde_json::Value>) -> CustomValue {
    use serde_json::Value;
    match (kind, v) {
        (_, None | Some(Value::Null)) => CustomValue::Missing,
        (FieldKind::Money, Some(Value::Number(n))) => n.as_f64().map_or(CustomValue::Missing, |c| CustomValue::Number(c / 100.0)),
        (FieldKind::Number, Some(Value::Number(n))) => n.as_f64().map_or(CustomValue::Missing, CustomValue::Number),
        (FieldKind::Bool, Some(Value::Bool(b))) => CustomValue::Number(if *b { 1.0 } else { 0.0 }),
        (FieldKind::Date, Some(Value::String(s))) => {
            s.parse::<chrono::NaiveDate>().map_or(CustomValue::Missing, |d| CustomValue::Number(f64::from(crate::metrics::day_of(d))))
        }
        (FieldKind::MultiEnum, Some(Value::Array(items))) => {
            CustomValue::Many(items.iter().filter_map(|i| i.as_str().map(String::from)).collect())
        }
        (_, Some(Value::String(s))) => CustomValue::Text(s.clone()),
        _ => CustomValue::Missing,
    }
}

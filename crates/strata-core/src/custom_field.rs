//! Custom fields defined at run time (no migration): their definitions and the validation every
//! write goes through. Values are stored as JSON typed by the definition.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    date::parse_date,
    money::{parse_money, Currency},
    text::{clean_text, non_empty},
    ValueError,
};

crate::labelled_enum!(
    /// The type of a custom field.
    FieldKind, "custom field type", {
    Text => ("text", "文本", "text", ["string"]),
    Number => ("number", "数字", "number", ["数值"]),
    Money => ("money", "金额", "money", ["amount"]),
    Date => ("date", "日期", "date", []),
    Enum => ("enum", "单选", "single choice", ["选项"]),
    MultiEnum => ("multi_enum", "多选", "multiple choice", ["multi"]),
    Bool => ("bool", "是否", "yes/no", ["boolean", "布尔"]),
});

/// A custom field's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldDef {
    /// The key used in files, rules and the API (letters incl. Chinese, digits, `_`).
    pub key: String,
    /// What people see.
    pub label: String,
    pub kind: FieldKind,
    /// Allowed values of `enum` and `multi_enum` fields.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// Names of built-in customer fields that a custom field may not shadow.
pub const RESERVED_KEYS: [&str; 22] = [
    "id",
    "external_id",
    "kind",
    "name",
    "canonical_name",
    "credit_code",
    "industry",
    "province",
    "city",
    "source_channel",
    "owner",
    "owner_id",
    "team",
    "team_id",
    "lifecycle_stage",
    "phone",
    "email",
    "tags",
    "custom",
    "since",
    "created_at",
    "updated_at",
];

impl CustomFieldDef {
    /// Checks the definition itself.
    pub fn validate(&self) -> Result<(), ValueError> {
        let key_ok = !self.key.is_empty()
            && self.key.chars().count() <= 64
            && self.key.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && self.key.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !key_ok {
            return Err(ValueError::new(
                "invalid_field_key",
                format!("`{}` is not a valid field key; use letters, digits and _ (e.g. `annual_budget` or `年采购额`)", self.key),
            )
            .zh(format!("`{}` 不能作字段键；请只用字母、数字和 _（如 `annual_budget` 或 `年采购额`）", self.key)));
        }
        if RESERVED_KEYS.contains(&self.key.as_str()) {
            return Err(ValueError::new("reserved_field_key", format!("`{}` is a built-in field; choose another key", self.key))
                .zh(format!("`{}` 是内置字段；请换一个键", self.key)));
        }
        if self.label.trim().is_empty() {
            return Err(ValueError::new("invalid_field_label", format!("field `{}` needs a label", self.key))
                .zh(format!("字段 `{}` 需要名称", self.key)));
        }
        let choice = matches!(self.kind, FieldKind::Enum | FieldKind::MultiEnum);
        if choice && self.options.is_empty() {
            return Err(ValueError::new("missing_options", format!("choice field `{}` needs at least one option", self.key))
                .zh(format!("选项字段 `{}` 至少需要一个选项", self.key)));
        }
        if !choice && !self.options.is_empty() {
            return Err(ValueError::new("unexpected_options", format!("field `{}` is not a choice field; remove its options", self.key))
                .zh(format!("字段 `{}` 不是选项字段；请去掉选项", self.key)));
        }
        let mut seen = std::collections::HashSet::new();
        for o in &self.options {
            if clean_text(o).is_empty() || !seen.insert(clean_text(o)) {
                return Err(ValueError::new("invalid_options", format!("field `{}` has an empty or repeated option `{o}`", self.key))
                    .zh(format!("字段 `{}` 有空的或重复的选项 `{o}`", self.key)));
            }
        }
        Ok(())
    }

    fn option(&self, raw: &str) -> Result<String, ValueError> {
        let t = clean_text(raw);
        self.options.iter().find(|o| clean_text(o) == t || o.eq_ignore_ascii_case(&t)).cloned().ok_or_else(|| {
            ValueError::new(
                "unknown_option",
                format!("`{t}` is not an option of `{}`; use one of: {}", self.label, self.options.join(", ")),
            )
            .zh(format!("`{t}` 不是「{}」的选项；可选：{}", self.label, self.options.join("、")))
        })
    }

    /// Parses a spreadsheet cell into the stored JSON value; `Ok(None)` for an empty cell.
    pub fn parse_cell(&self, raw: &str) -> Result<Option<Value>, ValueError> {
        let Some(t) = non_empty(raw) else {
            return Ok(None);
        };
        let v = match self.kind {
            FieldKind::Text => Value::String(t),
            FieldKind::Number => {
                let n: f64 = t
                    .replace(',', "")
                    .parse()
                    .map_err(|_| ValueError::new("invalid_number", format!("`{t}` is not a number")).zh(format!("`{t}` 不是数字")))?;
                if !n.is_finite() {
                    return Err(
                        ValueError::new("invalid_number", format!("`{t}` is not a finite number")).zh(format!("`{t}` 不是有限的数字"))
                    );
                }
                serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null)
            }
            FieldKind::Money => Value::from(parse_money(&t, Currency::CNY)?.cents),
            FieldKind::Date => Value::String(parse_date(&t)?.to_string()),
            FieldKind::Enum => Value::String(self.option(&t)?),
            FieldKind::MultiEnum => {
                let mut vals = Vec::new();
                for part in crate::customer::parse_tags(&t) {
                    let o = self.option(&part)?;
                    if !vals.contains(&o) {
                        vals.push(o);
                    }
                }
                Value::from(vals)
            }
            FieldKind::Bool => Value::Bool(parse_bool(&t)?),
        };
        Ok(Some(v))
    }

    /// Validates a JSON value sent through the API; returns the normalised stored value.
    pub fn check_json(&self, v: &Value) -> Result<Option<Value>, ValueError> {
        let wrong = |what: &str| {
            ValueError::new("invalid_custom_value", format!("field `{}` expects {what}, got {v}", self.key))
                .zh(format!("字段 `{}` 需要 {what}，收到的是 {v}", self.key))
        };
        match (self.kind, v) {
            (_, Value::Null) => Ok(None),
            (FieldKind::Text, Value::String(_)) => self.parse_cell(v.as_str().unwrap_or_default()),
            (FieldKind::Number, Value::Number(_)) => Ok(Some(v.clone())),
            (FieldKind::Money, Value::Number(n)) => n.as_i64().map(|c| Some(Value::from(c))).ok_or_else(|| wrong("integer cents")),
            (FieldKind::Bool, Value::Bool(_)) => Ok(Some(v.clone())),
            (FieldKind::Date | FieldKind::Enum | FieldKind::Money | FieldKind::Number | FieldKind::Bool, Value::String(s)) => {
                self.parse_cell(s)
            }
            (FieldKind::MultiEnum, Value::Array(items)) => {
                let mut vals = Vec::new();
                for i in items {
                    let s = i.as_str().ok_or_else(|| wrong("a list of options"))?;
                    let o = self.option(s)?;
                    if !vals.contains(&o) {
                        vals.push(o);
                    }
                }
                Ok(Some(Value::from(vals)))
            }
            (FieldKind::MultiEnum, _) => Err(wrong("a list of options")),
            (FieldKind::Number | FieldKind::Money, _) => Err(wrong("a number")),
            (FieldKind::Bool, _) => Err(wrong("true or false")),
            _ => Err(wrong("text")),
        }
    }
}

/// 是/否, yes/no, true/false, 1/0, y/n, √/×.
pub fn parse_bool(raw: &str) -> Result<bool, ValueError> {
    match clean_text(raw).to_lowercase().as_str() {
        "是" | "yes" | "y" | "true" | "1" | "√" | "✓" | "有" | "对" => Ok(true),
        "否" | "no" | "n" | "false" | "0" | "×" | "✗" | "无" | "不是" => Ok(false),
        other => Err(ValueError::new("invalid_bool", format!("`{other}` is not yes/no; write 是 or 否 (yes or no)"))
            .zh(format!("`{other}` 不是是/否；请写 是 或 否"))),
    }
}

/// Checks a full set of custom values against the definitions: unknown keys and missing required
/// fields are errors. Returns the normalised values.
pub fn check_custom_values(
    defs: &[CustomFieldDef],
    values: &serde_json::Map<String, Value>,
) -> Result<std::collections::BTreeMap<String, Value>, ValueError> {
    let mut out = std::collections::BTreeMap::new();
    for (k, v) in values {
        let def = defs.iter().find(|d| &d.key == k).ok_or_else(|| {
            let known: Vec<&str> = defs.iter().map(|d| d.key.as_str()).collect();
            ValueError::new("unknown_custom_field", format!("`{k}` is not a custom field; defined fields: {}", known.join(", ")))
                .zh(format!("`{k}` 不是自定义字段；已定义：{}", known.join("、")))
        })?;
        if let Some(v) = def.check_json(v)? {
            out.insert(k.clone(), v);
        }
    }
    for d in defs.iter().filter(|d| d.required) {
        if !out.contains_key(&d.key) {
            return Err(ValueError::new("missing_custom_field", format!("custom field `{}` ({}) is required", d.key, d.label))
                .zh(format!("自定义字段「{}」（{}）必填", d.label, d.key)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: FieldKind, options: &[&str]) -> CustomFieldDef {
        CustomFieldDef {
            key: "f".into(),
            label: "字段".into(),
            kind,
            options: options.iter().map(|s| s.to_string()).collect(),
            required: false,
        }
    }

    #[test]
    fn parses_cells_by_kind() {
        let cases: Vec<(CustomFieldDef, &str, Value)> = vec![
            (def(FieldKind::Text, &[]), " 你好 ", json!("你好")),
            (def(FieldKind::Number, &[]), "1,234.5", json!(1234.5)),
            (def(FieldKind::Money, &[]), "¥1.5万", json!(1_500_000)),
            (def(FieldKind::Date, &[]), "2024年3月1日", json!("2024-03-01")),
            (def(FieldKind::Enum, &["华南", "华北"]), "华南", json!("华南")),
            (def(FieldKind::MultiEnum, &["A", "B", "C"]), "a、C,A", json!(["A", "C"])),
            (def(FieldKind::Bool, &[]), "是", json!(true)),
            (def(FieldKind::Bool, &[]), "N", json!(false)),
        ];
        for (d, raw, want) in cases {
            assert_eq!(d.parse_cell(raw).unwrap(), Some(want), "{:?} {raw:?}", d.kind);
        }
        assert_eq!(def(FieldKind::Number, &[]).parse_cell("  ").unwrap(), None);
    }

    #[test]
    fn rejects_bad_cells() {
        let cases: Vec<(CustomFieldDef, &str, &str)> = vec![
            (def(FieldKind::Number, &[]), "many", "invalid_number"),
            (def(FieldKind::Number, &[]), "inf", "invalid_number"),
            (def(FieldKind::Date, &[]), "soon", "invalid_date"),
            (def(FieldKind::Enum, &["华南"]), "华东", "unknown_option"),
            (def(FieldKind::Bool, &[]), "maybe", "invalid_bool"),
        ];
        for (d, raw, code) in cases {
            assert_eq!(d.parse_cell(raw).unwrap_err().code, code, "{:?} {raw:?}", d.kind);
        }
    }

    #[test]
    fn validates_definitions() {
        let mut d = def(FieldKind::Text, &[]);
        assert!(d.validate().is_ok());
        d.key = "年采购额".into();
        assert!(d.validate().is_ok());
        for (key, code) in [("name", "reserved_field_key"), ("9x", "invalid_field_key"), ("a-b", "invalid_field_key")] {
            d.key = key.into();
            assert_eq!(d.validate().unwrap_err().code, code, "{key}");
        }
        assert_eq!(def(FieldKind::Enum, &[]).validate().unwrap_err().code, "missing_options");
        assert_eq!(def(FieldKind::Enum, &["a", "a"]).validate().unwrap_err().code, "invalid_options");
    }

    #[test]
    fn checks_json_values() {
        let defs = vec![
            CustomFieldDef { required: true, ..def(FieldKind::Money, &[]) },
            CustomFieldDef { key: "g".into(), ..def(FieldKind::MultiEnum, &["x", "y"]) },
        ];
        let ok = check_custom_values(&defs, json!({"f": 100, "g": ["y"]}).as_object().unwrap()).unwrap();
        assert_eq!(ok.get("f"), Some(&json!(100)));
        let e = check_custom_values(&defs, json!({"g": ["y"]}).as_object().unwrap()).unwrap_err();
        assert_eq!(e.code, "missing_custom_field");
        let e = check_custom_values(&defs, json!({"f": 1, "zzz": 1}).as_object().unwrap()).unwrap_err();
        assert_eq!(e.code, "unknown_custom_field");
        let e = check_custom_values(&defs, json!({"f": 1.5}).as_object().unwrap()).unwrap_err();
        assert_eq!(e.code, "invalid_custom_value");
    }
}

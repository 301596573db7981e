//! Header → field mapping: automatic from synonyms, overridable per header, checked for gaps.

use std::collections::BTreeMap;

use serde::Serialize;

use super::entity::{Entity, FieldSpec};
use crate::{custom_field::CustomFieldDef, text::clean_text};

/// Where a column's values go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum Target {
    Field(&'static str),
    Custom(String),
    Ignore,
}

/// One column of the file and where it goes.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub header: String,
    pub target: Target,
    /// Amount columns headed "金额(万元)" hold 万: values are multiplied by 10^unit_pow.
    pub unit_pow: u32,
}

/// The resolved mapping of a file's header row.
#[derive(Debug, Clone, Serialize)]
pub struct Mapping {
    pub entity: Entity,
    pub columns: Vec<Column>,
    /// The column of each of the entity's fields, in the order of [`Entity::fields`]: every
    /// row asks for its fields by key, so the answer is worked out once.
    #[serde(skip)]
    slots: Vec<Option<usize>>,
}

/// Why a header row cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum MappingError {
    #[error("the file has no header row")]
    NoHeader,
    #[error("required column `{field}` ({label}) is missing; found columns: {found}. Name a column `{label}` or map one to `{field}` in a mapping file")]
    MissingField { field: &'static str, label: &'static str, found: String },
    #[error("{entity} rows need a customer: add a `客户编号` (customer_external_id) or `客户名称` (customer_name) column")]
    MissingCustomerRef { entity: Entity },
    #[error("columns `{first}` and `{second}` both map to `{field}`; map one of them to `ignore` in a mapping file")]
    DuplicateField { field: String, first: String, second: String },
    #[error("the mapping file maps `{header}` to `{target}`, which is not a field of {entity}; fields: {known}")]
    UnknownTarget { header: String, target: String, entity: Entity, known: String },
    #[error("the mapping file names column `{header}`, which is not in the file; columns: {found}")]
    UnknownHeader { header: String, found: String },
}

impl MappingError {
    /// The same in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            MappingError::NoHeader => "文件没有表头行".into(),
            MappingError::MissingField { field, label, found } => {
                format!("缺少必填列「{label}」（{field}）；文件中的列：{found}。请把一列命名为「{label}」，或在映射文件里把某列对应到 `{field}`")
            }
            MappingError::MissingCustomerRef { entity } => {
                format!("{}需要指明客户：请加一列「客户编号」或「客户名称」", entity.label_zh())
            }
            MappingError::DuplicateField { field, first, second } => {
                format!("列「{first}」和「{second}」都对应到 `{field}`；请在映射文件里把其中一列设为 `ignore`")
            }
            MappingError::UnknownTarget { header, target, entity, known } => {
                format!("映射文件把「{header}」对应到 `{target}`，但{}没有这个字段；可用字段：{known}", entity.label_zh())
            }
            MappingError::UnknownHeader { header, found } => format!("映射文件提到的列「{header}」不在文件里；文件中的列：{found}"),
        }
    }
}

/// Folds a header for comparison: cleaned, lower-case, without spaces, `_`, `-`, `*` and a
/// trailing "(必填)" / "（选填）" note.
pub fn fold_header(h: &str) -> String {
    let mut s = clean_text(h).to_lowercase().replace(['（', '【'], "(").replace(['）', '】'], ")");
    for note in ["(必填)", "(选填)", "(可选)", "(required)", "(optional)", "(元)", "(万元)", "(万)", "(人民币)"] {
        s = s.replace(note, "");
    }
    s.chars().filter(|c| !matches!(c, ' ' | '_' | '-' | '*' | ':' | '：')).collect()
}

fn unit_pow_of(header: &str) -> u32 {
    let h = clean_text(header).replace(['（', '）'], "");
    if h.contains("(万元)") || h.contains("万元") || h.ends_with("(万)") {
        4
    } else {
        0
    }
}

impl Mapping {
    /// The field keys the mapped columns supply (`custom` for custom-field columns): on an
    /// update only these columns change.
    pub fn field_keys(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter_map(|c| match &c.target {
                Target::Field(k) => Some(k.to_string()),
                Target::Custom(_) => Some("custom".into()),
                Target::Ignore => None,
            })
            .collect()
    }

    /// Resolves `headers` for `entity`. `overrides` maps a header (as written) to a field key,
    /// `custom:<key>` / a custom field key, or `ignore`. Headers that match nothing are ignored
    /// (see [`Mapping::unmapped`]).
    pub fn resolve(
        entity: Entity,
        headers: &[String],
        overrides: &BTreeMap<String, String>,
        custom_fields: &[CustomFieldDef],
    ) -> Result<Mapping, MappingError> {
        if headers.iter().all(|h| clean_text(h).is_empty()) {
            return Err(MappingError::NoHeader);
        }
        let fields = entity.fields();
        let found = || headers.iter().map(|h| clean_text(h)).collect::<Vec<_>>().join(", ");
        for header in overrides.keys() {
            if !headers.iter().any(|h| clean_text(h) == clean_text(header)) {
                return Err(MappingError::UnknownHeader { header: header.clone(), found: found() });
            }
        }
        let mut columns = Vec::with_capacity(headers.len());
        for h in headers {
            let target = match overrides.iter().find(|(k, _)| clean_text(k) == clean_text(h)) {
                Some((_, t)) => resolve_override(entity, fields, custom_fields, h, t)?,
                None => auto_target(entity, fields, custom_fields, h),
            };
            columns.push(Column { header: clean_text(h), target, unit_pow: unit_pow_of(h) });
        }
        // The same field from two columns: the first one wins only if the user says so.
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for c in &columns {
            let key = match &c.target {
                Target::Field(k) => k.to_string(),
                Target::Custom(k) => format!("custom:{k}"),
                Target::Ignore => continue,
            };
            if let Some(first) = seen.insert(key.clone(), &c.header) {
                return Err(MappingError::DuplicateField { field: key, first: first.to_string(), second: c.header.clone() });
            }
        }
        let slots = fields.iter().map(|f| columns.iter().position(|c| c.target == Target::Field(f.key))).collect();
        let mapping = Mapping { entity, columns, slots };
        for spec in fields.iter().filter(|s| s.required) {
            if mapping.index_of(spec.key).is_none() {
                return Err(MappingError::MissingField { field: spec.key, label: spec.label_zh, found: found() });
            }
        }
        if entity.has_customer_ref() && mapping.index_of("customer_external_id").is_none() && mapping.index_of("customer_name").is_none() {
            return Err(MappingError::MissingCustomerRef { entity });
        }
        Ok(mapping)
    }

    /// The column index holding `field`.
    pub fn index_of(&self, field: &str) -> Option<usize> {
        let at = self.entity.fields().iter().position(|f| f.key == field)?;
        self.slots.get(at).copied().flatten()
    }

    /// Headers that were not mapped to anything.
    pub fn unmapped(&self) -> Vec<&str> {
        self.columns.iter().filter(|c| c.target == Target::Ignore).map(|c| c.header.as_str()).collect()
    }
}

fn auto_target(entity: Entity, fields: &[FieldSpec], custom: &[CustomFieldDef], header: &str) -> Target {
    let h = fold_header(header);
    if h.is_empty() {
        return Target::Ignore;
    }
    if let Some(spec) = fields.iter().find(|s| fold_header(s.key) == h || s.synonyms.iter().any(|syn| fold_header(syn) == h)) {
        return Target::Field(spec.key);
    }
    if entity == Entity::Customers {
        if let Some(d) = custom.iter().find(|d| fold_header(&d.key) == h || fold_header(&d.label) == h) {
            return Target::Custom(d.key.clone());
        }
    }
    Target::Ignore
}

fn resolve_override(
    entity: Entity,
    fields: &[FieldSpec],
    custom: &[CustomFieldDef],
    header: &str,
    target: &str,
) -> Result<Target, MappingError> {
    let t = clean_text(target);
    if t == "ignore" || t == "忽略" {
        return Ok(Target::Ignore);
    }
    if let Some(spec) = fields.iter().find(|s| s.key == t) {
        return Ok(Target::Field(spec.key));
    }
    let custom_key = t.strip_prefix("custom:").unwrap_or(&t);
    if entity == Entity::Customers {
        if let Some(d) = custom.iter().find(|d| d.key == custom_key) {
            return Ok(Target::Custom(d.key.clone()));
        }
    }
    let mut known: Vec<String> = fields.iter().map(|s| s.key.to_string()).collect();
    if entity == Entity::Customers {
        known.extend(custom.iter().map(|d| format!("custom:{}", d.key)));
    }
    known.push("ignore".into());
    Err(MappingError::UnknownTarget { header: clean_text(header), target: t, entity, known: known.join(", ") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom_field::FieldKind;

    fn headers(hs: &[&str]) -> Vec<String> {
        hs.iter().map(|s| s.to_string()).collect()
    }

    fn targets(m: &Mapping) -> Vec<Target> {
        m.columns.iter().map(|c| c.target.clone()).collect()
    }

    #[test]
    fn maps_chinese_and_english_headers() {
        let cases: Vec<(Entity, Vec<&str>, Vec<Target>)> = vec![
            (
                Entity::Customers,
                vec!["客户名称*", "手机", "所属行业", "备注"],
                vec![Target::Field("name"), Target::Field("phone"), Target::Field("industry"), Target::Ignore],
            ),
            (
                Entity::Orders,
                vec!["订单号", "客户编号", "下单日期", "金额（元）", "状态"],
                vec![
                    Target::Field("external_id"),
                    Target::Field("customer_external_id"),
                    Target::Field("order_date"),
                    Target::Field("amount"),
                    Target::Field("status"),
                ],
            ),
            (
                Entity::Orders,
                vec!["order_id", "customer_id", "order_date", "amount"],
                vec![
                    Target::Field("external_id"),
                    Target::Field("customer_external_id"),
                    Target::Field("order_date"),
                    Target::Field("amount"),
                ],
            ),
            (
                Entity::Contacts,
                vec!["客户名称", "联系人", "手机号码", "微信号"],
                vec![Target::Field("customer_name"), Target::Field("name"), Target::Field("mobile"), Target::Field("wechat")],
            ),
        ];
        for (entity, hs, want) in cases {
            let m = Mapping::resolve(entity, &headers(&hs), &BTreeMap::new(), &[]).unwrap();
            assert_eq!(targets(&m), want, "{entity} {hs:?}");
        }
    }

    #[test]
    fn reads_wan_units_from_headers() {
        let m = Mapping::resolve(Entity::Orders, &headers(&["订单号", "客户", "日期", "金额(万元)"]), &BTreeMap::new(), &[]).unwrap();
        assert_eq!(m.columns[3].unit_pow, 4);
        assert_eq!(m.columns[3].target, Target::Field("amount"));
    }

    #[test]
    fn overrides_and_custom_fields() {
        let custom = vec![CustomFieldDef {
            key: "annual_budget".into(),
            label: "年度预算".into(),
            kind: FieldKind::Money,
            options: vec![],
            required: false,
        }];
        let mut ov = BTreeMap::new();
        ov.insert("公司".to_string(), "name".to_string());
        ov.insert("备注".to_string(), "ignore".to_string());
        let m = Mapping::resolve(Entity::Customers, &headers(&["公司", "年度预算", "备注"]), &ov, &custom).unwrap();
        assert_eq!(targets(&m), vec![Target::Field("name"), Target::Custom("annual_budget".into()), Target::Ignore]);
    }

    #[test]
    fn reports_mapping_errors() {
        let none = BTreeMap::new();
        let e = Mapping::resolve(Entity::Orders, &headers(&["订单号", "客户编号", "金额"]), &none, &[]).unwrap_err();
        assert!(matches!(e, MappingError::MissingField { field: "order_date", .. }), "{e}");
        assert!(e.to_string().contains("found columns: 订单号, 客户编号, 金额"), "{e}");
        let e = Mapping::resolve(Entity::Orders, &headers(&["订单号", "日期", "金额"]), &none, &[]).unwrap_err();
        assert!(matches!(e, MappingError::MissingCustomerRef { .. }), "{e}");
        let e = Mapping::resolve(Entity::Customers, &headers(&["客户名称", "公司名称"]), &none, &[]).unwrap_err();
        assert!(matches!(e, MappingError::DuplicateField { .. }), "{e}");
        let mut ov = BTreeMap::new();
        ov.insert("客户名称".to_string(), "nmae".to_string());
        let e = Mapping::resolve(Entity::Customers, &headers(&["客户名称"]), &ov, &[]).unwrap_err();
        assert!(matches!(e, MappingError::UnknownTarget { .. }), "{e}");
        let mut ov = BTreeMap::new();
        ov.insert("不存在".to_string(), "name".to_string());
        let e = Mapping::resolve(Entity::Customers, &headers(&["客户名称"]), &ov, &[]).unwrap_err();
        assert!(matches!(e, MappingError::UnknownHeader { .. }), "{e}");
        assert_eq!(Mapping::resolve(Entity::Customers, &headers(&["", " "]), &none, &[]).unwrap_err(), MappingError::NoHeader);
    }
}

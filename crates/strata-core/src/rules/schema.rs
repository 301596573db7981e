//! What rules can name: customer attributes (built-in and custom fields), event kinds and
//! their fields, functions and tier models, each with Chinese and English names.

use crate::{metrics::EventKind, tiering::TierLabel};

/// The types a rule expression can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Number,
    Text,
    Bool,
    Date,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Number => "a number",
            ValueType::Text => "text",
            ValueType::Bool => "a condition (true/false)",
            ValueType::Date => "a date",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ValueType::Number => "数字",
            ValueType::Text => "文本",
            ValueType::Bool => "条件（真/假）",
            ValueType::Date => "日期",
        }
    }
}

/// A customer attribute column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attr {
    Kind,
    Industry,
    Province,
    City,
    Source,
    Owner,
    Team,
    Lifecycle,
    Since,
    /// Custom field by its position in the schema.
    Custom(u16),
}

/// Built-in attributes: canonical name, other names, type.
pub const BUILTIN_ATTRS: [(Attr, &str, &[&str], ValueType); 9] = [
    (Attr::Kind, "kind", &["客户类型", "类型"], ValueType::Text),
    (Attr::Industry, "industry", &["行业"], ValueType::Text),
    (Attr::Province, "province", &["省份", "省"], ValueType::Text),
    (Attr::City, "city", &["城市", "市"], ValueType::Text),
    (Attr::Source, "source", &["来源", "来源渠道", "source_channel"], ValueType::Text),
    (Attr::Owner, "owner", &["负责人", "销售", "客户经理"], ValueType::Text),
    (Attr::Team, "team", &["团队", "部门"], ValueType::Text),
    (Attr::Lifecycle, "lifecycle", &["生命周期", "生命周期阶段", "lifecycle_stage"], ValueType::Text),
    (Attr::Since, "since", &["客户起始日", "成为客户日期", "首次合作日期"], ValueType::Date),
];

/// Event kinds by name (singular, plural, Chinese).
pub fn event_kind(name: &str) -> Option<EventKind> {
    Some(match name.to_ascii_lowercase().as_str() {
        "orders" | "order" | "订单" => EventKind::Orders,
        "payments" | "payment" | "回款" | "付款" => EventKind::Payments,
        "interactions" | "interaction" | "互动" | "跟进" | "联系" => EventKind::Interactions,
        "deals" | "deal" | "商机" => EventKind::Deals,
        "tickets" | "ticket" | "工单" => EventKind::Tickets,
        "feedback" | "反馈" | "评价" => EventKind::Feedback,
        _ => return None,
    })
}

/// Every accepted event kind name (for suggestions).
pub const EVENT_NAMES: [&str; 12] =
    ["orders", "payments", "interactions", "deals", "tickets", "feedback", "订单", "回款", "互动", "商机", "工单", "反馈"];

/// A field of an event kind: numeric (index into `EventKind::numbers`) or category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventField {
    Num(usize),
    Cat(usize),
}

fn field_alias(name: &str) -> &str {
    match name {
        "金额" => "amount",
        "产品线" | "产品" => "product_line",
        "方式" | "支付方式" => "method",
        "渠道" => "channel",
        "结果" => "outcome",
        "阶段" => "stage",
        "类别" | "分类" => "category",
        "级别" | "严重程度" => "severity",
        "响应时长" => "response_hours",
        "解决时长" => "resolution_hours",
        "满意度" => "satisfaction",
        other => other,
    }
}

/// A field of `kind` by name.
pub fn event_field(kind: EventKind, name: &str) -> Option<EventField> {
    let name = field_alias(name);
    let lower = name.to_ascii_lowercase();
    if let Some(i) = kind.numbers().iter().position(|f| *f == lower) {
        return Some(EventField::Num(i));
    }
    kind.categories().iter().position(|f| *f == lower).map(EventField::Cat)
}

/// A custom field as rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomAttr {
    pub key: String,
    pub label: String,
    pub ty: ValueType,
}

/// A tier model rules may refer to with `tier("…")`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRef {
    pub key: String,
    pub name: String,
    pub tiers: Vec<TierLabel>,
}

/// Everything a rule can name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    pub custom: Vec<CustomAttr>,
    pub models: Vec<ModelRef>,
    /// The purchase-model fits in force: `p_alive`, `expected_orders(…)` and `clv(…)` need them.
    pub forecast: crate::predict::Forecast,
}

impl Schema {
    /// A customer attribute by name: built-in (any of its names) or custom (key or label).
    pub fn attr(&self, name: &str) -> Option<(Attr, ValueType)> {
        let lower = name.to_ascii_lowercase();
        for (attr, canonical, aliases, ty) in BUILTIN_ATTRS {
            if canonical == lower || aliases.contains(&name) {
                return Some((attr, ty));
            }
        }
        self.custom.iter().position(|c| c.key == name || c.label == name).map(|i| (Attr::Custom(i as u16), self.custom[i].ty))
    }

    /// Every attribute name (for suggestions).
    pub fn attr_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = BUILTIN_ATTRS.iter().flat_map(|(_, c, a, _)| std::iter::once(*c).chain(a.iter().copied())).collect();
        names.extend(self.custom.iter().flat_map(|c| [c.key.as_str(), c.label.as_str()]));
        names
    }

    pub fn model(&self, name: &str) -> Option<usize> {
        self.models.iter().position(|m| m.key == name || m.name == name)
    }
}

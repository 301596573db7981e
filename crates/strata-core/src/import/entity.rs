//! The importable entities and their fields, with the Chinese and English header synonyms.

use serde::{Deserialize, Serialize};

/// One field of an importable entity.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label_zh: &'static str,
    pub required: bool,
    /// Header texts that map to this field (compared after [`super::mapping::fold_header`]).
    pub synonyms: &'static [&'static str],
}

const fn f(key: &'static str, label_zh: &'static str, required: bool, synonyms: &'static [&'static str]) -> FieldSpec {
    FieldSpec { key, label_zh, required, synonyms }
}

/// What an import file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Customers,
    Contacts,
    Orders,
    Payments,
    Interactions,
    Deals,
    Tickets,
    Feedback,
}

const CUSTOMER_ID: FieldSpec = f(
    "customer_external_id",
    "客户编号",
    false,
    &["客户编号", "客户id", "客户代码", "客户号", "customer_id", "customerid", "customer_no", "customer external id"],
);
const CUSTOMER_NAME: FieldSpec = f(
    "customer_name",
    "客户名称",
    false,
    &["客户名称", "客户", "公司名称", "公司", "企业名称", "单位名称", "customer", "customer_name", "company", "company name"],
);

const CUSTOMERS: &[FieldSpec] = &[
    f(
        "external_id",
        "客户编号",
        false,
        &["客户编号", "客户id", "客户代码", "客户号", "编号", "id", "customer_id", "customerid", "external_id", "customer no"],
    ),
    f("kind", "客户类型", false, &["客户类型", "类型", "客户性质", "kind", "type", "customer type"]),
    f(
        "name",
        "客户名称",
        true,
        &[
            "客户名称",
            "公司名称",
            "企业名称",
            "单位名称",
            "客户",
            "名称",
            "姓名",
            "name",
            "company",
            "company name",
            "customer name",
            "customer",
        ],
    ),
    f(
        "credit_code",
        "统一社会信用代码",
        false,
        &["统一社会信用代码", "社会信用代码", "信用代码", "税号", "纳税人识别号", "credit_code", "uscc", "tax id"],
    ),
    f("industry", "行业", false, &["行业", "所属行业", "行业类型", "industry"]),
    f("province", "省份", false, &["省份", "省", "所在省份", "所在省", "province", "state"]),
    f("city", "城市", false, &["城市", "市", "所在城市", "所在市", "city"]),
    f("source_channel", "来源渠道", false, &["来源渠道", "客户来源", "来源", "渠道", "source", "source channel", "lead source"]),
    f("owner", "负责人", false, &["负责人", "归属销售", "销售", "业务员", "客户经理", "跟进人", "owner", "sales rep", "account owner"]),
    f("team", "团队", false, &["团队", "部门", "所属部门", "所属团队", "team", "department"]),
    f("lifecycle_stage", "生命周期", false, &["生命周期", "生命周期阶段", "客户阶段", "阶段", "lifecycle", "lifecycle stage", "stage"]),
    f("phone", "电话", false, &["电话", "手机", "手机号", "手机号码", "联系电话", "联系方式", "mobile", "phone", "tel", "telephone"]),
    f("email", "邮箱", false, &["邮箱", "电子邮件", "电子邮箱", "邮件", "email", "e-mail", "mail"]),
    f("tags", "标签", false, &["标签", "客户标签", "tags", "tag", "labels"]),
    f(
        "since",
        "建档日期",
        false,
        &["建档日期", "创建日期", "创建时间", "合作开始日期", "首次合作日期", "created_at", "created", "since", "customer since"],
    ),
];

const CONTACTS: &[FieldSpec] = &[
    f("external_id", "联系人编号", false, &["联系人编号", "联系人id", "contact_id", "contact id", "id"]),
    CUSTOMER_ID,
    CUSTOMER_NAME,
    f("name", "联系人", true, &["联系人", "联系人姓名", "姓名", "name", "contact", "contact name"]),
    f("title", "职位", false, &["职位", "职务", "title", "position", "job title"]),
    f("mobile", "手机", false, &["手机", "手机号", "手机号码", "mobile", "cell", "cellphone"]),
    f("landline", "座机", false, &["座机", "固话", "固定电话", "办公电话", "电话", "landline", "office phone", "tel", "phone"]),
    f("email", "邮箱", false, &["邮箱", "电子邮件", "电子邮箱", "email", "e-mail", "mail"]),
    f("wechat", "微信", false, &["微信", "微信号", "wechat", "weixin", "wechat id"]),
];

const ORDERS: &[FieldSpec] = &[
    f(
        "external_id",
        "订单编号",
        true,
        &["订单编号", "订单号", "单号", "订单id", "order_id", "orderid", "order id", "order no", "order number", "id"],
    ),
    CUSTOMER_ID,
    CUSTOMER_NAME,
    f("order_date", "下单日期", true, &["下单日期", "订单日期", "下单时间", "日期", "order_date", "order date", "date"]),
    f("amount", "金额", true, &["金额", "订单金额", "总金额", "实付金额", "成交金额", "amount", "total", "order amount"]),
    f("currency", "币种", false, &["币种", "货币", "currency"]),
    f("product_line", "产品线", false, &["产品线", "产品", "产品类别", "product_line", "product line", "product"]),
    f("status", "状态", false, &["状态", "订单状态", "status", "order status"]),
];

const PAYMENTS: &[FieldSpec] = &[
    f("external_id", "回款编号", true, &["回款编号", "收款编号", "流水号", "回款单号", "payment_id", "payment id", "payment no", "id"]),
    CUSTOMER_ID,
    CUSTOMER_NAME,
    f("order_external_id", "订单编号", false, &["订单编号", "订单号", "关联订单", "order_id", "order id", "order no"]),
    f("paid_on", "回款日期", true, &["回款日期", "收款日期", "到账日期", "日期", "paid_on", "payment date", "date"]),
    f("amount", "回款金额", true, &["回款金额", "收款金额", "金额", "amount"]),
    f("currency", "币种", false, &["币种", "货币", "currency"]),
    f("method", "付款方式", false, &["付款方式", "收款方式", "支付方式", "方式", "method", "payment method"]),
];

const INTERACTIONS: &[FieldSpec] = &[
    f("external_id", "记录编号", false, &["记录编号", "跟进编号", "interaction_id", "id"]),
    CUSTOMER_ID,
    CUSTOMER_NAME,
    f("channel", "跟进方式", true, &["跟进方式", "沟通方式", "方式", "渠道", "channel", "type"]),
    f("user", "跟进人", false, &["跟进人", "负责人", "销售", "user", "by", "owner"]),
    f("occurred_at", "跟进时间", true, &["跟进时间", "跟进日期", "时间", "日期", "occurred_at", "date", "time", "when"]),
    f("summary", "跟进内容", false, &["跟进内容", "沟通内容", "内容", "摘要", "summary", "notes", "content"]),
    f("outcome", "跟进结果", false, &["跟进结果", "结果", "outcome", "result"]),
    f(
        "next_follow_up",
        "下次跟进日期",
        false,
        &["下次跟进日期", "下次跟进时间", "下次跟进", "next_follow_up", "next follow-up", "next follow up"],
    ),
];

const DEALS: &[FieldSpec] = &[
    f("external_id", "商机编号", false, &["商机编号", "商机id", "deal_id", "deal id", "id"]),
    CUSTOMER_ID,
    CUSTOMER_NAME,
    f("title", "商机名称", true, &["商机名称", "项目名称", "名称", "title", "deal name", "name"]),
    f("stage", "商机阶段", true, &["商机阶段", "销售阶段", "阶段", "stage"]),
    f("amount", "商机金额", false, &["商机金额", "预计金额", "金额", "amount"]),
    f("currency", "币种", false, &["币种", "货币", "currency"]),
    f("expected_close", "预计成交日期", false, &["预计成交日期", "预计签约日期", "expected_close", "expected close", "close date"]),
    f("owner", "负责人", false, &["负责人", "销售", "owner"]),
    f("budget", "预算", false, &["预算", "客户预算", "budget"]),
    f("authority", "决策人已参与", false, &["决策人已参与", "决策人", "是否决策人", "决策权", "authority"]),
    f("need", "需求", false, &["需求", "客户需求", "need"]),
    f("timing", "采购时间", false, &["采购时间", "预计采购时间", "timing"]),
    f("closed_on", "成交日期", false, &["成交日期", "关闭日期", "closed_on", "closed on"]),
    f("close_reason", "赢单/输单原因", false, &["赢单/输单原因", "输单原因", "赢单原因", "原因", "close_reason", "reason", "loss reason"]),
];

const TICKETS: &[FieldSpec] = &[
    f("external_id", "工单编号", false, &["工单编号", "工单号", "ticket_id", "ticket id", "ticket no", "id"]),
    CUSTOMER_ID,
    CUSTOMER_NAME,
    f("category", "问题类型", false, &["问题类型", "类别", "分类", "category"]),
    f("severity", "紧急程度", false, &["紧急程度", "优先级", "严重程度", "severity", "priority"]),
    f("status", "状态", false, &["状态", "工单状态", "status"]),
    f("opened_at", "创建时间", true, &["创建时间", "提交时间", "开单时间", "opened_at", "opened", "created"]),
    f("first_response_at", "首次响应时间", false, &["首次响应时间", "响应时间", "first_response_at", "first response"]),
    f("resolved_at", "解决时间", false, &["解决时间", "完成时间", "resolved_at", "resolved"]),
    f("satisfaction", "满意度", false, &["满意度", "评分", "satisfaction", "rating"]),
    f("summary", "问题描述", false, &["问题描述", "描述", "内容", "summary", "description"]),
];

const FEEDBACK: &[FieldSpec] = &[
    f("external_id", "反馈编号", false, &["反馈编号", "问卷编号", "feedback_id", "feedback id", "id"]),
    CUSTOMER_ID,
    CUSTOMER_NAME,
    f("received_on", "反馈日期", true, &["反馈日期", "调查日期", "日期", "received_on", "date"]),
    f("nps", "NPS", false, &["nps", "推荐值", "推荐意愿", "净推荐值", "nps score"]),
    f("csat", "满意度", false, &["csat", "满意度", "满意度评分"]),
    f("comment", "意见", false, &["意见", "评价", "备注", "comment", "comments"]),
];

impl Entity {
    pub const ALL: [Entity; 8] = [
        Entity::Customers,
        Entity::Contacts,
        Entity::Orders,
        Entity::Payments,
        Entity::Interactions,
        Entity::Deals,
        Entity::Tickets,
        Entity::Feedback,
    ];

    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Entity::Customers => CUSTOMERS,
            Entity::Contacts => CONTACTS,
            Entity::Orders => ORDERS,
            Entity::Payments => PAYMENTS,
            Entity::Interactions => INTERACTIONS,
            Entity::Deals => DEALS,
            Entity::Tickets => TICKETS,
            Entity::Feedback => FEEDBACK,
        }
    }

    /// The stable name, also the table name.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Customers => "customers",
            Entity::Contacts => "contacts",
            Entity::Orders => "orders",
            Entity::Payments => "payments",
            Entity::Interactions => "interactions",
            Entity::Deals => "deals",
            Entity::Tickets => "tickets",
            Entity::Feedback => "feedback",
        }
    }

    /// The kind of data in Chinese (客户, 订单, …).
    pub fn label_zh(self) -> &'static str {
        match self {
            Entity::Customers => "客户",
            Entity::Contacts => "联系人",
            Entity::Orders => "订单",
            Entity::Payments => "回款",
            Entity::Interactions => "跟进记录",
            Entity::Deals => "商机",
            Entity::Tickets => "工单",
            Entity::Feedback => "反馈",
        }
    }

    /// The field spec of `key`, if this kind of data has that field.
    pub fn field(self, key: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.key == key)
    }

    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.name() == s)
    }

    /// [`Entity::parse`], or an error naming every kind of data (in Chinese too).
    pub fn parse_named(s: &str) -> Result<Entity, crate::ValueError> {
        Entity::parse(s).ok_or_else(|| {
            let all: Vec<&str> = Entity::ALL.iter().map(|e| e.name()).collect();
            let all_zh: Vec<String> = Entity::ALL.iter().map(|e| format!("{}（{}）", e.name(), e.label_zh())).collect();
            crate::ValueError::new("unknown_entity", format!("unknown kind of data `{s}`; use one of: {}", all.join(", ")))
                .zh(format!("没有 `{s}` 这类数据；可选：{}", all_zh.join("、")))
        })
    }

    /// Whether rows belong to a customer (and so need a customer reference column).
    pub fn has_customer_ref(self) -> bool {
        self != Entity::Customers
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::mapping::fold_header;

    #[test]
    fn synonyms_are_unambiguous_within_an_entity() {
        for e in Entity::ALL {
            let mut seen = std::collections::HashMap::new();
            for field in e.fields() {
                for s in field.synonyms.iter().chain(std::iter::once(&field.key)) {
                    if let Some(other) = seen.insert(fold_header(s), field.key) {
                        assert_eq!(other, field.key, "{e}: `{s}` maps to both {other} and {}", field.key);
                    }
                }
            }
        }
    }
}

//! The web pages' words in Simplified Chinese (the default) and English, and which language a
//! request wants (`?lang=`, then the `strata_lang` cookie, then Chinese).

use std::collections::BTreeMap;

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// (key, Chinese, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("app", "客户分层管理系统", "Customer tiering"),
    ("customers", "客户", "Customers"),
    ("switch_lang", "English", "中文"),
    ("logout", "退出", "Log out"),
    ("login", "登录", "Log in"),
    ("login_name", "用户名", "Login"),
    ("password", "密码", "Password"),
    ("bad_login", "用户名或密码错误", "Wrong login or password"),
    ("throttled", "失败次数过多，请 {s} 秒后再试", "Too many failed logins; try again in {s} s"),
    ("role_admin", "管理员", "admin"),
    ("role_manager", "经理", "manager"),
    ("role_sales", "销售", "sales"),
    ("role_service", "客服", "service"),
    ("role_analyst", "分析师", "analyst"),
    ("search", "搜索", "Search"),
    ("search_hint", "名称、编号、电话", "name, number, phone"),
    ("province", "省份", "Province"),
    ("industry", "行业", "Industry"),
    ("tag", "标签", "Tag"),
    ("tags", "标签", "Tags"),
    ("sort", "排序", "Sort"),
    ("sort_id", "编号", "Number"),
    ("sort_name", "名称", "Name"),
    ("sort_created_at_desc", "最新创建", "Newest"),
    ("sort_updated_at_desc", "最近更新", "Recently updated"),
    ("sort_completeness", "完整度最低", "Least complete"),
    ("sort_completeness_desc", "完整度最高", "Most complete"),
    ("completeness", "完整度", "Complete"),
    ("missing_fields", "缺少", "Missing"),
    ("any", "不限", "Any"),
    ("as_of", "数据更新于", "as of"),
    ("field_credit_code", "统一社会信用代码", "credit code"),
    ("field_industry", "行业", "industry"),
    ("field_province", "省份", "province"),
    ("field_city", "城市", "city"),
    ("field_owner", "负责人", "owner"),
    ("field_phone_or_email", "电话或邮箱", "phone or e-mail"),
    ("field_source_channel", "来源渠道", "source channel"),
    ("field_contact", "联系人", "contact person"),
    ("filter", "筛选", "Filter"),
    ("total", "共 {n} 个客户", "{n} customers"),
    ("name", "名称", "Name"),
    ("region", "地区", "Region"),
    ("owner", "负责人", "Owner"),
    ("phone", "电话", "Phone"),
    ("email", "邮箱", "E-mail"),
    ("none", "没有记录", "Nothing here"),
    ("prev", "上一页", "Previous"),
    ("next", "下一页", "Next"),
    ("page_of", "第 {p} / {n} 页", "Page {p} of {n}"),
    ("profile", "基本信息", "Profile"),
    ("external_id", "客户编号", "Customer number"),
    ("kind", "类型", "Kind"),
    ("kind_company", "公司", "Company"),
    ("kind_person", "个人", "Person"),
    ("credit_code", "统一社会信用代码", "Credit code"),
    ("tiers", "分层", "Tiers"),
    ("no_tier", "未分层", "no tier"),
    ("since", "自", "since"),
    ("to_move_up", "如何升级", "To move up"),
    ("no_models", "尚未发布分层模型", "No tier model is published yet"),
    ("contacts", "联系人", "Contacts"),
    ("title", "职务", "Title"),
    ("mobile", "手机", "Mobile"),
    ("timeline", "时间线", "Timeline"),
    ("date", "日期", "Date"),
    ("what", "类别", "What"),
    ("detail", "内容", "Detail"),
    ("kind_orders", "订单", "Order"),
    ("kind_payments", "回款", "Payment"),
    ("kind_interactions", "跟进", "Interaction"),
    ("kind_deals", "商机", "Deal"),
    ("kind_tickets", "工单", "Ticket"),
    ("kind_feedback", "反馈", "Feedback"),
    ("matched", "符合", "matched"),
    ("failed", "不符合", "not met"),
    ("unknown", "未知", "unknown"),
    ("default", "默认", "default"),
    ("score", "得分", "score"),
    ("not_found", "找不到该客户", "No such customer"),
    ("models", "分层模型", "Tier models"),
    ("dashboard", "概览", "Dashboard"),
    ("revenue_by_tier", "各层收入贡献（近一年）", "Revenue by tier (last year)"),
    ("migration_quarter", "近一季度层级迁移", "Tier moves in the last quarter"),
    ("by_month", "每月订单", "Orders by month"),
    ("at_risk", "流失风险客户", "Customers at churn risk"),
    ("revenue", "收入", "Revenue"),
    ("cumulative", "累计占比", "Cumulative share"),
    ("orders_n", "订单数", "Orders"),
    ("no_moves", "近一季度没有客户换层（首次分层不计）", "No customer changed tier in the last quarter (first evaluations aside)"),
    ("import", "导入", "Import"),
    ("import_hint", "选择数据类别与文件（CSV 或 Excel），先检查：列的对应关系可修改，被拒绝的行逐行列出，确认无误再导入；导入后可撤销。", "Choose the kind of data and a file (CSV or Excel) and check it first: change how columns map, see every rejected row, then import; an import can be undone."),
    ("kind_of_data", "数据类别", "Kind of data"),
    ("file", "文件", "File"),
    ("skip_invalid", "跳过无效行", "Skip invalid rows"),
    ("check_file", "检查文件", "Check the file"),
    ("mapping", "列对应", "Column mapping"),
    ("column", "列", "Column"),
    ("goes_to", "导入到", "Goes to"),
    ("ignore", "忽略", "ignore"),
    ("check_again", "按此对应重新检查", "Check again with this mapping"),
    ("validation", "检查结果", "Check result"),
    ("check_counts", "{rows} 行：新增 {new}，更新 {updated}，不变 {unchanged}，拒绝 {rejected}（尚未写入）", "{rows} rows: {new} new, {updated} updated, {unchanged} unchanged, {rejected} rejected (nothing written yet)"),
    ("row", "行", "Row"),
    ("value", "值", "Value"),
    ("reason", "原因", "Reason"),
    ("download_report", "下载被拒绝行报告", "Download the rejected-rows report"),
    ("commit_import", "导入", "Import"),
    ("choose_file", "请先选择文件", "Choose a file first"),
    ("nothing_imported", "未导入任何数据", "Nothing was imported"),
    ("imported_batch", "已导入（批次 {id}）：新增 {new}，更新 {updated}", "Imported as batch {id}: {new} new, {updated} updated"),
    ("undo", "撤销", "Undo"),
    ("undone_batch", "批次 {id} 已撤销", "Batch {id} undone"),
    ("entity_customers", "客户", "Customers"),
    ("entity_contacts", "联系人", "Contacts"),
    ("entity_orders", "订单", "Orders"),
    ("entity_payments", "回款", "Payments"),
    ("entity_interactions", "跟进记录", "Interactions"),
    ("entity_deals", "商机", "Deals"),
    ("entity_tickets", "工单", "Tickets"),
    ("entity_feedback", "反馈", "Feedback"),
    ("published", "已发布", "Published"),
    ("latest", "最新版本", "Latest"),
    ("distribution", "分布", "Distribution"),
    ("new_model", "新建模型", "New model"),
    ("model_editor", "模型编辑", "Model editor"),
    (
        "editor_hint",
        "模型文件为 TOML：边写边检查；预览显示各层人数与迁移矩阵，确认后发布。",
        "The model file is TOML, checked as you type; preview shows counts per tier and the migration matrix before you publish.",
    ),
    ("fields_you_can_use", "可用字段与指标", "Fields and metrics you can use"),
    ("check_ok", "检查通过", "Checks out"),
    ("preview", "预览", "Preview"),
    ("publish", "发布", "Publish"),
    ("preview_summary", "{n} 个客户，其中 {m} 个会换层", "{n} customers, {m} of them would move"),
    ("from_tier", "原层级", "From"),
    ("to_tier", "新层级", "To"),
    ("customers_n", "客户数", "Customers"),
    ("samples", "示例", "Samples"),
    ("published_msg", "已发布 v{v}，所有客户已重新分层", "Published v{v}; every customer has been re-evaluated"),
    ("tier", "当前层级", "Current tier"),
    ("where_label", "条件（规则语言）", "Condition (rule language)"),
    ("where_hint", "例如 count(orders, last 90d) > 5 and province = \"广东省\"", "e.g. count(orders, last 90d) > 5 and province = \"广东省\""),
    ("export_xlsx", "导出 Excel", "Export to Excel"),
    ("select_all", "全选本页", "Select this page"),
    ("bulk_owner", "改派负责人", "Assign owner"),
    ("bulk_add_tag", "添加标签", "Add tag"),
    ("bulk_remove_tag", "移除标签", "Remove tag"),
    ("bulk_apply", "应用到所选客户", "Apply to the chosen customers"),
    ("bulk_all", "改为全部 {n} 个符合条件的客户", "All {n} matching customers instead"),
    ("bulk_chosen", "已选 {n} 个客户", "{n} customers chosen"),
    ("bulk_done", "已更新 {n} 个客户", "{n} customers updated"),
    ("bulk_nothing", "请选择负责人或填写标签", "Choose an owner or type a tag first"),
    ("completeness_by_owner", "资料完整度 · 按负责人", "Data completeness by owner"),
    ("mean_completeness", "平均完整度", "Mean completeness"),
    ("incomplete_n", "完整度低于 {p}%", "Below {p}% complete"),
    ("no_owner", "（无负责人）", "(no owner)"),
    ("admin", "管理", "Admin"),
    ("admin_users", "用户与团队", "Users and teams"),
    ("admin_roles", "角色与字段权限", "Roles and field rules"),
    ("admin_audit", "审计日志", "Audit trail"),
    ("display_name", "姓名", "Name"),
    ("team", "团队", "Team"),
    ("role", "角色", "Role"),
    ("active", "启用", "Active"),
    ("save", "保存", "Save"),
    ("saved", "已保存", "Saved"),
    ("set_password", "设置密码", "Set password"),
    ("ask_password", "{login} 的新密码（至少 10 个字符）", "New password for {login} (at least 10 characters)"),
    ("add_user", "添加用户", "Add a user"),
    ("initial_password", "初始密码", "Initial password"),
    ("add", "添加", "Add"),
    ("teams", "团队", "Teams"),
    ("new_team", "新团队名称", "New team"),
    ("permissions", "角色权限", "Permissions per role"),
    ("record_scope", "可见客户", "Customers seen"),
    ("scope_own", "本人的", "own"),
    ("scope_team", "本团队的", "team's"),
    ("scope_all", "全部", "all"),
    ("action_view_customers", "查看客户", "View customers"),
    ("action_edit_customers", "编辑与导入", "Edit and import"),
    ("action_merge_customers", "合并客户", "Merge customers"),
    ("action_assign_owners", "改派负责人", "Assign owners"),
    ("action_export", "导出", "Export"),
    ("action_manage_models", "分层模型", "Tier models"),
    ("action_manage_users", "用户管理", "Manage users"),
    ("action_view_audit", "查看审计", "View audit"),
    ("field_rules", "字段权限", "Field rules"),
    ("group_contact_details", "联系方式", "Contact details"),
    ("group_amounts", "金额", "Amounts"),
    ("own_customers", "自己的客户", "own customers"),
    ("others_customers", "他人的客户", "others' customers"),
    ("vis_visible", "可见", "visible"),
    ("vis_masked", "脱敏", "masked"),
    ("vis_hidden", "隐藏", "hidden"),
    ("rules_note", "角色权限与字段权限在列表、详情、筛选、排序、导出、图表和 API 中一致生效；修改会记入审计日志，查看脱敏字段的原值也会记入。", "Permissions and field rules apply alike to lists, pages, filters, sorts, exports, charts and the API; every change is audited, and so is revealing a masked value."),
    ("rules_changed", "已自定义", "changed"),
    ("admin_fixed", "管理员始终可以执行所有操作、查看所有字段，以便随时修复规则。", "An admin may always do and see everything, so the rules can always be repaired."),
    ("reset_defaults", "恢复默认", "Reset to defaults"),
    ("actor", "操作人", "Who"),
    ("audit_action", "操作", "Action"),
    ("audit_object", "对象", "Object"),
    ("date_from", "从", "From"),
    ("date_to", "到", "To"),
    ("when", "时间", "When"),
    ("address", "地址", "Address"),
    ("audit_change", "变更", "Change"),
    ("show", "查看", "Show"),
    ("before", "之前", "Before"),
    ("after", "之后", "After"),
    ("older", "更早", "Older"),
    ("tier_history", "层级变化记录", "Tier history"),
    ("metrics", "客户指标", "Metrics"),
    ("engine_loading", "分层引擎正在载入客户数据，分层图表稍后显示，请稍候刷新。", "The tier engine is loading the customer data; the tier charts appear shortly, refresh in a moment."),
    ("days_n", "{n} 天", "{n} days"),
    ("m_orders_365", "近一年订单数", "Orders, last 365 days"),
    ("m_orders_all", "累计订单数", "Orders, all time"),
    ("m_revenue_365", "近一年成交额", "Revenue, last 365 days"),
    ("m_revenue_all", "累计成交额", "Revenue, all time"),
    ("m_growth", "成交额同比增长", "Revenue growth on the year before"),
    ("m_last_order", "距最近一次下单", "Since the last order"),
    ("m_first_order", "距首次下单", "Since the first order"),
    ("m_payments_365", "近一年回款", "Payments, last 365 days"),
    ("m_product_lines", "购买产品线数", "Product lines bought"),
    ("m_interactions_90", "近 90 天跟进次数", "Interactions, last 90 days"),
    ("m_tickets_365", "近一年工单数", "Tickets, last 365 days"),
    ("m_nps", "平均 NPS", "Mean NPS"),
    ("m_p_alive", "仍活跃概率", "Probability still active"),
    ("m_clv", "未来 12 个月预测价值", "Predicted value, next 12 months"),
    ("reason_publish", "模型发布", "model published"),
    ("reason_event", "数据变动", "new data"),
    ("reason_sweep", "每日复核", "daily sweep"),
    ("reason_refresh", "切分点刷新", "cut points refreshed"),
    ("reason_merge", "客户合并", "customers merged"),
];

/// Every word of a language, for templates (`{{ tr.customers }}`).
pub fn words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS.iter().map(|(k, zh, en)| (*k, if lang == Lang::Zh { *zh } else { *en })).collect()
}

/// One word.
pub fn word(lang: Lang, key: &str) -> &'static str {
    WORDS.iter().find(|(k, _, _)| *k == key).map_or("", |(_, zh, en)| if lang == Lang::Zh { zh } else { en })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_both_languages_filled() {
        let mut seen = std::collections::BTreeSet::new();
        for (k, zh, en) in WORDS {
            assert!(seen.insert(*k), "{k} twice");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!((word(Lang::Zh, "customers"), word(Lang::En, "customers")), ("客户", "Customers"));
        assert_eq!(Lang::parse("en").map(Lang::other), Some(Lang::Zh));
    }
}

//! API error codes in Chinese: what a Chinese page says about an error whose message exists
//! only in English (the English message, with its specifics, follows in brackets).

use std::collections::BTreeMap;

/// Error code → a Chinese sentence about it.
const ERRORS: &[(&str, &str)] = &[
    ("invalid_query", "查询参数无效"),
    ("invalid_input", "输入有误"),
    ("invalid_body", "请求内容无效"),
    ("invalid_upload", "上传的表单无效"),
    ("upload_failed", "上传失败"),
    ("export_failed", "导出失败"),
    ("weak_password", "密码太弱"),
    ("unauthenticated", "请先登录"),
    ("session_expired", "登录已过期，请重新登录"),
    ("invalid_token", "API 令牌无效或已撤销"),
    ("csrf_failed", "请求缺少本次登录的校验令牌，请刷新页面后重试"),
    ("forbidden", "你的角色没有这项权限"),
    ("outside_scope", "这个客户不在你的可见范围内"),
    ("not_found", "找不到"),
    ("method_not_allowed", "这个地址不支持该请求方式"),
    ("invalid_tag", "标签无效"),
    ("invalid_mapping", "列映射无效"),
    ("invalid_where", "筛选条件无效"),
    ("invalid_unit", "时间单位无效"),
    ("unknown_user", "不是有效的用户"),
    ("unknown_team", "不是有效的团队"),
    ("invalid_team", "团队无效"),
    ("too_many_rows", "行数太多"),
    ("engine_loading", "分层引擎正在加载，请稍后再试"),
    ("engine_error", "分层引擎出错，请查看服务器日志"),
    ("already_set_up", "管理员已存在，请直接登录"),
    ("already_published", "这个版本已经发布"),
    ("version_retired", "这个版本已停用"),
    ("batch_has_dependents", "之后的导入改动了这批数据，请先撤销之后的导入"),
    ("batch_superseded", "这批数据已被之后的导入覆盖"),
    ("batch_already_undone", "这批导入已经撤销过了"),
    ("customer_changed", "客户在此期间被修改过，请刷新后重试"),
    ("customer_has_records", "客户还有关联记录，不能删除"),
    ("duplicate_external_id", "编号重复"),
    ("external_id_taken", "这个编号已被其他客户使用"),
    ("field_exists", "字段已存在"),
    ("team_exists", "团队已存在"),
    ("user_exists", "用户已存在"),
    ("merge_already_undone", "这次合并已经撤销过了"),
    ("merge_survivor_deleted", "合并保留的客户已被删除"),
    ("merged_customer_exists", "被合并的客户已存在"),
    ("survivor_changed_since_merge", "合并后保留的客户又被修改过"),
    ("admin_rules_fixed", "管理员的权限不能修改"),
    ("invalid_rules", "权限规则无效"),
    ("bulk_needs_change", "请至少选择一项批量修改"),
    ("bulk_needs_customers", "请先选择客户"),
    ("forbidden_filter_field", "你的角色看不到金额，不能按金额筛选"),
    ("rows_rejected", "有行被拒绝，没有写入任何内容"),
    ("duplicate_keys_deferred", "文件里有重复的编号"),
    ("model_invalid", "模型有错误"),
    ("model_file_invalid", "模型文件无法解析"),
    ("report_error", "无法写入拒绝报告"),
    ("password_hash_failed", "无法保存密码"),
    ("database_error", "数据库出错，请查看服务器日志"),
    ("config_error", "配置有误，请查看服务器日志"),
    ("access_rules_unreadable", "权限规则无法读取"),
    ("migration_broke_references", "数据库迁移破坏了关联"),
    ("required", "缺少必填项"),
    ("unknown_entity", "未知的数据类别"),
    ("empty_file", "文件是空的"),
    ("invalid_xlsx", "无法读取这个 Excel 文件"),
    ("unknown_encoding", "无法识别文件的文本编码"),
    ("unknown_sheet", "找不到这个工作表"),
    ("unreadable_file", "无法读取文件"),
    ("unsupported_format", "不支持这种文件格式"),
    ("missing_column", "缺少必需的列"),
];

/// The Chinese sentence about one code, if it has one.
pub fn sentence(code: &str) -> Option<&'static str> {
    ERRORS.iter().find(|(c, _)| *c == code).map(|(_, zh)| *zh)
}

/// Every code's Chinese sentence, for pages (`strataWhy` in base.html).
pub fn chinese() -> BTreeMap<&'static str, &'static str> {
    ERRORS.iter().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case_and_listed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (code, zh) in ERRORS {
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
            assert!(!zh.is_empty() && !zh.is_ascii(), "{code}: {zh}");
            assert!(seen.insert(code), "{code} is listed twice");
        }
    }
}

//! The customer list's `where` filter: a condition in the rule language, checked against the
//! custom fields and active models, evaluated by the engine over every customer, and turned
//! into the set of ids the store's list query keeps. A caller who may not see amounts cannot
//! filter on them (a filter would reveal them through the count).

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::json;
use strata_core::{
    access::{FieldGroup, Visibility},
    engine::{attributes::money_custom, query::reads_money},
    rules::check::check_condition,
};

use super::{tiers::engine_error, ApiError, AppState, Caller};

/// Longest condition accepted (the rule checker bounds depth and cost as well).
const MAX_WHERE: usize = 2000;

/// Ids of the customers for whom `src` holds, ascending.
pub async fn where_ids(s: &AppState, caller: &Caller, src: &str) -> Result<Arc<Vec<i64>>, ApiError> {
    if src.len() > MAX_WHERE {
        return Err(ApiError::bad_request(
            "invalid_where",
            format!("the condition is {} bytes long; at most {MAX_WHERE} are accepted", src.len()),
        ));
    }
    let defs = s.store.list_custom_fields().await?;
    s.live.ensure_loaded().await.map_err(engine_error)?;
    let guard = s.live.read();
    let Some(loaded) = guard.as_ref() else {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "engine_loading", "the tier engine is loading; try again shortly")
            .with_zh("分层引擎正在加载；请稍后再试"));
    };
    let schema = loaded.engine.rule_schema(&loaded.schema);
    let program = check_condition(src, &schema).map_err(|e| {
        let (line, column) = e.position(src);
        ApiError::bad_request("invalid_where", format!("the where condition is not valid: {}", e.render(src)))
            .with_details(json!({"rule_code": e.code, "line": line, "column": column, "help": e.help,
                                 "message_zh": format!("筛选条件无效：{}", e.render_in(src, true)), "help_zh": e.words(true).1}))
    })?;
    if program.root.has_percentile() {
        return Err(ApiError::bad_request(
            "invalid_where",
            "percentile(…) ranks within a published model's population and cannot filter the list; compare the value itself",
        )
        .with_zh("percentile(…) 是在已发布模型的客户群内排名，不能用来筛选列表；请直接比较数值本身"));
    }
    if caller.visibility(FieldGroup::Amounts, None) != Visibility::Visible && reads_money(&program, &money_custom(&schema, &defs)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_filter_field",
            "your role does not see amounts, so the list cannot be filtered on them; use counts or dates instead",
        )
        .with_zh("你的角色看不到金额，所以不能按金额筛选；请改用次数或日期"));
    }
    let e = &loaded.engine;
    Ok(Arc::new(e.positions_where(&program).into_iter().map(|p| e.index.id(p)).collect()))
}

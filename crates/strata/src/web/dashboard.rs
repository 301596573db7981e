//! The dashboard page: the figures (`figures.rs`) for the caller's scope and role, drawn by
//! Apache ECharts, which the binary serves.

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use strata_core::access::{Action, FieldGroup, Visibility};

use super::{figures::FigureKey, ClientAddress, Page};
use crate::server::AppState;

const ECHARTS: &[u8] = include_bytes!("../../assets/echarts-5.6.0.min.js");
const COMPLETE: &[u8] = include_bytes!("../../assets/complete.js");

/// `/assets/echarts.min.js`, cached for a day.
pub async fn echarts() -> Response {
    ([(header::CONTENT_TYPE, "application/javascript"), (header::CACHE_CONTROL, "public, max-age=86400")], ECHARTS).into_response()
}

/// `/assets/complete.js`: completion of rule-language words, cached for an hour.
pub async fn complete_js() -> Response {
    ([(header::CONTENT_TYPE, "application/javascript"), (header::CACHE_CONTROL, "public, max-age=3600")], COMPLETE).into_response()
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

pub async fn page(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    let caller = match page.allowed("/dashboard", Action::ViewCustomers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let key = FigureKey {
        scope: caller.record_scope(),
        amounts: caller.visibility(FieldGroup::Amounts, None) == Visibility::Visible,
        lang: page.lang,
    };
    match s.figures.get(&s, key).await {
        Ok(v) => page.render("dashboard.html", (*v).clone()),
        Err(e) => e.into_response(),
    }
}

//! A customer's tier history per model for the customer page: the steps of a chart (every
//! change, then today, with the model's tiers in their order as the axis) and the latest
//! changes as text, in the page's language.

use chrono::Utc;
use serde_json::{json, Value};
use strata_store::TierHistoryEntry;

use super::i18n::{self, Lang};
use crate::server::AppState;

/// Changes listed under the chart.
const LISTED: usize = 10;

/// Per model key: `{axis, points, changes}`. Models the engine does not hold are left out.
pub fn per_model(s: &AppState, history: &[TierHistoryEntry], lang: Lang) -> serde_json::Map<String, Value> {
    let guard = s.live.read();
    let Some(loaded) = guard.as_ref() else { return serde_json::Map::new() };
    let local = |t: chrono::DateTime<Utc>, fmt: &str| t.with_timezone(&s.config.timezone).format(fmt).to_string();
    let no_tier = i18n::word(lang, "no_tier");
    let mut out = serde_json::Map::new();
    for m in &loaded.engine.catalog.models {
        let mine: Vec<&TierHistoryEntry> = history.iter().filter(|h| h.model == m.key()).collect();
        if mine.is_empty() {
            continue;
        }
        let name = |key: &Option<String>| -> String {
            let t = key.as_deref().and_then(|k| m.tiers.iter().find(|t| t.key == k));
            t.map_or(no_tier.to_string(), |t| if lang == Lang::En { t.name_en.clone() } else { t.name.clone() })
        };
        // The axis bottom-up: the last tier of a ladder (the default) lowest, no tier below it.
        let mut axis: Vec<String> = m.tiers.iter().rev().map(|t| name(&Some(t.key.clone()))).collect();
        axis.insert(0, no_tier.to_string());
        // (time with its offset, position on the axis): ECharts places category values by index;
        // the axis is the tiers reversed after "no tier" at 0.
        let at_axis =
            |key: &Option<String>| key.as_deref().and_then(|k| m.tiers.iter().position(|t| t.key == k)).map_or(0, |i| m.tiers.len() - i);
        let mut points: Vec<Value> = mine.iter().map(|h| json!([local(h.at, "%Y-%m-%dT%H:%M:%S%:z"), at_axis(&h.to_tier)])).collect();
        if let Some(last) = mine.last() {
            points.push(json!([local(Utc::now(), "%Y-%m-%dT%H:%M:%S%:z"), at_axis(&last.to_tier)]));
        }
        let changes: Vec<Value> = mine
            .iter()
            .rev()
            .take(LISTED)
            .map(|h| {
                let reason = i18n::word(lang, &format!("reason_{}", h.reason));
                json!({"at": local(h.at, "%Y-%m-%d"), "from": name(&h.from_tier), "to": name(&h.to_tier), "version": h.version,
                       "reason": if reason.is_empty() { h.reason.clone() } else { reason.to_string() }})
            })
            .collect();
        out.insert(m.key().to_string(), json!({"axis": axis, "points": points, "changes": changes}));
    }
    out
}

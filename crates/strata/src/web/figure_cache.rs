//! Dashboard figures kept per scope and role. Figures that compute quickly are computed for
//! every request (always current); slow ones (a large base) are served from the last
//! computation while one background task refreshes them once they are older than `MAX_AGE`,
//! and concurrent first requests share one computation. The page says when the figures were
//! computed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::Value;

use super::figures::{compute, FigureKey};
use crate::server::{ApiError, AppState};

/// Computations faster than this are not cached.
const FAST: Duration = Duration::from_millis(150);
/// Cached figures older than this are refreshed in the background.
const MAX_AGE: Duration = Duration::from_secs(30);

struct Slot {
    value: Arc<Value>,
    at: Instant,
    took: Duration,
    refreshing: bool,
}

#[derive(Default)]
pub struct FigureCache {
    slots: Mutex<HashMap<FigureKey, Slot>>,
    /// One first computation at a time.
    first: tokio::sync::Mutex<()>,
}

enum Plan {
    Serve(Arc<Value>),
    ServeAndRefresh(Arc<Value>),
    /// Quick to compute: compute now.
    Compute,
    /// Nothing kept yet: compute once for everyone waiting.
    ComputeFirst,
}

impl FigureCache {
    fn plan(&self, key: &FigureKey) -> Plan {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match slots.get_mut(key) {
            None => Plan::ComputeFirst,
            Some(slot) if slot.took < FAST => Plan::Compute,
            Some(slot) if slot.at.elapsed() < MAX_AGE || slot.refreshing => Plan::Serve(slot.value.clone()),
            Some(slot) => {
                slot.refreshing = true;
                Plan::ServeAndRefresh(slot.value.clone())
            }
        }
    }

    fn keep(&self, key: FigureKey, value: Arc<Value>, took: Duration) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.insert(key, Slot { value, at: Instant::now(), took, refreshing: false });
    }

    fn refresh_failed(&self, key: &FigureKey) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slots.get_mut(key) {
            slot.refreshing = false;
        }
    }

    async fn computed(&self, s: &AppState, key: FigureKey) -> Result<Arc<Value>, ApiError> {
        let started = Instant::now();
        let value = Arc::new(compute(s, key).await?);
        // Figures made while the engine loads lack the tiers: the next request computes again.
        let took = if value["loading"] == Value::Bool(true) { Duration::ZERO } else { started.elapsed() };
        self.keep(key, value.clone(), took);
        Ok(value)
    }

    /// The figures for `key`.
    pub async fn get(&self, s: &AppState, key: FigureKey) -> Result<Arc<Value>, ApiError> {
        match self.plan(&key) {
            Plan::Serve(v) => Ok(v),
            Plan::ServeAndRefresh(v) => {
                let state = s.clone();
                tokio::spawn(async move {
                    if let Err(e) = state.figures.computed(&state, key).await {
                        tracing::warn!(error = %e.message, "refreshing dashboard figures");
                        state.figures.refresh_failed(&key);
                    }
                });
                Ok(v)
            }
            Plan::Compute => self.computed(s, key).await,
            Plan::ComputeFirst => {
                let _one = self.first.lock().await;
                // Another first computation may have kept a result meanwhile.
                let kept = self.slots.lock().unwrap_or_else(|e| e.into_inner()).get(&key).map(|slot| slot.value.clone());
                match kept {
                    Some(v) => Ok(v),
                    None => self.computed(s, key).await,
                }
            }
        }
    }
}

//! Counts of the customer list kept while nothing changed: a count that took long (a broad
//! filter over a large base) is reused for the same query as long as the change feed has not
//! moved and it is younger than `MAX_AGE`; quick counts are never kept.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Counts faster than this are not kept.
const SLOW: Duration = Duration::from_millis(15);
/// Kept counts older than this are recounted.
const MAX_AGE: Duration = Duration::from_secs(60);
/// Distinct queries kept at most (the oldest go first).
const MAX_KEPT: usize = 1000;
/// Longest query text kept.
const MAX_KEY: usize = 4096;

#[derive(Default)]
pub(crate) struct CountCache {
    kept: Mutex<HashMap<String, (i64, Instant, i64)>>,
}

impl CountCache {
    /// The kept count of `query` if the feed is still at `seq`.
    pub(crate) fn get(&self, query: &str, seq: i64) -> Option<i64> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(query).filter(|(s, at, _)| *s == seq && at.elapsed() < MAX_AGE).map(|(_, _, n)| *n)
    }

    /// Keeps `count` of `query` at feed position `seq` if counting took `took`.
    pub(crate) fn keep(&self, query: String, seq: i64, count: i64, took: Duration) {
        // Long keys are not worth their memory.
        if took < SLOW || query.len() > MAX_KEY {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= MAX_KEPT {
            if let Some(oldest) = kept.iter().min_by_key(|(_, (_, at, _))| *at).map(|(k, _)| k.clone()) {
                kept.remove(&oldest);
            }
        }
        kept.insert(query, (seq, Instant::now(), count));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_counts_are_kept_until_the_feed_moves() {
        let c = CountCache::default();
        c.keep("fast".into(), 1, 10, Duration::from_millis(1));
        assert_eq!(c.get("fast", 1), None, "quick counts are recounted");
        c.keep("slow".into(), 1, 20, Duration::from_millis(100));
        assert_eq!(c.get("slow", 1), Some(20));
        assert_eq!(c.get("slow", 2), None, "a change since");
        assert_eq!(c.get("other", 1), None);
    }
}

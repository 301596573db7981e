//! Counts of the customer list kept while nothing changed: a count that took long (a broad
//! filter over a large base) is reused for the same query as long as the change feed has not
//! moved; once it is older than `MAX_AGE` one caller recounts while the others keep using it
//! (so concurrent pages do not all recount at once). Quick counts are never kept.

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
/// A recount that has not reported back after this long is given to the next caller.
const RECOUNT_TIMEOUT: Duration = Duration::from_secs(10);

struct Kept {
    seq: i64,
    at: Instant,
    count: i64,
    /// Since when one caller recounts an aged count.
    recounting: Option<Instant>,
}

#[derive(Default)]
pub(crate) struct CountCache {
    kept: Mutex<HashMap<String, Kept>>,
}

impl CountCache {
    /// The kept count of `query` if the feed is still at `seq`; None tells the caller to count
    /// (the first caller after the count aged, while the others still get it).
    pub(crate) fn get(&self, query: &str, seq: i64) -> Option<i64> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let k = kept.get_mut(query).filter(|k| k.seq == seq)?;
        if k.at.elapsed() < MAX_AGE || k.recounting.is_some_and(|since| since.elapsed() < RECOUNT_TIMEOUT) {
            return Some(k.count);
        }
        k.recounting = Some(Instant::now());
        None
    }

    /// Keeps `count` of `query` at feed position `seq` if counting took `took`.
    pub(crate) fn keep(&self, query: String, seq: i64, count: i64, took: Duration) {
        // Long keys are not worth their memory.
        if took < SLOW || query.len() > MAX_KEY {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= MAX_KEPT && !kept.contains_key(&query) {
            if let Some(oldest) = kept.iter().min_by_key(|(_, k)| k.at).map(|(q, _)| q.clone()) {
                kept.remove(&oldest);
            }
        }
        kept.insert(query, Kept { seq, at: Instant::now(), count, recounting: None });
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

    #[test]
    fn one_caller_recounts_an_aged_count() {
        let c = CountCache::default();
        c.keep("slow".into(), 1, 20, Duration::from_millis(100));
        if let Some(k) = c.kept.lock().unwrap().get_mut("slow") {
            k.at -= MAX_AGE;
        }
        assert_eq!(c.get("slow", 1), None, "the first caller recounts");
        assert_eq!(c.get("slow", 1), Some(20), "the others keep the count meanwhile");
        c.keep("slow".into(), 1, 21, Duration::from_millis(100));
        assert_eq!(c.get("slow", 1), Some(21));
    }
}

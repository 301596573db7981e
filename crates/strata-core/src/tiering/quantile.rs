//! Quantile cut points with SQL `NTILE` semantics and exact tie-breaking, found by histogram
//! selection (`rank_select`, linear time) rather than a full sort, and scoring against stored
//! cut points.
//!
//! A key orders customers: `(value, position)`; position follows ascending customer id, so
//! ties are broken by customer id exactly as `NTILE(k) OVER (ORDER BY value, customer_id)`.
//! Cut points keep the tie-breaker, so scoring against freshly computed cuts reproduces NTILE
//! row for row, and scoring later against stored cuts stays stable between refreshes.

use serde::{Deserialize, Serialize};

/// An ordering key: value first, then customer position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RankKey {
    pub value: i64,
    pub position: u32,
}

impl RankKey {
    /// A threshold on the value alone: every position at or above `value` reaches it.
    pub fn threshold(value: i64) -> RankKey {
        RankKey { value, position: 0 }
    }

    pub(super) fn packed(self) -> u128 {
        (u128::from((self.value as u64) ^ (1 << 63)) << 32) | u128::from(self.position)
    }

    pub(super) fn unpacked(k: u128) -> RankKey {
        RankKey { value: (((k >> 32) as u64) ^ (1 << 63)) as i64, position: k as u32 }
    }
}

/// First 0-based position of each bucket after the first, by SQL NTILE(k) over n rows.
/// Buckets that would start past the end (n < k) are left out.
pub fn ntile_starts(n: usize, k: usize) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    let (q, r) = (n / k, n % k);
    (1..k).map(|j| if j <= r { j * (q + 1) } else { r * (q + 1) + (j - r) * q }).filter(|&s| s < n).collect()
}

/// Cut points for `k` buckets over `positions` (ascending), keyed by `(value(p), p)`.
pub fn quantile_cuts_by(positions: &[u32], value: &impl Fn(u32) -> i64, k: usize) -> Vec<RankKey> {
    super::rank_select::select_ranks(positions, value, &ntile_starts(positions.len(), k))
}

/// The 1-based bucket of `key` given ascending cut points.
#[inline]
pub fn score(key: RankKey, cuts: &[RankKey]) -> u8 {
    // `key >= cut` spelled out without a branch: whether a customer reaches a cut is a coin toss.
    let reached = |c: &RankKey| u8::from((key.value > c.value) | ((key.value == c.value) & (key.position >= c.position)));
    1 + cuts.iter().map(reached).sum::<u8>()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NTILE by definition: sort, then assign buckets by position.
    fn ntile_by_sorting(keys: &[RankKey], k: usize) -> Vec<u8> {
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by_key(|&i| keys[i]);
        let n = keys.len();
        let (q, r) = (n / k, n % k);
        let mut out = vec![0u8; n];
        for (pos, &i) in order.iter().enumerate() {
            let big = r * (q + 1);
            out[i] = if q == 0 {
                pos as u8 + 1
            } else if pos < big {
                (pos / (q + 1)) as u8 + 1
            } else {
                (r + (pos - big) / q) as u8 + 1
            };
        }
        out
    }

    #[test]
    fn bucket_starts_follow_sql_ntile() {
        assert_eq!(ntile_starts(10, 5), vec![2, 4, 6, 8]);
        assert_eq!(ntile_starts(12, 5), vec![3, 6, 8, 10]);
        assert_eq!(ntile_starts(3, 5), vec![1, 2]);
        assert_eq!(ntile_starts(0, 5), Vec::<usize>::new());
        assert_eq!(ntile_starts(7, 1), Vec::<usize>::new());
    }

    #[test]
    fn selection_matches_sorting_with_ties() {
        for (n, k, modulus) in [
            (1, 5, 1),
            (4, 5, 3),
            (10, 5, 2),
            (97, 5, 7),
            (1000, 3, 10),
            (1003, 10, 1000),
            (500, 4, 1),
            (60_000, 5, 37),
            (50_000, 10, 1_000_000),
        ] {
            let keys: Vec<RankKey> =
                (0..n).map(|i| RankKey { value: ((i as i64 * 7919) % modulus) - modulus / 2, position: i as u32 }).collect();
            let positions: Vec<u32> = (0..n as u32).collect();
            let cuts = quantile_cuts_by(&positions, &|p| keys[p as usize].value, k);
            let got: Vec<u8> = keys.iter().map(|&key| score(key, &cuts)).collect();
            assert_eq!(got, ntile_by_sorting(&keys, k), "n={n} k={k}");
        }
    }

    #[test]
    fn packing_preserves_order_of_extreme_values() {
        let keys = [i64::MIN, -1, 0, 1, i64::MAX];
        for w in keys.windows(2) {
            let (a, b) = (RankKey { value: w[0], position: 5 }, RankKey { value: w[1], position: 0 });
            assert!(a.packed() < b.packed());
            assert_eq!(RankKey::unpacked(a.packed()), a);
        }
    }

    #[test]
    fn thresholds_ignore_positions() {
        let cuts = [RankKey::threshold(10), RankKey::threshold(20)];
        assert_eq!(score(RankKey { value: 9, position: 99 }, &cuts), 1);
        assert_eq!(score(RankKey { value: 10, position: 0 }, &cuts), 2);
        assert_eq!(score(RankKey { value: 25, position: 3 }, &cuts), 3);
    }
}

//! RFM: recency, frequency and monetary value per customer from the order book, scored into
//! 3–10 buckets per dimension (quantiles with NTILE semantics, or fixed thresholds), and named
//! segments from a score map (the standard 11-segment map is a preset, in Chinese and English).

use serde::{Deserialize, Serialize};

use super::{
    quantile::{quantile_cuts_by, score, RankKey},
    segments::SegmentMap,
};
use crate::metrics::{Day, EventBook, NO_NUM};

/// Per customer position: days since the last revenue order, number and total of revenue
/// orders (cents). `frequency == 0` means no purchase: such customers get no RFM scores.
#[derive(Debug, Clone, Default)]
pub struct RfmValues {
    pub recency: Vec<i32>,
    pub frequency: Vec<u32>,
    pub monetary: Vec<i64>,
}

/// Order flag bit: the order counts as revenue (not cancelled or refunded).
pub const REVENUE: u8 = 1;

impl RfmValues {
    /// One pass over the order book, as of `today` (recency counts days up to `today`), on
    /// two threads for large books.
    pub fn compute(orders: &EventBook, today: Day) -> RfmValues {
        let n = orders.customers();
        let mut v = RfmValues { recency: vec![0; n], frequency: vec![0; n], monetary: vec![0; n] };
        let fill = |base: usize, r: &mut [i32], f: &mut [u32], m: &mut [i64]| {
            for i in 0..r.len() {
                (r[i], f[i], m[i]) = Self::values_of(orders, (base + i) as u32, today);
            }
        };
        if n < 50_000 {
            fill(0, &mut v.recency, &mut v.frequency, &mut v.monetary);
            return v;
        }
        let half = n.div_ceil(2);
        let (r0, r1) = v.recency.split_at_mut(half);
        let (f0, f1) = v.frequency.split_at_mut(half);
        let (m0, m1) = v.monetary.split_at_mut(half);
        std::thread::scope(|s| {
            let fill = &fill;
            s.spawn(move || fill(half, r1, f1, m1));
            fill(0, r0, f0, m0);
        });
        v
    }

    /// (recency, frequency, monetary) of one position.
    fn values_of(orders: &EventBook, p: u32, today: Day) -> (i32, u32, i64) {
        let s = orders.events(p);
        let (mut count, mut sum, mut last) = (0u32, 0i64, Day::MIN);
        for j in 0..s.len() {
            if s.flag[j] & REVENUE != 0 {
                count += 1;
                let amount = s.nums[0].get(j);
                if amount != NO_NUM {
                    sum = sum.saturating_add(amount);
                }
                last = last.max(s.day.get(j));
            }
        }
        (if count == 0 { 0 } else { today.saturating_sub(last) }, count, sum)
    }

    /// Recomputes one customer (after an incremental change).
    pub fn set(&mut self, p: usize, orders: &EventBook, today: Day) {
        if p >= self.frequency.len() {
            self.recency.resize(p + 1, 0);
            self.frequency.resize(p + 1, 0);
            self.monetary.resize(p + 1, 0);
        }
        (self.recency[p], self.frequency[p], self.monetary[p]) = Self::values_of(orders, p as u32, today);
    }

    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// The ordering key of dimension `d` for position `p` (larger = better score).
    pub fn key(&self, d: Dimension, p: usize) -> RankKey {
        let value = match d {
            Dimension::Recency => -i64::from(self.recency[p]),
            Dimension::Frequency => i64::from(self.frequency[p]),
            Dimension::Monetary => self.monetary[p],
        };
        RankKey { value, position: p as u32 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Recency,
    Frequency,
    Monetary,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [Dimension::Recency, Dimension::Frequency, Dimension::Monetary];
}

/// How one dimension is bucketed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Buckets {
    /// k equal-count buckets (NTILE), 3 ≤ k ≤ 10.
    Quantiles(u8),
    /// Fixed boundaries, k−1 of them, from the worst to the best score. Recency in days
    /// (e.g. [365, 180, 90, 30]: 5 = bought within 30 days), frequency in orders, monetary in
    /// cents.
    Thresholds(Vec<i64>),
}

impl Buckets {
    pub fn count(&self) -> u8 {
        match self {
            Buckets::Quantiles(k) => *k,
            Buckets::Thresholds(t) => t.len() as u8 + 1,
        }
    }
}

/// Cut points in force for the three dimensions (stored with the model version).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RfmCuts {
    pub recency: Vec<RankKey>,
    pub frequency: Vec<RankKey>,
    pub monetary: Vec<RankKey>,
}

impl RfmCuts {
    pub fn of(&self, d: Dimension) -> &[RankKey] {
        match d {
            Dimension::Recency => &self.recency,
            Dimension::Frequency => &self.frequency,
            Dimension::Monetary => &self.monetary,
        }
    }

    /// Cut points for the population in `values` (customers with at least one order). Quantile
    /// dimensions are computed on two threads (recency and frequency on one, monetary on the other).
    pub fn compute(values: &RfmValues, buckets: [&Buckets; 3]) -> RfmCuts {
        let buyers = Self::buyers(values);
        let [br, bf, bm] = buckets;
        std::thread::scope(|s| {
            let rf = s.spawn(|| (Self::cut(values, &buyers, Dimension::Recency, br), Self::cut(values, &buyers, Dimension::Frequency, bf)));
            let monetary = Self::cut(values, &buyers, Dimension::Monetary, bm);
            let (recency, frequency) = rf.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            RfmCuts { recency, frequency, monetary }
        })
    }

    /// The positions with at least one purchase, ascending: the population cut points divide.
    pub fn buyers(values: &RfmValues) -> Vec<u32> {
        // Written without a branch per customer: each position is stored, and kept when a buyer.
        let mut buyers = vec![0u32; values.len()];
        let mut kept = 0;
        for (p, &f) in values.frequency.iter().enumerate() {
            buyers[kept] = p as u32;
            kept += usize::from(f > 0);
        }
        buyers.truncate(kept);
        buyers
    }

    /// One dimension's cut points among `buyers` (from [`RfmCuts::buyers`]).
    pub fn cut(values: &RfmValues, buyers: &[u32], d: Dimension, b: &Buckets) -> Vec<RankKey> {
        match b {
            // One closure per dimension, so that the selection's loops know their column.
            Buckets::Quantiles(k) => match d {
                Dimension::Recency => quantile_cuts_by(buyers, &|p| -i64::from(values.recency[p as usize]), usize::from(*k)),
                Dimension::Frequency => quantile_cuts_by(buyers, &|p| i64::from(values.frequency[p as usize]), usize::from(*k)),
                Dimension::Monetary => quantile_cuts_by(buyers, &|p| values.monetary[p as usize], usize::from(*k)),
            },
            Buckets::Thresholds(t) => {
                let sign = if d == Dimension::Recency { -1 } else { 1 };
                let mut cuts: Vec<RankKey> = t.iter().map(|&v| RankKey::threshold(v.saturating_mul(sign))).collect();
                cuts.sort();
                cuts
            }
        }
    }

    /// The segment of each position `lo..lo + out.len()` (`none` without a purchase or where
    /// the map names no segment): [`RfmCuts::scores`] and [`SegmentMap::segment`] a column at
    /// a time, each dimension's scores in a loop of its own.
    pub fn segments_into(&self, values: &RfmValues, map: &SegmentMap, none: u16, lo: usize, out: &mut [u16]) {
        let hi = lo + out.len();
        if values.len() < hi {
            for (i, o) in out.iter_mut().enumerate() {
                *o = self.scores(values, lo + i).and_then(|s| map.segment(s)).unwrap_or(none);
            }
            return;
        }
        let n = out.len();
        let (mut r, mut f, mut m) = (vec![1u8; n], vec![1u8; n], vec![1u8; n]);
        // Recency's key is the negated days.
        reached(&self.recency, lo, &values.recency[lo..hi], &mut r, |x| -i64::from(x));
        reached(&self.frequency, lo, &values.frequency[lo..hi], &mut f, i64::from);
        reached(&self.monetary, lo, &values.monetary[lo..hi], &mut m, |x| x);
        for (i, o) in out.iter_mut().enumerate() {
            let bought = values.frequency[lo + i] > 0;
            *o = map.segment([r[i], f[i], m[i]]).filter(|_| bought).unwrap_or(none);
        }
    }

    /// The (R, F, M) scores of position `p`, or None without a purchase.
    #[inline]
    pub fn scores(&self, values: &RfmValues, p: usize) -> Option<[u8; 3]> {
        if values.frequency.get(p).copied().unwrap_or(0) == 0 {
            return None;
        }
        Some(Dimension::ALL.map(|d| score(values.key(d, p), self.of(d))))
    }
}

/// Adds, for every cut, 1 to the score of each position `lo..lo + scores.len()` whose key
/// (`key` of its value in `xs`) reaches it ([`score`]: a key above the cut's value, or equal at
/// a position at or after the cut's). Keys are whole numbers, so before the cut's position that
/// is a key of at least the cut's value + 1, from it on a key of at least the cut's value: two
/// loops without branches per cut that vectorise, instead of a walk over the cuts per position.
fn reached<T: Copy>(cuts: &[RankKey], lo: usize, xs: &[T], scores: &mut [u8], key: impl Fn(T) -> i64 + Copy) {
    for c in cuts {
        let split = (c.position as usize).saturating_sub(lo).min(scores.len());
        let (before, from) = scores.split_at_mut(split);
        // A cut at the greatest key is reached by nothing before its position.
        if let Some(above) = c.value.checked_add(1) {
            add_where(&xs[..split], before, |x| key(x) >= above);
        }
        add_where(&xs[split..], from, |x| key(x) >= c.value);
    }
}

/// Adds 1 to `out[i]` where `keep(xs[i])`.
#[inline]
fn add_where<T: Copy>(xs: &[T], out: &mut [u8], keep: impl Fn(T) -> bool) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o += u8::from(keep(x));
    }
}

/// No tier: the customer has no purchase (or no rule matched and there is no default).
pub const NO_TIER: u16 = u16::MAX;

/// A full RFM evaluation: values, cut points in force, scores and segment per position.
#[derive(Debug, Clone, Default)]
pub struct RfmOutcome {
    pub values: RfmValues,
    pub cuts: RfmCuts,
    /// (R, F, M) per position; [0, 0, 0] without a purchase.
    pub scores: Vec<[u8; 3]>,
    /// Segment (tier index) per position, or `NO_TIER`.
    pub tiers: Vec<u16>,
}

/// Evaluates every customer: values from the order book, fresh cut points (or `cuts` when
/// given: the cut points in force), scores and segments.
pub fn evaluate(
    orders: &EventBook,
    today: Day,
    buckets: [&Buckets; 3],
    map: &super::segments::SegmentMap,
    cuts: Option<&RfmCuts>,
) -> RfmOutcome {
    let values = RfmValues::compute(orders, today);
    let cuts = cuts.cloned().unwrap_or_else(|| RfmCuts::compute(&values, buckets));
    let n = values.len();
    let mut scores = vec![[0u8; 3]; n];
    let mut tiers = vec![NO_TIER; n];
    for p in 0..n {
        if let Some(s) = cuts.scores(&values, p) {
            scores[p] = s;
            tiers[p] = map.segment(s).unwrap_or(NO_TIER);
        }
    }
    RfmOutcome { values, cuts, scores, tiers }
}

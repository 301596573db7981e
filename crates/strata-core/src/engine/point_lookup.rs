//! A percentile scale's points prepared for many lookups: how many points lie below a value,
//! found through a table of buckets over the value's offset from the lowest point (its float
//! bits, so heavy-tailed scales spread over the table like a log scale) and a short count among
//! the distinct points of one bucket, instead of a binary search over all 1001 points.
//!
//! Exact: the bucket of a value is a monotone function of the value, so every distinct point
//! of an earlier bucket is below it and every one of a later bucket above it; only its own
//! bucket's points are compared. Answers equal `points.partition_point(|q| q < x)`.

/// Most buckets in a table (u16 entries: 16 KB, resident in the first-level cache).
const MAX_BUCKETS: u64 = 8192;

/// The lookup over one scale's ascending points.
#[derive(Debug, Clone)]
pub struct PointLookup {
    /// The lowest point: offsets are taken from it.
    base: f64,
    /// Bucket of an offset: its bits shifted right by `shift`, less `low`, at most `last`.
    shift: u32,
    low: u64,
    last: u64,
    /// Distinct point values, ascending, then `widest` copies of +∞ (compared with nothing).
    distinct: Vec<f64>,
    /// The most distinct values in one bucket.
    widest: usize,
    /// Index in the points of each distinct value's first occurrence, then the points' length.
    first: Vec<u32>,
    /// Per bucket, the number of distinct values in earlier buckets; then their total.
    starts: Vec<u16>,
    /// [`width_inverse`] of every interval (index 0 unused).
    inverses: Vec<f64>,
}

impl PointLookup {
    /// Prepares `points` (ascending, not NaN); None when there are fewer than two.
    pub fn new(points: &[f64]) -> Option<PointLookup> {
        if points.len() < 2 || points.len() > usize::from(u16::MAX) {
            return None;
        }
        let mut distinct = Vec::new();
        let mut first = Vec::new();
        for (i, &q) in points.iter().enumerate() {
            if distinct.last() != Some(&q) {
                distinct.push(q);
                first.push(i as u32);
            }
        }
        first.push(points.len() as u32);
        let base = points[0];
        let bits = |d: f64| offset_bits(d, base);
        // The smallest positive offset and the largest set the table's span.
        let positive = distinct.iter().map(|&q| bits(q)).filter(|&b| b > 0);
        let (lo_bits, hi_bits) = positive.fold((u64::MAX, 0), |(lo, hi), b| (lo.min(b), hi.max(b)));
        let mut shift = 44;
        let (low, last) = loop {
            let (low, high) = if lo_bits == u64::MAX { (0, 0) } else { (lo_bits >> shift, hi_bits >> shift) };
            // Bucket 0 holds the offsets below the smallest positive one (the lowest point).
            if high - low + 2 <= MAX_BUCKETS || shift >= 63 {
                break (low.saturating_sub(1), high - low.saturating_sub(1));
            }
            shift += 1;
        };
        let inverses = (0..points.len()).map(|k| if k == 0 { 0.0 } else { width_inverse(points, k) }).collect();
        let mut lookup = PointLookup { base, shift, low, last, distinct, widest: 0, first, starts: Vec::new(), inverses };
        let mut counts = vec![0u16; last as usize + 2];
        for &q in &lookup.distinct {
            counts[lookup.bucket(q) + 1] += 1;
        }
        lookup.widest = counts.iter().map(|&c| usize::from(c)).max().unwrap_or(0);
        lookup.distinct.extend(std::iter::repeat_n(f64::INFINITY, lookup.widest));
        let mut below = 0u16;
        lookup.starts = counts
            .into_iter()
            .map(|c| {
                below += c;
                below
            })
            .collect();
        Some(lookup)
    }

    #[inline]
    fn bucket(&self, x: f64) -> usize {
        bucket_of(x, self.base, self.shift, self.low, self.last)
    }

    /// [`width_inverse`] of interval `k` (`1 ≤ k < points`); 0 for `k = 0`.
    #[inline]
    pub fn width_inverse(&self, k: usize) -> f64 {
        self.inverses[k]
    }

    /// The number of points below `x` (any value; NaN counts as below none).
    #[inline]
    pub fn count_below(&self, x: f64) -> u32 {
        let b = self.bucket(x);
        let (s, e) = (usize::from(self.starts[b]), usize::from(self.starts[b + 1]));
        // (`e` stops before the padding.)
        let j = match self.distinct.get(s..e) {
            Some(inside) if inside.len() <= 8 => s + inside.iter().map(|&u| usize::from(u < x)).sum::<usize>(),
            Some(inside) => s + inside.partition_point(|&u| u < x),
            None => s,
        };
        self.first[j]
    }

    /// [`PointLookup::count_below`] of every value of `xs`, into `out`, without a branch per
    /// value: each is compared with as many distinct points from its bucket's first as the
    /// widest bucket holds (the points of later buckets and the padding are above it, so they
    /// add nothing), in a loop of fixed length.
    pub fn count_below_into(&self, xs: &[f64], out: &mut Vec<u32>) {
        out.clear();
        match self.widest {
            0 | 1 => self.count_fixed::<1>(xs, out),
            2 => self.count_fixed::<2>(xs, out),
            3 | 4 => self.count_fixed::<4>(xs, out),
            5..=8 => self.count_fixed::<8>(xs, out),
            _ => out.extend(xs.iter().map(|&x| self.count_below(x))),
        }
    }

    fn count_fixed<const K: usize>(&self, xs: &[f64], out: &mut Vec<u32>) {
        // The fields in locals: the stores to `out` would otherwise reload them every value.
        let (base, shift, low, last) = (self.base, self.shift, self.low, self.last);
        let (starts, distinct, first) = (&self.starts[..], &self.distinct[..], &self.first[..]);
        out.resize(xs.len(), 0);
        for (o, &x) in out.iter_mut().zip(xs) {
            let b = bucket_of(x, base, shift, low, last);
            let s = usize::from(starts[b]);
            let near = &distinct[s..s + K];
            *o = first[s + near.iter().map(|&u| usize::from(u < x)).sum::<usize>()];
        }
    }
}

/// The inverse of the width of interval `k` (between points `k - 1` and `k`, `k ≥ 1`), or 0 for
/// an empty one: ranks inside it interpolate by multiplying with it.
#[inline]
pub fn width_inverse(points: &[f64], k: usize) -> f64 {
    let (a, b) = (points[k - 1], points[k]);
    if b > a {
        1.0 / (b - a)
    } else {
        0.0
    }
}

/// The bucket of `x`: the bits of its offset above `base`, shifted right by `shift`, less
/// `low`, at most `last`. Without a branch on the value: offsets below bucket 0's least one
/// (zero, negative, NaN) are raised to it by `max`, so the subtraction never goes below zero
/// (many values sit on the lowest point, e.g. no revenue, and a branch there mispredicts), and
/// clearing the sign bit takes a -0 offset (when that least offset is 0) to 0.
#[inline]
fn bucket_of(x: f64, base: f64, shift: u32, low: u64, last: u64) -> usize {
    let floor = f64::from_bits(low << shift);
    let bits = (x - base).max(floor).to_bits() & !(1 << 63);
    ((bits >> shift) - low).min(last) as usize
}

/// The bits of `x`'s offset above `base`, 0 when not above it (or NaN): monotone in `x`, and
/// for positive offsets ordered like the offsets themselves.
#[inline]
fn offset_bits(x: f64, base: f64) -> u64 {
    let d = x - base;
    if d > 0.0 {
        d.to_bits()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(points: &[f64], probes: &[f64]) {
        let lookup = PointLookup::new(points).expect("two points or more");
        for &x in probes {
            let want = points.partition_point(|&q| q < x) as u32;
            assert_eq!(lookup.count_below(x), if x.is_nan() { 0 } else { want }, "x = {x}, points {:?}…", &points[..points.len().min(5)]);
        }
        let mut many = Vec::new();
        lookup.count_below_into(probes, &mut many);
        let one: Vec<u32> = probes.iter().map(|&x| lookup.count_below(x)).collect();
        assert_eq!(many, one, "points {:?}…", &points[..points.len().min(5)]);
    }

    fn probes(points: &[f64]) -> Vec<f64> {
        let mut v: Vec<f64> = points.iter().flat_map(|&q| [q, q * (1.0 + 1e-15), q * (1.0 - 1e-15), q * 1.5, q / 3.0, -q]).collect();
        v.extend([0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN, f64::MIN_POSITIVE, 1e-300, -1e-300, f64::NAN]);
        v
    }

    #[test]
    fn counts_equal_a_binary_search() {
        let heavy: Vec<f64> = (0..1001).map(|i| if i < 400 { 0.0 } else { (f64::from(i - 400) * 0.013).exp() * 0.01 }).collect();
        let counts: Vec<f64> = (0..1001).map(|i| f64::from(i * i / 40_000)).collect();
        let negative: Vec<f64> = (0..1001).map(|i| -1e6 + f64::from(i) * 17.25).collect();
        let wide: Vec<f64> = (0..1001).map(|i| if i % 2 == 0 { -1e300 } else { 1.0 } * f64::from(i).powi(90)).collect::<Vec<_>>();
        let mut wide_sorted = wide;
        wide_sorted.sort_by(f64::total_cmp);
        let infinite = vec![f64::NEG_INFINITY, -1.0, 0.0, 1.0, f64::INFINITY];
        let equal = vec![7.0; 1001];
        let two = vec![-0.0, 0.0];
        for points in [heavy, counts, negative, wide_sorted, infinite, equal, two] {
            check(&points, &probes(&points));
        }
    }

    #[test]
    fn tables_stay_small() {
        let wide: Vec<f64> = (0..1001).map(|i| 1e-300 * 10f64.powi(i * 600 / 1000)).collect();
        let lookup = PointLookup::new(&wide).unwrap();
        assert!(lookup.starts.len() as u64 <= MAX_BUCKETS + 1, "{}", lookup.starts.len());
        check(&wide, &probes(&wide));
        assert!(PointLookup::new(&[1.0]).is_none());
    }
}

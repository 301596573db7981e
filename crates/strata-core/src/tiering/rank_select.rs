//! Exact order statistics by histogram selection: the keys at given sorted ranks, in a few
//! linear passes instead of a sort. Each level counts values into up to 65,536 buckets between
//! the minimum and the maximum, keeps only the buckets holding a wanted rank and goes on inside
//! them; a bucket of equal values resolves its ties by position at once, a small one is sorted.
//! `select_ranks` (NTILE cuts) uses one bucket per value for a narrow range and logarithmic
//! buckets for a wide one (heavy-tailed amounts); `select_values` (percentiles, whose ties need
//! no order) keeps values alone, in equal-width buckets over their ordered bits.
//!
//! Keys order as `(value, position)`, the order of `quantile::RankKey`. Positions must be given
//! ascending, so that the ties inside a bucket stay in position order.

use super::quantile::RankKey;

/// Most buckets per level, as bits (a level uses about one bucket per candidate).
const BITS: u32 = 16;
/// Candidate sets this small are sorted outright.
const SMALL: usize = 64;

/// The keys at sorted ranks `wanted` (ascending, each below `positions.len()`; repeats allowed)
/// among `positions` (ascending), each keyed by `(value(p), p)`.
pub fn select_ranks(positions: &[u32], value: &impl Fn(u32) -> i64, wanted: &[usize]) -> Vec<RankKey> {
    at_ranks(positions.len(), wanted, RankKey { value: 0, position: 0 }, |unique, found| select_into(positions, value, unique, found))
}

/// Runs `select(unique, found)` on the distinct wanted ranks below `len` and spreads the
/// results back over `wanted` (repeats and all).
fn at_ranks<T: Copy>(len: usize, wanted: &[usize], zero: T, select: impl FnOnce(&[usize], &mut [T])) -> Vec<T> {
    let mut unique: Vec<usize> = wanted.iter().copied().filter(|&r| r < len).collect();
    unique.dedup();
    let mut found = vec![zero; unique.len()];
    select(&unique, &mut found);
    let mut out = Vec::with_capacity(wanted.len());
    let mut i = 0;
    for &r in wanted.iter().filter(|&&r| r < len) {
        while unique[i] != r {
            i += 1;
        }
        out.push(found[i]);
    }
    out
}

/// `wanted` is strictly ascending and inside `positions`.
fn select_into(positions: &[u32], value: &impl Fn(u32) -> i64, wanted: &[usize], out: &mut [RankKey]) {
    if wanted.is_empty() {
        return;
    }
    if positions.len() <= SMALL {
        let mut keys: Vec<u128> = positions.iter().map(|&p| RankKey { value: value(p), position: p }.packed()).collect();
        keys.sort_unstable();
        for (o, &r) in out.iter_mut().zip(wanted) {
            *o = RankKey::unpacked(keys[r]);
        }
        return;
    }
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for &p in positions {
        let v = value(p);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo == hi {
        // All equal: ties go by position.
        for (o, &r) in out.iter_mut().zip(wanted) {
            *o = RankKey { value: lo, position: positions[r] };
        }
        return;
    }
    let range = (hi as u64).wrapping_sub(lo as u64);
    let bits = (usize::BITS - positions.len().leading_zeros()).min(BITS);
    // Exact buckets when the range is narrow, else logarithmic ones: amounts are heavy-tailed,
    // and equal-width buckets would pile most customers into a few.
    let exact = range < 1 << bits;
    let m = if exact { u64::BITS } else { bits.saturating_sub(4).max(2) };
    let bucket = |p: u32| log_bucket((value(p) as u64).wrapping_sub(lo as u64), m);
    let mut counts = vec![0u32; log_bucket(range, m) + 1];
    for &p in positions {
        counts[bucket(p)] += 1;
    }
    let (slot, groups) = group_ranks(&counts, wanted);
    if exact {
        // Each bucket holds one value: the wanted keys are its members at the local ranks,
        // found in one scan that stops once every rank is found. Buckets holding no wanted
        // rank count into one extra, never-matching group, so the loop branches only on a hit.
        let dummy = groups.len();
        let group: Vec<u32> = slot.iter().map(|&s| if s == NONE { dummy as u32 } else { s }).collect();
        let (mut seen, mut next, mut open) = (vec![0usize; dummy + 1], vec![0usize; dummy + 1], wanted.len());
        let mut target: Vec<usize> = groups.iter().map(|g| g.local[0]).chain([usize::MAX]).collect();
        for &p in positions {
            let v = value(p);
            let s = group[((v as u64).wrapping_sub(lo as u64)) as usize] as usize;
            if seen[s] == target[s] {
                let g = &groups[s];
                out[g.first + next[s]] = RankKey { value: v, position: p };
                next[s] += 1;
                target[s] = g.local.get(next[s]).copied().unwrap_or(usize::MAX);
                open -= 1;
                if open == 0 {
                    break;
                }
            }
            seen[s] += 1;
        }
        return;
    }
    let members = members_of_groups(positions, |&p| bucket(p), counts, slot);
    for (g, members) in groups.iter().zip(&members) {
        select_into(members, value, &g.local, &mut out[g.first..g.first + g.local.len()]);
    }
}

const NONE: u32 = u32::MAX;

/// The bucket of offset `d` from the minimum: `d` itself below `2^m`, then `2^(m-1)` buckets
/// per power of two (width at most `2^(1-m)` of the value); `m == 64`: `d` itself. Monotone,
/// without a branch.
#[inline]
fn log_bucket(d: u64, m: u32) -> usize {
    let s = (u64::BITS - d.leading_zeros()).saturating_sub(m);
    ((s as usize) << m.saturating_sub(1).min(63)) + (d >> s) as usize
}

/// Wanted ranks that fall into one bucket.
struct Group {
    bucket: usize,
    /// Index of the group's first rank in `wanted`.
    first: usize,
    /// The ranks inside the bucket.
    local: Vec<usize>,
}

/// Per bucket the index of its group (or `NONE`), and the groups of wanted ranks.
fn group_ranks(counts: &[u32], wanted: &[usize]) -> (Vec<u32>, Vec<Group>) {
    let mut slot = vec![NONE; counts.len()];
    let mut groups: Vec<Group> = Vec::new();
    let (mut b, mut below) = (0usize, 0usize);
    for (i, &r) in wanted.iter().enumerate() {
        while below + counts[b] as usize <= r {
            below += counts[b] as usize;
            b += 1;
        }
        if slot[b] == NONE {
            slot[b] = groups.len() as u32;
            groups.push(Group { bucket: b, first: i, local: Vec::new() });
        }
        if let Some(g) = groups.last_mut() {
            g.local.push(r - below);
        }
    }
    (slot, groups)
}

/// The items of every bucket that holds a wanted rank, one list per group.
fn members_of_groups<T: Copy>(items: &[T], bucket: impl Fn(&T) -> usize, counts: Vec<u32>, slot: Vec<u32>) -> Vec<Vec<T>> {
    let mut members: Vec<Vec<T>> = (0..counts.len()).filter(|&b| slot[b] != NONE).map(|b| Vec::with_capacity(counts[b] as usize)).collect();
    for item in items {
        let s = slot[bucket(item)];
        if s != NONE {
            members[s as usize].push(*item);
        }
    }
    members
}

/// The values at sorted ranks `wanted` (ascending, repeats allowed; ranks past the end are
/// left out) of `keys`, when ties need no order (percentiles): no positions are kept, and a
/// level whose buckets hold one value each answers from its counts alone.
pub fn select_values(keys: &[i64], wanted: &[usize]) -> Vec<i64> {
    at_ranks(keys.len(), wanted, 0, |unique, found| values_into(keys, unique, found))
}

/// `wanted` is strictly ascending and inside `keys`.
fn values_into(keys: &[i64], wanted: &[usize], out: &mut [i64]) {
    if wanted.is_empty() {
        return;
    }
    if keys.len() <= SMALL {
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        for (o, &r) in out.iter_mut().zip(wanted) {
            *o = sorted[r];
        }
        return;
    }
    // The least key and the next distinct one: a common least value (a sum of 0 among
    // amounts) gets a bucket of its own, and the other buckets span only the keys above it —
    // in float bits 0 and the smallest amount lie far apart, which would crowd every amount
    // into a few buckets and make every bucket a wanted one.
    let (mut lo, mut next, mut hi) = (i64::MAX, i64::MAX, i64::MIN);
    for &v in keys {
        if v < lo {
            (next, lo) = (lo, v);
        } else if v > lo && v < next {
            next = v;
        }
        hi = hi.max(v);
    }
    if lo == hi {
        out.fill(lo);
        return;
    }
    let range = (hi as u64).wrapping_sub(next as u64);
    let bits = (usize::BITS - keys.len().leading_zeros()).min(BITS);
    let shift = (u64::BITS - range.leading_zeros()).saturating_sub(bits);
    let bucket = |v: i64| if v == lo { 0 } else { 1 + ((v as u64).wrapping_sub(next as u64) >> shift) as usize };
    let mut counts = vec![0u32; (range >> shift) as usize + 2];
    for &v in keys {
        counts[bucket(v)] += 1;
    }
    let (slot, groups) = group_ranks(&counts, wanted);
    if shift == 0 {
        // One value per bucket: a rank's value is its bucket's.
        for g in &groups {
            let value = if g.bucket == 0 { lo } else { (next as u64).wrapping_add(g.bucket as u64 - 1) as i64 };
            out[g.first..g.first + g.local.len()].fill(value);
        }
        return;
    }
    let members = members_of_groups(keys, |&v| bucket(v), counts, slot);
    for (g, members) in groups.iter().zip(&members) {
        values_into(members, &g.local, &mut out[g.first..g.first + g.local.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_sorting(values: &[i64], positions: &[u32], wanted: &[usize]) -> Vec<RankKey> {
        let mut keys: Vec<RankKey> = positions.iter().map(|&p| RankKey { value: values[p as usize], position: p }).collect();
        keys.sort();
        wanted.iter().filter(|&&r| r < keys.len()).map(|&r| keys[r]).collect()
    }

    #[test]
    fn matches_sorting_on_skewed_tied_and_extreme_values() {
        let cases: Vec<Vec<i64>> = vec![
            (0..10_000).map(|i| (i * 7919) % 13).collect(),
            (0..20_000).map(|i| ((i as i64 * 2_654_435_761) % 1_000_003).pow(2) / 997).collect(),
            (0..9_000)
                .map(|i| {
                    if i % 3 == 0 {
                        i64::MIN
                    } else if i % 3 == 1 {
                        i64::MAX
                    } else {
                        i
                    }
                })
                .collect(),
            vec![42; 5_000],
            // Float bits of amounts with a common 0: far apart from the smallest amount.
            (0..20_000).map(|i| if i % 5 < 2 { 0 } else { (f64::from(i % 977) * 1.37 + 0.01).to_bits() as i64 }).collect(),
            (0..3_000).map(|i| -(i as i64)).collect(),
            (0..50).collect(),
        ];
        for values in &cases {
            let n = values.len();
            let all: Vec<u32> = (0..n as u32).collect();
            let odd: Vec<u32> = (0..n as u32).filter(|p| p % 2 == 1).collect();
            for positions in [&all, &odd] {
                let m = positions.len();
                for wanted in [
                    vec![0, m / 5, 2 * m / 5, 3 * m / 5, 4 * m / 5],
                    (0..=100).map(|i| i * m.saturating_sub(1) / 100).collect(),
                    vec![m - 1, m, m + 7],
                ] {
                    let got = select_ranks(positions, &|p| values[p as usize], &wanted);
                    let expected = by_sorting(values, positions, &wanted);
                    assert_eq!(got, expected, "n={n} m={m} wanted={wanted:?}");
                    let keys: Vec<i64> = positions.iter().map(|&p| values[p as usize]).collect();
                    let only: Vec<i64> = expected.iter().map(|k| k.value).collect();
                    assert_eq!(select_values(&keys, &wanted), only, "values only: n={n} m={m} wanted={wanted:?}");
                }
            }
        }
    }

    #[test]
    fn log_buckets_are_monotone_and_continuous() {
        for m in [3u32, 7, 12, 64] {
            let mut last = 0;
            for d in (0..70_000u64).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
                let b = log_bucket(d, m);
                assert!(b >= last && (d >= 70_000 || b <= last + 1), "m={m} d={d}");
                last = b;
            }
        }
    }

    #[test]
    fn heavy_tailed_values_select_as_sorting_does() {
        let values: Vec<i64> = (0..200_000u64)
            .map(|i| {
                let u = ((i * 2_654_435_761) % 1_000_003) as f64 / 1_000_003.0;
                (4400.0 / (1.0 - u).powf(0.9)) as i64
            })
            .collect();
        let positions: Vec<u32> = (0..values.len() as u32).collect();
        let wanted = super::super::quantile::ntile_starts(values.len(), 5);
        assert_eq!(select_ranks(&positions, &|p| values[p as usize], &wanted), by_sorting(&values, &positions, &wanted));
    }

    #[test]
    fn empty_inputs_select_nothing() {
        assert!(select_ranks(&[], &|_| 0, &[0, 1]).is_empty());
        assert!(select_ranks(&[1, 2], &|_| 0, &[]).is_empty());
        assert!(select_values(&[], &[0]).is_empty());
        assert!(select_values(&[3, 1], &[]).is_empty());
    }
}

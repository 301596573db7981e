//! RFM against the reference result of the benchmark peers (fixtures/bench-1000).

use super::{quantile::RankKey, rfm::*, segments::*};
use crate::metrics::{day_of, EventBookBuilder, EventKind, EventRow};

const ORDERS: &str = include_str!("../../../../fixtures/bench-1000/orders.csv");

fn parse_cents(s: &str) -> i64 {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = format!("{frac:0<2}");
    whole.parse::<i64>().unwrap() * 100 + frac[..2].parse::<i64>().unwrap()
}

#[test]
fn rfm_matches_the_reference_checksum_exactly() {
    let rows: Vec<(usize, EventRow)> = ORDERS
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let mut r = EventRow::new(day_of(f[2].parse().unwrap()));
            r.nums[0] = parse_cents(f[3]);
            r.flag = REVENUE;
            // customer ids 1..=1000 → positions 0..999
            (f[1].parse::<usize>().unwrap() - 1, r)
        })
        .collect();
    let mut counts = vec![0u32; 1000];
    for (p, _) in &rows {
        counts[*p] += 1;
    }
    let mut b = EventBookBuilder::new(EventKind::Orders, &counts);
    for (p, r) in &rows {
        b.push(*p as u32, r);
    }
    let book = b.finish();
    let today = day_of("2025-01-01".parse().unwrap());
    let values = RfmValues::compute(&book, today);
    let q = Buckets::Quantiles(5);
    let cuts = RfmCuts::compute(&values, [&q, &q, &q]);
    let tiers = standard_tiers();
    let map = SegmentMap::compile(&standard_rules(), &tiers, [5, 5, 5], false).unwrap();

    let (mut sum_r, mut sum_f, mut sum_m, mut fingerprint) = (0i64, 0i64, 0i64, 0i64);
    let mut segments = std::collections::BTreeMap::<&str, u32>::new();
    for p in 0..values.len() {
        let [r, f, m] = cuts.scores(&values, p).unwrap();
        sum_r += i64::from(values.recency[p]);
        sum_f += i64::from(values.frequency[p]);
        sum_m += values.monetary[p];
        fingerprint += (p as i64 + 1) * (100 * i64::from(r) + 10 * i64::from(f) + i64::from(m));
        let t = map.segment([r, f, m]).unwrap();
        *segments.entry(tiers[usize::from(t)].name_en.as_str()).or_default() += 1;
    }
    assert_eq!((sum_r, sum_f, sum_m, fingerprint), (229_296, 20_000, 156_169_893, 168_263_562));
    let want = [
        ("About To Sleep", 83),
        ("At Risk", 134),
        ("Cannot Lose Them", 36),
        ("Champions", 150),
        ("Hibernating", 170),
        ("Lost", 60),
        ("Loyal", 160),
        ("Need Attention", 49),
        ("New Customers", 9),
        ("Potential Loyalist", 115),
        ("Promising", 34),
    ];
    assert_eq!(segments.into_iter().collect::<Vec<_>>(), want.to_vec());
}

#[test]
fn customers_without_revenue_orders_get_no_scores() {
    let mut b = EventBookBuilder::new(EventKind::Orders, &[1, 0, 1]);
    let mut refunded = EventRow::new(10);
    refunded.nums[0] = 500;
    b.push(0, &refunded);
    let mut paid = EventRow::new(12);
    paid.nums[0] = i64::MAX;
    paid.flag = REVENUE;
    b.push(2, &paid);
    let values = RfmValues::compute(&b.finish(), 20);
    assert_eq!(values.frequency, vec![0, 0, 1]);
    assert_eq!(values.recency[2], 8);
    let q = Buckets::Quantiles(5);
    let cuts = RfmCuts::compute(&values, [&q, &q, &q]);
    assert_eq!(cuts.scores(&values, 0), None);
    assert_eq!(cuts.scores(&values, 1), None);
    assert_eq!(cuts.scores(&values, 2), Some([1, 1, 1]));
    assert_eq!(cuts.scores(&values, 99), None);
}

#[test]
fn fixed_thresholds_score_by_value() {
    let mut b = EventBookBuilder::new(EventKind::Orders, &[1, 2]);
    for (p, day) in [(0u32, 100), (1, 5), (1, 195)] {
        let mut r = EventRow::new(day);
        r.nums[0] = 10_000;
        r.flag = REVENUE;
        b.push(p, &r);
    }
    let values = RfmValues::compute(&b.finish(), 200);
    let r = Buckets::Thresholds(vec![365, 180, 90, 30]);
    let f = Buckets::Thresholds(vec![2, 5]);
    let m = Buckets::Thresholds(vec![15_000]);
    let cuts = RfmCuts::compute(&values, [&r, &f, &m]);
    assert_eq!(cuts.scores(&values, 0), Some([3, 1, 1])); // 100 days ago, 1 order, ¥100
    assert_eq!(cuts.scores(&values, 1), Some([5, 2, 2])); // 5 days ago, 2 orders, ¥200
}

#[test]
fn segments_by_column_equal_scores_one_by_one() {
    // Many ties (so cut positions matter), customers without purchases, extreme values.
    let n = 5_000usize;
    let mut values = RfmValues { recency: vec![0; n], frequency: vec![0; n], monetary: vec![0; n] };
    for p in 0..n {
        let h = (p * 7919) % 10_007;
        values.frequency[p] = (h % 7) as u32;
        values.recency[p] = (h % 40) as i32 - 3;
        values.monetary[p] = match h % 11 {
            0 => i64::MAX,
            1 => i64::MIN,
            k => (k as i64) * 1_000,
        };
    }
    let q = Buckets::Quantiles(5);
    let fitted = RfmCuts::compute(&values, [&q, &q, &q]);
    let extreme = RfmCuts {
        recency: [(i64::MIN, 10), (-36, 4_000), (0, 0), (3, 100)].map(|(value, position)| RankKey { value, position }).to_vec(),
        frequency: [(0, 2_500), (1, 0), (3, 1_000), (6, u32::MAX)].map(|(value, position)| RankKey { value, position }).to_vec(),
        monetary: [(i64::MIN, 0), (5_000, 4_999), (i64::MAX, 3_000), (i64::MAX, 0)]
            .map(|(value, position)| RankKey { value, position })
            .to_vec(),
    };
    let tiers = standard_tiers();
    for cuts in [fitted, extreme] {
        let map = SegmentMap::compile(&standard_rules(), &tiers, [5, 5, 5], false).unwrap();
        for (lo, len) in [(0, n), (1, 2_047), (2_499, 2), (3_000, 2_000), (4_999, 1)] {
            let mut out = vec![0u16; len];
            cuts.segments_into(&values, &map, u16::MAX, lo, &mut out);
            for (i, got) in out.iter().enumerate() {
                let want = cuts.scores(&values, lo + i).and_then(|s| map.segment(s)).unwrap_or(u16::MAX);
                assert_eq!(*got, want, "position {}, cuts {cuts:?}", lo + i);
            }
        }
    }
}

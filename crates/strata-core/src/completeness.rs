//! Data completeness: which of the fields a customer is expected to have are empty, as a score
//! per customer (share filled) and per owner (mean), with the fields missing most often.

use serde::Serialize;

/// The fields checked, in this order in `Filled`.
pub const FIELDS: [&str; 8] = ["credit_code", "industry", "province", "city", "owner", "phone_or_email", "source_channel", "contact"];

/// Which checked fields a customer has (index = position in `FIELDS`).
pub type Filled = [bool; 8];

/// Fields a person is not expected to have: a credit code and an industry.
const COMPANY_ONLY: [usize; 2] = [0, 1];

/// The share of expected fields filled (0–1) and the missing ones.
pub fn score(company: bool, filled: &Filled) -> (f64, Vec<&'static str>) {
    let missing: Vec<&'static str> = (0..FIELDS.len()).filter(|&i| is_missing(company, filled, i)).map(|i| FIELDS[i]).collect();
    (share(company, filled), missing)
}

/// Whether field `i` is expected of this kind of customer and not filled.
fn is_missing(company: bool, filled: &Filled, i: usize) -> bool {
    (company || !COMPANY_ONLY.contains(&i)) && !filled[i]
}

/// The score of [`score`] alone, without allocating (reports over every customer use this).
pub fn share(company: bool, filled: &Filled) -> f64 {
    let expected = if company { FIELDS.len() } else { FIELDS.len() - COMPANY_ONLY.len() };
    let missing = (0..FIELDS.len()).filter(|&i| is_missing(company, filled, i)).count();
    1.0 - missing as f64 / expected as f64
}

/// Which checked fields a stored customer has (the store keeps `completeness` in step with this).
pub fn filled_of(c: &crate::customer::Customer) -> Filled {
    let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    [
        has(&c.credit_code),
        has(&c.industry),
        has(&c.province),
        has(&c.city),
        c.owner_id.is_some(),
        has(&c.phone) || has(&c.email),
        has(&c.source_channel),
        c.has_contact,
    ]
}

/// The score in percent, rounded half up, as the store's `completeness` column holds it.
pub fn percent(company: bool, filled: &Filled) -> u8 {
    let expected: Vec<usize> = (0..FIELDS.len()).filter(|i| company || !COMPANY_ONLY.contains(i)).collect();
    let n = expected.iter().filter(|&&i| filled[i]).count();
    // Integer arithmetic, exactly as the store's generated column computes it.
    ((200 * n + expected.len()) / (2 * expected.len())) as u8
}

/// Completeness of one owner's customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerCompleteness {
    /// None: customers without an owner.
    pub owner: Option<String>,
    pub customers: usize,
    /// Mean score.
    pub score: f64,
    /// (field, customers missing it), most often missing first.
    pub missing: Vec<(&'static str, usize)>,
}

/// Per-owner completeness of (owner, company, filled) rows, lowest score first.
pub fn by_owner<'a>(rows: impl Iterator<Item = (Option<&'a str>, bool, &'a Filled)>) -> Vec<OwnerCompleteness> {
    let mut acc: std::collections::BTreeMap<Option<&str>, (usize, f64, [usize; 8])> = std::collections::BTreeMap::new();
    for (owner, company, filled) in rows {
        let e = acc.entry(owner).or_insert((0, 0.0, [0; 8]));
        e.0 += 1;
        e.1 += share(company, filled);
        for (i, count) in e.2.iter_mut().enumerate() {
            *count += usize::from(is_missing(company, filled, i));
        }
    }
    let mut out: Vec<OwnerCompleteness> = acc
        .into_iter()
        .map(|(owner, (n, sum, counts))| {
            let mut missing: Vec<(&'static str, usize)> = FIELDS.iter().copied().zip(counts).filter(|(_, c)| *c > 0).collect();
            missing.sort_by_key(|m| std::cmp::Reverse(m.1));
            OwnerCompleteness { owner: owner.map(String::from), customers: n, score: sum / n as f64, missing }
        })
        .collect();
    out.sort_by(|a, b| a.score.total_cmp(&b.score));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_count_expected_fields_only() {
        let all = [true; 8];
        assert_eq!(score(true, &all), (1.0, vec![]));
        let mut f = all;
        f[0] = false;
        f[7] = false;
        assert_eq!(score(true, &f), (0.75, vec!["credit_code", "contact"]));
        // A person needs no credit code or industry: 5 of 6 expected fields filled.
        let (s, missing) = score(false, &f);
        assert!((s - 5.0 / 6.0).abs() < 1e-12 && missing == vec!["contact"]);
    }

    #[test]
    fn the_share_alone_equals_the_score_for_every_combination() {
        for company in [true, false] {
            for bits in 0u32..256 {
                let filled: Filled = std::array::from_fn(|i| bits & (1 << i) != 0);
                let (s, missing) = score(company, &filled);
                assert_eq!(share(company, &filled).to_bits(), s.to_bits(), "{company} {filled:?}");
                let owners = by_owner(std::iter::once((Some("o"), company, &filled)));
                let counted: usize = owners[0].missing.iter().map(|m| m.1).sum();
                assert_eq!(counted, missing.len(), "{company} {filled:?}");
            }
        }
    }

    #[test]
    fn percent_rounds_half_up() {
        let mut f = [true; 8];
        f[7] = false;
        assert_eq!(percent(true, &f), 88, "7 of 8");
        assert_eq!(percent(false, &f), 83, "5 of 6");
        assert_eq!(percent(true, &[false; 8]), 0);
        f[6] = false;
        f[5] = false;
        assert_eq!(percent(false, &f), 50, "3 of 6");
    }

    #[test]
    fn owners_are_ranked_lowest_first_with_their_gaps() {
        let full = [true; 8];
        let mut gaps = full;
        gaps[5] = false;
        gaps[6] = false;
        let rows = [(Some("王伟"), true, &full), (Some("王伟"), true, &gaps), (Some("李娜"), true, &full), (None, true, &gaps)];
        let owners = by_owner(rows.into_iter());
        assert_eq!(owners.iter().map(|o| o.owner.as_deref()).collect::<Vec<_>>(), vec![None, Some("王伟"), Some("李娜")]);
        assert_eq!((owners[1].customers, owners[1].score), (2, 0.875));
        assert_eq!(owners[1].missing, vec![("phone_or_email", 1), ("source_channel", 1)]);
        assert!(owners[2].missing.is_empty());
    }
}

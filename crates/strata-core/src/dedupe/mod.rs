//! Duplicate customers: each customer reduced to its matching keys (canonical name, credit
//! code, E.164 phones, lower-cased e-mails, city), candidate pairs found by blocking, each pair
//! scored with the reasons listed, and pairs above a threshold joined into ranked groups.

mod blocking;
mod score;
pub mod survivorship;

use serde::Serialize;

pub use blocking::{candidate_pairs, WINDOW};
pub use score::{compare, Scorer, DEFAULT_THRESHOLD};

/// One customer as duplicate detection sees it (keys already canonical).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Party {
    pub id: i64,
    /// Companies and persons never match each other.
    pub company: bool,
    /// `canonical_company_name` / `canonical_person_name` of the name.
    pub key: String,
    pub credit_code: Option<String>,
    /// E.164, e.g. +8613800138000.
    pub phones: Vec<String>,
    /// Lower-cased.
    pub emails: Vec<String>,
    /// Normalised city (empty when unknown).
    pub city: String,
}

/// A party's city: the customer's city field (without 市), else the city its name carries
/// ("昆明市锐灵商贸" → 昆明), so namesakes in two cities are told apart even with a field empty.
pub fn party_city(city_field: &str, name: &str) -> String {
    let field = city_field.trim().trim_end_matches('市');
    if !field.is_empty() {
        return field.to_string();
    }
    crate::company_name::city_in_name(&crate::text::to_half_width(name)).unwrap_or_default().to_string()
}

/// Why two customers look like the same one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// same_credit_code, same_phone, same_email, same_name, similar_name.
    pub code: &'static str,
    /// In words, e.g. "same mobile +8613800138000", "names 0.93 similar".
    pub detail: String,
    /// The same in Chinese ("电话相同 +8613800138000").
    pub detail_zh: String,
}

impl Reason {
    pub fn new(code: &'static str, detail: String, detail_zh: String) -> Reason {
        Reason { code, detail, detail_zh }
    }
}

/// A scored candidate pair (indices into the scanned parties).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    /// 0–1.
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// Customers that look like one, with the pairs that joined them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Customer ids, ascending.
    pub members: Vec<i64>,
    /// The best pair's score.
    pub score: f64,
    /// Pairs above the threshold inside the group, best first (ids, not indices).
    pub pairs: Vec<(i64, i64, f64, Vec<Reason>)>,
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Every candidate pair scored at least `min`.
pub fn scored_pairs(parties: &[Party], min: f64) -> Vec<Pair> {
    let scorer = Scorer::new(parties);
    candidate_pairs(parties).into_iter().filter_map(|(a, b)| scorer.compare(parties, a, b)).filter(|p| p.score >= min).collect()
}

/// The customers that `parties[new]` looks like (pairs scoring at least `threshold`, best
/// first): the check when one customer is created. Names are compared only with names sharing
/// their first or last character; phones, e-mails and credit codes with everyone.
pub fn matches_of(parties: &[Party], new: usize, threshold: f64) -> Vec<Pair> {
    let x = &parties[new];
    let (first, last) = (x.key.chars().next(), x.key.chars().last());
    let scorer = Scorer::default();
    let mut out: Vec<Pair> = (0..parties.len())
        .filter(|&i| i != new)
        .filter(|&i| {
            let y = &parties[i];
            y.key.chars().next() == first
                || y.key.chars().last() == last
                || y.phones.iter().any(|p| x.phones.contains(p))
                || y.emails.iter().any(|e| x.emails.contains(e))
                || (x.credit_code.is_some() && y.credit_code == x.credit_code)
        })
        .filter_map(|i| scorer.compare(parties, new, i))
        .filter(|p| p.score >= threshold)
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// Scans `parties` for duplicates: groups of customers whose pairs score at least `threshold`,
/// best first.
pub fn scan(parties: &[Party], threshold: f64) -> Vec<Group> {
    group_pairs(parties, scored_pairs(parties, threshold), threshold)
}

/// Joins the pairs scoring at least `threshold` into groups, best first.
pub fn group_pairs(parties: &[Party], pairs: Vec<Pair>, threshold: f64) -> Vec<Group> {
    let pairs: Vec<Pair> = pairs.into_iter().filter(|p| p.score >= threshold).collect();
    let mut parent: Vec<usize> = (0..parties.len()).collect();
    for p in &pairs {
        let (ra, rb) = (find(&mut parent, p.a), find(&mut parent, p.b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Group> = std::collections::BTreeMap::new();
    for p in pairs {
        let root = find(&mut parent, p.a);
        let g = groups.entry(root).or_insert_with(|| Group { members: Vec::new(), score: 0.0, pairs: Vec::new() });
        g.members.push(parties[p.a].id);
        g.members.push(parties[p.b].id);
        g.score = g.score.max(p.score);
        g.pairs.push((parties[p.a].id, parties[p.b].id, p.score, p.reasons));
    }
    let mut out: Vec<Group> = groups
        .into_values()
        .map(|mut g| {
            g.members.sort_unstable();
            g.members.dedup();
            g.pairs.sort_by(|x, y| y.2.total_cmp(&x.2));
            g
        })
        .collect();
    out.sort_by(|x, y| y.score.total_cmp(&x.score).then(y.members.len().cmp(&x.members.len())).then(x.members.cmp(&y.members)));
    out
}

#[cfg(test)]
mod survivorship_tests;
#[cfg(test)]
mod tests;

//! Scoring a candidate pair: the credit code decides when both have one; a shared phone or
//! e-mail is strong evidence; otherwise the canonical names' Jaro–Winkler similarity, lowered
//! when the customers are in different known cities (namesakes in two cities are two companies)
//! or when their brands differ (the name without its line-of-business word, learnt as the
//! suffixes many names share: 医疗器械, 供应链管理, 科技).

use std::collections::{HashMap, HashSet};

use super::{Pair, Party, Reason};

/// A suffix shared by at least this many names (and 0.05 % of them) is a line-of-business word.
const MIN_SUFFIX_NAMES: usize = 20;

/// Pairs at or above this score are reported as duplicates.
pub const DEFAULT_THRESHOLD: f64 = 0.88;

/// Similarity lost when both cities are known and differ and nothing else links the pair.
const OTHER_CITY: f64 = 0.15;
/// Similarity lost when the names differ in their first two characters (the brand, once
/// regions and legal forms are gone) and nothing else links the pair: "华信医疗" and "华星医疗"
/// are two companies, "华信医疗器械" and "华信医疗器戒" one with a typo.
const OTHER_BRAND: f64 = 0.1;
/// Similarity lost by two persons linked by their name alone: 王伟 and 王伟 are usually two
/// people, so they need a shared phone, e-mail or credit code.
const PERSON_NAME_ONLY: f64 = 0.2;
/// Similarity lost when both have phones and none is shared: conflicting contact details.
const OTHER_PHONES: f64 = 0.05;

fn shared<'a>(a: &'a [String], b: &'a [String]) -> Option<&'a String> {
    a.iter().find(|x| b.contains(x))
}

/// What scoring learns from the whole base: its line-of-business words.
#[derive(Debug, Clone, Default)]
pub struct Scorer {
    suffixes: HashSet<String>,
}

impl Scorer {
    /// Learns the suffixes (2–6 characters) that many names share.
    pub fn new(parties: &[Party]) -> Scorer {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for p in parties {
            let starts: Vec<usize> = p.key.char_indices().map(|(i, _)| i).collect();
            let n = starts.len();
            for len in 2..=6.min(n.saturating_sub(1)) {
                *counts.entry(&p.key[starts[n - len]..]).or_default() += 1;
            }
        }
        let min = MIN_SUFFIX_NAMES.max(parties.len() / 2000);
        Scorer { suffixes: counts.into_iter().filter(|(_, c)| *c >= min).map(|(s, _)| s.to_string()).collect() }
    }

    /// The brand: the name without its longest known line-of-business suffix (None if it has
    /// none).
    fn brand<'k>(&self, key: &'k str) -> Option<&'k str> {
        let starts: Vec<usize> = key.char_indices().map(|(i, _)| i).collect();
        let n = starts.len();
        (2..=6.min(n.saturating_sub(1)))
            .rev()
            .find(|&len| self.suffixes.contains(&key[starts[n - len]..]))
            .map(|len| &key[..starts[n - len]])
    }

    /// Whether two names have different brands: by their learnt line-of-business words when
    /// both have one, else by their first two characters.
    fn other_brand(&self, x: &str, y: &str) -> bool {
        match (self.brand(x), self.brand(y)) {
            (Some(a), Some(b)) => a != b,
            _ => x.chars().take(2).ne(y.chars().take(2)),
        }
    }

    /// The pair (a, b) scored with its reasons; None when the two cannot be one customer (a
    /// company and a person, or two different credit codes).
    pub fn compare(&self, parties: &[Party], a: usize, b: usize) -> Option<Pair> {
        score(self, parties, a, b)
    }
}

/// `Scorer::compare` without learnt words (brands by their first two characters).
pub fn compare(parties: &[Party], a: usize, b: usize) -> Option<Pair> {
    score(&Scorer::default(), parties, a, b)
}

fn score(scorer: &Scorer, parties: &[Party], a: usize, b: usize) -> Option<Pair> {
    let (x, y) = (&parties[a], &parties[b]);
    if x.company != y.company || a == b {
        return None;
    }
    let mut reasons = Vec::new();
    if let (Some(cx), Some(cy)) = (&x.credit_code, &y.credit_code) {
        if cx != cy {
            return None;
        }
        reasons.push(Reason::new(
            "same_credit_code",
            format!("same unified social credit code {cx}"),
            format!("统一社会信用代码相同 {cx}"),
        ));
    }
    let name = if x.key.is_empty() || y.key.is_empty() { 0.0 } else { strsim::jaro_winkler(&x.key, &y.key) };
    if name >= 1.0 {
        reasons.push(Reason::new("same_name", format!("same name {}", x.key), format!("名称相同 {}", x.key)));
    } else if name >= 0.75 {
        reasons.push(Reason::new(
            "similar_name",
            format!("names {name:.2} similar ({} / {})", x.key, y.key),
            format!("名称相似度 {name:.2}（{} / {}）", x.key, y.key),
        ));
    }
    let phone = shared(&x.phones, &y.phones);
    if let Some(p) = phone {
        reasons.push(Reason::new("same_phone", format!("same phone {p}"), format!("电话相同 {p}")));
    }
    let email = shared(&x.emails, &y.emails);
    if let Some(e) = email {
        reasons.push(Reason::new("same_email", format!("same e-mail {e}"), format!("邮箱相同 {e}")));
    }
    let linked = phone.is_some() || email.is_some();
    let score = if reasons.first().is_some_and(|r| r.code == "same_credit_code") {
        1.0
    } else if linked {
        0.6 + 0.4 * name
    } else {
        let city = if !x.city.is_empty() && !y.city.is_empty() && x.city != y.city { OTHER_CITY } else { 0.0 };
        if !x.company {
            return Some(Pair { a, b, score: (name - city - PERSON_NAME_ONLY).clamp(0.0, 1.0), reasons });
        }
        let brand = if scorer.other_brand(&x.key, &y.key) { OTHER_BRAND } else { 0.0 };
        let phones = if !x.phones.is_empty() && !y.phones.is_empty() { OTHER_PHONES } else { 0.0 };
        name - city - brand - phones
    };
    Some(Pair { a, b, score: score.clamp(0.0, 1.0), reasons })
}

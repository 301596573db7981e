//! Scoring a candidate pair: the credit code decides when both have one; a shared phone or
//! e-mail is strong evidence; otherwise the canonical names' Jaro–Winkler similarity, lowered
//! when the customers are in different known cities (namesakes in two cities are two companies).

use super::{Pair, Party, Reason};

/// Pairs at or above this score are reported as duplicates.
pub const DEFAULT_THRESHOLD: f64 = 0.88;

/// Similarity lost when both cities are known and differ and nothing else links the pair.
const OTHER_CITY: f64 = 0.15;

fn shared<'a>(a: &'a [String], b: &'a [String]) -> Option<&'a String> {
    a.iter().find(|x| b.contains(x))
}

/// The pair (a, b) scored with its reasons; None when the two cannot be one customer (a company
/// and a person, or two different credit codes).
pub fn compare(parties: &[Party], a: usize, b: usize) -> Option<Pair> {
    let (x, y) = (&parties[a], &parties[b]);
    if x.company != y.company || a == b {
        return None;
    }
    let mut reasons = Vec::new();
    if let (Some(cx), Some(cy)) = (&x.credit_code, &y.credit_code) {
        if cx != cy {
            return None;
        }
        reasons.push(Reason { code: "same_credit_code", detail: format!("same unified social credit code {cx}") });
    }
    let name = if x.key.is_empty() || y.key.is_empty() { 0.0 } else { strsim::jaro_winkler(&x.key, &y.key) };
    if name >= 1.0 {
        reasons.push(Reason { code: "same_name", detail: format!("same name {}", x.key) });
    } else if name >= 0.75 {
        reasons.push(Reason { code: "similar_name", detail: format!("names {name:.2} similar ({} / {})", x.key, y.key) });
    }
    let phone = shared(&x.phones, &y.phones);
    if let Some(p) = phone {
        reasons.push(Reason { code: "same_phone", detail: format!("same phone {p}") });
    }
    let email = shared(&x.emails, &y.emails);
    if let Some(e) = email {
        reasons.push(Reason { code: "same_email", detail: format!("same e-mail {e}") });
    }
    let linked = phone.is_some() || email.is_some();
    let score = if reasons.first().is_some_and(|r| r.code == "same_credit_code") {
        1.0
    } else if linked {
        0.6 + 0.4 * name
    } else if !x.city.is_empty() && !y.city.is_empty() && x.city != y.city {
        name - OTHER_CITY
    } else {
        name
    };
    Some(Pair { a, b, score: score.clamp(0.0, 1.0), reasons })
}

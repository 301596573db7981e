//! Rule suggestions: a shallow decision tree (Gini splits on rule-language features) whose
//! leaves are rules with their support and precision. A customer with a missing value in a split
//! feature follows neither branch — exactly as the rule language treats an unknown comparison —
//! so each suggested rule matches exactly the customers counted in its leaf.

use serde::Serialize;

/// Tree settings.
#[derive(Debug, Clone, Copy)]
pub struct TreeTerms {
    pub depth: usize,
    /// Smallest leaf, as a share of all customers.
    pub min_leaf_share: f64,
}

/// One suggested rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuggestedRule {
    /// In Strata's rule language, ready for a tier's `when`.
    pub rule: String,
    /// Customers the rule matches.
    pub customers: usize,
    /// Their share of all customers.
    pub support: f64,
    /// Share of matched customers with the outcome.
    pub precision: f64,
    /// Precision over the base rate.
    pub lift: f64,
}

fn gini(pos: f64, n: f64) -> f64 {
    if n == 0.0 {
        return 0.0;
    }
    let p = pos / n;
    2.0 * p * (1.0 - p) * n
}

struct Split {
    feature: usize,
    threshold: f64,
    gain: f64,
}

fn best_split(columns: &[Vec<f64>], labels: &[bool], rows: &[usize], min_leaf: usize) -> Option<Split> {
    let (n, pos) = (rows.len() as f64, rows.iter().filter(|&&r| labels[r]).count() as f64);
    let parent = gini(pos, n);
    let mut best: Option<Split> = None;
    for (f, col) in columns.iter().enumerate() {
        let mut known: Vec<(f64, bool)> = rows.iter().filter(|&&r| col[r].is_finite()).map(|&r| (col[r], labels[r])).collect();
        if known.len() < 2 * min_leaf {
            continue;
        }
        known.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Prefix counts of positives; every boundary between two different values is a candidate.
        let mut prefix = Vec::with_capacity(known.len() + 1);
        prefix.push(0usize);
        for (_, y) in &known {
            prefix.push(prefix[prefix.len() - 1] + usize::from(*y));
        }
        let total_pos = prefix[known.len()] as f64;
        for cut in min_leaf..=known.len() - min_leaf {
            // The split falls between different values: `value <= known[cut - 1].0`.
            if known[cut].0 != known[cut - 1].0 {
                let (ln, lp) = (cut as f64, prefix[cut] as f64);
                let (rn, rp) = (known.len() as f64 - ln, total_pos - lp);
                // Customers missing this feature leave the tree here (gain counts them as lost).
                let gain = parent - gini(lp, ln) - gini(rp, rn) - gini(pos - total_pos, n - known.len() as f64);
                if gain > 1e-9 && best.as_ref().is_none_or(|b| gain > b.gain) {
                    best = Some(Split { feature: f, threshold: known[cut - 1].0, gain });
                }
            }
        }
    }
    best
}

/// Formats a threshold as short as it can be while still separating the same customers.
fn threshold_text(t: f64) -> String {
    if t.fract() == 0.0 && t.abs() < 1e15 {
        return format!("{t:.0}");
    }
    for digits in 1..=10 {
        let s = format!("{t:.digits$}");
        if s.parse::<f64>().is_ok_and(|v| v == t) {
            return s;
        }
    }
    format!("{t}")
}

/// Learns a tree over `columns` (feature values per customer; NaN = missing) for `labels`, and
/// returns its leaves whose precision is above the base rate, best first. `names[j]` is the rule
/// text of feature j.
pub fn suggest_rules(names: &[String], columns: &[Vec<f64>], labels: &[bool], terms: TreeTerms) -> Vec<SuggestedRule> {
    let total = labels.len();
    if total == 0 {
        return Vec::new();
    }
    let base = labels.iter().filter(|&&y| y).count() as f64 / total as f64;
    let min_leaf = ((terms.min_leaf_share * total as f64).ceil() as usize).max(5);
    let mut leaves: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    let mut open: Vec<(Vec<String>, Vec<usize>, usize)> = vec![(Vec::new(), (0..total).collect(), 0)];
    while let Some((conds, rows, depth)) = open.pop() {
        let split = if depth < terms.depth { best_split(columns, labels, &rows, min_leaf) } else { None };
        let Some(s) = split else {
            leaves.push((conds, rows));
            continue;
        };
        let col = &columns[s.feature];
        let (left, right): (Vec<usize>, Vec<usize>) = rows.iter().filter(|&&r| col[r].is_finite()).partition(|&&r| col[r] <= s.threshold);
        let t = threshold_text(s.threshold);
        let name = &names[s.feature];
        for (side, op) in [(right, ">"), (left, "<=")] {
            let mut c = conds.clone();
            c.push(format!("{name} {op} {t}"));
            open.push((c, side, depth + 1));
        }
    }
    let mut out: Vec<SuggestedRule> = leaves
        .into_iter()
        .filter(|(conds, rows)| !conds.is_empty() && !rows.is_empty())
        .map(|(conds, rows)| {
            let precision = rows.iter().filter(|&&r| labels[r]).count() as f64 / rows.len() as f64;
            SuggestedRule {
                rule: conds.join(" and "),
                customers: rows.len(),
                support: rows.len() as f64 / total as f64,
                precision,
                lift: if base > 0.0 { precision / base } else { f64::NAN },
            }
        })
        .filter(|r| r.precision > base)
        .collect();
    out.sort_by(|a, b| b.precision.total_cmp(&a.precision).then(b.customers.cmp(&a.customers)));
    out
}

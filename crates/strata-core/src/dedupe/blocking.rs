//! Candidate pairs without comparing everyone with everyone: neighbours in the order of the
//! canonical names and of the names read backwards (a typo at the start or at the end still
//! leaves the other side sorted together), and every pair sharing a credit code, a phone, an
//! e-mail or the exact name — unless that key is shared so widely it identifies nothing.

use std::collections::HashMap;

use super::Party;

/// How many following names each name is compared with, in each order.
pub const WINDOW: usize = 8;
/// A key shared by more customers than this (a switchboard number, a generic name) does not
/// make pairs by itself.
const MAX_BLOCK: usize = 40;

fn pack(a: usize, b: usize) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    ((lo as u64) << 32) | hi as u64
}

fn neighbours(order: &[usize], out: &mut Vec<u64>) {
    for (i, &a) in order.iter().enumerate() {
        for &b in order.iter().skip(i + 1).take(WINDOW) {
            out.push(pack(a, b));
        }
    }
}

/// Index pairs worth scoring, each once, ascending.
pub fn candidate_pairs(parties: &[Party]) -> Vec<(usize, usize)> {
    let mut out: Vec<u64> = Vec::new();
    let named: Vec<usize> = (0..parties.len()).filter(|&i| !parties[i].key.is_empty()).collect();
    let mut order = named.clone();
    order.sort_by(|&a, &b| parties[a].key.cmp(&parties[b].key));
    neighbours(&order, &mut out);
    let reversed: Vec<String> = parties.iter().map(|p| p.key.chars().rev().collect()).collect();
    let mut order = named;
    order.sort_by(|&a, &b| reversed[a].cmp(&reversed[b]));
    neighbours(&order, &mut out);
    let mut blocks: HashMap<(u8, &str), Vec<usize>> = HashMap::new();
    for (i, p) in parties.iter().enumerate() {
        if let Some(c) = &p.credit_code {
            blocks.entry((0, c.as_str())).or_default().push(i);
        }
        for phone in &p.phones {
            blocks.entry((1, phone.as_str())).or_default().push(i);
        }
        for email in &p.emails {
            blocks.entry((2, email.as_str())).or_default().push(i);
        }
        if !p.key.is_empty() {
            blocks.entry((3, p.key.as_str())).or_default().push(i);
        }
    }
    for members in blocks.values().filter(|m| m.len() > 1 && m.len() <= MAX_BLOCK) {
        for (k, &a) in members.iter().enumerate() {
            for &b in &members[k + 1..] {
                if a != b {
                    out.push(pack(a, b));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out.into_iter().map(|k| ((k >> 32) as usize, (k & 0xFFFF_FFFF) as usize)).collect()
}

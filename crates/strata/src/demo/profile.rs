//! One demo customer's hidden profile, derived deterministically from (seed, index): who they
//! are, when they started and stopped buying, how much and how often.

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use strata_core::{credit_code::check_char, customer::CustomerKind};

use super::vocab::*;

/// Days of history the demo covers (three years).
pub const HISTORY_DAYS: i64 = 1095;

pub struct Profile {
    pub idx: u64,
    pub external_id: String,
    pub kind: CustomerKind,
    pub name: String,
    pub province: usize,
    pub city: &'static str,
    pub industry: usize,
    pub since: NaiveDate,
    /// Last day the customer buys (churned customers stop early).
    pub end: NaiveDate,
    pub orders: u32,
    /// Mean of ln(order amount in yuan).
    pub level: f64,
    pub owner: Option<&'static str>,
    pub products: Vec<&'static str>,
    pub credit_code: Option<String>,
    pub phone: String,
    pub source: &'static str,
    pub tags: Vec<String>,
}

/// A generator for one purpose (`salt`) of one customer: independent streams per entity.
pub fn rng_for(seed: u64, idx: u64, salt: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ idx.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93),
    )
}

pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let l = (-lambda).exp();
    let (mut k, mut p) = (0u32, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

pub fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

pub fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

pub fn person_name(rng: &mut ChaCha8Rng) -> (String, String) {
    let (s, sp) = pick(rng, SURNAMES);
    let (g, gp) = pick(rng, GIVEN);
    (format!("{s}{g}"), format!("{sp}{gp}"))
}

pub fn mobile(rng: &mut ChaCha8Rng) -> String {
    let second = rng.random_range(3..=9);
    format!("+861{second}{:09}", rng.random_range(0..1_000_000_000u64))
}

/// A day in `[from, to]` drawn with the month-of-year seasonality.
pub fn seasonal_day(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    let max_w = MONTH_WEIGHT.iter().cloned().fold(0.0, f64::max);
    for _ in 0..20 {
        let d = from + Duration::days(rng.random_range(0..=span));
        if rng.random::<f64>() * max_w <= MONTH_WEIGHT[d.month0() as usize] {
            return d;
        }
    }
    from + Duration::days(rng.random_range(0..=span))
}

fn credit_code(rng: &mut ChaCha8Rng, admin: &str) -> String {
    const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut s = format!("91{}", &admin[..4]);
    s.push_str(&format!("{:02}", rng.random_range(1..20)));
    for _ in 0..9 {
        s.push(CHARSET[rng.random_range(0..CHARSET.len())] as char);
    }
    let check = check_char(s.as_bytes()).unwrap_or('0');
    s.push(check);
    s
}

impl Profile {
    pub fn new(seed: u64, idx: u64, until: NaiveDate) -> Profile {
        let mut rng = rng_for(seed, idx, 0);
        let start = until - Duration::days(HISTORY_DAYS);
        let province = weighted(&mut rng, &PROVINCES.iter().enumerate().map(|(i, p)| (i, p.2)).collect::<Vec<_>>());
        let (pname, admin, _, cities, team) = PROVINCES[province];
        let city = pick(&mut rng, cities);
        let industry = weighted(&mut rng, &INDUSTRIES.iter().enumerate().map(|(i, x)| (i, x.2)).collect::<Vec<_>>());
        let kind = if rng.random::<f64>() < 0.1 { CustomerKind::Person } else { CustomerKind::Company };
        let name = match kind {
            CustomerKind::Person => person_name(&mut rng).0,
            CustomerKind::Company => {
                let trade: String = [pick(&mut rng, TRADE_CHARS), pick(&mut rng, TRADE_CHARS)].iter().collect();
                let word = pick(&mut rng, INDUSTRIES[industry].1);
                let form = weighted(&mut rng, LEGAL_FORMS);
                let prefix = if rng.random::<f64>() < 0.6 { city.to_string() } else { String::new() };
                let _ = pname;
                format!("{prefix}{trade}{word}{form}")
            }
        };
        let w = (2.3 * normal(&mut rng)).exp().min((2.3f64 * 3.4).exp());
        let orders = 1 + poisson(&mut rng, 19.0 * w / 13.0);
        let since = start + Duration::days((HISTORY_DAYS as f64 * rng.random::<f64>().powf(0.7)) as i64);
        let lifetime = 30.0 + -(rng.random::<f64>().max(1e-12)).ln() * 400.0 * (1.0 + (1.0 + orders as f64).ln() / 2.0);
        let end = (since + Duration::days(lifetime as i64)).min(until);
        let level = match kind {
            CustomerKind::Company => (8000.0f64).ln() + 0.9 * normal(&mut rng),
            CustomerKind::Person => (800.0f64).ln() + 0.7 * normal(&mut rng),
        };
        let owner = if rng.random::<f64>() < 0.08 {
            None
        } else if orders > 150 {
            Some(pick(&mut rng, &["xujie", "sunyue"]))
        } else {
            let team_sales: Vec<&'static str> = USERS.iter().filter(|u| u.3 == Some(team) && u.2 == "sales").map(|u| u.0).collect();
            Some(pick(&mut rng, &team_sales))
        };
        let n_products = rng.random_range(1..=4);
        let mut products: Vec<&'static str> = Vec::new();
        while products.len() < n_products {
            let p = pick(&mut rng, PRODUCT_LINES);
            if !products.contains(&p) {
                products.push(p);
            }
        }
        let credit_code = (kind == CustomerKind::Company && rng.random::<f64>() < 0.85).then(|| credit_code(&mut rng, admin));
        let mut tags = Vec::new();
        if orders > 150 {
            tags.push("战略客户".to_string());
        } else if orders > 60 {
            tags.push("重点客户".to_string());
        }
        for _ in 0..rng.random_range(0..=2) {
            let t = pick(&mut rng, TAGS).to_string();
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        Profile {
            idx,
            external_id: format!("C{:07}", idx + 1),
            kind,
            name,
            province,
            city,
            industry,
            since,
            end,
            orders,
            level,
            owner,
            products,
            credit_code,
            phone: mobile(&mut rng),
            source: weighted(&mut rng, SOURCES),
            tags,
        }
    }
}

//! `strata bench dedupe`: a customer base with injected duplicates of known ground truth (the
//! variations sales reps type: legal forms, region prefixes and brackets, full-width letters,
//! phone formats, one-character typos, upper-case e-mails) and namesakes in other cities that
//! must stay apart; duplicate detection is timed and scored (pairwise precision and recall).
//! `STRATA_DEDUPE_DEBUG=1` prints false positives at the default threshold to stderr.

use std::{collections::HashMap, time::Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use strata_core::{
    company_name::{canonical_company_name, CITIES},
    credit_code::check_char,
    dedupe::{group_pairs, scored_pairs, Party, DEFAULT_THRESHOLD},
    email::normalise_email,
    phone::normalise_phone,
    text::to_half_width,
};

use crate::demo::vocab::{INDUSTRIES, LEGAL_FORMS, TRADE_CHARS};

/// More characters seen in trade names, so a million generated names are mostly distinct.
const MORE_TRADE_CHARS: &str = "安邦宝北奔彩灿昌超辰诚驰崇川春纯大丹道登迪典鼎东都恩帆方丰峰凤福富港高歌冠光广贵国海汉浩和恒红鸿厚虎华欢皇辉惠吉佳嘉建江杰金锦晶京精久骏凯康科可坤蓝朗乐雷力丽利联良林麟灵龙隆路伦迈茂美蒙敏名明铭南能鹏品平普奇启千强桥勤青清庆秋群然仁荣瑞润森山上尚升生胜盛诗石世仕首舒顺思松泰腾天田通同童图万威维伟文翔祥欣鑫信星兴雄旭轩雅亚阳耀业一亿益毅银英盈永优友宇玉元远悦跃云韵泽展章兆哲振正之志智中众洲竹卓子紫";

/// Characters a rep types by mistake for another (same pinyin, similar shape).
const SLIPS: &[(char, char)] = &[
    ('技', '枝'),
    ('械', '戒'),
    ('贸', '茂'),
    ('程', '城'),
    ('装', '妆'),
    ('务', '物'),
    ('料', '科'),
    ('疗', '了'),
    ('能', '态'),
    ('网', '冈'),
    ('络', '洛'),
    ('源', '原'),
    ('息', '思'),
    ('管', '官'),
    ('理', '里'),
    ('服', '复'),
    ('建', '健'),
    ('筑', '竹'),
];

/// A generated customer as typed, with the cluster it truly belongs to.
struct Typed {
    name: String,
    city: String,
    phone: Option<String>,
    email: Option<String>,
    credit: Option<String>,
    cluster: usize,
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn credit_code(rng: &mut ChaCha8Rng) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut first: Vec<u8> = b"9144".to_vec();
    while first.len() < 17 {
        first.push(CHARS[rng.random_range(0..CHARS.len())]);
    }
    let check = check_char(&first).unwrap_or('0');
    format!("{}{check}", String::from_utf8_lossy(&first))
}

fn base(rng: &mut ChaCha8Rng, i: usize) -> Typed {
    let len = match rng.random::<f64>() {
        x if x < 0.35 => 2,
        x if x < 0.85 => 3,
        _ => 4,
    };
    let more: Vec<char> = MORE_TRADE_CHARS.chars().collect();
    let trade: String = (0..len).map(|_| if rng.random::<f64>() < 0.3 { *pick(rng, TRADE_CHARS) } else { *pick(rng, &more) }).collect();
    let industry = &INDUSTRIES[rng.random_range(0..INDUSTRIES.len())];
    let word = pick(rng, industry.1);
    let form = pick(rng, LEGAL_FORMS).0;
    let city = pick(rng, &CITIES).to_string();
    let prefix = if rng.random::<f64>() < 0.5 { format!("{city}市") } else { String::new() };
    Typed {
        name: format!("{prefix}{trade}{word}{form}"),
        city,
        phone: Some(format!("1{}{:08}", pick(rng, &[38, 39, 50, 58, 86, 89]), rng.random_range(0..100_000_000u32))),
        email: (rng.random::<f64>() < 0.4).then(|| format!("contact{i}@firm{}.cn", rng.random_range(0..1000))),
        credit: (rng.random::<f64>() < 0.5).then(|| credit_code(rng)),
        cluster: i,
    }
}

/// A duplicate of `b` as another rep would type it.
fn variant(rng: &mut ChaCha8Rng, b: &Typed) -> Typed {
    let core = canonical_company_name(&b.name);
    let mut chars: Vec<char> = core.chars().collect();
    // A typo in the line of business (the brand itself is what reps copy most carefully):
    // a slip of the input method, a dropped character, or two characters swapped.
    if rng.random::<f64>() < 0.3 && chars.len() > 4 {
        let at = rng.random_range(chars.len() - 2..chars.len());
        match rng.random_range(0..3) {
            0 => match SLIPS.iter().find(|(c, _)| chars.contains(c)) {
                Some(&(c, slip)) => chars.iter_mut().filter(|x| **x == c).take(1).for_each(|x| *x = slip),
                None => {
                    chars.remove(at);
                }
            },
            1 => {
                chars.remove(at);
            }
            _ => chars.swap(at - 1, at),
        }
    }
    let core: String = chars.into_iter().collect();
    let form = match rng.random_range(0..4) {
        0 => "",
        _ => pick(rng, LEGAL_FORMS).0,
    };
    let name = match rng.random_range(0..4) {
        0 => format!("{}市{core}{form}", b.city),
        1 => format!("{core}（{}）{form}", b.city),
        2 => format!("{} {core} {form}", b.city),
        _ => format!("{core}{form}"),
    };
    // Latin letters and digits typed full-width now and then.
    let name: String = if rng.random::<f64>() < 0.2 {
        name.chars().map(|c| if c.is_ascii_alphanumeric() { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c }).collect()
    } else {
        name
    };
    let phone = b.phone.as_ref().filter(|_| rng.random::<f64>() < 0.5).map(|p| match rng.random_range(0..3) {
        0 => format!("+86 {} {} {}", &p[..3], &p[3..7], &p[7..]),
        1 => format!("{}-{}-{}", &p[..3], &p[3..7], &p[7..]),
        _ => p.clone(),
    });
    Typed {
        name,
        city: if rng.random::<f64>() < 0.8 { b.city.clone() } else { String::new() },
        phone,
        email: b.email.as_ref().filter(|_| rng.random::<f64>() < 0.3).map(|e| e.to_uppercase()),
        credit: b.credit.clone().filter(|_| rng.random::<f64>() < 0.3),
        cluster: b.cluster,
    }
}

/// A different company with the same name in another city.
fn namesake(rng: &mut ChaCha8Rng, b: &Typed, i: usize) -> Typed {
    let mut other = base(rng, i);
    while other.city == b.city {
        other.city = pick(rng, &CITIES).to_string();
    }
    other.name = format!("{}{}", other.city, canonical_company_name(&b.name)) + "有限公司";
    other
}

fn party(id: usize, t: &Typed) -> Party {
    Party {
        id: id as i64,
        company: true,
        key: canonical_company_name(&to_half_width(&t.name)),
        credit_code: t.credit.clone(),
        phones: t.phone.iter().filter_map(|p| normalise_phone(p).ok()).collect(),
        emails: t.email.iter().filter_map(|e| normalise_email(e).ok()).collect(),
        city: strata_core::dedupe::party_city(&t.city, &t.name),
    }
}

fn pairs_of(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

pub fn run(customers: usize, duplicates: f64, seed: u64) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let originals = ((customers as f64) / (1.0 + duplicates + 0.01)).round() as usize;
    let mut typed: Vec<Typed> = (0..originals).map(|i| base(&mut rng, i)).collect();
    let (mut injected, mut namesakes) = (0usize, 0usize);
    while typed.len() < customers {
        let of = rng.random_range(0..originals);
        if rng.random::<f64>() < 0.01 / (duplicates + 0.01) {
            let t = namesake(&mut rng, &typed[of], typed.len());
            typed.push(t);
            namesakes += 1;
        } else {
            let t = variant(&mut rng, &typed[of]);
            typed.push(t);
            injected += 1;
        }
    }
    let started = Instant::now();
    let parties: Vec<Party> = typed.iter().enumerate().map(|(i, t)| party(i, t)).collect();
    let keys_s = started.elapsed().as_secs_f64();
    let t = Instant::now();
    let pairs = scored_pairs(&parties, 0.75);
    let pairs_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let groups = group_pairs(&parties, pairs.clone(), DEFAULT_THRESHOLD);
    let group_s = t.elapsed().as_secs_f64();

    let mut cluster_sizes: HashMap<usize, u64> = HashMap::new();
    for t in &typed {
        *cluster_sizes.entry(t.cluster).or_default() += 1;
    }
    let true_pairs: u64 = cluster_sizes.values().map(|&n| pairs_of(n)).sum();
    let evaluate = |threshold: f64| {
        let groups = group_pairs(&parties, pairs.clone(), threshold);
        let (mut predicted, mut correct) = (0u64, 0u64);
        for g in &groups {
            predicted += pairs_of(g.members.len() as u64);
            let mut by: HashMap<usize, u64> = HashMap::new();
            for &id in &g.members {
                *by.entry(typed[id as usize].cluster).or_default() += 1;
            }
            correct += by.values().map(|&n| pairs_of(n)).sum::<u64>();
        }
        let precision = if predicted == 0 { f64::NAN } else { correct as f64 / predicted as f64 };
        json!({ "threshold": threshold, "groups": groups.len(), "precision": precision, "recall": correct as f64 / true_pairs.max(1) as f64 })
    };
    if std::env::var("STRATA_DEDUPE_DEBUG").is_ok() {
        let mut shown = 0;
        for p in pairs.iter().filter(|p| p.score >= DEFAULT_THRESHOLD && typed[p.a].cluster != typed[p.b].cluster) {
            if shown < 25 {
                eprintln!(
                    "FP {:.3} {} | {} {:?}",
                    p.score,
                    typed[p.a].name,
                    typed[p.b].name,
                    p.reasons.iter().map(|r| r.code).collect::<Vec<_>>()
                );
                shown += 1;
            }
        }
    }
    let at_default = evaluate(DEFAULT_THRESHOLD);
    let curve: Vec<serde_json::Value> = [0.80, 0.84, 0.86, 0.90, 0.92, 0.95].iter().map(|&t| evaluate(t)).collect();
    println!(
        "{}",
        json!({
            "bench": "dedupe", "customers": customers, "seed": seed, "injected_duplicates": injected, "namesakes": namesakes,
            "true_pairs": true_pairs, "candidate_pairs_scored": pairs.len(), "groups": groups.len(),
            "keys_s": keys_s, "pairs_s": pairs_s, "group_s": group_s, "scan_s": keys_s + pairs_s + group_s,
            "default_threshold": at_default, "curve": curve,
        })
    );
    Ok(())
}

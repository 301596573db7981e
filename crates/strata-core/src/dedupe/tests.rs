//! Duplicate detection on hand-made cases: the variations sales reps type, the namesakes that
//! must stay apart, and groups with their reasons.

use super::*;
use crate::{company_name::canonical_company_name, phone::normalise_phone};

fn company(id: i64, name: &str, city: &str, phone: &str, credit: Option<&str>) -> Party {
    Party {
        id,
        company: true,
        key: canonical_company_name(name),
        credit_code: credit.map(String::from),
        phones: if phone.is_empty() { vec![] } else { vec![normalise_phone(phone).expect("phone")] },
        emails: vec![],
        city: city.into(),
    }
}

#[test]
fn pairs_are_scored_with_reasons() {
    // (a, b, duplicate at the default threshold?, reason codes)
    let cases: Vec<(Party, Party, bool, Vec<&str>)> = vec![
        (company(1, "深圳市腾飞科技有限公司", "深圳", "", None), company(2, "腾飞科技（深圳）", "", "", None), true, vec!["same_name"]),
        (
            company(1, "深圳市腾飞科技有限公司", "深圳", "", None),
            company(2, "腾飞科技股份有限公司", "深圳", "", None),
            true,
            vec!["same_name"],
        ),
        (company(1, "ＡＢＣ电子（上海）有限公司", "", "", None), company(2, "ABC电子有限公司", "", "", None), true, vec!["same_name"]),
        (
            company(1, "华信医疗器械有限公司", "", "138 0013 8000", None),
            company(2, "华信医疗有限公司", "", "+86 13800138000", None),
            true,
            vec!["similar_name", "same_phone"],
        ),
        (
            company(1, "博远智能装备有限公司", "", "", None),
            company(2, "博远智能装备制造有限公司", "", "", None),
            true,
            vec!["similar_name"],
        ),
        // Namesakes in two cities, nothing else in common: two companies.
        (company(1, "腾飞科技有限公司", "深圳", "", None), company(2, "腾飞科技有限公司", "杭州", "", None), false, vec!["same_name"]),
        // Different credit codes: two legal entities whatever the names say.
        (
            company(1, "腾飞科技有限公司", "", "", Some("91440300MA5D8XXX1A")),
            company(2, "腾飞科技有限公司", "", "", Some("91440300MA5D8XXX2B")),
            false,
            vec![],
        ),
        (company(1, "腾飞科技有限公司", "", "", None), company(2, "华信医疗有限公司", "", "", None), false, vec![]),
    ];
    for (a, b, dup, codes) in cases {
        let parties = [a.clone(), b.clone()];
        let got = compare(&parties, 0, 1);
        let is_dup = got.as_ref().is_some_and(|p| p.score >= DEFAULT_THRESHOLD);
        assert_eq!(is_dup, dup, "{} / {}: {got:?}", a.key, b.key);
        let got_codes: Vec<&str> = got.map(|p| p.reasons.iter().map(|r| r.code).collect()).unwrap_or_default();
        assert_eq!(got_codes, codes, "{} / {}", a.key, b.key);
    }
    // Two persons of the same name are two people unless something else links them.
    let wang = |id: i64, phone: &str| Party {
        id,
        company: false,
        key: crate::company_name::canonical_person_name("王 伟"),
        phones: if phone.is_empty() { vec![] } else { vec![normalise_phone(phone).expect("phone")] },
        ..Party::default()
    };
    assert!(compare(&[wang(1, ""), wang(2, "")], 0, 1).is_some_and(|p| p.score < DEFAULT_THRESHOLD));
    assert!(compare(&[wang(1, "13800138000"), wang(2, "138 0013 8000")], 0, 1).is_some_and(|p| p.score >= DEFAULT_THRESHOLD));
    // A company never matches a person.
    let person = Party { id: 3, company: false, key: "腾飞科技".into(), ..Party::default() };
    assert!(compare(&[company(1, "腾飞科技有限公司", "", "", None), person], 0, 1).is_none());
}

#[test]
fn scans_group_duplicates_and_rank_them() {
    let parties = vec![
        company(10, "深圳市腾飞科技有限公司", "深圳", "13800138000", None),
        company(11, "腾飞科技（深圳）", "深圳", "", None),
        company(12, "深圳腾飞科技股份有限公司", "", "138-0013-8000", None),
        company(20, "杭州云帆贸易有限公司", "杭州", "", Some("91330100MA27XYZ10K")),
        company(21, "云帆商贸", "", "", Some("91330100MA27XYZ10K")),
        company(30, "华信医疗器械有限公司", "北京", "", None),
    ];
    let groups = scan(&parties, DEFAULT_THRESHOLD);
    let members: Vec<Vec<i64>> = groups.iter().map(|g| g.members.clone()).collect();
    assert_eq!(members, vec![vec![10, 11, 12], vec![20, 21]]);
    assert!(groups[0].pairs.iter().any(|p| p.3.iter().any(|r| r.detail == "same phone +8613800138000")));
    assert_eq!(groups[1].pairs[0].3[0].code, "same_credit_code");
    // Nothing found below the threshold is reported; an empty base has no groups.
    assert!(scan(&parties, 1.01).is_empty());
    assert!(scan(&[], DEFAULT_THRESHOLD).is_empty());
}

#[test]
fn blocking_finds_typos_at_either_end() {
    // 200 distinct names, one with a typo in its first character and one in its last.
    let mut parties: Vec<Party> =
        (0..200).map(|i| Party { id: i, company: true, key: format!("公司{i:03}号"), ..Party::default() }).collect();
    parties.push(Party { id: 1000, company: true, key: "母司050号".into(), ..Party::default() });
    parties.push(Party { id: 1001, company: true, key: "公司120码".into(), ..Party::default() });
    let pairs = candidate_pairs(&parties);
    let has =
        |a: i64, b: i64| pairs.iter().any(|&(x, y)| (parties[x].id, parties[y].id) == (a, b) || (parties[y].id, parties[x].id) == (a, b));
    assert!(has(50, 1000) && has(120, 1001));
    assert!(pairs.len() < parties.len() * 2 * WINDOW + 10, "{} pairs", pairs.len());
}

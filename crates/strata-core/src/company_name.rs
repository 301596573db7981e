//! Canonical names for matching: what identifies a company once legal forms, regions and
//! formatting are stripped ("深圳市腾飞科技有限公司" and "腾飞科技（深圳）" both become "腾飞科技").

use crate::text::to_half_width;

/// Provinces, autonomous regions and municipalities (31 on the mainland), as written in full.
pub const PROVINCES: [&str; 31] = [
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
];

/// Large cities whose names appear as prefixes of company names.
pub const CITIES: [&str; 60] = [
    "深圳",
    "广州",
    "东莞",
    "佛山",
    "珠海",
    "中山",
    "惠州",
    "杭州",
    "宁波",
    "温州",
    "绍兴",
    "嘉兴",
    "金华",
    "台州",
    "南京",
    "苏州",
    "无锡",
    "常州",
    "南通",
    "徐州",
    "扬州",
    "成都",
    "绵阳",
    "武汉",
    "长沙",
    "郑州",
    "洛阳",
    "西安",
    "济南",
    "青岛",
    "烟台",
    "潍坊",
    "合肥",
    "芜湖",
    "福州",
    "厦门",
    "泉州",
    "南昌",
    "南宁",
    "昆明",
    "贵阳",
    "海口",
    "三亚",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "石家庄",
    "唐山",
    "太原",
    "呼和浩特",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "拉萨",
    "保定",
    "廊坊",
    "珠江",
    "滨海",
];

/// Legal-form and organisational suffixes, longest first so the longest one is removed.
const LEGAL_FORMS: [&str; 24] = [
    "集团股份有限公司",
    "集团有限责任公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "分公司",
    "总公司",
    "控股集团",
    "集团公司",
    "集团",
    "公司",
    "工作室",
    "商行",
    "经营部",
    "corporation",
    "limited",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd",
    "ltd.",
    "ltd",
    "inc.",
];
const LATIN_FORMS: [&str; 9] = ["inc", "llc", "gmbh", "corp.", "corp", "co.", "co", "group", "plc"];

fn short_province(full: &str) -> &str {
    for suffix in ["维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"] {
        if let Some(s) = full.strip_suffix(suffix) {
            return s;
        }
    }
    full
}

/// Removes region names at the start: "广东省深圳市…", "深圳…", "北京…".
fn strip_region_prefix(mut s: &str) -> &str {
    loop {
        let before = s.len();
        for p in PROVINCES.iter() {
            let short = short_province(p);
            for cand in [*p, short] {
                if let Some(r) = s.strip_prefix(cand) {
                    s = r.strip_prefix('省').unwrap_or(r);
                }
            }
        }
        for c in CITIES.iter() {
            if let Some(r) = s.strip_prefix(c) {
                s = r.strip_prefix('市').unwrap_or(r);
            }
        }
        if s.chars().count() < 2 || s.len() == before {
            return s;
        }
    }
}

/// The city a company name starts with (after any province) or names in brackets:
/// "深圳市腾飞科技" and "广东省深圳市腾飞科技" → 深圳, "腾飞科技（深圳）" → 深圳, "南宁 新哲物流" → 南宁.
pub fn city_in_name(name: &str) -> Option<&'static str> {
    let s = name.trim();
    let mut rest = s;
    for p in PROVINCES.iter() {
        for cand in [*p, short_province(p)] {
            if let Some(r) = rest.strip_prefix(cand) {
                rest = r.strip_prefix('省').unwrap_or(r).trim_start();
            }
        }
    }
    if let Some(c) = CITIES.iter().find(|c| rest.starts_with(**c)) {
        return Some(c);
    }
    CITIES.iter().find(|c| s.contains(&format!("（{c}")) || s.contains(&format!("({c}"))).copied()
}

fn is_region(s: &str) -> bool {
    let s = s.trim_end_matches(['市', '省', '区']);
    PROVINCES.iter().any(|p| short_province(p) == s) || CITIES.contains(&s)
}

/// The matching key of a company name. Idempotent: canonical(canonical(x)) == canonical(x).
pub fn canonical_company_name(name: &str) -> String {
    let mut s = to_half_width(name).to_lowercase();
    s = s.replace(['（', '［', '【', '〔'], "(").replace(['）', '］', '】', '〕'], ")");
    // Drop parenthesised regions, keep other parenthesised text without the brackets.
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        match rest[open..].find(')') {
            Some(close) => {
                let inner = &rest[open + 1..open + close];
                if !is_region(inner.trim()) {
                    out.push_str(inner);
                }
                rest = &rest[open + close + 1..];
            }
            None => {
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    let mut s: String = out.chars().filter(|c| !c.is_whitespace() && !matches!(c, '·' | '•' | '"' | '\'' | '“' | '”')).collect();
    // Legal forms at the end, repeatedly ("…集团有限公司" then "…集团").
    loop {
        let before = s.len();
        for f in LEGAL_FORMS.iter().chain(LATIN_FORMS.iter()) {
            if s.len() > f.len() {
                if let Some(r) = s.strip_suffix(f) {
                    s = r.trim_end_matches([',', '.', '-', '&']).to_string();
                    break;
                }
            }
        }
        if s.len() == before {
            break;
        }
    }
    let stripped = strip_region_prefix(&s).to_string();
    // Keep at least three characters: "北京银行" is a name, "银行" is not.
    let key = if stripped.chars().count() >= 3 { stripped } else { s };
    key.trim_matches(|c: char| c.is_ascii_punctuation()).to_string()
}

/// The matching key of a person's name: no spaces or dots, lower-case.
pub fn canonical_person_name(name: &str) -> String {
    to_half_width(name).chars().filter(|c| !c.is_whitespace() && !matches!(c, '·' | '.' | '•')).collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cities_are_read_from_names() {
        let cases = [
            ("深圳市腾飞科技有限公司", Some("深圳")),
            ("广东省深圳市腾飞科技有限公司", Some("深圳")),
            ("腾飞科技（深圳）有限公司", Some("深圳")),
            ("南宁 新哲物流 有限公司", Some("南宁")),
            ("腾飞科技有限公司", None),
        ];
        for (name, want) in cases {
            assert_eq!(city_in_name(name), want, "{name}");
        }
    }

    #[test]
    fn canonicalises_company_names() {
        let cases = [
            ("深圳市腾飞科技有限公司", "腾飞科技"),
            ("腾飞科技", "腾飞科技"),
            ("腾飞科技（深圳）有限公司", "腾飞科技"),
            ("广东省深圳市腾飞科技股份有限公司", "腾飞科技"),
            ("腾飞科技集团有限公司", "腾飞科技"),
            ("北京 华信 医疗器械有限责任公司", "华信医疗器械"),
            ("ＡＢＣ电子（上海）有限公司", "abc电子"),
            ("Blue River Co., Ltd.", "blueriver"),
            ("Silver Peak GmbH", "silverpeak"),
            ("北京", "北京"),
            ("北京银行", "北京银行"),
            ("华为技术有限公司", "华为技术"),
            ("腾飞科技(研发中心)", "腾飞科技研发中心"),
        ];
        for (raw, want) in cases {
            assert_eq!(canonical_company_name(raw), want, "input {raw:?}");
        }
    }

    #[test]
    fn canonical_is_idempotent() {
        for raw in ["深圳市腾飞科技有限公司", "Blue River Co., Ltd.", "北京银行股份有限公司", "上海"] {
            let once = canonical_company_name(raw);
            assert_eq!(canonical_company_name(&once), once, "input {raw:?}");
        }
    }

    #[test]
    fn canonicalises_person_names() {
        assert_eq!(canonical_person_name("王 伟"), "王伟");
        assert_eq!(canonical_person_name("Wang  Wei"), "wangwei");
        assert_eq!(canonical_person_name("阿卜杜·热合曼"), "阿卜杜热合曼");
    }
}

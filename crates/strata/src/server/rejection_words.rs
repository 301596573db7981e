//! What axum's rejections of a request body or query say, in Chinese: the framework's lead-in
//! and serde's usual phrases (missing or unknown field, wrong type, position) worded again;
//! anything else is kept as it is.

/// The lead-ins axum puts before serde's message.
const LEADS: [(&str, &str); 6] = [
    ("Failed to deserialize the JSON body into the target type: ", "请求的 JSON 与要求的格式不符："),
    ("Failed to parse the request body as JSON: ", "请求内容不是有效的 JSON："),
    ("Expected request with `Content-Type: application/json`", "请求须带 `Content-Type: application/json`"),
    ("Failed to deserialize query string: ", "查询参数无效："),
    ("Failed to buffer the request body: ", "读取请求内容失败："),
    ("Failed to deserialize form: ", "表单内容无效："),
];

/// `text` (an axum rejection's body text) in Chinese.
pub fn chinese(text: &str) -> String {
    let (lead, rest) = LEADS.iter().find_map(|(en, zh)| text.strip_prefix(en).map(|rest| (*zh, rest))).unwrap_or(("", text));
    // serde_json ends with the position: "… at line 1 column 17".
    let (message, place) = match rest.rsplit_once(" at line ") {
        Some((m, p)) => match p.split_once(" column ") {
            Some((line, column)) => (m, format!("（第 {line} 行第 {column} 列）")),
            None => (rest, String::new()),
        },
        None => (rest, String::new()),
    };
    format!("{lead}{}{place}", serde_words(message))
}

/// serde's message in Chinese, where it is one of the usual ones; a leading path to the value
/// (`survivor: …`, as axum adds it) is kept.
fn serde_words(m: &str) -> String {
    if let Some((path, rest)) = m.split_once(": ").filter(|(p, _)| !p.is_empty() && !p.contains(' ')) {
        let worded = phrase(rest);
        if worded != rest {
            // An unknown field already names itself.
            return if rest.starts_with("unknown field ") { worded } else { format!("{path}：{worded}") };
        }
    }
    phrase(m)
}

fn phrase(m: &str) -> String {
    if let Some(field) = m.strip_prefix("missing field ") {
        return format!("缺少字段 {field}");
    }
    if let Some(rest) = m.strip_prefix("unknown field ") {
        return match rest.split_once(", expected one of ") {
            Some((field, known)) => format!("不认识的字段 {field}，可用的有 {known}"),
            None => match rest.split_once(", expected ") {
                Some((field, known)) => format!("不认识的字段 {field}，可用的是 {known}"),
                None => format!("不认识的字段 {}", rest.trim_end_matches(", there are no fields")),
            },
        };
    }
    for (en, zh) in [("invalid type: ", "类型不对"), ("invalid value: ", "值不对"), ("invalid length ", "长度不对")] {
        if let Some(rest) = m.strip_prefix(en) {
            return match rest.split_once(", expected ") {
                Some((got, want)) => format!("{zh}：收到 {got}，应为 {want}"),
                None => format!("{zh}：{rest}"),
            };
        }
    }
    match m {
        "expected value" => "此处应有一个值".to_string(),
        "EOF while parsing a value" | "EOF while parsing an object" | "EOF while parsing a list" => "内容在解析完成前就结束了".to_string(),
        "trailing characters" => "末尾有多余的字符".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::chinese;

    #[test]
    fn rejections_read_in_chinese() {
        for (en, zh) in [
            (
                "Failed to deserialize the JSON body into the target type: missing field `name` at line 1 column 2",
                "请求的 JSON 与要求的格式不符：缺少字段 `name`（第 1 行第 2 列）",
            ),
            (
                "Failed to deserialize the JSON body into the target type: unknown field `nmae`, expected one of `name`, `owner` at line 1 column 7",
                "请求的 JSON 与要求的格式不符：不认识的字段 `nmae`，可用的有 `name`, `owner`（第 1 行第 7 列）",
            ),
            (
                "Failed to deserialize the JSON body into the target type: survivor: invalid type: string \"x\", expected i64 at line 1 column 16",
                "请求的 JSON 与要求的格式不符：survivor：类型不对：收到 string \"x\"，应为 i64（第 1 行第 16 列）",
            ),
            (
                "Failed to deserialize the JSON body into the target type: invalid type: string \"x\", expected i64 at line 1 column 16",
                "请求的 JSON 与要求的格式不符：类型不对：收到 string \"x\"，应为 i64（第 1 行第 16 列）",
            ),
            ("Failed to parse the request body as JSON: expected value at line 1 column 1", "请求内容不是有效的 JSON：此处应有一个值（第 1 行第 1 列）"),
            ("Failed to deserialize query string: unknown field `pge`, expected `page`", "查询参数无效：不认识的字段 `pge`，可用的是 `page`"),
            (
                "Failed to deserialize the JSON body into the target type: owner_id: unknown field `owner_id`, expected one of `survivor`, `take` at line 1 column 26",
                "请求的 JSON 与要求的格式不符：不认识的字段 `owner_id`，可用的有 `survivor`, `take`（第 1 行第 26 列）",
            ),
            ("Expected request with `Content-Type: application/json`", "请求须带 `Content-Type: application/json`"),
            ("something else entirely", "something else entirely"),
        ] {
            assert_eq!(chinese(en), zh, "{en}");
        }
    }
}

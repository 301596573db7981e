//! Rule errors: what is wrong, where (byte span), and how to fix it.

use serde::Serialize;

/// A byte range in the rule text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// One problem in a rule, with a stable code, the span it concerns and a suggested fix, in
/// English and (where written) in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// How to fix it, when we can say.
    pub help: Option<String>,
    /// The message and the fix in Chinese, where written (boxed: most errors travel in a
    /// `Result` and stay small).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub chinese: Option<Box<Chinese>>,
}

/// A rule error's words in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Chinese {
    #[serde(rename = "message_zh", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(rename = "help_zh", skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl RuleError {
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> RuleError {
        RuleError { code, message: message.into(), span, help: None, chinese: None }
    }

    pub fn help(mut self, help: impl Into<String>) -> RuleError {
        self.help = Some(help.into());
        self
    }

    /// The message in Chinese.
    pub fn zh(mut self, message: impl Into<String>) -> RuleError {
        self.chinese.get_or_insert_with(Default::default).message = Some(message.into());
        self
    }

    /// The fix in Chinese.
    pub fn help_zh(mut self, help: impl Into<String>) -> RuleError {
        self.chinese.get_or_insert_with(Default::default).help = Some(help.into());
        self
    }

    /// "Did you mean `s`?" as the fix, in both languages.
    pub fn did_you_mean(self, s: &str) -> RuleError {
        self.help(format!("did you mean `{s}`?")).help_zh(format!("是不是 `{s}`？"))
    }

    /// "line 1, column 7" of the span's start in `source` (columns count characters).
    pub fn position(&self, source: &str) -> (usize, usize) {
        let upto = &source[..self.span.start.min(source.len())];
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// The error as a reader sees it: position, message, the line with a caret, and the fix.
    pub fn render(&self, source: &str) -> String {
        self.render_in(source, false)
    }

    /// [`RuleError::render`] in Chinese when `zh` (the English message where no Chinese one was
    /// written).
    pub fn render_in(&self, source: &str, zh: bool) -> String {
        let (line, col) = self.position(source);
        let text = source.lines().nth(line - 1).unwrap_or("");
        let width = source.get(self.span.start..self.span.end).map_or(1, |s| s.chars().count().max(1));
        let caret = format!("\n  {text}\n  {}{}", " ".repeat(col - 1), "^".repeat(width));
        let (message, help) = self.words(zh);
        let mut out = if zh {
            format!("第 {line} 行第 {col} 列：{message}{caret}")
        } else {
            format!("line {line}, column {col}: {message}{caret}")
        };
        if let Some(h) = help {
            out.push_str(&if zh { format!("\n  提示：{h}") } else { format!("\n  help: {h}") });
        }
        out
    }

    /// The message and the fix, in Chinese when `zh` and written.
    pub fn words(&self, zh: bool) -> (&str, Option<&str>) {
        if zh {
            let chinese = self.chinese.as_deref();
            (
                chinese.and_then(|c| c.message.as_deref()).unwrap_or(&self.message),
                chinese.and_then(|c| c.help.as_deref()).or(self.help.as_deref()),
            )
        } else {
            (&self.message, self.help.as_deref())
        }
    }
}

/// The closest of `candidates` to `word`: edit distance at most a third of its length, and at
/// least 1 for words of two characters or more (a single letter is never "corrected").
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = if len < 2 { 0 } else { (len / 3).max(1) };
    let lower = word.to_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let close =
        candidates.iter().map(|c| (edit_distance(&lower, &c.to_lowercase()), *c)).filter(|(d, _)| *d <= limit).min_by_key(|(d, _)| *d);
    // Abbreviations: `cnt` → `count` (the letters in order).
    close
        .map(|(_, c)| c)
        .or_else(|| (len >= 3).then(|| candidates.iter().copied().find(|c| is_subsequence(&lower, &c.to_lowercase()))).flatten())
}

fn is_subsequence(short: &str, long: &str) -> bool {
    let mut rest = long.chars();
    short.chars().all(|c| rest.any(|l| l == c))
}

/// Edit distance where swapping two neighbouring letters counts once (`emial` → `email`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows: Vec<Vec<usize>> = vec![(0..=b.len()).collect()];
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let prev = &rows[i];
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && *ca == b[j - 1] && a[i - 1] == *cb {
                cur[j + 1] = cur[j + 1].min(rows[i - 1][j - 1] + 1);
            }
        }
        rows.push(cur);
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_close_names() {
        let names = ["amount", "product_line", "industry", "省份"];
        assert_eq!(suggest("amout", names), Some("amount"));
        assert_eq!(suggest("Industry", names), Some("industry"));
        assert_eq!(suggest("省分", names), Some("省份"));
        assert_eq!(suggest("amuont", names), Some("amount"), "a swap of two letters is one edit");
        assert_eq!(suggest("zzz", names), None);
    }

    #[test]
    fn renders_position_and_caret() {
        let src = "count(orders) > 5 and\nindustri = \"x\"";
        let e = RuleError::new("unknown_field", Span::new(22, 30), "unknown field `industri`").help("did you mean `industry`?");
        assert_eq!(e.position(src), (2, 1));
        assert_eq!(
            e.render(src),
            "line 2, column 1: unknown field `industri`\n  industri = \"x\"\n  ^^^^^^^^\n  help: did you mean `industry`?"
        );
    }
}

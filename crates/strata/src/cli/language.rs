//! The language the command line speaks: `--language` / `STRATA_LANG`, else the locale
//! (`LC_ALL`, `LC_MESSAGES`, `LANG`: `zh…` is Chinese, anything else English); and errors that
//! carry their words in both languages, printed in the chosen one.

use strata_store::StoreError;

pub use crate::web::i18n::Lang;

/// The language asked for: the flag or `STRATA_LANG` when given, else the locale.
pub fn resolve(given: Option<&str>) -> Result<Lang, String> {
    if let Some(g) = given.map(str::trim).filter(|g| !g.is_empty()) {
        return Lang::parse(g).ok_or_else(|| format!("--language / STRATA_LANG: `{g}` is not a language Strata speaks; use zh or en"));
    }
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    Ok(of_locale(locale.as_deref()))
}

/// The language of the command line `args` asks for, before clap reads it: `--language X` or
/// `--language=X`, else `STRATA_LANG`, else the locale. A language Strata does not speak counts as
/// English here; the parsed command line refuses it.
pub fn before_parsing(args: &[std::ffi::OsString]) -> Lang {
    let mut given = None;
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(w) = words.next() {
        if w == "--" {
            break;
        }
        if w == "--language" {
            given = words.next().map(|v| v.into_owned());
        } else if let Some(v) = w.strip_prefix("--language=") {
            given = Some(v.to_string());
        }
    }
    let given = given.or_else(|| std::env::var("STRATA_LANG").ok());
    resolve(given.as_deref()).unwrap_or(Lang::En)
}

/// The language of a POSIX locale name (`zh_CN.UTF-8` → Chinese; `C`, `en_US.UTF-8`, none →
/// English).
pub fn of_locale(locale: Option<&str>) -> Lang {
    match locale {
        Some(l) if l.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
        _ => Lang::En,
    }
}

/// Picks the words of `lang`.
pub fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// An error worded in both languages (shown in English wherever no language is chosen).
#[derive(Debug, thiserror::Error)]
#[error("{en}")]
pub struct Said {
    pub en: String,
    pub zh: String,
}

impl Said {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Said {
        Said { en: en.into(), zh: zh.into() }
    }

    /// An error with these words, as commands return it.
    pub fn error(en: impl Into<String>, zh: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Said::new(en, zh))
    }
}

/// `text` followed by spaces up to `width` terminal columns (a Chinese character takes two),
/// so columns of Chinese names line up; longer text is left whole.
pub fn padded(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// The line the binary prints for a failed command. In Chinese: the Chinese words of the first
/// error in the chain that has them; for a store error without them, a Chinese sentence for its
/// code with the English specifics in brackets; else the English chain.
pub fn error_line(e: &anyhow::Error, lang: Lang) -> String {
    let english = format!("{e:#}");
    if lang == Lang::En {
        return format!("error: {english}");
    }
    if let Some(said) = e.chain().find_map(|c| c.downcast_ref::<Said>()) {
        return format!("错误：{}", said.zh);
    }
    let store = e.chain().find_map(|c| c.downcast_ref::<StoreError>());
    if let Some(zh) = store.and_then(StoreError::message_zh) {
        return format!("错误：{zh}");
    }
    let sentence = store.and_then(|s| crate::web::error_words::sentence(s.code()));
    match sentence {
        Some(s) => format!("错误：{s}（{english}）"),
        None => format!("错误：{english}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_is_read_before_parsing() {
        let args = |words: &[&str]| -> Vec<std::ffi::OsString> { words.iter().map(Into::into).collect() };
        assert_eq!(before_parsing(&args(&["strata", "--language", "zh", "import", "--help"])), Lang::Zh);
        assert_eq!(before_parsing(&args(&["strata", "tier", "--language=zh"])), Lang::Zh);
        assert_eq!(before_parsing(&args(&["strata", "--language=zh", "--language", "en"])), Lang::En);
        assert_eq!(before_parsing(&args(&["strata", "--language", "fr"])), Lang::En, "refused later, by the parsed command line");
    }

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(padded("重要价值客户", 16), "重要价值客户    ");
        assert_eq!(padded("VIP", 6), "VIP   ");
        assert_eq!(padded("一般保持客户", 4), "一般保持客户");
    }

    #[test]
    fn locales_choose_the_language() {
        for (locale, lang) in [
            (Some("zh_CN.UTF-8"), Lang::Zh),
            (Some("zh_TW"), Lang::Zh),
            (Some("ZH_cn"), Lang::Zh),
            (Some("en_US.UTF-8"), Lang::En),
            (Some("C"), Lang::En),
            (Some("de_DE.UTF-8"), Lang::En),
            (None, Lang::En),
        ] {
            assert_eq!(of_locale(locale), lang, "{locale:?}");
        }
    }

    #[test]
    fn a_given_language_wins_and_a_wrong_one_is_named() {
        assert_eq!(resolve(Some("zh")), Ok(Lang::Zh));
        assert_eq!(resolve(Some(" en ")), Ok(Lang::En));
        let e = resolve(Some("fr")).unwrap_err();
        assert!(e.contains("`fr`") && e.contains("zh or en"), "{e}");
    }

    #[test]
    fn errors_are_printed_in_the_chosen_language() {
        let said = Said::error("orders.csv: no rows", "orders.csv：没有数据行").context("importing");
        assert_eq!(error_line(&said, Lang::Zh), "错误：orders.csv：没有数据行");
        assert_eq!(error_line(&said, Lang::En), "error: importing: orders.csv: no rows");
        let plain = anyhow::anyhow!("disk full");
        assert_eq!(error_line(&plain, Lang::Zh), "错误：disk full");
        let store = anyhow::Error::new(StoreError::Conflict {
            code: "batch_already_undone",
            message: "batch 3 was undone already".into(),
            message_zh: None,
        });
        assert_eq!(error_line(&store, Lang::Zh), "错误：这批导入已经撤销过了（batch 3 was undone already）");
        let worded = StoreError::NotFound { what: "import batch", id: "99".into() };
        assert_eq!(error_line(&anyhow::Error::new(worded).context("cannot undo batch 99"), Lang::Zh), "错误：找不到导入批次 99");
    }
}

//! Closed vocabularies (statuses, channels, stages) with a stable code, a Chinese and an English
//! label, and the synonyms people type in sheets.

/// A closed vocabulary. Implemented by [`labelled_enum!`].
pub trait Labelled: Sized + Copy + 'static {
    /// Every variant with its stable code, Chinese label, English label and extra synonyms.
    const ALL: &'static [(Self, &'static str, &'static str, &'static str, &'static [&'static str])];
    /// What the vocabulary is, for error messages ("order status").
    const WHAT: &'static str;

    fn code(self) -> &'static str;

    /// Parses a code, a label or a synonym, ignoring case, spaces, `-` and `_`.
    fn parse_label(raw: &str) -> Result<Self, crate::ValueError> {
        let key = fold(raw);
        for (v, code, zh, en, syn) in Self::ALL {
            if fold(code) == key || fold(zh) == key || fold(en) == key || syn.iter().any(|s| fold(s) == key) {
                return Ok(*v);
            }
        }
        let allowed: Vec<String> = Self::ALL.iter().map(|(_, c, zh, _, _)| format!("{c} ({zh})")).collect();
        let allowed_zh: Vec<&str> = Self::ALL.iter().map(|(_, _, zh, _, _)| *zh).collect();
        Err(crate::ValueError::new(
            "unknown_value",
            format!("`{}` is not a {}; use one of: {}", crate::text::clean_text(raw), Self::WHAT, allowed.join(", ")),
        )
        .zh(format!("`{}` 不是可用的值；可选：{}", crate::text::clean_text(raw), allowed_zh.join("、"))))
    }

    fn label_zh(self) -> &'static str;
    fn label_en(self) -> &'static str;

    /// The variant whose stable code is `code` (as stored), if any.
    fn by_code(code: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, c, ..)| *c == code).map(|(v, ..)| *v)
    }

    /// The Chinese label of stored code `code`, if the vocabulary knows it.
    fn zh_of_code(code: &str) -> Option<&'static str> {
        Self::by_code(code).map(Self::label_zh)
    }
}

fn fold(s: &str) -> String {
    crate::text::clean_text(s).chars().filter(|c| !matches!(c, ' ' | '-' | '_')).collect::<String>().to_lowercase()
}

/// Declares a closed vocabulary enum with serde (snake_case codes) and [`Labelled`].
#[macro_export]
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident => ($code:literal, $zh:literal, $en:literal, [$($syn:literal),*])),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $crate::label::Labelled for $name {
            const ALL: &'static [(Self, &'static str, &'static str, &'static str, &'static [&'static str])] =
                &[$(($name::$variant, $code, $zh, $en, &[$($syn),*])),+];
            const WHAT: &'static str = $what;
            fn code(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            fn label_zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            fn label_en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::label::Labelled::code(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> { <$name as $crate::label::Labelled>::parse_label(s) }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Labelled;
    use crate::commerce::OrderStatus;

    #[test]
    fn parses_codes_labels_and_synonyms() {
        for (raw, want) in [
            ("refunded", OrderStatus::Refunded),
            ("已退款", OrderStatus::Refunded),
            ("Refunded", OrderStatus::Refunded),
            (" 退款 ", OrderStatus::Refunded),
            ("已完成", OrderStatus::Completed),
        ] {
            assert_eq!(OrderStatus::parse_label(raw), Ok(want), "input {raw:?}");
        }
        let e = OrderStatus::parse_label("lost in mail").unwrap_err();
        assert!(e.message.contains("refunded (已退款)"), "{}", e.message);
    }
}

//! A command line that does not parse, told in Chinese: clap's error kinds worded from their
//! context (the argument, the value, what is valid, what was meant), our value parsers' own
//! Chinese words, then the usage line. Help and version requests are not errors and pass by.

use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::language::Said;

/// The Chinese text for `e`, or None when clap's own output should stand (help, version).
pub fn chinese(e: &clap::Error) -> Option<String> {
    let text = |kind: ContextKind| e.get(kind).map(value_text).unwrap_or_default();
    let arg = text(ContextKind::InvalidArg);
    let value = text(ContextKind::InvalidValue);
    let mut out = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return None,
        ErrorKind::InvalidValue => {
            let valid = text(ContextKind::ValidValue);
            if value.is_empty() {
                format!("{arg} 需要一个值")
            } else if valid.is_empty() {
                format!("{arg} 的值 `{value}` 无效")
            } else {
                format!("{arg} 的值 `{value}` 无效；可选：{valid}")
            }
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e).map(|s| match s.downcast_ref::<Said>() {
                Some(said) => said.zh.clone(),
                None => s.to_string(),
            });
            match why {
                Some(why) => format!("{arg} 的值 `{value}` 无效：{why}"),
                None => format!("{arg} 的值 `{value}` 无效"),
            }
        }
        ErrorKind::UnknownArgument => format!("不认识的参数 `{arg}`"),
        ErrorKind::InvalidSubcommand => format!("没有 `{}` 这个命令", text(ContextKind::InvalidSubcommand)),
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{arg}"),
        ErrorKind::MissingSubcommand => {
            format!("`{}` 需要一个子命令：{}", text(ContextKind::InvalidSubcommand), text(ContextKind::ValidSubcommand))
        }
        ErrorKind::ArgumentConflict => format!("{arg} 不能与 {} 同时使用", text(ContextKind::PriorArg)),
        ErrorKind::TooManyValues => format!("{arg} 的值太多"),
        ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => format!("{arg} 的值个数不对"),
        ErrorKind::InvalidUtf8 => "命令行中有不是 UTF-8 的文字".to_string(),
        _ => return None,
    };
    for kind in [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand, ContextKind::SuggestedValue] {
        let meant: Vec<String> = match e.get(kind) {
            Some(ContextValue::Strings(all)) => all.iter().map(|s| format!("`{s}`")).collect(),
            Some(ContextValue::String(s)) => vec![format!("`{s}`")],
            _ => Vec::new(),
        };
        if !meant.is_empty() {
            out.push_str(&format!("；是不是 {}？", meant.join(" 或 ")));
        }
    }
    let usage = text(ContextKind::Usage).replace("Usage: ", "用法：").replace("Usage:", "用法：");
    let usage = usage.trim();
    Some(if usage.is_empty() {
        format!("错误：{out}\n\n更多信息请加 --help")
    } else {
        format!("错误：{out}\n\n{usage}\n\n更多信息请加 --help")
    })
}

fn value_text(v: &ContextValue) -> String {
    match v {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(all) => all.join("、"),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::Number(n) => n.to_string(),
        ContextValue::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn error_of(args: &[&str]) -> String {
        let cmd = super::super::help_zh::chinese(crate::cli::Cli::command());
        let e = cmd.try_get_matches_from(args).expect_err("should not parse");
        chinese(&e).unwrap_or_else(|| panic!("no Chinese for {:?}: {e}", e.kind()))
    }

    #[test]
    fn parse_errors_are_worded_in_chinese() {
        for (args, want) in [
            (&["strata", "import", "bogus", "x.csv"][..], "<ENTITY> 的值 `bogus` 无效：没有 `bogus` 这类数据；可选：customers（客户）"),
            (&["strata", "model", "churn", "--cutoff", "2024-01-01", "--horizon", "5q"][..], "`5q` 中的单位 `q` 无法识别"),
            (&["strata", "dedupe", "merge", "1", "2", "--take", "phone"][..], "`phone` 应写成 字段=客户编号"),
            (&["strata", "export", "customers", "--format", "pdf"][..], "--format <FORMAT> 的值 `pdf` 无效；可选：csv、xlsx、jsonl"),
            (&["strata", "import", "orders"][..], "缺少必需的参数：<FILE>"),
            (&["strata", "imprt"][..], "没有 `imprt` 这个命令；是不是 `export` 或 `import`？"),
            (&["strata", "import", "orders", "x.csv", "--skip-invalids"][..], "不认识的参数 `--skip-invalids`；是不是 `--skip-invalid`？"),
        ] {
            let out = error_of(args);
            assert!(out.starts_with("错误：") && out.contains(want) && out.ends_with("更多信息请加 --help"), "{args:?}:\n{out}");
        }
        assert!(error_of(&["strata", "import", "orders"]).contains("用法：strata import"), "the usage line follows a missing argument");
    }
}

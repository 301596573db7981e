//! The command line's help in Chinese: every command's and flag's description and clap's
//! headings, put on the parsed command tree when the language is Chinese (`--help` then reads
//! in Chinese). The benchmarks keep their English help.

use clap::{Arg, ArgAction, Command};

/// Usage, then the arguments under Chinese headings.
const TEMPLATE: &str = "{before-help}{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";

/// `cmd` with its help in Chinese, recursively.
pub fn chinese(cmd: Command) -> Command {
    let cmd = cmd
        .about("Strata — 客户分层管理系统：客户数据、分层模型、实时分层与历史")
        .disable_version_flag(true)
        .arg(Arg::new("version").short('V').long("version").action(ArgAction::Version).help("显示版本"));
    localize(cmd, "")
}

/// The help flag every command keeps (the root's own is turned off for the Chinese one, and
/// that setting reaches every subcommand).
fn help_flag(words: &'static str) -> Arg {
    Arg::new("help").short('h').long("help").action(ArgAction::Help).help(words)
}

fn localize(cmd: Command, path: &str) -> Command {
    // The benchmarks keep their English help, and need their help flag back all the same.
    let mut cmd =
        if path.starts_with("bench") { cmd.disable_help_flag(true).arg(help_flag("Print help")) } else { chinese_words(cmd, path) };
    let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in subs {
        let sub_path = if path.is_empty() { name.clone() } else { format!("{path} {name}") };
        cmd = cmd.mut_subcommand(&name, |s| localize(s, &sub_path));
    }
    cmd
}

/// One command's own description, headings and arguments in Chinese.
fn chinese_words(mut cmd: Command, path: &str) -> Command {
    if let Some(about) = words(path) {
        cmd = cmd.about(about).long_about(None::<&str>);
    }
    cmd = cmd.help_template(TEMPLATE).subcommand_help_heading("命令").disable_help_flag(true).arg(help_flag("显示帮助"));
    let args: Vec<(String, bool)> = cmd.get_arguments().map(|a| (a.get_id().to_string(), a.is_positional())).collect();
    for (id, positional) in args {
        let key = if path.is_empty() { format!("--{id}") } else { format!("{path} --{id}") };
        let help = words(&key);
        cmd = cmd.mut_arg(&id, |a| {
            let a = a.help_heading(if positional { "参数" } else { "选项" });
            match help {
                Some(h) => a.help(h).long_help(None::<&str>),
                None => a,
            }
        });
    }
    cmd
}

/// The Chinese of a command (`tier publish`) or a flag (`import --skip_invalid`, by the
/// argument's id; global flags without a command).
fn words(key: &str) -> Option<&'static str> {
    WORDS.iter().find(|(k, _)| *k == key).map(|(_, zh)| *zh)
}

const WORDS: &[(&str, &str)] = &[
    ("--data_dir", "数据目录（内置数据库、上传文件、导入报告）"),
    ("--database_url", "数据库：PostgreSQL 写 postgres://user:pass@host/db；默认是数据目录中的 SQLite"),
    ("--actor", "操作人（记入导入和撤销记录）；默认 $USER"),
    ("--timezone", "业务所在时区，写作 UTC 偏移，如 +08:00 或 +01:00（固定偏移，不跟随夏令时）：决定分层和复核的“今天”、不带偏移的时间如何读入、时间如何显示"),
    ("--language", "命令行消息的语言：zh 或 en（默认按系统区域设置：`zh_CN…` 为中文，其余为英文）"),
    ("serve", "启动网页界面和 JSON API（含后台任务）"),
    ("serve --bind", "监听地址"),
    ("serve --today", "按这一业务日（YYYY-MM-DD）计算分层，而不是 UTC+8 的今天"),
    ("serve --follow_ms", "多久（毫秒）读取一次其他进程写入的变更"),
    ("serve --secure_cookies", "会话 Cookie 标记为 Secure（在 HTTPS 之后提供服务时）；不加时，仅在代理标明 `X-Forwarded-Proto: https` 的请求上为 Secure"),
    ("demo", "生成一套逼真的演示数据，然后启动服务"),
    ("demo --size", "客户数（订单约为客户数 × 20）；基准测试用 1000000"),
    ("demo --seed", "随机种子：种子、规模和 --until 相同，数据就相同"),
    ("demo --until", "生成的历史截止日（YYYY-MM-DD）；默认今天"),
    ("demo --no_serve", "只生成数据，不启动服务"),
    ("demo --bind", "监听地址"),
    ("import", "导入 CSV 或 .xlsx 文件：客户、联系人、订单、回款、跟进、商机、工单或反馈"),
    ("import --entity", "文件中的数据类别"),
    ("import --file", ".csv / .txt / .tsv / .xlsx 文件"),
    ("import --sheet", ".xlsx 文件的工作表（默认：第一个）"),
    ("import --mapping", r#"列名到字段的映射 JSON 文件，如 {"公司": "name", "备注": "ignore"}"#),
    ("import --skip_invalid", "导入有效的行并报告其余的行（默认：要么全部导入，要么都不导入）"),
    ("import --dry_run", "检查文件（列映射、每一行、哪些会新增或更新），不写入任何内容"),
    ("import --report", "被拒绝行的 CSV 报告写到哪里（默认：数据目录的 reports/ 下）"),
    ("import --currency", "未注明币种的金额所用的币种"),
    ("batch", "列出、查看或撤销导入批次"),
    ("batch list", "最近的导入"),
    ("batch list --limit", "列出多少个批次"),
    ("batch show", "查看一个导入批次"),
    ("batch show --id", "批次编号"),
    ("batch show --json", "以 JSON 输出"),
    ("batch undo", "撤销一次导入：删除它新增的行，恢复它修改的行"),
    ("batch undo --id", "批次编号"),
    ("export", "导出客户（可加筛选条件）或某张事件表，格式为 CSV、.xlsx 或 JSON Lines"),
    ("export --entity", "导出哪类数据"),
    ("export --format", "文件格式：csv、xlsx 或 jsonl"),
    ("export --output", "输出文件（默认：标准输出；xlsx 必须指定）"),
    ("export --lang", "CSV 和 xlsx 表头的语言"),
    ("export --q", "名称包含，或客户编号 / 电话 / 邮箱等于"),
    ("export --owner", "负责人"),
    ("export --team", "团队"),
    ("export --industry", "行业"),
    ("export --province", "省份"),
    ("export --city", "城市"),
    ("export --tag", "标签"),
    ("export --source_channel", "来源渠道"),
    ("export --completeness_max", "只导出完整度不高于此值的客户（应填字段已填的百分比，0–100）"),
    ("user", "管理用户"),
    ("user add", "添加一个可以负责客户的用户"),
    ("user add --login", "登录名"),
    ("user add --name", "显示名称（如 王伟）"),
    ("user add --role", "admin、manager、sales、service 或 analyst（管理员、经理、销售、客服、分析师）"),
    ("user add --team", "团队"),
    ("user add --email", "邮箱"),
    ("user add --password_stdin", "从标准输入读取密码（一行），以便该用户登录"),
    ("user passwd", "设置用户密码（从标准输入读取一行）；该用户的会话随之结束"),
    ("user passwd --login", "登录名"),
    ("user set", "修改用户的角色、团队、名称或启用状态（最后一个启用的管理员不能被取消）"),
    ("user set --login", "登录名"),
    ("user set --role", "新角色"),
    ("user set --team", "团队名称；空字符串表示不属于任何团队"),
    ("user set --name", "显示名称"),
    ("user set --active", "false 停用该用户并结束其会话"),
    ("user list", "列出用户"),
    ("token", "供系统集成使用的 API 令牌"),
    ("token create", "创建一个以某用户身份操作的 API 令牌；令牌只显示这一次"),
    ("token create --login", "令牌代表的用户"),
    ("token create --name", "令牌的用途（如 erp-sync）"),
    ("token list", "API 令牌（从不显示其密钥）"),
    ("token revoke", "撤销一个 API 令牌"),
    ("token revoke --id", "令牌编号"),
    ("team", "管理团队"),
    ("team add", "添加团队"),
    ("team add --name", "团队名称"),
    ("team list", "列出团队"),
    ("field", "管理自定义字段（运行时定义，无需迁移）"),
    ("field add", "为客户定义一个自定义字段"),
    ("field add --key", "字段键（英文标识，如 budget）"),
    ("field add --label", "显示名称（如 年度预算）"),
    ("field add --kind", "text、number、money、date、enum、multi_enum 或 bool"),
    ("field add --options", "枚举字段的选项，用逗号分隔"),
    ("field add --required", "必填"),
    ("field list", "列出自定义字段"),
    ("tier", "分层模型：检查、预览、发布、评估、解释"),
    ("tier list", "列出模型及其最新版本和已发布版本"),
    ("tier show", "查看模型的各个版本、模型文件和各层客户数"),
    ("tier show --key", "模型键"),
    ("tier show --version", "显示这一版本的文件（默认：已发布的版本）"),
    ("tier check", "对照自定义字段和已发布的模型检查模型文件（有错误时退出码为 1）"),
    ("tier check --files", "模型文件"),
    ("tier preview", "用模型文件评估所有客户但不改动任何分层：各层人数、相对现行分层的迁移矩阵、示例客户。文件保存为草稿版本"),
    ("tier preview --file", "模型文件"),
    ("tier preview --samples", "迁移矩阵每格的示例客户数"),
    ("tier preview --today", "按这一天评估（默认：UTC+8 的今天）"),
    ("tier preview --json", "以 JSON 输出"),
    ("tier publish", "发布模型文件：全量重新评估，保存切分点，记录每一次层级变化"),
    ("tier publish --file", "模型文件"),
    ("tier publish --today", "按这一天评估（默认：UTC+8 的今天）"),
    ("tier eval", "每日复核：按今天重新评估所有客户，并刷新到期的切分点"),
    ("tier eval --today", "按这一天复核（默认：UTC+8 的今天）"),
    ("tier eval --json", "每个模型输出一行 JSON，而不是文字"),
    ("tier explain", "解释一个客户（编号或客户编号）的分层：检查了哪些规则、得分、怎样才能升级"),
    ("tier explain --customer", "客户编号或内部编号"),
    ("tier explain --model", "只解释这个模型"),
    ("tier explain --json", "以 JSON 输出"),
    ("tier explain --today", "按这一天解释（默认：UTC+8 的今天）"),
    ("tier history", "客户的当前分层及其历史"),
    ("tier history --customer", "客户编号或内部编号"),
    ("tier preset", "输出一个预置模型文件：rfm、lifecycle 或 bant"),
    ("tier preset --name", "预置模型名称"),
    ("dedupe", "数据质量：查找重复客户"),
    ("dedupe scan", "扫描所有客户中可能的重复，按可能性从高到低分组，并说明理由"),
    ("dedupe scan --threshold", "报告得分不低于此值（0–1）的客户对"),
    ("dedupe scan --limit", "显示多少组"),
    ("dedupe scan --json", "以 JSON 输出"),
    ("dedupe merge", "把客户合并为一个（第一个保留）：每个字段按保留规则取值，除非指定取自某个客户；所有记录改挂到保留客户，在一个事务内完成，可撤销"),
    ("dedupe merge --survivor", "保留的客户"),
    ("dedupe merge --absorbed", "被并入的客户"),
    ("dedupe merge --take", "某个字段取自参与合并的某个客户，如 `--take phone=12`（字段：name、kind、external_id、credit_code、industry、province、city、source_channel、owner、lifecycle_stage、phone、email、tags、since、custom.字段键）"),
    ("dedupe merge --dry_run", "只显示取值决定，不合并"),
    ("dedupe merge --json", "以 JSON 输出"),
    ("dedupe undo", "撤销一次合并：被并入的客户连同其记录原样恢复"),
    ("dedupe undo --merge", "合并编号"),
    ("dedupe undo --force", "即使保留客户在合并后被修改过也撤销（这些修改会丢失）"),
    ("dedupe merges", "已记录的合并，最新的在前"),
    ("dedupe merges --customer", "只列出涉及这个客户的合并"),
    ("dedupe merges --json", "以 JSON 输出"),
    ("quality", "数据质量：客户资料的完整度，按负责人和按客户"),
    ("quality completeness", "哪些应填字段为空：按负责人（最低的在前）及最不完整的客户"),
    ("quality completeness --worst", "列出多少个最不完整的客户"),
    ("quality completeness --json", "以 JSON 输出"),
    ("model", "预测模型：拟合 BG/NBD（是否仍活跃？未来购买次数）和 Gamma-Gamma（客单价值）"),
    ("model fit", "用订单表拟合模型并使其生效（拟合失败则什么都不改变）"),
    ("model fit --kind", "模型：bgnbd 或 gamma-gamma"),
    ("model fit --calibration_end", "校准期的最后一天（YYYY-MM-DD）；默认今天"),
    ("model fit --unit", "拟合的时间单位：days 或 weeks"),
    ("model fit --today", "作为今天的业务日（YYYY-MM-DD）；默认 UTC+8 的今天"),
    ("model fit --json", "以 JSON 输出保存的拟合"),
    ("model churn", "流失模型：基于客户指标的逻辑回归，用截止日之前的结果训练，用截止日之后的结果评估（AUC、精确率/召回率、权重说明）"),
    ("model churn --cutoff", "用于评估的特征计算日（YYYY-MM-DD）"),
    ("model churn --horizon", "流失 = 某天之后这么长时间内没有计入收入的订单：180d、26w、6mo、1y"),
    ("model churn --feature", "用规则语言写的特征（可重复）；默认：订单、跟进和工单指标"),
    ("model churn --threshold", "预测为流失的概率门槛"),
    ("model churn --today", "作为今天的业务日（YYYY-MM-DD）；默认 UTC+8 的今天"),
    ("model churn --json", "以 JSON 输出"),
    ("model suggest-rules", "从某个结果学出的规则（浅层决策树），可直接粘贴进分层模型"),
    ("model suggest-rules --outcome", "结果：churned（流失）、top20（前 20% 收入）或 won（赢单）"),
    ("model suggest-rules --cutoff", "特征按这一天计算；结果是这一天之后发生的事"),
    ("model suggest-rules --horizon", "观察期长度：180d、26w、6mo、1y"),
    ("model suggest-rules --feature", "用规则语言写的特征（可重复）；默认：订单、跟进和工单指标"),
    ("model suggest-rules --depth", "每条规则的条件数（树深），1 到 5"),
    ("model suggest-rules --today", "作为今天的业务日（YYYY-MM-DD）；默认 UTC+8 的今天"),
    ("model suggest-rules --json", "以 JSON 输出"),
    ("model show", "当前生效的拟合；加 --history N 时还列出每类最近 N 次拟合"),
    ("model show --history", "每类再列出最近多少次拟合"),
    ("model show --json", "以 JSON 输出"),
];

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every command and flag outside the benchmarks has Chinese help (and the table names
    /// nothing that does not exist).
    #[test]
    fn every_command_and_flag_speaks_chinese() {
        fn walk(cmd: &Command, path: &str, keys: &mut Vec<String>) {
            if path.starts_with("bench") {
                return;
            }
            if !path.is_empty() {
                keys.push(path.to_string());
            }
            for a in cmd.get_arguments() {
                let id = a.get_id().to_string();
                keys.push(if path.is_empty() { format!("--{id}") } else { format!("{path} --{id}") });
            }
            for s in cmd.get_subcommands() {
                let p = if path.is_empty() { s.get_name().to_string() } else { format!("{path} {}", s.get_name()) };
                walk(s, &p, keys);
            }
        }
        let mut keys = Vec::new();
        walk(&crate::cli::Cli::command(), "", &mut keys);
        let missing: Vec<&String> = keys.iter().filter(|k| words(k).is_none()).collect();
        assert!(
            missing.is_empty(),
            "no Chinese help for:\n{}",
            missing.iter().map(|k| format!("    (\"{k}\", \"\"),")).collect::<Vec<_>>().join("\n")
        );
        let unknown: Vec<&str> = WORDS.iter().map(|(k, _)| *k).filter(|k| !keys.iter().any(|x| x == k)).collect();
        assert!(unknown.is_empty(), "Chinese help for what does not exist: {unknown:?}");
        // The tree with the Chinese put on is still a valid command line, and every command
        // in it, the benchmarks too, still answers --help.
        let tree = chinese(crate::cli::Cli::command());
        tree.clone().debug_assert();
        for path in keys.iter().filter(|k| !k.contains("--")).map(String::as_str).chain(["bench", "bench rfm"]) {
            let mut args = vec!["strata"];
            args.extend(path.split(' '));
            args.push("--help");
            let e = tree.clone().try_get_matches_from(&args).expect_err("--help stops parsing");
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{path}: {e}");
        }
    }
}

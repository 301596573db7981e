//! The directory commands: users (with passwords read from standard input), API tokens and
//! custom fields.

use anyhow::Context;
use strata_core::{
    custom_field::{CustomFieldDef, FieldKind},
    customer::{Role, UserInput},
    label::Labelled,
};

use super::{audit, open};
use crate::{
    cli::{
        language::{pick, Lang, Said},
        FieldCommand, UserCommand,
    },
    config::Config,
};

/// A flag's value refused, in both languages.
fn refused(flag: &str, e: strata_core::ValueError) -> anyhow::Error {
    Said::error(format!("{flag}: {}", e.message), format!("{flag}：{}", e.message_in(true)))
}

fn no_user(login: &str) -> anyhow::Error {
    Said::error(format!("there is no user `{login}`"), format!("没有用户 `{login}`"))
}

pub(super) async fn user(config: &Config, u: UserCommand) -> anyhow::Result<()> {
    let store = open(config).await?;
    match u {
        UserCommand::Add { login, name, role, team, email, password_stdin } => {
            let role = Role::parse_label(&role).map_err(|e| refused("--role", e))?;
            let email = email.map(|e| strata_core::email::normalise_email(&e)).transpose().map_err(|e| refused("--email", e))?;
            let password = if password_stdin { Some(read_password()?) } else { None };
            if let Some(p) = &password {
                strata_core::access::check_password(&login, p)
                    .map_err(|e| Said::error(format!("the password: {e}"), format!("密码太弱（{e}）")))?;
            }
            let u = store.create_user(&UserInput { display_name: name.unwrap_or_else(|| login.clone()), login, email, team, role }).await?;
            if let Some(p) = password {
                crate::accounts::set_password(&store, &u, &p).await?;
            }
            audit(&store, config, "user.create", format!("user:{}", u.id), serde_json::json!({"role": u.role.code()})).await?;
            let (login, name, role) = (&u.login, &u.display_name, u.role.code());
            let can_log_in = if password_stdin { pick(config.language, "，可以登录", ", can log in") } else { "" };
            match config.language {
                Lang::Zh => println!("已添加用户 {login}（{name}，{role}）{can_log_in}"),
                Lang::En => println!("added user {login} ({name}, {role}){can_log_in}"),
            }
        }
        UserCommand::Passwd { login } => {
            let (u, _) = store.user_credentials(&login).await?.ok_or_else(|| no_user(&login))?;
            crate::accounts::set_password(&store, &u, &read_password()?)
                .await
                .with_context(|| format!("cannot set the password of {login}"))?;
            audit(&store, config, "password.set", format!("user:{}", u.id), serde_json::Value::Null).await?;
            println!(
                "{}",
                pick(
                    config.language,
                    &format!("已设置 {login} 的密码；其登录会话已结束"),
                    &format!("password of {login} set; their sessions have ended")
                )
            );
        }
        UserCommand::Set { login, role, team, name, active } => {
            let role = role.map(|r| Role::parse_label(&r)).transpose().map_err(|e| refused("--role", e))?;
            let team = team.map(|t| Some(t).filter(|t| !t.trim().is_empty()));
            let change = strata_store::UserChange { display_name: name, email: None, team, role, active };
            let (before, after) = store.update_user(&login, &change).await?;
            let action = if before.role != after.role { "user.role" } else { "user.update" };
            audit(&store, config, action, format!("user:{}", after.id), serde_json::json!({"before": before, "after": after})).await?;
            let (login, name, role, team) = (&after.login, &after.display_name, after.role.code(), after.team.as_deref().unwrap_or("—"));
            match config.language {
                Lang::Zh => {
                    let state = if after.active { "启用" } else { "停用" };
                    println!("{login}：{name}（{role}，团队 {team}，{state}）")
                }
                Lang::En => println!("{login}: {name} ({role}, team {team}, {})", if after.active { "active" } else { "inactive" }),
            }
        }
        UserCommand::List => {
            for u in store.list_users().await? {
                println!("{}\t{}\t{}\t{}", u.login, u.display_name, u.role.code(), u.team.unwrap_or_default());
            }
        }
    }
    Ok(())
}

/// One line from standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        return Err(Said::error(
            "no password on standard input (pipe one line, e.g. `echo '…' | strata user passwd LOGIN`)",
            "标准输入中没有密码（请传入一行，如 `echo '…' | strata user passwd 登录名`）",
        ));
    }
    Ok(p)
}

pub(super) async fn token(config: &Config, t: crate::cli::TokenCommand) -> anyhow::Result<()> {
    use crate::cli::TokenCommand as T;
    let store = open(config).await?;
    match t {
        T::Create { login, name } => {
            let (u, _) = store.user_credentials(&login).await?.ok_or_else(|| no_user(&login))?;
            let (id, secret) = crate::accounts::create_token(&store, &u, &name).await?;
            audit(&store, config, "token.create", format!("token:{id}"), serde_json::json!({"user": login, "name": name})).await?;
            match config.language {
                Lang::Zh => eprintln!("{login} 的 API 令牌 {id}（{name}）；只在此时显示一次，请求时以 `Authorization: Bearer …` 发送"),
                Lang::En => eprintln!("API token {id} for {login} ({name}); it is shown only now — send it as `Authorization: Bearer …`"),
            }
            println!("{secret}");
        }
        T::List => {
            let users = store.list_users().await?;
            for t in store.list_api_tokens(None).await? {
                let who = users.iter().find(|u| u.id == t.user_id).map_or("?", |u| u.login.as_str());
                let state = match (t.revoked_at, config.language) {
                    (None, lang) => pick(lang, "有效", "active").to_string(),
                    (Some(r), Lang::Zh) => format!("已于 {} 撤销", r.format("%Y-%m-%d")),
                    (Some(r), Lang::En) => format!("revoked {}", r.format("%Y-%m-%d")),
                };
                println!("{}	{who}	{}	{}	{state}", t.id, t.name, t.created_at.format("%Y-%m-%d"));
            }
        }
        T::Revoke { id } => {
            store.revoke_api_token(id).await?;
            audit(&store, config, "token.revoke", format!("token:{id}"), serde_json::Value::Null).await?;
            println!("{}", pick(config.language, &format!("已撤销 API 令牌 {id}"), &format!("revoked API token {id}")));
        }
    }
    Ok(())
}

pub(super) async fn field(config: &Config, f: FieldCommand) -> anyhow::Result<()> {
    let store = open(config).await?;
    match f {
        FieldCommand::Add { key, label, kind, options, required } => {
            let kind = FieldKind::parse_label(&kind).map_err(|e| refused("--type", e))?;
            let options = options.map(|o| strata_core::customer::parse_tags(&o)).unwrap_or_default();
            store.define_custom_field(&CustomFieldDef { key: key.clone(), label, kind, options, required }).await?;
            println!("{}", pick(config.language, &format!("已定义自定义字段 {key}"), &format!("defined custom field {key}")));
        }
        FieldCommand::List => {
            for d in store.list_custom_fields().await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    d.key,
                    d.label,
                    d.kind.code(),
                    d.options.join(","),
                    if d.required { "\trequired" } else { "" }
                );
            }
        }
    }
    Ok(())
}

//! The demo: a deterministic, realistic dataset (Chinese companies and people across 31
//! provinces and 17 industries, three years of seasonal, heavy-tailed orders, payments,
//! contacts, interactions, deals, tickets and NPS) written through the normal import sessions,
//! then served.

mod profile;
mod records;
pub(crate) mod vocab;

use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use strata_core::{
    custom_field::{CustomFieldDef, FieldKind},
    customer::{Role, UserInput},
    import::{Entity, Record},
    label::Labelled,
};
use strata_store::{CustomerFilter, CustomerSort, Store};

use crate::{
    cli::{language::Lang, DemoArgs},
    config::Config,
};
use profile::Profile;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct DemoSpec {
    pub customers: u64,
    pub seed: u64,
    pub until: NaiveDate,
}

/// Rows written per entity.
pub type DemoCounts = Vec<(Entity, u64)>;

pub async fn run(config: Config, args: DemoArgs) -> anyhow::Result<()> {
    let store = crate::commands::open(&config).await?;
    let existing = store.list_customers(&CustomerFilter::default(), CustomerSort::Id, 0, 1).await?.total;
    if existing > 0 {
        let db = config.database_display();
        match config.language {
            Lang::Zh => eprintln!("{db} 已有 {existing} 个客户，直接使用（要新的演示数据，请换一个 --data-dir）"),
            Lang::En => eprintln!("{db} already holds {existing} customers; serving them (use another --data-dir for fresh demo data)"),
        }
    } else {
        let spec = DemoSpec {
            customers: args.size,
            seed: args.seed,
            until: args.until.unwrap_or_else(|| chrono::Utc::now().with_timezone(&config.timezone).date_naive()),
        };
        match config.language {
            Lang::Zh => eprintln!("正在生成演示数据：{} 个客户，随机种子 {}，历史截至 {} …", spec.customers, spec.seed, spec.until),
            Lang::En => eprintln!("generating demo data: {} customers, seed {}, history until {} …", spec.customers, spec.seed, spec.until),
        }
        let started = Instant::now();
        let lang = config.language;
        let counts = generate(&store, spec, |e, n| {
            let name = crate::web::i18n::named(lang, "entity_", e.name()).unwrap_or(e.name());
            eprintln!("  {name}: {n}")
        })
        .await?;
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let seconds = started.elapsed().as_secs_f64();
        match config.language {
            Lang::Zh => eprintln!("演示数据已就绪：{total} 行，用时 {seconds:.1} 秒"),
            Lang::En => eprintln!("demo data ready: {total} rows in {seconds:.1}s"),
        }
    }
    let today = crate::tiering::today(config.timezone, args.until);
    publish_presets(&store, &config, today).await?;
    first_admin(&store, &config).await?;
    if args.no_serve {
        return Ok(());
    }
    let config = Config { today: args.until, ..config };
    crate::server::serve(store, config, &args.bind).await
}

/// The demo's first run creates the admin with a random password (there is no default one),
/// prints it and keeps it in `DATA_DIR/admin-password.txt` (readable by the owner only).
async fn first_admin(store: &Store, config: &Config) -> anyhow::Result<()> {
    if store.has_admin_login().await? {
        return Ok(());
    }
    let password: String = crate::accounts::new_secret("").chars().take(16).collect();
    let user = match store.user_credentials("admin").await? {
        Some((u, _)) => u,
        None => {
            let input = strata_core::customer::UserInput {
                login: "admin".into(),
                display_name: "管理员".into(),
                email: None,
                team: None,
                role: strata_core::customer::Role::Admin,
            };
            store.create_user(&input).await?
        }
    };
    crate::accounts::set_password(store, &user, &password).await?;
    let path = config.data_dir.join("admin-password.txt");
    std::fs::write(&path, format!("{password}\n")).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    let shown = path.display();
    match config.language {
        Lang::Zh => eprintln!("用 `admin` 登录，密码 {password}（也写在 {shown}；用 `strata user passwd admin` 修改）"),
        Lang::En => {
            eprintln!("log in as `admin` with the password {password} (also in {shown}; change it with `strata user passwd admin`)")
        }
    }
    Ok(())
}

/// Fits the purchase models and publishes the RFM, lifecycle and retention presets when no model
/// is published yet, so the demo shows tiers from the first page.
async fn publish_presets(store: &Store, config: &Config, today: strata_core::metrics::Day) -> anyhow::Result<()> {
    use strata_core::tiering::spec::{ModelSpec, PRESETS};
    if !store.published_models().await?.is_empty() {
        return Ok(());
    }
    // The purchase models, so the retention preset can read P(alive) and lifetime value.
    let mut names = vec!["rfm", "lifecycle"];
    let mut fitted = true;
    for kind in [crate::forecast::FitKind::Bgnbd, crate::forecast::FitKind::GammaGamma] {
        let request = crate::forecast::FitRequest { kind, calibration_end: None, unit: strata_core::predict::TimeUnit::Days };
        match crate::forecast::fit(store, request, today, &config.actor).await {
            Ok(fit) => match config.language {
                Lang::Zh => eprintln!("已拟合 {}（第 {} 次拟合），{} 个客户", fit.kind, fit.id, fit.customers),
                Lang::En => eprintln!("fitted {} (fit #{}) on {} customers", fit.kind, fit.id, fit.customers),
            },
            Err(e) => {
                eprintln!("{} not fitted ({}): {e}", kind.name(), e.code());
                fitted = false;
            }
        }
    }
    if fitted {
        names.push("retention");
    }
    for name in names {
        let text = PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).with_context(|| format!("preset {name} is missing"))?;
        let spec = ModelSpec::from_toml(text).map_err(|e| anyhow::anyhow!("preset {name}: {e}"))?;
        let loaded = crate::tiering::host::load(store, today, Some(&spec)).await?;
        let (prepared, counts) = crate::tiering::publish::prepare(&loaded, &spec)?;
        let p = crate::tiering::publish::write(store, &spec, None, prepared, counts, &config.actor).await?;
        match config.language {
            Lang::Zh => eprintln!("已发布分层模型 {} v{}：{} 个客户", p.model, p.version, p.customers),
            Lang::En => eprintln!("published tier model {} v{}: {} customers", p.model, p.version, p.customers),
        }
    }
    Ok(())
}

async fn directory(store: &Store) -> anyhow::Result<()> {
    let teams = store.list_teams().await?;
    for t in vocab::TEAMS {
        if !teams.iter().any(|x| x.name == *t) {
            store.create_team(t).await?;
        }
    }
    let users = store.list_users().await?;
    for (login, name, role, team) in vocab::USERS {
        if users.iter().any(|u| u.login == *login) {
            continue;
        }
        let role = Role::parse_label(role).map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .create_user(&UserInput {
                login: login.to_string(),
                display_name: name.to_string(),
                email: Some(format!("{login}@strata.example")),
                team: team.map(str::to_string),
                role,
            })
            .await?;
    }
    let fields = store.list_custom_fields().await?;
    let defs = [
        CustomFieldDef {
            key: "company_size".into(),
            label: "企业规模".into(),
            kind: FieldKind::Enum,
            options: vec!["1-50人".into(), "51-200人".into(), "201-1000人".into(), "1000人以上".into()],
            required: false,
        },
        CustomFieldDef {
            key: "annual_budget".into(), label: "年度预算".into(), kind: FieldKind::Money, options: vec![], required: false
        },
    ];
    for d in defs {
        if !fields.iter().any(|f| f.key == d.key) {
            store.define_custom_field(&d).await?;
        }
    }
    Ok(())
}

/// Generates the dataset into `store`, one import batch per entity.
pub async fn generate(store: &Store, spec: DemoSpec, mut progress: impl FnMut(Entity, u64)) -> anyhow::Result<DemoCounts> {
    directory(store).await?;
    let mut counts = Vec::new();
    for entity in Entity::ALL {
        let fields: Vec<String> = entity.fields().iter().map(|f| f.key.to_string()).chain(std::iter::once("custom".to_string())).collect();
        let name = format!("demo seed={} size={} until={}", spec.seed, spec.customers, spec.until);
        let mut session = store.begin_import(entity, &name, "demo", &fields).await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<(u64, Record)>>(4);
        let producer = tokio::task::spawn_blocking(move || {
            let mut buf: Vec<Record> = Vec::new();
            let mut chunk: Vec<(u64, Record)> = Vec::with_capacity(2000);
            for idx in 0..spec.customers {
                let p = Profile::new(spec.seed, idx, spec.until);
                records::records(entity, &p, spec.seed, spec.until, &mut buf);
                for r in buf.drain(..) {
                    chunk.push((idx + 2, r));
                }
                if chunk.len() >= 2000 && tx.blocking_send(std::mem::take(&mut chunk)).is_err() {
                    return;
                }
            }
            let _ = tx.blocking_send(chunk);
        });
        let mut rows = 0u64;
        while let Some(chunk) = rx.recv().await {
            rows += chunk.len() as u64;
            let out = session.write(chunk).await?;
            if let Some(r) = out.rejected.first() {
                anyhow::bail!("demo data was rejected ({entity}, customer row {}): {} [{}]", r.row, r.message, r.code);
            }
        }
        producer.await.context("demo generator failed")?;
        session.commit(rows, 0, "").await?;
        progress(entity, rows);
        counts.push((entity, rows));
    }
    Ok(counts)
}

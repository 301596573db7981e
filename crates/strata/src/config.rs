//! Typed configuration: where data lives and which database to use, from flags and environment.

use std::path::PathBuf;

/// Settings shared by every command.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory for the embedded database, uploads and import reports.
    pub data_dir: PathBuf,
    /// `postgres://…` or a SQLite path/URL.
    pub database_url: String,
    /// Who is acting, recorded with imports and undos.
    pub actor: String,
    /// A fixed business day for tier evaluation (demos, tests); None = today in `timezone`.
    pub today: Option<chrono::NaiveDate>,
    /// The business's time zone as a UTC offset (default +08:00): what "today" is, how times
    /// written without an offset are read, and how times are shown.
    pub timezone: chrono::FixedOffset,
    /// How often a server reads the change feed written by other processes.
    pub follow_every: std::time::Duration,
    /// Mark session cookies `Secure` (behind HTTPS). Without it they are marked so only on
    /// requests a proxy says came over HTTPS (`X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// The language of the command line's messages.
    pub language: crate::web::i18n::Lang,
}

impl Config {
    pub fn new(data_dir: PathBuf, database_url: Option<String>, actor: Option<String>) -> Config {
        let database_url =
            database_url.filter(|u| !u.trim().is_empty()).unwrap_or_else(|| format!("sqlite://{}", data_dir.join("strata.db").display()));
        let actor = actor.or_else(|| std::env::var("USER").ok()).filter(|a| !a.is_empty()).unwrap_or_else(|| "cli".into());
        Config {
            data_dir,
            database_url,
            actor,
            today: None,
            timezone: strata_core::date::china_offset(),
            follow_every: std::time::Duration::from_secs(1),
            secure_cookies: false,
            language: crate::web::i18n::Lang::En,
        }
    }

    pub fn reports_dir(&self) -> PathBuf {
        self.data_dir.join("reports")
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// The database URL without a password, for logs.
    pub fn database_display(&self) -> String {
        match self.database_url.split_once('@') {
            Some((creds, host)) if self.database_url.starts_with("postgres") => {
                let user = creds.rsplit_once(':').map_or(creds, |(u, _)| u);
                format!("{user}:***@{host}")
            }
            _ => self.database_url.clone(),
        }
    }
}

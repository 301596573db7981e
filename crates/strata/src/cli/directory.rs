//! The command line's directory verbs: users, API tokens, teams and custom fields.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user who can own customers.
    Add {
        login: String,
        /// Display name (e.g. 王伟).
        #[arg(long)]
        name: Option<String>,
        /// admin, manager, sales, service or analyst.
        #[arg(long, default_value = "sales")]
        role: String,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read a password from standard input (one line) so the user can log in.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (read from standard input, one line); ends their sessions.
    Passwd {
        login: String,
    },
    /// Change a user's role, team, name or active flag (the last active admin stays one).
    Set {
        login: String,
        #[arg(long)]
        role: Option<String>,
        /// A team's name, or an empty string for no team.
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// false deactivates the user and ends their sessions.
        #[arg(long)]
        active: Option<bool>,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token acting as a user; the token is printed once.
    Create {
        login: String,
        /// What the token is for (e.g. erp-sync).
        #[arg(long)]
        name: String,
    },
    /// API tokens (never their secrets).
    List,
    Revoke {
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    Add { name: String },
    List,
}

#[derive(Debug, Subcommand)]
pub enum FieldCommand {
    /// Define a custom field on customers.
    Add {
        key: String,
        #[arg(long)]
        label: String,
        /// text, number, money, date, enum, multi_enum or bool.
        #[arg(long = "type")]
        kind: String,
        /// Options of enum fields, comma-separated.
        #[arg(long)]
        options: Option<String>,
        #[arg(long)]
        required: bool,
    },
    List,
}

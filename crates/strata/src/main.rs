//! The `strata` binary: parses the command line and runs one command.

use clap::{CommandFactory, FromArgMatches};

fn main() -> std::process::ExitCode {
    strata::memory::limit_arenas();
    // `--help` speaks the language asked for, so it is known before the command line is parsed.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let asked = strata::cli::language::before_parsing(&args);
    let command = match asked {
        strata::cli::language::Lang::Zh => strata::cli::help_zh::chinese(strata::cli::Cli::command()),
        strata::cli::language::Lang::En => strata::cli::Cli::command(),
    };
    let parsed = command.try_get_matches_from(args).and_then(|m| strata::cli::Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => match (asked, strata::cli::usage_error::chinese(&e)) {
            (strata::cli::language::Lang::Zh, Some(text)) => {
                eprintln!("{text}");
                return std::process::ExitCode::from(2);
            }
            _ => e.exit(),
        },
    };
    let language = match strata::cli::language::resolve(cli.language.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("STRATA_LOG").unwrap_or_else(|_| "info,sqlx=error".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if !matches!(cli.command, strata::cli::Command::Serve(_) | strata::cli::Command::Demo(_)) {
        quiet_on_closed_pipe();
    }
    match runtime.block_on(strata::commands::run(cli, language)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", strata::cli::language::error_line(&e, language));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Output piped into a program that stops reading (`strata tier show rfm | head`) ends the
/// command quietly with status 141, as Unix tools end, instead of a panic from `println!`. The
/// signal itself stays ignored, so a closed socket is still an error a server can report.
fn quiet_on_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied());
        if message.is_some_and(|m| m.starts_with("failed printing to std") && m.contains("Broken pipe")) {
            std::process::exit(141);
        }
        report(info);
    }));
}

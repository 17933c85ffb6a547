//! choreoctl: installer for OpenChoreo's modular architecture.
//!
//! Layers: [`cli`] (clap types) → [`settings`] (arguments resolved into core inputs) →
//! [`commands`] (one function per command) → the core: [`profile`], [`catalog`],
//! [`resolve`], [`plan`], [`template`]. Below them all, importing nothing from the crate:
//! [`names`] (what choreoctl names on clusters), [`exit_code`], [`secret_keys`].

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod exit_code;
pub mod export;
pub mod init;
pub mod kubeconfig;
pub mod mirror;
pub mod names;
pub mod output;
pub mod plan;
pub mod platform;
pub mod profile;
pub mod resolve;
pub mod secret_keys;
pub mod settings;
pub mod source;
pub mod status;
pub mod suggest;
pub mod template;
pub mod yaml_error;

use clap::Parser;

use cli::{Cli, LogFormat};
use exit_code::ExitCode;

/// Runs the command line; returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                ExitCode::InvalidInput
            } else {
                ExitCode::Success
            };
            if code == ExitCode::InvalidInput && json_log_asked(std::env::args()) {
                let detail = error.render().to_string();
                let first = detail.lines().next().unwrap_or_default();
                log_error(first.trim_start_matches("error: "), None, &detail, code);
            } else {
                let _ = error.print();
            }
            return code as i32;
        }
    };
    install_error_hook();
    let log_format = cli.global.log_format;
    match commands::execute(cli) {
        Ok(()) => ExitCode::Success as i32,
        Err(error) if error.is_broken_pipe() => ExitCode::Success as i32,
        Err(error) => {
            let code = error.exit_code();
            match log_format {
                LogFormat::Text => eprintln!("{:?}", miette::Report::new(error)),
                LogFormat::Json => {
                    let mut detail = String::new();
                    let _ =
                        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
                            .with_width(100)
                            .render_report(&mut detail, &error);
                    let help = miette::Diagnostic::help(&error).map(|help| help.to_string());
                    log_error(&error.to_string(), help.as_deref(), &detail, code);
                }
            }
            code as i32
        }
    }
}

/// The last event of a run that failed with `--log-format json` (docs/engine.md): instead of
/// the text of the error, `message`, `help` (how to fix it, when known), `exit_code`, and
/// `detail` (the whole text the error is shown as without `--log-format json`, uncoloured).
fn log_error(message: &str, help: Option<&str>, detail: &str, code: ExitCode) {
    commands::report::json::write_event(
        "error",
        serde_json::json!({
            "message": message,
            "help": help,
            "exit_code": code as i32,
            "detail": detail.trim_end(),
        }),
    );
}

/// Whether a command line clap refused asked for `--log-format json` (its error is then an
/// `error` event too).
fn json_log_asked(args: impl Iterator<Item = String>) -> bool {
    let args: Vec<String> = args.collect();
    args.iter().any(|arg| arg == "--log-format=json")
        || args
            .windows(2)
            .any(|pair| pair[0] == "--log-format" && pair[1] == "json")
}

fn install_error_hook() {
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let color = terminal && std::env::var_os("NO_COLOR").is_none();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .width(100)
                .wrap_lines(terminal)
                .build(),
        )
    }));
}

//! choreoctl: installer for OpenChoreo's modular architecture.
//!
//! Layers: [`cli`] (clap types) → [`settings`] (arguments resolved into core inputs) →
//! [`commands`] (one function per command) → the core: [`profile`], [`catalog`],
//! [`resolve`], [`plan`], [`template`].

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod export;
pub mod init;
pub mod kubeconfig;
pub mod mirror;
pub mod output;
pub mod plan;
pub mod profile;
pub mod resolve;
pub mod settings;
pub mod source;
pub mod status;
pub mod suggest;
pub mod template;

use clap::Parser;

use cli::Cli;
use error::ExitCode;

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
            let _ = error.print();
            return code as i32;
        }
    };
    install_error_hook();
    match commands::execute(cli) {
        Ok(()) => ExitCode::Success as i32,
        Err(error) if error.is_broken_pipe() => ExitCode::Success as i32,
        Err(error) => {
            let code = error.exit_code();
            eprintln!("{:?}", miette::Report::new(error));
            code as i32
        }
    }
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

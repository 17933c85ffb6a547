//! choreoctl: installer for OpenChoreo's modular architecture.
//!
//! Layers: [`cli`] (clap types) → [`settings`] (arguments resolved into core inputs) →
//! [`commands`] (one function per command) → the core: [`profile`], [`catalog`],
//! [`resolve`], [`plan`], [`render`].

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod kubeconfig;
pub mod output;
pub mod plan;
pub mod profile;
pub mod render;
pub mod resolve;
pub mod settings;
pub mod source;
pub mod suggest;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command, ModuleCommand, ProfileCommand};
use error::{Error, ExitCode};
use output::Printer;
use profile::ProfileRequest;

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
    match execute(cli) {
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

fn execute(cli: Cli) -> Result<(), Error> {
    let printer = Printer {
        format: cli.global.output,
    };
    let kubeconfig = cli.global.kubeconfig.as_deref();
    let catalog = || catalog::Catalog::open(cli.global.catalog.as_deref());
    match &cli.command {
        Command::Install(args) => {
            commands::install::install(&catalog()?, args, kubeconfig, cli.global.helm.as_deref())?
        }
        Command::Plan(args) => {
            let plan = commands::compute_plan(
                &catalog()?,
                &ProfileRequest::from(&args.profile),
                kubeconfig,
            )?;
            commands::plan::print(&plan, &printer)?;
        }
        Command::Render(args) => {
            let plan = commands::compute_plan(
                &catalog()?,
                &ProfileRequest::from(&args.profile),
                kubeconfig,
            )?;
            let files = commands::render::write(&plan, &args.out)?;
            eprintln!("wrote {files} files to {}", args.out.display());
        }
        Command::Module(ModuleCommand::List) => {
            commands::catalog_info::list(&catalog()?, &printer)?
        }
        Command::Module(ModuleCommand::Info { name }) => {
            commands::catalog_info::info(&catalog()?, name, &printer)?;
        }
        Command::Matrix => commands::catalog_info::matrix(&catalog()?, &printer)?,
        Command::Profile(ProfileCommand::Validate(args)) => {
            commands::profile::validate(&catalog()?, &args.into(), kubeconfig, &printer)?;
        }
        Command::Profile(ProfileCommand::Schema) => commands::profile::schema()?,
        Command::Profile(ProfileCommand::Show(args)) => {
            commands::profile::show(
                &catalog()?,
                &(&args.source).into(),
                args.resolved,
                kubeconfig,
                &printer,
            )?;
        }
        Command::Completion(args) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "choreoctl", &mut script);
            output::write_stdout(&script)?;
        }
        Command::Version => {
            commands::version::print(&catalog()?, cli.global.helm.as_deref(), &printer)?
        }
    }
    Ok(())
}

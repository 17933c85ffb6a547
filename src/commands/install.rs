//! `choreoctl install`: resolve, plan, preflight (`choreoctl check`), confirm
//! ([`super::confirm`]), execute (src/engine), and report progress as [`super::report`]
//! chooses; with `-o json|yaml`, the summary on stdout.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use super::confirm::{Answer, confirm, require_a_way_to_confirm, will_ask};
use super::report::{Report, SummaryDocument};
use crate::catalog::Catalog;
use crate::cli::{InstallArgs, LogFormat};
use crate::engine::journal::{InterruptedRunChoice, Operation};
use crate::engine::preview::{InspectOptions, inspect};
use crate::engine::walk::StepSettings;
use crate::engine::{self, Options};
use crate::error::Error;
use crate::output::Printer;
use crate::resolve::from_stored;

/// Runs `install`.
pub fn install(
    catalog: &Catalog,
    args: &InstallArgs,
    kubeconfig: Option<&Path>,
    helm: Option<&Path>,
    log_format: LogFormat,
    printer: &Printer,
) -> Result<(), Error> {
    let loaded = super::load_profile(catalog, &args.profile, &args.mirrors)?;
    let resolved = super::resolve_loaded(catalog, &loaded, kubeconfig)?;
    let plan = crate::plan::build(catalog, &resolved)?;
    require_a_way_to_confirm(args.yes || args.dry_run, log_format)?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    if !args.skip_checks {
        runtime.block_on(super::check::before_install(
            catalog, &plan, kubeconfig, log_format, printer,
        ))?;
    }
    let yes = args.yes || args.dry_run;
    // On a terminal, the question shows what will change, as `choreoctl plan` reads it.
    let live = if will_ask(yes, log_format) {
        let options = InspectOptions {
            kubeconfig: kubeconfig.map(Path::to_path_buf),
            manifests_plain_http: resolved.manifests.plain_http,
        };
        let live = runtime.block_on(inspect(&plan, &options));
        live.any_reachable().then_some(live)
    } else {
        None
    };
    if confirm(&plan, "Install?", live.as_ref(), yes, log_format, printer)? == Answer::Declined {
        let _ = writeln!(printer.stderr(), "not confirmed: nothing changed");
        return Ok(());
    }
    let options = Options {
        kubeconfig: kubeconfig.map(Path::to_path_buf),
        helm: helm.map(Path::to_path_buf),
        profile: serde_json::to_value(&resolved).map_err(anyhow::Error::from)?,
        operation: Operation::Install,
        dry_run: args.dry_run,
        steps: StepSettings {
            concurrency: usize::from(args.concurrency),
            timeout: args.timeout.map(Duration::from_secs),
            force_conflicts: args.force_conflicts,
            manifests_plain_http: resolved.manifests.plain_http,
        },
        force_unlock: args.force_unlock,
        interrupted: match (args.resume, args.discard) {
            (true, _) => InterruptedRunChoice::Resume,
            (_, true) => InterruptedRunChoice::Discard,
            _ => InterruptedRunChoice::Unspecified,
        },
        rebind: args.rebind,
    };
    let report = Report::choose(&plan, log_format, printer);
    report.run_started(&plan);
    // `--resume` of a run whose profile changed since: its own, journaled profile.
    let replan = |journaled: &serde_json::Value| {
        let resolved = from_stored(catalog, journaled).map_err(|error| error.to_string())?;
        crate::plan::build(catalog, &resolved).map_err(|error| error.to_string())
    };
    let result = runtime.block_on(engine::run(&plan, &options, &replan, &report));
    if let Some(summary) = report.summary() {
        printer.emit(&SummaryDocument::new(&plan.name, &summary), |_| Ok(()))?;
    }
    result?;
    Ok(())
}

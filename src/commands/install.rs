//! `choreoctl install`: resolve, plan, preflight (`choreoctl check`), confirm
//! ([`super::confirm`]), execute (src/engine), and report progress as [`super::report`]
//! chooses; with `-o json|yaml`, the summary on stdout.

use std::io::Write;

use super::confirm::{Answer, Question, confirm, require_a_way_to_confirm, will_ask};
use super::report::{Report, SummaryDocument};
use crate::catalog::Catalog;
use crate::cli::InstallArgs;
use crate::engine;
use crate::engine::journal::Operation;
use crate::engine::preview::{InspectOptions, inspect};
use crate::engine::removal::{self, Scope};
use crate::error::Error;
use crate::resolve::{Resolved, from_stored};
use crate::settings::{GlobalSettings, InstallSettings};

/// What `install` asks on a terminal.
const QUESTION: Question<'static> = Question {
    command: "install",
    text: "Install?",
};

/// What a command asks [`apply`] for: its question, the operation the journal records, and
/// what to take away besides (`module remove`).
pub struct Request<'a> {
    /// Asked on a terminal.
    pub question: Question<'a>,
    /// Recorded in the journal.
    pub operation: Operation,
    /// The journaled steps to take away that the profile no longer has.
    pub removal: Option<Removing>,
}

/// What a removal takes away.
pub struct Removing {
    /// Which journaled steps.
    pub scope: Scope,
    /// `--delete-data`.
    pub delete_data: bool,
}

/// Runs `install`.
pub fn install(
    catalog: &Catalog,
    args: &InstallArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let loaded = super::load_profile(catalog, &args.profile, &args.mirrors)?;
    let resolved = super::resolve_loaded(catalog, &loaded, global.kubeconfig())?;
    let settings = InstallSettings::resolve(&args.run, &resolved);
    let request = Request {
        question: QUESTION,
        operation: Operation::Install,
        removal: None,
    };
    apply(
        catalog,
        &resolved,
        &settings,
        request,
        &mut || Ok(()),
        global,
    )
}

/// Brings the clusters to `resolved`, as `install` does: preflight, the question (what will
/// change per plane, then the request's question), `confirmed` once the answer is yes
/// (`module add` writes its edited profile file there), the engine's run, and the summary.
/// Commands that edit the profile (`module add`, `module remove`) end here too; a removal's
/// remove steps, planned from the journal, follow the profile's steps.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2) without a way to confirm; [`Error::Preflight`] (exit 4) when a
/// preflight check fails; what `confirmed` returns; the engine's errors
/// ([`Error::Engine`], exit codes of docs/exit-codes.md).
pub fn apply(
    catalog: &Catalog,
    resolved: &Resolved,
    settings: &InstallSettings,
    request: Request<'_>,
    confirmed: &mut dyn FnMut() -> Result<(), Error>,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let printer = &global.printer;
    let question = request.question;
    let mut plan = crate::plan::build(catalog, resolved)?;
    require_a_way_to_confirm(question.command, settings.confirmation, global.log_format)?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    if let Some(removing) = &request.removal {
        let journal = runtime.block_on(removal::read_journal(&plan, global.kubeconfig.clone()))?;
        if let Some(journal) = journal {
            plan = removal::with_removals(plan, &journal, &removing.scope, removing.delete_data);
        }
    }
    if settings.preflight {
        runtime.block_on(super::check::before_install(catalog, &plan, global))?;
    }
    // On a terminal, the question shows what will change, as `choreoctl plan` reads it.
    let live = if will_ask(settings.confirmation, global.log_format) {
        let options = InspectOptions {
            kubeconfig: global.kubeconfig.clone(),
            manifests_plain_http: settings.steps.manifests_plain_http,
        };
        let live = runtime.block_on(inspect(&plan, &options));
        live.any_reachable().then_some(live)
    } else {
        None
    };
    let answer = confirm(
        &plan,
        question,
        live.as_ref(),
        settings.confirmation,
        global.log_format,
        printer,
    )?;
    if answer == Answer::Declined {
        let _ = writeln!(printer.stderr(), "not confirmed: nothing changed");
        return Ok(());
    }
    confirmed()?;
    let profile = serde_json::to_value(resolved).map_err(anyhow::Error::from)?;
    let options = settings.options(global, request.operation, profile);
    let log_format = global.log_format;
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

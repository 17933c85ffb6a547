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
use crate::engine::removal::{self, Removing};
use crate::error::Error;
use crate::resolve::{Resolved, from_stored};
use crate::settings::{GlobalSettings, InstallSettings};

/// What `install` asks on a terminal.
const QUESTION: Question<'static> = Question {
    command: "install",
    text: "Install?",
};

/// Why an interrupted removal is not finished with its journaled profile's plan: that plan
/// holds none of the removal's steps (and an uninstall's would install everything again).
fn resumes_as_it_started(operation: &Operation) -> Option<String> {
    match operation {
        Operation::Uninstall => Some(
            "an interrupted uninstall is finished with the profile it started with: run \
             `choreoctl uninstall --all` without -p (its journal keeps that profile)"
                .into(),
        ),
        Operation::Remove { what } => Some(format!(
            "an interrupted `{what}` removal is finished by running the same `remove` command \
             again, with the profile file as that command left it"
        )),
        Operation::SyncCa => Some(
            "an interrupted `plane sync-ca` is finished by running `choreoctl plane sync-ca` \
             again (it syncs the profile the journal keeps)"
                .into(),
        ),
        _ => None,
    }
}

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

/// How [`apply`] ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The clusters are as the plan says (it ran, or there was nothing to do).
    Done,
    /// `--dry-run`: nothing changed.
    DryRun,
    /// Declined on a terminal: nothing changed.
    Declined,
}

/// Runs `install`.
pub fn install(
    catalog: &Catalog,
    args: &InstallArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let loaded = super::load_profile(catalog, &args.profile, &args.mirrors)?;
    let resolved = super::resolve_loaded(catalog, &loaded, global.kubeconfig())?;
    let plan = crate::plan::build(catalog, &resolved)?;
    let settings = InstallSettings::resolve(&args.run, &resolved);
    let request = Request {
        question: QUESTION,
        operation: Operation::Install,
        removal: None,
    };
    apply(
        catalog,
        &resolved,
        plan,
        &settings,
        request,
        &mut || Ok(()),
        global,
    )?;
    Ok(())
}

/// Brings the clusters to `plan` (of `resolved`), as `install` does: preflight, the question
/// (what will change per plane, then the request's question), `confirmed` once the answer is
/// yes (`module add` writes its edited profile file there), the engine's run, and the summary.
/// Commands that edit the profile (`module add`, `module remove`) and `uninstall` end here too;
/// a removal's remove steps, planned from the journal, follow the plan's steps, and a plan left
/// with no step is done at once.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2) without a way to confirm; [`Error::Preflight`] (exit 4) when a
/// preflight check fails; what `confirmed` returns; the engine's errors
/// ([`Error::Engine`], exit codes of docs/exit-codes.md).
pub fn apply(
    catalog: &Catalog,
    resolved: &Resolved,
    mut plan: crate::plan::Plan,
    settings: &InstallSettings,
    request: Request<'_>,
    confirmed: &mut dyn FnMut() -> Result<(), Error>,
    global: &GlobalSettings,
) -> Result<Applied, Error> {
    let printer = &global.printer;
    let question = request.question;
    require_a_way_to_confirm(question.command, settings.confirmation, global.log_format)?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    if let Some(removing) = request.removal {
        let kubeconfig = global.kubeconfig.clone();
        let journal = runtime.block_on(removal::read_journal(&plan, kubeconfig.clone()))?;
        if let Some(journal) = journal {
            let shared = runtime.block_on(removal::shared_planes(&plan, kubeconfig))?;
            let log = super::report::log::Log::new(printer);
            let mut removing = removing;
            for (plane, others) in shared {
                log.note(&format!(
                    "the CRDs on plane {plane} stay: its cluster also runs installation {}",
                    others.join(", ")
                ));
                removing.crds_kept_on.insert(plane);
            }
            plan = removal::with_removals(plan, &journal, &removing);
        }
    }
    if plan.steps.is_empty() {
        let _ = writeln!(
            printer.stderr(),
            "nothing to remove: the journal of {} records nothing left",
            plan.name
        );
        return Ok(Applied::Done);
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
        return Ok(Applied::Declined);
    }
    confirmed()?;
    let profile = serde_json::to_value(resolved).map_err(anyhow::Error::from)?;
    let not_replanned = resumes_as_it_started(&request.operation);
    let options = settings.options(global, request.operation, profile);
    let log_format = global.log_format;
    let report = Report::choose(&plan, log_format, printer);
    report.run_started(&plan);
    // `--resume` of a run whose profile changed since: its own, journaled profile. A removal is
    // not replanned: see `resumes_as_it_started`.
    let replan = |journaled: &serde_json::Value| {
        if let Some(reason) = &not_replanned {
            return Err(reason.clone());
        }
        let resolved = from_stored(catalog, journaled).map_err(|error| error.to_string())?;
        crate::plan::build(catalog, &resolved).map_err(|error| error.to_string())
    };
    let result = runtime.block_on(engine::run(&plan, &options, &replan, &report));
    if let Some(summary) = report.summary() {
        printer.emit(&SummaryDocument::new(&plan.name, &summary), |_| Ok(()))?;
    }
    result?;
    Ok(if settings.dry_run {
        Applied::DryRun
    } else {
        Applied::Done
    })
}

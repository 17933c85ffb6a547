//! Asking before a command changes clusters: on a terminal what will change is shown and the
//! user answers the command's own question (default no); anywhere else `--yes` is required.

use std::io::Write;

use super::prompt;
use crate::cli::LogFormat;
use crate::engine::preview::{Change, Inspection};
use crate::error::Error;
use crate::output::Printer;
use crate::plan::{Action, Plan, Removal, RemoveAction};
use crate::settings::Confirmation;

/// Whether to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `--yes`, or the user said yes.
    Proceed,
    /// The user said no (or pressed Esc): nothing is changed, exit 0.
    Declined,
}

/// What a command that changes clusters asks before it does.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// The command, as the user typed it: `install`, `module remove`.
    pub command: &'a str,
    /// The question itself: "Install?", "Remove module observe?".
    pub text: &'a str,
}

/// Whether `confirm` will ask a question: no `--yes`, a terminal, text logs. A command reads
/// the live state to show (`live`) only then.
pub fn will_ask(confirmation: Confirmation, log_format: LogFormat) -> bool {
    !confirmation.given() && log_format == LogFormat::Text && prompt::terminals()
}

/// Shows what `plan` will do and asks `question`, or takes `--yes`. Asks only when
/// stdin and stderr are terminals and the log format is text (an NDJSON log has no room for a
/// question); otherwise, without `--yes`, fails with exit 2. With `live` (what `choreoctl plan`
/// reads from the clusters), each plane shows what will change; without it, what the plan
/// installs.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2) when there is neither `--yes` nor a terminal to ask on (see
/// [`require_a_way_to_confirm`]); [`Error::Other`] (exit 1) when the question is broken off.
pub fn confirm(
    plan: &Plan,
    question: Question<'_>,
    live: Option<&Inspection>,
    confirmation: Confirmation,
    log_format: LogFormat,
    printer: &Printer,
) -> Result<Answer, Error> {
    if log_format == LogFormat::Text {
        let _ = write!(printer.stderr(), "{}", headline(question.command, plan));
    }
    if confirmation.given() {
        return Ok(Answer::Proceed);
    }
    require_a_way_to_confirm(question.command, confirmation, log_format)?;
    match live {
        Some(live) => eprint!("{}", changes(plan, live)),
        None => eprint!("{}", planes(plan)),
    }
    Ok(if prompt::confirm(question.text, question.command)? {
        Answer::Proceed
    } else {
        Answer::Declined
    })
}

/// Fails (exit 2) when `command` could not be confirmed: no `--yes`, and no terminal to ask on
/// (or `--log-format json`). A command calls it first, so that it fails before contacting any
/// cluster.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2) when `command` could not be confirmed, saying why.
pub fn require_a_way_to_confirm(
    command: &str,
    confirmation: Confirmation,
    log_format: LogFormat,
) -> Result<(), Error> {
    let terminal = prompt::terminals();
    if confirmation.given() || (terminal && log_format == LogFormat::Text) {
        return Ok(());
    }
    let why = if terminal {
        "--log-format json asks nothing: pass --yes"
    } else {
        "stdin is not a terminal, so nothing can be asked: pass --yes"
    };
    Err(Error::Usage {
        message: format!("{command} changes clusters and was not confirmed"),
        help: why.into(),
    })
}

/// One line: the command, the installation, release, edition, step count, modules and
/// contexts.
fn headline(command: &str, plan: &Plan) -> String {
    let contexts: Vec<String> = plan
        .planes
        .iter()
        .map(|plane| format!("{} → {}", plane.name, plane.context_label()))
        .collect();
    format!(
        "{command} {}: OpenChoreo {}, {} edition, {} steps, modules {}; planes {}\n",
        plan.name,
        plan.version,
        plan.edition,
        plan.steps.len(),
        plan.modules.join(", "),
        contexts.join(", ")
    )
}

/// Per plane, what the live clusters say will change: its helm releases to install, to upgrade,
/// unknown until earlier steps run, unreachable, and unchanged — e.g.
/// `plane control (control) on context cp: 1 to upgrade (thunder), 6 unchanged`.
fn changes(plan: &Plan, live: &Inspection) -> String {
    let mut text = String::new();
    for plane in &plan.planes {
        let mut by_change: std::collections::BTreeMap<Change, Vec<&str>> = Default::default();
        let mut steps = 0;
        for (step, inspected) in plan.steps.iter().zip(&live.steps) {
            if step.plane != plane.name {
                continue;
            }
            steps += 1;
            let release = match &step.action {
                Action::Helm(helm) => &helm.release,
                Action::Remove(RemoveAction {
                    what: Removal::Release { release, .. },
                    ..
                }) => release,
                _ => continue,
            };
            by_change.entry(inspected.change).or_default().push(release);
        }
        let counts: Vec<String> = by_change
            .iter()
            .map(|(change, releases)| {
                let names = format!(" ({})", releases.join(", "));
                match change {
                    Change::Install => format!("{} to install{names}", releases.len()),
                    Change::Upgrade => format!("{} to upgrade{names}", releases.len()),
                    Change::Remove => format!("{} to remove{names}", releases.len()),
                    Change::Unknown => {
                        format!("{} unknown until earlier steps run{names}", releases.len())
                    }
                    Change::Unreachable => format!("{} unreachable", releases.len()),
                    Change::NoOp => format!("{} unchanged", releases.len()),
                }
            })
            .collect();
        let summary = if counts.is_empty() {
            format!("{steps} steps, no helm release")
        } else {
            counts.join(", ")
        };
        text.push_str(&format!(
            "  plane {} ({}) on context {}: {summary}\n",
            plane.name,
            plane.plane_type,
            plane.context_label(),
        ));
    }
    text.push_str(
        "Helm releases as the clusters show them now; apply, wait and read steps run every \
         time. Every step: `choreoctl plan` with the same arguments.\n",
    );
    text
}

/// Per plane: its type, context, number of steps and the helm releases it installs or
/// upgrades (releases found unchanged at run time are skipped): what is shown when no cluster
/// answered a preview.
fn planes(plan: &Plan) -> String {
    let mut text = String::new();
    for plane in &plan.planes {
        let steps: Vec<_> = plan
            .steps
            .iter()
            .filter(|step| step.plane == plane.name)
            .collect();
        let releases: Vec<String> = steps
            .iter()
            .filter_map(|step| match &step.action {
                Action::Helm(helm) => Some(format!("{} {}", helm.release, helm.version)),
                _ => None,
            })
            .collect();
        text.push_str(&format!(
            "  plane {} ({}) on context {}: {} steps\n",
            plane.name,
            plane.plane_type,
            plane.context_label(),
            steps.len()
        ));
        if !releases.is_empty() {
            text.push_str(&format!("    helm releases: {}\n", releases.join(", ")));
        }
    }
    text.push_str(
        "Each release is installed, or upgraded when present; releases unchanged since the \
         last run are skipped. Every step: `choreoctl plan` with the same arguments.\n",
    );
    text
}

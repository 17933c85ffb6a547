//! Asking before an install changes clusters: on a terminal the plan is shown and the user
//! answers (default no); anywhere else `--yes` is required. The question itself is asked by
//! [`super::prompt::confirm`], which takes the words of the command that asks.

use std::io::Write;

use super::prompt;
use crate::cli::LogFormat;
use crate::error::Error;
use crate::output::Printer;
use crate::plan::{Action, Plan};

/// Whether to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `--yes`, or the user said yes.
    Proceed,
    /// The user said no (or pressed Esc): nothing is changed, exit 0.
    Declined,
}

/// Shows what `plan` will do and asks, or takes `--yes`. Asks only when stdin and stderr are
/// terminals and the log format is text (an NDJSON log has no room for a question); otherwise,
/// without `--yes`, fails with exit 2.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2) when there is neither `--yes` nor a terminal to ask on (see
/// [`require_a_way_to_confirm`]); [`Error::Other`] (exit 1) when the question is broken off.
pub fn confirm(
    plan: &Plan,
    yes: bool,
    log_format: LogFormat,
    printer: &Printer,
) -> Result<Answer, Error> {
    if log_format == LogFormat::Text {
        let _ = write!(printer.stderr(), "{}", headline(plan));
    }
    if yes {
        return Ok(Answer::Proceed);
    }
    require_a_way_to_confirm(yes, log_format)?;
    eprint!("{}", planes(plan));
    Ok(if prompt::confirm("Install?", "install")? {
        Answer::Proceed
    } else {
        Answer::Declined
    })
}

/// Fails (exit 2) when install could not be confirmed: no `--yes`, and no terminal to ask on
/// (or `--log-format json`). `install` calls it first, so that it fails before contacting any
/// cluster.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2) when install could not be confirmed, saying why.
pub fn require_a_way_to_confirm(yes: bool, log_format: LogFormat) -> Result<(), Error> {
    let terminal = prompt::terminals();
    if yes || (terminal && log_format == LogFormat::Text) {
        return Ok(());
    }
    let why = if terminal {
        "--log-format json asks nothing: pass --yes"
    } else {
        "stdin is not a terminal, so nothing can be asked: pass --yes"
    };
    Err(Error::Usage {
        message: "install changes clusters and was not confirmed".into(),
        help: why.into(),
    })
}

/// One line: the installation, release, edition, step count, modules and contexts.
fn headline(plan: &Plan) -> String {
    let contexts: Vec<String> = plan
        .planes
        .iter()
        .map(|plane| format!("{} → {}", plane.name, plane.context_label()))
        .collect();
    format!(
        "install {}: OpenChoreo {}, {} edition, {} steps, modules {}; planes {}\n",
        plan.name,
        plan.version,
        plan.edition,
        plan.steps.len(),
        plan.modules.join(", "),
        contexts.join(", ")
    )
}

/// Per plane: its type, context, number of steps and the helm releases it installs or
/// upgrades (releases found unchanged at run time are skipped).
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

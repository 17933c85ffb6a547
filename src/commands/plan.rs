//! `choreoctl plan`: the steps an install would run, grouped by plane and context; when the
//! planes' clusters answer, each step annotated with what it would change
//! ([`engine::preview`](crate::engine::preview)).

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use super::report::log::Log;
use crate::catalog::Catalog;
use crate::cli::PlanArgs;
use crate::engine::preview::{Change, InspectOptions, Inspection, inspect};
use crate::error::Error;
use crate::output::{Printer, table};
use crate::plan::{Action, ApplyAction, Plan, Step};
use crate::settings::GlobalSettings;

/// Runs `plan`: live unless `--offline` or no cluster answers (then exactly the offline plan,
/// with a note on stderr saying why).
pub fn run(catalog: &Catalog, args: &PlanArgs, global: &GlobalSettings) -> Result<(), Error> {
    let printer = &global.printer;
    let kubeconfig = global.kubeconfig();
    let loaded = super::load_profile(catalog, &args.profile, &args.mirrors)?;
    let resolved = super::resolve_loaded(catalog, &loaded, kubeconfig)?;
    let plan = crate::plan::build(catalog, &resolved)?;
    let live = if args.offline {
        None
    } else {
        let options = InspectOptions {
            kubeconfig: kubeconfig.map(Path::to_path_buf),
            manifests_plain_http: resolved.manifests.plain_http,
        };
        read_live(&plan, &options, printer)?
    };
    match live {
        Some(live) => print_live(&plan, &live, printer)?,
        None => print(&plan, printer)?,
    }
    Ok(())
}

/// Reads the live state of `plan`, telling on stderr what could not be reached. `None` when
/// no cluster answered (or none is configured): callers fall back to offline.
pub fn read_live(
    plan: &Plan,
    options: &InspectOptions,
    printer: &Printer,
) -> Result<Option<Inspection>, Error> {
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let inspection = runtime.block_on(inspect(plan, options));
    let log = Log::new(printer);
    if !inspection.any_configured() {
        return Ok(None);
    }
    for note in &inspection.notes {
        log.note(note);
    }
    if !inspection.any_reachable() {
        log.note("no cluster of the plan is reachable: the plan is offline");
        return Ok(None);
    }
    Ok(Some(inspection))
}

/// Prints a plan.
pub fn print(plan: &Plan, printer: &Printer) -> anyhow::Result<()> {
    printer.emit(plan, |out| text(plan, None, out))
}

/// Prints a plan with what each step would change: a `live` field on every step and on the
/// plan in JSON/YAML (docs/plan-format.md).
pub fn print_live(plan: &Plan, live: &Inspection, printer: &Printer) -> anyhow::Result<()> {
    let mut document = serde_json::to_value(plan)?;
    if let Some(steps) = document["steps"].as_array_mut() {
        for (step, inspected) in steps.iter_mut().zip(&live.steps) {
            let mut annotation = json!({"change": inspected.change});
            if !inspected.reason.is_empty() {
                annotation["reason"] = Value::from(inspected.reason.clone());
            }
            step["live"] = annotation;
        }
    }
    let counts: serde_json::Map<String, Value> = live
        .counts()
        .into_iter()
        .map(|(change, count)| (change.label().to_owned(), Value::from(count)))
        .collect();
    document["live"] = json!({"counts": counts, "notes": live.notes});
    printer.emit(&document, |out| text(plan, Some(live), out))
}

/// `3 upgrade, 40 no-op`: how many steps have each change.
pub fn count_line(live: &Inspection) -> String {
    live.counts()
        .into_iter()
        .map(|(change, count)| format!("{count} {}", change.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether an install would change anything.
pub fn changes_anything(live: &Inspection) -> bool {
    live.steps.iter().any(|step| step.change != Change::NoOp)
}

fn text(plan: &Plan, live: Option<&Inspection>, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Plan {}: OpenChoreo {}, {} edition, {} planes, {} steps",
        plan.name,
        plan.version,
        plan.edition,
        plan.planes.len(),
        plan.steps.len()
    )?;
    writeln!(out, "Modules: {}", plan.modules.join(", "))?;
    for planned in &plan.planned {
        writeln!(
            out,
            "Not installed: {} is planned, not installable yet ({})",
            planned.name, planned.reason
        )?;
    }
    for plane in &plan.planes {
        let steps: Vec<(usize, &Step)> = plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, step)| step.plane == plane.name)
            .collect();
        writeln!(out)?;
        writeln!(
            out,
            "plane {} ({}), context {}: {} steps",
            plane.name,
            plane.plane_type,
            plane.context_label(),
            steps.len()
        )?;
        if steps.is_empty() {
            continue;
        }
        let mut header = vec!["#".to_string(), "STEP".into()];
        if live.is_some() {
            header.push("CHANGE".into());
        }
        header.extend(["KIND".into(), "NAMESPACE".into(), "WHAT".into()]);
        let mut rows = vec![header];
        let mut reasons = Vec::new();
        for (index, step) in steps {
            let mut row = vec![(index + 1).to_string(), step.id.clone()];
            if let Some(inspected) = live.and_then(|live| live.steps.get(index)) {
                row.push(inspected.change.label().into());
                if !inspected.reason.is_empty() {
                    reasons.push(format!(
                        "  {} {} {}: {}",
                        index + 1,
                        inspected.change.label(),
                        step.id,
                        inspected.reason
                    ));
                }
            }
            row.extend([
                step.kind().to_string(),
                step.namespace.clone().unwrap_or_else(|| "-".into()),
                what(step),
            ]);
            rows.push(row);
        }
        table(out, "  ", &rows)?;
        if !reasons.is_empty() {
            writeln!(out, "  why:")?;
            for reason in reasons {
                writeln!(out, "  {reason}")?;
            }
        }
    }
    if let Some(live) = live {
        writeln!(out)?;
        writeln!(out, "Live: {}", count_line(live))?;
    }
    Ok(())
}

/// One-line description of what a step touches.
fn what(step: &Step) -> String {
    match &step.action {
        Action::Helm(helm) => {
            let chart = &helm.chart;
            let location = chart.repo.as_deref().map_or_else(
                || chart.reference.clone(),
                |repo| format!("{repo} {}", chart.reference),
            );
            format!("{} {} {}", helm.release, location, helm.version)
        }
        Action::Apply(ApplyAction::Remote(remote)) => remote.url.clone(),
        Action::Apply(ApplyAction::Objects(objects)) => objects
            .iter()
            .map(|object| {
                format!(
                    "{}/{}",
                    object["kind"].as_str().unwrap_or("?"),
                    object["metadata"]["name"].as_str().unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        Action::Wait(wait) => format!(
            "{}/{} {:?}",
            wait.resource.kind, wait.resource.name, wait.condition
        ),
        Action::Read(read) => {
            format!("{}/{} {}", read.resource.kind, read.resource.name, read.key)
        }
        Action::Remove(remove) => remove.what.to_string(),
        Action::Restart(restart) => format!(
            "Deployments mounting {}",
            restart
                .mounts
                .iter()
                .map(|mount| format!("{}/{}", mount.kind, mount.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

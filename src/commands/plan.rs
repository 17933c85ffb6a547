//! `choreoctl plan`: the steps an install would run, grouped by plane and context.

use std::io::Write;

use crate::output::{Printer, table};
use crate::plan::{Action, ApplyAction, Plan, Step};

/// Prints a plan.
pub fn print(plan: &Plan, printer: &Printer) -> anyhow::Result<()> {
    printer.emit(plan, |out| text(plan, out))
}

fn text(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
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
        let mut rows = vec![vec![
            "#".to_string(),
            "STEP".into(),
            "KIND".into(),
            "NAMESPACE".into(),
            "WHAT".into(),
        ]];
        for (index, step) in steps {
            rows.push(vec![
                (index + 1).to_string(),
                step.id.clone(),
                step.kind().into(),
                step.namespace.clone().unwrap_or_else(|| "-".into()),
                what(step),
            ]);
        }
        table(out, "  ", &rows)?;
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
    }
}

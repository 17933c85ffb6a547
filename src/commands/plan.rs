//! `choreoctl plan`: the steps an install would run, grouped by plane and context.

use std::io::Write;

use crate::output::{Printer, table};
use crate::plan::{Manifest, Plan, Step, StepKind};

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
                step.kind.as_str().into(),
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
    match step.kind {
        StepKind::Helm => {
            let chart = step.chart.as_ref().expect("helm step has a chart");
            let location = chart.repo.as_deref().map_or_else(
                || chart.reference.clone(),
                |repo| format!("{repo} {}", chart.reference),
            );
            format!(
                "{} {} {}",
                step.release.as_deref().unwrap_or(""),
                location,
                step.version.as_deref().unwrap_or("")
            )
        }
        StepKind::Apply => match &step.manifest {
            Some(Manifest::Url(url)) => url.clone(),
            Some(Manifest::Objects(objects)) => objects
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
            None => String::new(),
        },
        StepKind::Wait => {
            let wait = step.wait.as_ref().expect("wait step");
            format!(
                "{}/{} {:?}",
                wait.resource.kind, wait.resource.name, wait.condition
            )
        }
        StepKind::Read => {
            let read = step.read.as_ref().expect("read step");
            format!("{}/{} {}", read.resource.kind, read.resource.name, read.key)
        }
    }
}

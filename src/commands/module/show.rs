//! `choreoctl module list`, `module info NAME` and `matrix`: the catalog as users see it.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::catalog::model::{Action, ApplyAction, EditionSupport, Module};
use crate::catalog::{Catalog, SECURE_CORE};
use crate::error::Error;
use crate::output::{Printer, table};
use crate::profile::model::Edition;
use crate::resolve::ResolveError;
use crate::suggest::hint;

/// One row of `module list` and `matrix`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ModuleRow<'a> {
    name: &'a str,
    title: &'a str,
    stage: u8,
    home: Option<&'static str>,
    editions: &'a BTreeMap<Edition, EditionSupport>,
}

fn rows(catalog: &Catalog) -> Vec<ModuleRow<'_>> {
    let core = catalog.module(SECURE_CORE).into_iter();
    core.chain(catalog.add_on_modules())
        .map(|module| ModuleRow {
            name: &module.name,
            title: &module.title,
            stage: module.stage,
            home: module.home.map(|home| home.as_str()),
            editions: &module.editions,
        })
        .collect()
}

fn level(support: &EditionSupport) -> String {
    support.level.as_str().to_string()
}

/// `module list`.
pub fn list(catalog: &Catalog, printer: &Printer) -> anyhow::Result<()> {
    let rows = rows(catalog);
    printer.emit(&rows, |out| {
        let mut table_rows = vec![vec![
            "NAME".to_string(),
            "STAGE".into(),
            "HOME".into(),
            "CILIUM".into(),
            "GENERIC".into(),
            "TITLE".into(),
        ]];
        for row in &rows {
            table_rows.push(vec![
                row.name.to_string(),
                row.stage.to_string(),
                row.home
                    .unwrap_or(if row.name == SECURE_CORE { "all" } else { "-" })
                    .to_string(),
                level(&row.editions[&Edition::Cilium]),
                level(&row.editions[&Edition::Generic]),
                row.title.to_string(),
            ]);
        }
        table(out, "", &table_rows)
    })
}

/// `matrix`: every module's support level and features per edition, with reasons.
pub fn matrix(catalog: &Catalog, printer: &Printer) -> anyhow::Result<()> {
    let rows = rows(catalog);
    printer.emit(&rows, |out| {
        let mut table_rows = vec![vec![
            "MODULE".to_string(),
            "CILIUM".into(),
            "GENERIC".into(),
        ]];
        for row in &rows {
            table_rows.push(vec![
                row.name.to_string(),
                describe(&row.editions[&Edition::Cilium]),
                describe(&row.editions[&Edition::Generic]),
            ]);
        }
        table(out, "", &table_rows)
    })
}

fn describe(support: &EditionSupport) -> String {
    match (&support.reason, support.features.is_empty()) {
        (Some(reason), _) => format!("{} ({reason})", support.level.as_str()),
        (None, false) => format!(
            "{}: {}",
            support.level.as_str(),
            support.features.join(", ")
        ),
        (None, true) => support.level.as_str().to_string(),
    }
}

/// `module info NAME`.
pub fn info(catalog: &Catalog, name: &str, printer: &Printer) -> Result<(), Error> {
    let Some(module) = catalog.module(name) else {
        let names: Vec<&str> = catalog.modules.keys().map(String::as_str).collect();
        let hint = hint(name, names.iter().copied());
        return Err(ResolveError::Input {
            message: format!("unknown module `{name}`"),
            help: format!("{hint}modules: {}", names.join(", ")),
        }
        .into());
    };
    let release = catalog.newest_release();
    printer.emit(module, |out| info_text(module, release, out))?;
    Ok(())
}

fn info_text(
    module: &Module,
    release: &crate::catalog::model::Release,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} ({}), stage {}",
        module.title, module.name, module.stage
    )?;
    writeln!(out, "{}", module.summary.trim())?;
    let allowed: Vec<&str> = module.allowed_planes.iter().map(|p| p.as_str()).collect();
    writeln!(
        out,
        "Home plane: {}; may run on: {}",
        module.home.map_or("every plane", |home| home.as_str()),
        if allowed.is_empty() {
            "every plane".into()
        } else {
            allowed.join(", ")
        }
    )?;
    if !module.requires.is_empty() {
        writeln!(out, "Requires: {}", module.requires.join(", "))?;
    }
    writeln!(out, "Editions:")?;
    for (edition, support) in &module.editions {
        writeln!(out, "  {edition}: {}", describe(support))?;
        if let Some(remedy) = &support.remedy {
            writeln!(out, "    way out: {remedy}")?;
        }
    }
    if !module.options.is_empty() {
        writeln!(out, "Options:")?;
        for (name, option) in &module.options {
            writeln!(
                out,
                "  {name} (default {}): {}",
                option.default, option.description
            )?;
        }
    }
    writeln!(out, "Steps (OpenChoreo {}):", release.version)?;
    for step in &module.steps {
        let what = match &step.action {
            Action::Helm(helm) => {
                let pin = &release.charts[&helm.chart];
                format!(
                    "helm {} {}/{} {}",
                    helm.release, pin.repo, pin.name, pin.version
                )
            }
            Action::Apply(ApplyAction::Template(name) | ApplyAction::Manifest(name)) => {
                format!("apply {name}")
            }
            Action::Wait(wait) => format!(
                "wait {}/{} {:?}",
                wait.resource.kind, wait.resource.name, wait.condition
            ),
            Action::Read(read) => format!(
                "read {}/{} {}",
                read.resource.kind, read.resource.name, read.key
            ),
        };
        writeln!(out, "  {:<24} {what}", step.id)?;
    }
    Ok(())
}

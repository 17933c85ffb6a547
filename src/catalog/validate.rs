//! Consistency checks run on every catalog load: a broken catalog is reported with the file
//! at fault before anything is planned.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Action, ApplyAction, Module, RunOn, SupportLevel};
use super::{Catalog, CatalogError, SECURE_CORE};
use crate::platform::Edition;

/// Checks references between modules, steps, templates and versions tables.
pub fn validate(catalog: &Catalog, files: &BTreeMap<String, String>) -> Result<(), CatalogError> {
    if catalog.releases.is_empty() {
        return Err(CatalogError::invalid(
            "modules/releases/",
            "no versions table",
            "add modules/releases/<version>.yaml",
        ));
    }
    if !catalog.modules.contains_key(SECURE_CORE) {
        return Err(CatalogError::invalid(
            "modules/",
            "no secure-core module",
            "add modules/secure-core.yaml",
        ));
    }
    for (name, module) in &catalog.modules {
        validate_module(catalog, module, &files[name])?;
    }
    for (name, module) in &catalog.modules {
        super::crd_waits::check(catalog, module)
            .map_err(|(message, help)| CatalogError::invalid(&files[name], message, help))?;
    }
    Ok(())
}

fn validate_module(catalog: &Catalog, module: &Module, file: &str) -> Result<(), CatalogError> {
    let fail = |message: String, help: &str| Err(CatalogError::invalid(file, message, help));

    if !(1..=4).contains(&module.stage) {
        return fail(format!("stage {} is not 1-4", module.stage), "use 1 to 4");
    }
    for edition in Edition::ALL {
        let Some(support) = module.editions.get(&edition) else {
            return fail(
                format!("no support level for the {edition} edition"),
                "add editions.<edition>.level",
            );
        };
        if matches!(
            support.level,
            SupportLevel::Unsupported | SupportLevel::Planned
        ) && support.reason.is_none()
        {
            return fail(
                format!(
                    "{edition} level {} without a reason",
                    support.level.as_str()
                ),
                "add editions.<edition>.reason",
            );
        }
    }
    if let Some(home) = module.home
        && !module.allowed_planes.contains(&home)
    {
        return fail(
            format!("home plane type `{home}` is not in allowedPlanes"),
            "add it to allowedPlanes",
        );
    }
    for required in &module.requires {
        if !catalog.modules.contains_key(required) {
            return fail(
                format!("requires unknown module `{required}`"),
                "name a module that has a file in modules/",
            );
        }
    }
    let installable = module
        .editions
        .values()
        .any(|support| support.level.installable());
    if installable && module.home.is_none() && module.name != SECURE_CORE {
        return fail(
            "an installable module needs a home plane type".into(),
            "set `home:`",
        );
    }

    let mut ids = BTreeSet::new();
    for step in &module.steps {
        if !ids.insert(step.id.as_str()) {
            return fail(
                format!("step id `{}` is used twice", step.id),
                "give every step its own id",
            );
        }
    }
    for (position, step) in module.steps.iter().enumerate() {
        for need in &step.needs {
            check_need(catalog, module, position, need).or_else(|message| {
                fail(
                    format!("step `{}` needs `{need}`: {message}", step.id),
                    "name a step of this module, or `module/step` of a required module",
                )
            })?;
        }
        if step.run_on == RunOn::Control && step.each == super::model::Each::Control {
            return fail(
                format!(
                    "step `{}`: runOn control is implied by each: control",
                    step.id
                ),
                "drop runOn",
            );
        }
        if let Some(when) = &step.when
            && let Err(error) = crate::template::check_expression(when)
        {
            return fail(
                format!("step `{}`: `when` does not compile: {error}", step.id),
                "write a minijinja expression such as `edition == 'cilium'`",
            );
        }
        let templates: Vec<&str> = match &step.action {
            Action::Helm(helm) => {
                for release in catalog.releases.values() {
                    if !release.charts.contains_key(&helm.chart) {
                        return fail(
                            format!(
                                "step `{}` uses chart `{}`, which release {} does not pin",
                                step.id, helm.chart, release.version
                            ),
                            "add the chart to every modules/releases/*.yaml",
                        );
                    }
                }
                vec![helm.values.as_str()]
            }
            Action::Apply(ApplyAction::Template(template)) => vec![template.as_str()],
            Action::Apply(ApplyAction::Manifest(manifest)) => {
                for release in catalog.releases.values() {
                    if !release.manifests.contains_key(manifest) {
                        return fail(
                            format!(
                                "step `{}` uses manifest `{manifest}`, which release {} does not pin",
                                step.id, release.version
                            ),
                            "add it under manifests: in every modules/releases/*.yaml",
                        );
                    }
                }
                vec![]
            }
            Action::Wait(_) | Action::Read(_) => vec![],
        };
        for template in templates {
            if !catalog.templates.contains_key(template) {
                return fail(
                    format!(
                        "step `{}` uses missing template `templates/{template}`",
                        step.id
                    ),
                    "add the template or fix the path",
                );
            }
        }
    }
    Ok(())
}

/// A need is an earlier `step` of the same module, or `module/step` of the Secure Core or a
/// required module. Needs therefore only point backwards, and the step graph is acyclic.
fn check_need(
    catalog: &Catalog,
    module: &Module,
    position: usize,
    need: &str,
) -> Result<(), String> {
    let (owner, step) = match need.split_once('/') {
        Some((owner, step)) => (owner, step),
        None => (module.name.as_str(), need),
    };
    if owner != module.name && owner != SECURE_CORE && !requires(catalog, module, owner) {
        return Err(format!(
            "module `{}` does not require `{owner}`",
            module.name
        ));
    }
    if owner == module.name {
        return match module
            .steps
            .iter()
            .position(|candidate| candidate.id == step)
        {
            Some(index) if index < position => Ok(()),
            Some(_) => Err("it is not an earlier step; steps may only need earlier ones".into()),
            None => Err(format!("module `{owner}` has no step `{step}`")),
        };
    }
    let Some(target) = catalog.modules.get(owner) else {
        return Err(format!("no module `{owner}`"));
    };
    if target.steps.iter().any(|candidate| candidate.id == step) {
        Ok(())
    } else {
        Err(format!("module `{owner}` has no step `{step}`"))
    }
}

fn requires(catalog: &Catalog, module: &Module, other: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<&str> = module.requires.iter().map(String::as_str).collect();
    while let Some(name) = queue.pop() {
        if name == other {
            return true;
        }
        if seen.insert(name)
            && let Some(next) = catalog.modules.get(name)
        {
            queue.extend(next.requires.iter().map(String::as_str));
        }
    }
    false
}

//! Module selection: the modules asked for, their support on the edition, and the modules they
//! require.

use std::collections::BTreeMap;

use super::order::{dependency_order, resolved_requirers};
use super::{Plane, PlannedModule, ResolveError, ResolvedModule, Resolver};
use crate::catalog::SECURE_CORE;
use crate::catalog::model::SupportLevel;
use crate::profile::model::{Edition, ModuleSpec};
use crate::suggest::hint;

impl Resolver<'_> {
    /// The modules to install in dependency order, and those asked for that are only planned.
    pub(super) fn modules(
        &self,
        specs: &[ModuleSpec],
        edition: Edition,
        planes: &[Plane],
    ) -> Result<(Vec<ResolvedModule>, Vec<PlannedModule>), ResolveError> {
        let mut asked: BTreeMap<String, &ModuleSpec> = BTreeMap::new();
        let mut planned = Vec::new();
        let mut core: Option<&ModuleSpec> = None;
        for spec in specs {
            let name = &spec.name;
            let Some(module) = self.catalog.module(&name.value) else {
                let names: Vec<&str> = self
                    .catalog
                    .add_on_modules()
                    .into_iter()
                    .map(|module| module.name.as_str())
                    .collect();
                let hint = hint(&name.value, names.iter().copied());
                return self.fail(
                    name.referenced,
                    format!("unknown module `{}`", name.value),
                    format!(
                        "{hint}modules: {} (see `choreoctl module list`)",
                        names.join(", ")
                    ),
                );
            };
            if module.name == SECURE_CORE {
                // Always installed everywhere: an entry may only set its options.
                if spec.plane.is_some() || spec.planes.is_some() {
                    return self.fail(
                        name.referenced,
                        "the Secure Core runs on every plane; it cannot be placed".into(),
                        "remove `plane`/`planes`; list `secure-core` only to set its options"
                            .into(),
                    );
                }
                if core.replace(spec).is_some() {
                    return self.fail(
                        name.referenced,
                        "module `secure-core` is listed twice".into(),
                        "list it once".into(),
                    );
                }
                continue;
            }
            if asked.insert(name.value.clone(), spec).is_some() {
                return self.fail(
                    name.referenced,
                    format!("module `{}` is listed twice", name.value),
                    "list each module once; use `planes: [...]` for several planes".into(),
                );
            }
            let support = &module.editions[&edition];
            match support.level {
                SupportLevel::Planned => planned.push(PlannedModule {
                    name: module.name.clone(),
                    reason: support.reason.clone().unwrap_or_default(),
                }),
                SupportLevel::Unsupported => {
                    return self.fail(
                        name.referenced,
                        format!(
                            "{} is not supported on the {edition} edition: {}",
                            module.title,
                            support.reason.as_deref().unwrap_or("")
                        ),
                        support
                            .remedy
                            .clone()
                            .unwrap_or_else(|| "remove the module or change the edition".into()),
                    );
                }
                _ => {}
            }
        }

        let order = dependency_order(&self.catalog.modules, &asked)?;
        let mut resolved = Vec::new();
        for name in order {
            let module = &self.catalog.modules[&name];
            let support = &module.editions[&edition];
            if support.level == SupportLevel::Planned {
                continue;
            }
            let spec = if name == SECURE_CORE {
                core
            } else {
                asked.get(&name).copied()
            };
            let required_by: Vec<String> = if spec.is_some() || name == SECURE_CORE {
                Vec::new()
            } else {
                resolved_requirers(&self.catalog.modules, &asked, &name)
            };
            if spec.is_none() && !support.level.installable() && name != SECURE_CORE {
                return Err(ResolveError::Input {
                    message: format!(
                        "{} requires {}, which is not supported on the {edition} edition: {}",
                        required_by.join(", "),
                        module.title,
                        support.reason.as_deref().unwrap_or("")
                    ),
                    help: support
                        .remedy
                        .clone()
                        .unwrap_or_else(|| "change the edition".into()),
                });
            }
            resolved.push(ResolvedModule {
                name: name.clone(),
                level: support.level,
                features: support.features.clone(),
                planes: self.placement(module, spec, planes)?,
                options: self.options(module, spec)?,
                required_by,
            });
        }
        Ok((resolved, planned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::fixtures::*;

    #[test]
    fn guard_on_generic_is_refused_with_the_way_out() {
        let error = resolve_yaml(&profile("generic", TOPOLOGY, "    - name: guard\n")).unwrap_err();
        let text = message(error);
        assert!(text.contains("test.yaml:13:"), "{text}");
        assert!(
            text.contains(
                "Guard needs the Cilium edition; run `choreoctl migrate generic-to-cilium` first"
            ),
            "{text}"
        );
    }

    #[test]
    fn observe_level_and_features_follow_the_edition() {
        let modules = "    - name: observe\n";
        let cilium = resolve_yaml(&profile("cilium", TOPOLOGY, modules)).unwrap();
        let generic = resolve_yaml(&profile("generic", TOPOLOGY, modules)).unwrap();
        assert_eq!(module(&cilium, "observe").level, SupportLevel::Advanced);
        assert!(
            module(&cilium, "observe")
                .features
                .contains(&"tracing".to_string())
        );
        assert_eq!(module(&generic, "observe").level, SupportLevel::Common);
        assert_eq!(module(&generic, "observe").features, ["logs", "metrics"]);
    }

    #[test]
    fn the_secure_core_is_listed_only_for_its_options() {
        let dev = "    - {name: secure-core, options: {secretStore: dev}}\n";
        let resolved = resolve_yaml(&profile("generic", TOPOLOGY, dev)).unwrap();
        assert_eq!(
            module(&resolved, "secure-core").options["secretStore"],
            "dev"
        );
        let default = resolve_yaml(&profile("generic", TOPOLOGY, "    - name: cd\n")).unwrap();
        assert_eq!(
            module(&default, "secure-core").options["secretStore"],
            "persistent"
        );
        let placed = "    - {name: secure-core, plane: control}\n";
        let text = message(resolve_yaml(&profile("generic", TOPOLOGY, placed)).unwrap_err());
        assert!(text.contains("cannot be placed"), "{text}");
    }

    #[test]
    fn planned_modules_are_reported_not_dropped() {
        let resolved =
            resolve_yaml(&profile("cilium", TOPOLOGY, "    - name: intelligence\n")).unwrap();
        assert_eq!(resolved.planned.len(), 1);
        assert_eq!(resolved.planned[0].name, "intelligence");
        assert!(resolved.modules.iter().all(|m| m.name != "intelligence"));
    }
}

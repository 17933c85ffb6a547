//! Expanding resolved modules into step instances bound to planes: `wiring.rs` decides which
//! planes get a step and what it needs, `render.rs` renders its action.

mod render;
mod wiring;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::PlanError;
use super::context::PlanContext;
use super::{PLAN_API_VERSION, Plan, Step};
use crate::catalog::Catalog;
use crate::catalog::model::{self, RunOn, StepSpec};
use crate::profile::model::PlaneType;
use crate::resolve::{Plane, Resolved, ResolvedModule};
use crate::template::Renderer;

/// Computes the plan for a resolved installation.
///
/// # Errors
///
/// [`PlanError::Template`] when a catalog template does not compile or render, and
/// [`PlanError::Step`] when a step's `when`, resource name or hint does not render for a plane;
/// both exit 2 (`InvalidInput`, as [`crate::error::Error::Plan`]).
pub fn build(catalog: &Catalog, resolved: &Resolved) -> Result<Plan, PlanError> {
    let renderer = Renderer::new(&catalog.templates)?;
    let context = PlanContext::new(resolved);
    let mut builder = Builder {
        resolved,
        context: &context,
        renderer: &renderer,
        steps: Vec::new(),
        instances: BTreeMap::new(),
    };
    for module in &resolved.modules {
        for spec in &catalog.modules[&module.name].steps {
            for subject in builder.subjects(module, spec) {
                builder.add(module, spec, subject)?;
            }
        }
    }
    Ok(Plan {
        api_version: PLAN_API_VERSION,
        kind: "Plan",
        name: resolved.name.clone(),
        edition: resolved.edition.to_string(),
        version: resolved.version.clone(),
        planes: resolved.planes.clone(),
        modules: resolved.modules.iter().map(|m| m.name.clone()).collect(),
        planned: resolved.planned.clone(),
        steps: builder.steps,
    })
}

/// The plan as it is built: the steps so far, and where each step spec's instances are.
struct Builder<'a> {
    resolved: &'a Resolved,
    context: &'a PlanContext<'a>,
    renderer: &'a Renderer,
    steps: Vec<Step>,
    /// Positions in `steps` of each `(module, step)`'s instances.
    instances: BTreeMap<(String, String), Vec<usize>>,
}

impl<'a> Builder<'a> {
    /// The resolved plane `name`.
    fn plane(&self, name: &str) -> &'a Plane {
        self.resolved
            .planes
            .iter()
            .find(|plane| plane.name == name)
            .expect("resolver only places modules on known planes")
    }

    /// The control plane.
    fn control(&self) -> &'a Plane {
        self.resolved
            .planes
            .iter()
            .find(|plane| plane.plane_type == PlaneType::Control)
            .expect("resolver guarantees one control plane")
    }

    /// Adds the instance of `spec` for `subject`, unless its `when` says no.
    fn add(
        &mut self,
        module: &ResolvedModule,
        spec: &StepSpec,
        subject: &'a Plane,
    ) -> Result<(), PlanError> {
        let target = match spec.run_on {
            RunOn::Subject => subject,
            RunOn::Control => self.control(),
        };
        let chart = match &spec.action {
            model::Action::Helm(helm) => Some(&self.resolved.release.charts[&helm.chart]),
            _ => None,
        };
        let step_error = |message: String| PlanError::Step {
            module: module.name.clone(),
            step: spec.id.clone(),
            plane: subject.name.clone(),
            message,
        };
        let outputs = Arc::new(self.outputs(module, subject));
        let context = self
            .context
            .step(module, subject, target, chart, outputs.clone());

        if let Some(when) = &spec.when {
            let keep = self
                .renderer
                .condition(when, &context)
                .map_err(|error| step_error(format!("`when`: {error}")))?;
            if !keep {
                return Ok(());
            }
        }

        let (namespace, action) = self.action(spec, target, &context, &step_error)?;

        let mut needs: Vec<String> = Vec::new();
        for need in &spec.needs {
            let (owner, name) = need.split_once('/').unwrap_or((&module.name, need));
            for found in self.nearest(owner, name, subject) {
                if !needs.contains(&found.id) {
                    needs.push(found.id.clone());
                }
            }
        }
        for used in outputs.used.lock().expect("not poisoned").iter() {
            if !needs.contains(used) {
                needs.push(used.clone());
            }
        }
        let step = Step {
            id: format!("{}/{}@{}", module.name, spec.id, subject.name),
            module: module.name.clone(),
            plane: target.name.clone(),
            subject: subject.name.clone(),
            context: target.context.clone(),
            kubeconfig: target.kubeconfig.clone(),
            namespace,
            action,
            needs,
        };
        self.instances
            .entry((module.name.clone(), spec.id.clone()))
            .or_default()
            .push(self.steps.len());
        self.steps.push(step);
        Ok(())
    }
}

/// What the unit tests of the plan start from.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::catalog::Catalog;
    use crate::kubeconfig::KnownContexts;
    use crate::plan::{Action, HelmAction, Plan, Step};
    use crate::profile::LoadedProfile;
    use crate::profile::load::parse;
    use crate::source::SourceFile;

    /// The plan of profile `yaml` against the embedded catalog.
    pub fn plan(yaml: &str) -> Plan {
        let catalog = Catalog::embedded().unwrap();
        let source = SourceFile::new("test.yaml", yaml);
        let loaded = LoadedProfile {
            profile: parse(&source).unwrap(),
            source,
        };
        let resolved =
            crate::resolve::resolve(&catalog, &loaded, &KnownContexts::default()).unwrap();
        super::build(&catalog, &resolved).unwrap()
    }

    /// A profile of three planes on two contexts, on `edition`, with `extra` spec lines.
    pub fn profile(edition: &str, extra: &str) -> String {
        format!(
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: t}}\n\
             spec:\n  edition: {edition}\n  planes:\n\
             \x20   - {{name: control, type: control, context: cp}}\n\
             \x20   - {{name: local, type: data, context: cp}}\n\
             \x20   - {{name: eu, type: data, context: eu}}\n{extra}"
        )
    }

    /// The step `id` of `plan`.
    pub fn step<'a>(plan: &'a Plan, id: &str) -> &'a Step {
        plan.steps
            .iter()
            .find(|step| step.id == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    }

    /// The helm action of step `id` of `plan`.
    pub fn helm<'a>(plan: &'a Plan, id: &str) -> &'a HelmAction {
        match &step(plan, id).action {
            Action::Helm(helm) => helm,
            other => panic!("{id} is a {} step", other.kind()),
        }
    }
}

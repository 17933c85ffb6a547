//! The rendering of a step: its action with the catalog's templates rendered in the step's
//! context, the profile's value overrides merged in, charts and manifests pointed at their
//! mirrors, and the namespace it works in.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Builder;
use crate::catalog::model::{self, ResourceRef, StepSpec};
use crate::plan::{
    Action, ApplyAction, ChartRef, HelmAction, HelmSettings, PlanError, ReadAction, RemoteManifest,
    WaitAction,
};
use crate::resolve::Plane;
use crate::template::deep_merge;

impl Builder<'_> {
    /// The step's action with its templates rendered, and the namespace it works in.
    pub(super) fn action(
        &self,
        spec: &StepSpec,
        target: &Plane,
        context: &minijinja::Value,
        step_error: &dyn Fn(String) -> PlanError,
    ) -> Result<(Option<String>, Action), PlanError> {
        let resource = |resource: &ResourceRef| -> Result<ResourceRef, PlanError> {
            Ok(ResourceRef {
                name: self
                    .renderer
                    .inline(&resource.name, context)
                    .map_err(|error| step_error(format!("resource name: {error}")))?,
                ..resource.clone()
            })
        };
        Ok(match &spec.action {
            model::Action::Helm(helm) => {
                let pin = &self.resolved.release.charts[&helm.chart];
                let mut values = self.renderer.yaml(&helm.values, context)?;
                if let Some(overrides) = self.resolved.values.get(&helm.release) {
                    deep_merge(&mut values, overrides);
                }
                let action = HelmAction {
                    chart: self.chart_ref(pin),
                    release: helm.release.clone(),
                    version: pin.version.clone(),
                    helm: HelmSettings {
                        wait: helm.wait,
                        timeout: helm.timeout,
                    },
                    values,
                    external: pin
                        .compatible
                        .clone()
                        .filter(|_| !self.resolved.adopt.contains(&helm.chart)),
                };
                (Some(helm.namespace.clone()), Action::Helm(action))
            }
            model::Action::Apply(model::ApplyAction::Template(template)) => {
                let objects = self.renderer.documents(template, context)?;
                let namespace = common_namespace(&objects);
                (namespace, Action::Apply(ApplyAction::Objects(objects)))
            }
            model::Action::Apply(model::ApplyAction::Manifest(key)) => {
                let pin = &self.resolved.release.manifests[key];
                let remote = RemoteManifest {
                    name: pin.name.clone(),
                    url: self.manifest_url(pin),
                    version: pin.version.clone(),
                };
                (None, Action::Apply(ApplyAction::Remote(remote)))
            }
            model::Action::Wait(wait) => {
                let resource = resource(&wait.resource)?;
                let hint = wait
                    .hint
                    .as_deref()
                    .map(|hint| self.renderer.inline(hint, context))
                    .transpose()
                    .map_err(|error| step_error(format!("hint: {error}")))?;
                let action = WaitAction {
                    condition: wait.condition,
                    timeout: wait.timeout,
                    resource,
                    hint,
                };
                (action.resource.namespace.clone(), Action::Wait(action))
            }
            model::Action::Read(read) => {
                let resource = resource(&read.resource)?;
                let action = ReadAction {
                    placeholder: format!(
                        "<from plane {}: {} {}{} {}>",
                        target.name,
                        resource.kind.to_lowercase(),
                        resource
                            .namespace
                            .as_deref()
                            .map(|ns| format!("{ns}/"))
                            .unwrap_or_default(),
                        resource.name,
                        read.key
                    ),
                    resource,
                    key: read.key.clone(),
                };
                (action.resource.namespace.clone(), Action::Read(action))
            }
        })
    }

    fn chart_ref(&self, pin: &model::ChartPin) -> ChartRef {
        let charts = &self.resolved.charts;
        match &charts.mirror {
            Some(mirror) => ChartRef {
                name: pin.name.clone(),
                reference: format!("{}/{}", mirror.value.trim_end_matches('/'), pin.name),
                repo: None,
                plain_http: charts.plain_http,
            },
            None if pin.repo.starts_with("oci://") => ChartRef {
                name: pin.name.clone(),
                reference: format!("{}/{}", pin.repo.trim_end_matches('/'), pin.name),
                repo: None,
                plain_http: false,
            },
            None => ChartRef {
                name: pin.name.clone(),
                reference: pin.name.clone(),
                repo: Some(pin.repo.clone()),
                plain_http: false,
            },
        }
    }

    fn manifest_url(&self, pin: &model::ManifestPin) -> String {
        match &self.resolved.manifests.mirror {
            Some(mirror) => {
                let file = pin.url.rsplit('/').next().unwrap_or(&pin.url);
                format!(
                    "{}/{}/{}/{file}",
                    mirror.value.trim_end_matches('/'),
                    pin.name,
                    pin.version
                )
            }
            None => pin.url.clone(),
        }
    }
}

/// The namespace shared by every namespaced object, if they share one.
fn common_namespace(objects: &[Value]) -> Option<String> {
    let namespaces: BTreeSet<&str> = objects
        .iter()
        .filter_map(|object| object.pointer("/metadata/namespace")?.as_str())
        .collect();
    match namespaces.len() {
        1 => namespaces.into_iter().next().map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::build::fixtures::{helm, plan, profile};

    #[test]
    fn mirror_and_value_overrides_apply() {
        let plan = plan(&profile(
            "generic",
            "  charts: {mirror: 'oci://127.0.0.1:5000/choreo', plainHttp: true}\n\
             \x20 values:\n    openchoreo-control-plane:\n      backstage: {replicas: 2}\n",
        ));
        let control = helm(&plan, "secure-core/control-plane@control");
        let chart = &control.chart;
        assert_eq!(
            chart.reference,
            "oci://127.0.0.1:5000/choreo/openchoreo-control-plane"
        );
        assert!(chart.plain_http);
        let values = &control.values;
        assert_eq!(values["backstage"]["replicas"], 2);
        assert_eq!(values["backstage"]["secretName"], "backstage-secrets");
        assert!(!control.helm.wait, "control plane must not use helm --wait");
    }
}

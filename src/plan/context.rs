//! The variables a catalog template sees.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use minijinja::Value;
use minijinja::value::Object;
use serde_json::json;

use crate::catalog::model::ChartPin;
use crate::resolve::{Plane, Resolved, ResolvedModule};

/// Template variables of one plan. Everything that does not depend on the step is converted
/// once; per-step contexts only layer small values over it.
pub struct PlanContext<'a> {
    resolved: &'a Resolved,
    shared: Value,
    planes: BTreeMap<&'a str, Value>,
    modules: BTreeMap<&'a str, Value>,
}

impl<'a> PlanContext<'a> {
    /// Converts the installation's planes and modules into template values.
    pub fn new(resolved: &'a Resolved) -> Self {
        let modules: BTreeMap<&str, serde_json::Value> = resolved
            .modules
            .iter()
            .map(|module| {
                (
                    module.name.as_str(),
                    json!({
                        "features": module.features,
                        "planes": module.planes,
                        "options": module.options,
                    }),
                )
            })
            .collect();
        let shared = Value::from(minijinja::value::Serde(json!({
            "profile": {
                "name": resolved.name,
                "domain": resolved.domain,
                "version": resolved.version,
            },
            "edition": resolved.edition.as_str(),
            "control": plane_json(control(resolved)),
            "multiCluster": resolved
                .planes
                .iter()
                .any(|plane| plane.cluster_key() != control(resolved).cluster_key()),
            "clusterGateway": resolved.cluster_gateway.as_ref().map(|gateway| json!({
                "address": gateway.address,
                "host": gateway.url_host(),
                "ip": gateway.ip,
            })),
            "planes": resolved.planes.iter().map(plane_json).collect::<Vec<_>>(),
            "modules": modules,
        })));
        Self {
            resolved,
            shared,
            planes: resolved
                .planes
                .iter()
                .map(|plane| {
                    (
                        plane.name.as_str(),
                        Value::from(minijinja::value::Serde(plane_json(plane))),
                    )
                })
                .collect(),
            modules: resolved
                .modules
                .iter()
                .map(|module| {
                    (
                        module.name.as_str(),
                        Value::from(minijinja::value::Serde(json!({
                            "level": module.level.as_str(),
                            "features": module.features,
                            "options": module.options,
                        }))),
                    )
                })
                .collect(),
        }
    }

    /// The context of one step: `subject` is the plane it is about, `target` the one it runs
    /// on; `outputs` answers `output("module/step")` calls.
    pub fn step(
        &self,
        module: &ResolvedModule,
        subject: &Plane,
        target: &Plane,
        chart: Option<&ChartPin>,
        outputs: Arc<OutputLookup>,
    ) -> Value {
        let observability = self
            .resolved
            .planes
            .iter()
            .find(|plane| plane.serves.contains(&subject.name))
            .map(|plane| self.planes[plane.name.as_str()].clone());
        let serves_remote = subject.serves.iter().any(|served| {
            self.resolved
                .planes
                .iter()
                .any(|plane| &plane.name == served && plane.cluster_key() != subject.cluster_key())
        });
        let cluster_plane_types: Vec<&str> = self
            .resolved
            .planes
            .iter()
            .filter(|plane| plane.cluster_key() == subject.cluster_key())
            .map(|plane| plane.plane_type.as_str())
            .collect();
        let step = minijinja::context! {
            output => Value::from_object(OutputFunction(outputs)),
            clusterPlaneTypes => cluster_plane_types,
            plane => self.planes[subject.name.as_str()].clone(),
            target => self.planes[target.name.as_str()].clone(),
            colocated => subject.cluster_key() == control(self.resolved).cluster_key(),
            observability => observability,
            servesRemote => serves_remote,
            chart => chart.map(|chart| minijinja::context! { name => chart.name.clone(), version => chart.version.clone() }),
        };
        minijinja::value::merge_maps([
            step,
            self.modules[module.name.as_str()].clone(),
            self.shared.clone(),
        ])
    }
}

fn control(resolved: &Resolved) -> &Plane {
    resolved
        .planes
        .iter()
        .find(|plane| plane.plane_type == crate::profile::model::PlaneType::Control)
        .expect("resolver guarantees one control plane")
}

fn plane_json(plane: &Plane) -> serde_json::Value {
    json!({
        "name": plane.name,
        "type": plane.plane_type.as_str(),
        "context": plane.context,
        "kubeconfig": plane.kubeconfig,
        "serves": plane.serves,
    })
}

/// Resolves `output("module/step")` in templates and records which read steps were used.
#[derive(Debug, Default)]
pub struct OutputLookup {
    /// Available outputs by reference as written in templates.
    pub values: BTreeMap<String, Result<(String, String), String>>,
    /// Step ids whose outputs were used (they become needs).
    pub used: Mutex<Vec<String>>,
}

#[derive(Debug)]
struct OutputFunction(Arc<OutputLookup>);

impl Object for OutputFunction {
    fn call(
        self: &Arc<Self>,
        _state: &mut minijinja::State<'_, '_>,
        args: &[Value],
    ) -> Result<Value, minijinja::Error> {
        let (reference,): (String,) = minijinja::value::from_args(args)?;
        match self.0.values.get(&reference) {
            Some(Ok((step_id, value))) => {
                self.0
                    .used
                    .lock()
                    .expect("not poisoned")
                    .push(step_id.clone());
                Ok(Value::from(value.clone()))
            }
            Some(Err(message)) => Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                message.clone(),
            )),
            None => Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("output(\"{reference}\"): no such read step before this one"),
            )),
        }
    }
}

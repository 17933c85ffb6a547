//! The variables a catalog template sees.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use minijinja::Value;
use minijinja::value::Object;
use serde_json::json;

use crate::catalog::model::ChartPin;
use crate::resolve::{Plane, Resolved, ResolvedModule};

/// Variables every template of a plan sees: the installation, its planes and modules.
/// Built once per plan; per-step variables are layered on top by [`StepContext`].
pub fn shared(resolved: &Resolved) -> Value {
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
    Value::from(minijinja::value::Serde(json!({
        "profile": {
            "name": resolved.name,
            "domain": resolved.domain,
            "version": resolved.version,
        },
        "edition": resolved.edition.as_str(),
        "control": plane_json(control(resolved)),
        "planes": resolved.planes.iter().map(plane_json).collect::<Vec<_>>(),
        "modules": modules,
    })))
}

fn control(resolved: &Resolved) -> &Plane {
    resolved
        .planes
        .iter()
        .find(|plane| plane.plane_type == crate::profile::model::PlaneType::Control)
        .expect("resolver guarantees one control plane")
}

/// Template variables for one step instance.
pub struct StepContext<'a> {
    /// The installation.
    pub resolved: &'a Resolved,
    /// Variables shared by the whole plan ([`shared`]).
    pub shared: &'a Value,
    /// The module the step belongs to.
    pub module: &'a ResolvedModule,
    /// The plane the step is about.
    pub subject: &'a Plane,
    /// The plane the step runs on.
    pub target: &'a Plane,
    /// The chart, for helm steps.
    pub chart: Option<&'a ChartPin>,
}

impl StepContext<'_> {
    /// The minijinja context; `outputs` answers `output("module/step")` calls.
    pub fn to_value(&self, outputs: Arc<OutputLookup>) -> Value {
        let observability = self
            .resolved
            .planes
            .iter()
            .find(|plane| plane.serves.contains(&self.subject.name))
            .map(plane_json);
        let step = Value::from(minijinja::value::Serde(json!({
            "level": self.module.level.as_str(),
            "features": self.module.features,
            "options": self.module.options,
            "plane": plane_json(self.subject),
            "target": plane_json(self.target),
            "colocated": self.subject.cluster_key() == control(self.resolved).cluster_key(),
            "observability": observability,
            "chart": self.chart.map(|chart| json!({"name": chart.name, "version": chart.version})),
        })));
        let function = Value::from_object(OutputFunction(outputs));
        let output = minijinja::context! { output => function };
        minijinja::value::merge_maps([output, step, self.shared.clone()])
    }
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

//! The flat shape of a step as written in `modules/<name>.yaml`, and its conversion into a
//! typed [`StepSpec`]. Reading the flat shape directly (rather than a flattened, internally
//! tagged enum, which serde buffers) keeps catalog loading fast, and lets errors say which
//! fields a step kind takes.

use serde::Deserialize;

use super::model::{
    Action, ApplyAction, Each, HelmAction, ReadAction, ResourceRef, RunOn, StepSpec, WaitAction,
    WaitCondition,
};
use crate::platform::PlaneType;

/// Helm timeout when a step sets none, in seconds.
const HELM_TIMEOUT: u64 = 600;
/// Wait timeout when a step sets none, in seconds.
const WAIT_TIMEOUT: u64 = 300;

/// The step kinds.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `helm upgrade --install`.
    Helm,
    /// Server-side apply.
    Apply,
    /// Wait for a condition.
    Wait,
    /// Read a value.
    Read,
}

/// Every field any step kind may have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawStep {
    id: String,
    each: Each,
    #[serde(default)]
    per_cluster: bool,
    #[serde(default)]
    plane_types: Vec<PlaneType>,
    #[serde(default)]
    run_on: RunOn,
    when: Option<String>,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    creates: Vec<String>,
    kind: Kind,
    chart: Option<String>,
    release: Option<String>,
    namespace: Option<String>,
    values: Option<String>,
    wait: Option<bool>,
    timeout: Option<u64>,
    template: Option<String>,
    manifest: Option<String>,
    resource: Option<ResourceRef>,
    condition: Option<WaitCondition>,
    key: Option<String>,
    hint: Option<String>,
}

impl TryFrom<RawStep> for StepSpec {
    type Error = String;

    fn try_from(raw: RawStep) -> Result<Self, String> {
        let action = raw
            .action()
            .map_err(|error| format!("step `{}`: {error}", raw.id))?;
        Ok(StepSpec {
            id: raw.id,
            each: raw.each,
            per_cluster: raw.per_cluster,
            plane_types: raw.plane_types,
            run_on: raw.run_on,
            when: raw.when,
            needs: raw.needs,
            creates: raw.creates,
            action,
        })
    }
}

impl RawStep {
    /// The typed action; fields of other kinds are errors.
    fn action(&self) -> Result<Action, String> {
        let set = |name: &'static str, present: bool| present.then_some(name);
        let given = [
            set("chart", self.chart.is_some()),
            set("release", self.release.is_some()),
            set("namespace", self.namespace.is_some()),
            set("values", self.values.is_some()),
            set("wait", self.wait.is_some()),
            set("timeout", self.timeout.is_some()),
            set("template", self.template.is_some()),
            set("manifest", self.manifest.is_some()),
            set("resource", self.resource.is_some()),
            set("condition", self.condition.is_some()),
            set("key", self.key.is_some()),
            set("hint", self.hint.is_some()),
            set("creates", !self.creates.is_empty()),
        ];
        let (name, allowed): (&str, &[&str]) = match self.kind {
            Kind::Helm => (
                "helm",
                &["chart", "release", "namespace", "values", "wait", "timeout"],
            ),
            Kind::Apply => ("apply", &["template", "manifest", "creates"]),
            Kind::Wait => ("wait", &["resource", "condition", "timeout", "hint"]),
            Kind::Read => ("read", &["resource", "key"]),
        };
        if let Some(extra) = given
            .iter()
            .flatten()
            .find(|field| !allowed.contains(field))
        {
            return Err(format!(
                "field `{extra}` does not belong to a {name} step (it takes {})",
                allowed.join(", ")
            ));
        }
        let need = |value: &Option<String>, field: &str| {
            value
                .clone()
                .ok_or_else(|| format!("a {name} step needs `{field}`"))
        };
        Ok(match self.kind {
            Kind::Helm => Action::Helm(HelmAction {
                chart: need(&self.chart, "chart")?,
                release: need(&self.release, "release")?,
                namespace: need(&self.namespace, "namespace")?,
                values: need(&self.values, "values")?,
                wait: self.wait.unwrap_or(true),
                timeout: self.timeout.unwrap_or(HELM_TIMEOUT),
            }),
            Kind::Apply => Action::Apply(match (&self.template, &self.manifest) {
                (Some(template), None) => ApplyAction::Template(template.clone()),
                (None, Some(manifest)) => ApplyAction::Manifest(manifest.clone()),
                _ => return Err("an apply step needs exactly one of `template`, `manifest`".into()),
            }),
            Kind::Wait => Action::Wait(WaitAction {
                resource: self
                    .resource
                    .clone()
                    .ok_or("a wait step needs `resource`")?,
                condition: self.condition.ok_or("a wait step needs `condition`")?,
                timeout: self.timeout.unwrap_or(WAIT_TIMEOUT),
                hint: self.hint.clone(),
            }),
            Kind::Read => Action::Read(ReadAction {
                resource: self
                    .resource
                    .clone()
                    .ok_or("a read step needs `resource`")?,
                key: need(&self.key, "key")?,
            }),
        })
    }
}

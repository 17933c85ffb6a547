//! The plan: one DAG of typed steps, each bound to a plane and its context, computed offline
//! from the resolved profile and the catalog. Its JSON/YAML form is documented in
//! docs/plan-format.md.

mod build;
mod context;

pub use build::{PlanError, build};
use serde::Serialize;
use serde_json::Value;

use crate::catalog::model::{ResourceRef, WaitCondition};
use crate::resolve::{Plane, PlannedModule};

/// `apiVersion` of the serialized plan.
pub const PLAN_API_VERSION: &str = "choreoctl.openchoreo.dev/v1alpha1";

/// Everything an install would do, in execution order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Always [`PLAN_API_VERSION`].
    pub api_version: &'static str,
    /// Always `Plan`.
    pub kind: &'static str,
    /// Installation name.
    pub name: String,
    /// Edition.
    pub edition: String,
    /// OpenChoreo release.
    pub version: String,
    /// Planes and the contexts they are bound to.
    pub planes: Vec<Plane>,
    /// Installed modules, Secure Core first.
    pub modules: Vec<String>,
    /// Modules asked for but not installable yet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<PlannedModule>,
    /// Steps in a valid execution order.
    pub steps: Vec<Step>,
}

/// The kind of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// `helm upgrade --install`.
    Helm,
    /// Server-side apply.
    Apply,
    /// Wait for a condition.
    Wait,
    /// Read a value that later steps use.
    Read,
}

impl StepKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Helm => "helm",
            Self::Apply => "apply",
            Self::Wait => "wait",
            Self::Read => "read",
        }
    }
}

/// One step bound to a plane.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// `<module>/<step>@<plane>`: unique within the plan.
    pub id: String,
    /// What it does.
    pub kind: StepKind,
    /// Module it belongs to.
    pub module: String,
    /// Plane it runs on.
    pub plane: String,
    /// Plane it is about (differs from `plane` for registrations run on the control plane).
    pub subject: String,
    /// kubeconfig context it runs against (`null`: the current context).
    pub context: Option<String>,
    /// kubeconfig file, when not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// Namespace of the release or resource (`null`: cluster-scoped or several).
    pub namespace: Option<String>,
    /// For helm steps: the chart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartRef>,
    /// For helm steps: the release name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Chart version (helm) or manifest version (remote apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// For helm steps: whether helm waits itself, and its timeout in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm: Option<HelmSettings>,
    /// For helm steps: the complete values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
    /// For apply steps: the rendered objects, or the URL of a pinned manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    /// For wait steps: what is waited on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitSpec>,
    /// For read steps: what is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<ReadSpec>,
    /// Steps that must finish first.
    pub needs: Vec<String>,
}

/// Where a chart comes from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartRef {
    /// Chart name.
    pub name: String,
    /// What `helm` is given: `oci://…/name`, or the name with `repo` set.
    pub reference: String,
    /// Classic repository URL for non-OCI charts (`helm --repo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Pull over plain HTTP (loopback mirrors).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
}

/// How helm runs the release.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmSettings {
    /// `--wait`.
    pub wait: bool,
    /// `--timeout` in seconds.
    pub timeout: u64,
}

/// What an apply step applies.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Manifest {
    /// Objects rendered from a catalog template.
    Objects(Vec<Value>),
    /// A pinned manifest fetched from this URL.
    Url(String),
}

/// A wait step's condition.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitSpec {
    /// The resource.
    pub resource: ResourceRef,
    /// The condition.
    pub condition: WaitCondition,
    /// Seconds before giving up.
    pub timeout: u64,
}

/// A read step's source; its value becomes an output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadSpec {
    /// The Secret or ConfigMap.
    pub resource: ResourceRef,
    /// Key in its data.
    pub key: String,
    /// What later steps see before the value is known (offline plans).
    pub placeholder: String,
}

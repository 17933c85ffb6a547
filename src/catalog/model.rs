//! The module catalog format (`modules/<name>.yaml`) and the per-release versions table
//! (`modules/releases/<version>.yaml`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::platform::{Edition, PlaneType};

/// One catalog entry: a module (or the Secure Core itself).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Module {
    /// Catalog name, equal to the file name.
    pub name: String,
    /// Human title.
    pub title: String,
    /// One-paragraph summary.
    pub summary: String,
    /// Adoption stage, 1 (Secure Core) to 4.
    pub stage: u8,
    /// Plane type the module lives on by default.
    pub home: Option<PlaneType>,
    /// Plane types the module may be placed on.
    #[serde(default)]
    pub allowed_planes: Vec<PlaneType>,
    /// Modules this one needs.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Support level and features per edition.
    pub editions: BTreeMap<Edition, EditionSupport>,
    /// Options users may set in the profile, with defaults.
    #[serde(default)]
    pub options: BTreeMap<String, OptionSpec>,
    /// What installing the module does.
    #[serde(default)]
    pub steps: Vec<StepSpec>,
}

/// How well a module is supported on one edition.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EditionSupport {
    /// The support level.
    pub level: SupportLevel,
    /// Features this level turns on (visible to templates as `features`).
    #[serde(default)]
    pub features: Vec<String>,
    /// Why, for `unsupported` and `planned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the user can do about it, for `unsupported`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

/// How well a module is supported on an edition (`choreoctl matrix`, docs/modules.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SupportLevel {
    /// Everything the module offers.
    Full,
    /// The extended feature set (observe on Cilium).
    Advanced,
    /// The common subset (observe on generic: logs and metrics).
    Common,
    /// Cannot be installed on this edition.
    Unsupported,
    /// Not installable yet on any edition.
    Planned,
}

impl SupportLevel {
    /// Whether a module at this level can be installed.
    pub fn installable(self) -> bool {
        matches!(self, Self::Full | Self::Advanced | Self::Common)
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Advanced => "advanced",
            Self::Common => "common",
            Self::Unsupported => "unsupported",
            Self::Planned => "planned",
        }
    }
}

/// A documented module option.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OptionSpec {
    /// What it does.
    pub description: String,
    /// Value when the profile does not set it.
    pub default: serde_json::Value,
    /// Allowed values, when the option is a choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<serde_json::Value>,
}

/// Which planes a step is instantiated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Each {
    /// Every plane the module is placed on.
    Home,
    /// Every plane served by the module's planes (observability collectors).
    Served,
    /// The control plane, once.
    Control,
}

/// Where an instantiated step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunOn {
    /// On the plane the step was instantiated for.
    #[default]
    Subject,
    /// On the control plane (plane registration, wiring).
    Control,
}

/// One step of a module, before expansion over planes.
///
/// Read through [`RawStep`](super::raw_step::RawStep), the flat shape written in module files,
/// which rejects fields that do not belong to the step's kind.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", try_from = "super::raw_step::RawStep")]
pub struct StepSpec {
    /// Identifier, unique within the module.
    pub id: String,
    /// Which planes the step is instantiated for.
    pub each: Each,
    /// Keep only the first plane of each cluster (kubeconfig context): for per-cluster
    /// prerequisites shared by co-located planes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_cluster: bool,
    /// Limit `each` to planes of these types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plane_types: Vec<PlaneType>,
    /// Where the instance runs.
    #[serde(default)]
    pub run_on: RunOn,
    /// A minijinja expression; the step is left out when it is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Steps that must finish first: `step` within the module or `module/step`.
    #[serde(default)]
    pub needs: Vec<String>,
    /// For an apply step: the custom resource kinds it creates, as `Kind.group`
    /// (`ClusterWorkflowTemplate.argoproj.io`). Each needs a wait for its CRD among the
    /// step's needs (see [`crd_waits`](super::crd_waits)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub creates: Vec<String>,
    /// What the step does.
    #[serde(flatten)]
    pub action: Action,
}

/// The typed work of a step.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Action {
    /// `helm upgrade --install` of one release with fully rendered values.
    Helm(HelmAction),
    /// Server-side apply of a rendered manifest or a pinned remote manifest.
    Apply(ApplyAction),
    /// Wait for a condition on a resource.
    Wait(WaitAction),
    /// Read a value from a cluster; it becomes an output for later templates.
    Read(ReadAction),
}

/// A helm release.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmAction {
    /// Key in the release's versions table.
    pub chart: String,
    /// Release name (kept equal to the chart name where OpenChoreo expects it).
    pub release: String,
    /// Target namespace (created when missing).
    pub namespace: String,
    /// Values template under templates/.
    pub values: String,
    /// Whether helm itself waits (`--wait`); OpenChoreo's control plane must not.
    pub wait: bool,
    /// Helm timeout in seconds.
    pub timeout: u64,
}

/// A server-side apply: of a rendered template, or of a pinned remote manifest.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ApplyAction {
    /// Manifest template under templates/.
    Template(String),
    /// Key in the release's manifests table.
    Manifest(String),
}

/// A readiness condition.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitAction {
    /// The resource waited on.
    pub resource: ResourceRef,
    /// `Available`, `Ready`, `Established`, `RolledOut`, `Complete`, `Exists` or `Addressed`.
    pub condition: WaitCondition,
    /// Seconds before giving up.
    pub timeout: u64,
    /// What the user can do when the wait times out (a template, like the resource's name),
    /// shown after the timeout message.
    pub hint: Option<String>,
}

/// Conditions a wait step understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum WaitCondition {
    /// Deployment condition Available=True.
    Available,
    /// Resource condition Ready=True (Certificate, ExternalSecret, ClusterSecretStore).
    Ready,
    /// CRD condition Established=True.
    Established,
    /// StatefulSet or DaemonSet fully rolled out.
    RolledOut,
    /// Job condition Complete=True (it ran to success).
    Complete,
    /// The resource exists.
    Exists,
    /// A LoadBalancer Service has an ingress address (`status.loadBalancer.ingress`).
    Addressed,
}

/// A value read from a cluster.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadAction {
    /// The Secret, ConfigMap or Service read.
    pub resource: ResourceRef,
    /// Key within a Secret's or ConfigMap's data; for a Service, `loadBalancerIP` (the IP of
    /// its first load-balancer ingress).
    pub key: String,
}

/// A namespaced or cluster-scoped object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceRef {
    /// `apiVersion` of the object.
    pub api_version: String,
    /// `kind` of the object.
    pub kind: String,
    /// Namespace; absent for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name; may contain `{{ … }}` (rendered with the step's context).
    pub name: String,
}

/// Pinned versions of everything one OpenChoreo release installs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Release {
    /// The OpenChoreo release, e.g. `1.2.3`.
    pub version: String,
    /// Kubernetes versions the release supports (a helm-style constraint, informative).
    pub kubernetes: String,
    /// Charts by key.
    pub charts: BTreeMap<String, ChartPin>,
    /// Plain manifests by key.
    #[serde(default)]
    pub manifests: BTreeMap<String, ManifestPin>,
}

/// A pinned chart.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartPin {
    /// Upstream repository: `oci://…` (the chart is `<repo>/<name>`) or an `https://` index.
    pub repo: String,
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// Versions of this chart that, installed by someone else under the step's release name
    /// and namespace, choreoctl uses as they are (not upgraded, never uninstalled) instead of
    /// taking the release over; `spec.adopt` in a profile takes it over anyway. Absent: a
    /// release found there is taken over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatible: Option<semver::VersionReq>,
}

/// A pinned manifest.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ManifestPin {
    /// Name used for mirrors: `<mirror>/<name>/<version>/<file>`.
    pub name: String,
    /// Version.
    pub version: String,
    /// Upstream URL.
    pub url: String,
}

//! The plan: one DAG of typed steps, each bound to a plane and its context, computed offline
//! from the resolved profile and the catalog. Its JSON/YAML form is documented in
//! docs/plan-format.md.

mod build;
pub mod ca_sync;
mod context;
mod error;
mod serialize;

pub use build::build;
/// Plans of test profiles, for unit tests elsewhere in the crate.
#[cfg(test)]
pub(crate) use build::fixtures;
pub use error::PlanError;
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

/// One step bound to a plane: where it runs, what it waits for, and its [`Action`].
///
/// Serialized flat, in the order docs/plan-format.md documents: the common fields with the
/// action's `kind` second, then the action's own fields, then `needs`.
#[derive(Debug, Clone)]
pub struct Step {
    /// `<module>/<step>@<plane>`: unique within the plan.
    pub id: String,
    /// Module it belongs to.
    pub module: String,
    /// Plane it runs on.
    pub plane: String,
    /// Plane it is about (differs from `plane` for registrations run on the control plane).
    pub subject: String,
    /// kubeconfig context it runs against (`None`: the current context).
    pub context: Option<String>,
    /// kubeconfig file, when not the default.
    pub kubeconfig: Option<String>,
    /// Namespace of the release or resource (`None`: cluster-scoped or several).
    pub namespace: Option<String>,
    /// What it does.
    pub action: Action,
    /// Steps that must finish first.
    pub needs: Vec<String>,
}

impl Step {
    /// The action's kind.
    pub fn kind(&self) -> StepKind {
        self.action.kind()
    }
}

/// What a step does; one variant per step kind.
#[derive(Debug, Clone)]
pub enum Action {
    /// `helm upgrade --install` of one release.
    Helm(HelmAction),
    /// Server-side apply of objects or of a pinned remote manifest.
    Apply(ApplyAction),
    /// Wait for a condition on a resource.
    Wait(WaitAction),
    /// Read a value that later steps use.
    Read(ReadAction),
    /// Take away what an earlier run's step made (`module remove`, `uninstall`).
    Remove(RemoveAction),
    /// Restart the workloads that load objects only when they start (`plane sync-ca`).
    Restart(RestartAction),
}

impl Action {
    /// The step kind of this action.
    pub fn kind(&self) -> StepKind {
        match self {
            Self::Helm(_) => StepKind::Helm,
            Self::Apply(_) => StepKind::Apply,
            Self::Wait(_) => StepKind::Wait,
            Self::Read(_) => StepKind::Read,
            Self::Remove(_) => StepKind::Remove,
            Self::Restart(_) => StepKind::Restart,
        }
    }
}

/// The kind of a step: which [`Action`] variant it carries. Serialized (and printed) lower-case,
/// as the plan's `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// `helm upgrade --install` of one release.
    Helm,
    /// Server-side apply.
    Apply,
    /// A condition on a resource.
    Wait,
    /// A value that later steps use.
    Read,
    /// Something an earlier run made, taken away.
    Remove,
    /// Workloads restarted to load what changed.
    Restart,
}

impl StepKind {
    /// Every kind, in the order summaries list them.
    pub const ALL: [StepKind; 6] = [
        Self::Helm,
        Self::Apply,
        Self::Wait,
        Self::Read,
        Self::Remove,
        Self::Restart,
    ];

    /// Lower-case name, as serialized in `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Helm => "helm",
            Self::Apply => "apply",
            Self::Wait => "wait",
            Self::Read => "read",
            Self::Remove => "remove",
            Self::Restart => "restart",
        }
    }
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A helm release to install or upgrade, in the step's namespace.
#[derive(Debug, Clone)]
pub struct HelmAction {
    /// Where the chart comes from.
    pub chart: ChartRef,
    /// Release name.
    pub release: String,
    /// Chart version.
    pub version: String,
    /// Whether helm waits itself, and its timeout.
    pub helm: HelmSettings,
    /// The complete values.
    pub values: Value,
    /// The versions of the chart that, when someone else installed the release, are used as
    /// they are instead of taken over (the catalog's `compatible`, unless the profile adopts
    /// the chart). Not part of the step's inputs.
    pub external: Option<semver::VersionReq>,
}

/// What an apply step applies: exactly one of rendered objects or a pinned manifest.
#[derive(Debug, Clone)]
pub enum ApplyAction {
    /// Objects rendered from a catalog template.
    Objects(Vec<Value>),
    /// A pinned manifest fetched from a URL.
    Remote(RemoteManifest),
}

/// A manifest of a release, fetched when the step runs.
#[derive(Debug, Clone)]
pub struct RemoteManifest {
    /// The catalog's name of the manifest (its directory in a manifest mirror).
    pub name: String,
    /// Where it is fetched from (the mirror, when one is set).
    pub url: String,
    /// Its pinned version.
    pub version: String,
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

/// A wait step's condition.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitAction {
    /// The resource.
    pub resource: ResourceRef,
    /// The condition.
    pub condition: WaitCondition,
    /// Seconds before giving up.
    pub timeout: u64,
    /// What to do when it times out (rendered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The only Secret key a read step may take across clusters: a CA's public certificate.
pub const PUBLIC_SECRET_KEY: &str = "ca.crt";

/// A read step's source; its value becomes an output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadAction {
    /// The Secret, ConfigMap or Service.
    pub resource: ResourceRef,
    /// Key in its data.
    pub key: String,
    /// What later steps see before the value is known (offline plans).
    pub placeholder: String,
}

impl ReadAction {
    /// Whether it reads a CA: a Secret's [`PUBLIC_SECRET_KEY`] (the agent CAs, the cluster
    /// gateway's CA).
    pub fn reads_ca(&self) -> bool {
        self.resource.kind == "Secret" && self.key == PUBLIC_SECRET_KEY
    }
}

/// What a remove step takes away. Remove steps are not built from the catalog: the engine
/// derives them from the journal's records of what earlier runs made (src/engine/removal.rs).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveAction {
    /// The journaled step whose work it takes away (`cd/argo-cd@control`); `None` for a
    /// namespace, which no one step made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// What goes.
    pub what: Removal,
}

/// What a restart step restarts: every Deployment in the step's namespace whose pods mount one
/// of `mounts` (volumes, projected or not), as `kubectl rollout restart` does. Restart steps are
/// not built from the catalog: `plane sync-ca` adds them (src/plan/ca_sync.rs), for agents that
/// read their certificates and the gateway's CA only when they start.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestartAction {
    /// The Secrets and ConfigMaps, in the step's namespace.
    pub mounts: Vec<ResourceRef>,
}

/// What a remove step takes away, waiting until it is gone.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Removal {
    /// `helm uninstall` of a release in the step's namespace. The volumes its StatefulSets
    /// claimed are kept unless `delete_data`.
    Release {
        /// Release name.
        release: String,
        /// `--delete-data`: delete the claimed volumes too.
        delete_data: bool,
        /// `uninstall`: the chart whose `crds/` CRDs (which helm installs once and never
        /// uninstalls) go too, their custom resources first, while the release's controllers
        /// still run. `None`: they stay.
        #[serde(skip_serializing_if = "Option::is_none")]
        crds: Option<ChartCrds>,
    },
    /// Objects an apply step applied, deleted in reverse order.
    Objects(Vec<ResourceRef>),
    /// The step's namespace, once the releases in it are gone: deleted only if choreoctl
    /// created it and no volume claim is kept in it.
    Namespace,
}

/// A chart whose `crds/` CRDs a removal deletes, as `helm show crds` is given it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartCrds {
    /// Where the chart comes from.
    pub chart: ChartRef,
    /// Chart version.
    pub version: String,
}

impl std::fmt::Display for Removal {
    /// `release argo-cd`, `ClusterObservabilityPlane/default, ...`, `its namespace`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Removal::Release {
                release,
                crds: None,
                ..
            } => write!(f, "release {release}"),
            Removal::Release { release, .. } => write!(f, "release {release} and its CRDs"),
            Removal::Objects(objects) => {
                let names: Vec<String> = objects
                    .iter()
                    .map(|object| format!("{}/{}", object.kind, object.name))
                    .collect();
                f.write_str(&names.join(", "))
            }
            Removal::Namespace => f.write_str("its namespace"),
        }
    }
}

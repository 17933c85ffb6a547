//! Helm as a process.
//!
//! - [`Helm`]: what the engine asks of helm; [`HelmProcess`] is the one real implementation,
//!   running the `helm` binary found by [`HelmBinary::locate`].
//! - Both helm 3 (v3.18+) and helm 4 are supported; [`argv`] builds each command line for the
//!   major found (helm 4 renamed `--atomic`, made `--wait` a strategy and applies server-side).
//! - Every cluster command names its cluster with `--kube-context` and `--kubeconfig`; values
//!   travel in files inside a private directory, never on the command line; helm's stderr is
//!   surfaced with secret values redacted ([`Redactor`]); a cancelled helm gets SIGTERM, never
//!   SIGKILL, so it records the release as `failed` instead of leaving it `pending-*`.
//! - [`read_release_states`]: the latest revision and status of every release of a cluster in
//!   one list of helm's storage Secrets, without running helm; [`read_stored_revision`]: the
//!   chart (and version) one revision was installed from and its values, from its storage Secret.

mod argv;
mod binary;
mod error;
mod output;
mod payload;
mod process;
mod redact;
mod storage;
mod values_dir;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

pub use binary::{HelmBinary, HelmMajor};
pub use error::HelmError;
pub use output::{Release, Revision};
pub use payload::{StoredChart, StoredRevision, read_stored_revision};
pub use process::HelmProcess;
pub use redact::Redactor;
pub use storage::{ReleaseStates, ReleaseStatus, StoredRelease, read_release_states};

/// The cluster a helm command talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeTarget {
    /// The kubeconfig file holding `context` (one file: helm's `--kubeconfig` takes no list).
    pub kubeconfig: PathBuf,
    /// The kubeconfig context.
    pub context: String,
}

/// A release on a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRef {
    /// The cluster.
    pub target: KubeTarget,
    /// The release's namespace.
    pub namespace: String,
    /// The release name.
    pub name: String,
}

/// Where a chart comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartSource {
    /// Chart reference as helm takes it, e.g. `oci://quay.io/jetstack/charts/cert-manager`.
    pub reference: String,
    /// Exact chart version.
    pub version: String,
    /// Talk plain HTTP to the OCI registry (`--plain-http`; only when the profile says so).
    pub plain_http: bool,
}

/// `helm upgrade --install`.
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    /// The release to install or upgrade (its namespace is created if missing).
    pub release: ReleaseRef,
    /// The chart.
    pub chart: ChartSource,
    /// Values, as layers: later layers win (each is one `-f` file).
    pub values: Vec<serde_json::Value>,
    /// Wait until the release's resources are ready (helm 3 `--wait`, helm 4 `--wait=watcher`).
    pub wait: bool,
    /// helm's `--timeout` for each of its operations.
    pub timeout: Duration,
    /// Let helm roll a failed upgrade back itself (helm 3 `--atomic`, helm 4
    /// `--rollback-on-failure`).
    pub rollback_on_failure: bool,
    /// Render against the cluster and check, storing nothing (`--dry-run=server`).
    pub dry_run: bool,
    /// Labels of the release's storage (`--labels`; helm merges them with the earlier
    /// revision's).
    pub labels: Vec<(String, String)>,
}

/// `helm rollback`.
#[derive(Debug, Clone)]
pub struct RollbackRequest {
    /// The release.
    pub release: ReleaseRef,
    /// The revision to go back to; `None` = the previous one.
    pub revision: Option<u32>,
    /// Wait until the resources are ready.
    pub wait: bool,
    /// helm's `--timeout`.
    pub timeout: Duration,
}

/// `helm uninstall`.
#[derive(Debug, Clone)]
pub struct UninstallRequest {
    /// The release.
    pub release: ReleaseRef,
    /// Wait until the resources are deleted.
    pub wait: bool,
    /// helm's `--timeout`.
    pub timeout: Duration,
}

/// `helm template` (offline: no cluster is contacted, so no kube target).
#[derive(Debug, Clone)]
pub struct TemplateRequest {
    /// Release name the chart is rendered for.
    pub name: String,
    /// Namespace the chart is rendered for.
    pub namespace: String,
    /// The chart.
    pub chart: ChartSource,
    /// Values layers, later win.
    pub values: Vec<serde_json::Value>,
    /// Kubernetes version to render for (`--kube-version`), default helm's own.
    pub kube_version: Option<String>,
}

/// What the engine asks of helm. [`HelmProcess`] runs the real binary; a recording
/// implementation may stand in for narrow unit tests of the engine only.
///
/// Errors carry helm's stderr with the request's secret values redacted.
pub trait Helm: Send + Sync {
    /// The version of helm behind this implementation.
    fn version(&self) -> &semver::Version;

    /// `helm upgrade --install`: the release as helm reports it (with `dry_run`, as it would be).
    fn upgrade(
        &self,
        request: &UpgradeRequest,
    ) -> impl Future<Output = Result<Release, HelmError>> + Send;

    /// `helm rollback`.
    fn rollback(
        &self,
        request: &RollbackRequest,
    ) -> impl Future<Output = Result<(), HelmError>> + Send;

    /// `helm uninstall`.
    fn uninstall(
        &self,
        request: &UninstallRequest,
    ) -> impl Future<Output = Result<(), HelmError>> + Send;

    /// `helm get values`: the user-supplied values of the latest revision (`{}` when none).
    fn get_values(
        &self,
        release: &ReleaseRef,
    ) -> impl Future<Output = Result<serde_json::Value, HelmError>> + Send;

    /// `helm get manifest`: the latest revision's rendered manifest.
    fn get_manifest(
        &self,
        release: &ReleaseRef,
    ) -> impl Future<Output = Result<String, HelmError>> + Send;

    /// `helm history`: every stored revision, oldest first.
    fn history(
        &self,
        release: &ReleaseRef,
    ) -> impl Future<Output = Result<Vec<Revision>, HelmError>> + Send;

    /// `helm show crds`: the CRDs a chart ships in its `crds/` directories (which helm installs
    /// once and never upgrades or uninstalls), as one YAML stream.
    fn show_crds(
        &self,
        chart: &ChartSource,
    ) -> impl Future<Output = Result<String, HelmError>> + Send;

    /// `helm template`: the rendered manifest.
    fn template(
        &self,
        request: &TemplateRequest,
    ) -> impl Future<Output = Result<String, HelmError>> + Send;
}

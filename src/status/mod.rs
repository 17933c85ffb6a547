//! `choreoctl status`: what is installed and how it is doing, read live from the clusters of
//! one installation (docs/status.md). The installation is found through its journal on the
//! control plane's cluster ([`locate`]), which also keeps the resolved profile the last install
//! used, so no profile file is needed; the plan rebuilt from that profile says which releases,
//! plane registrations and agent CAs to look at.
//!
//! One job per module: [`health`] (workloads of a release ready), [`drift`] (registered CA vs
//! live agent CA, a CA copy vs its source), [`ca`] (reads both sides of each, as the plan names
//! them), [`gateway`] (the gateway's certificate covers the name an agent dials), [`network`] (CNI and encryption), [`agent`] (agent connection as the plane
//! resource reports it), [`stage`] (next adoption stage), [`run`] (the journal's last run) —
//! pure decisions, unit-tested — and [`collect`], which reads the clusters (one list per kind
//! per cluster, helm's release state in bulk, no helm process) and assembles the [`Report`].

pub mod agent;
pub mod ca;
mod collect;
pub mod drift;
mod error;
pub mod gateway;
pub mod health;
mod locate;
pub mod network;
pub mod run;
pub mod stage;

use serde::Serialize;

pub use collect::{Inputs, collect, target};
pub use error::StatusError;
pub use locate::locate;

use agent::Agent;
use drift::CaState;
use gateway::GatewayReport;
use health::Health;
use network::Network;
use run::RunReport;
use stage::NextStage;

use crate::profile::model::{Edition, PlaneType};

/// `apiVersion` of the JSON/YAML report.
pub const STATUS_API_VERSION: &str = "choreoctl.openchoreo.dev/v1alpha1";

/// The report (`-o json`: the stable schema of docs/status.md).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// [`STATUS_API_VERSION`].
    pub api_version: &'static str,
    /// `Status`.
    pub kind: &'static str,
    /// Installation name.
    pub installation: String,
    /// Edition installed.
    pub edition: Edition,
    /// OpenChoreo release installed.
    pub version: String,
    /// Where the journal was read: the control plane's context.
    pub control_plane_context: String,
    /// Where the profile came from: `journal` (the one the last install used) or `file`.
    pub profile: ProfileSource,
    /// The journal's last run.
    pub run: RunReport,
    /// Every plane, in profile order.
    pub planes: Vec<PlaneReport>,
    /// The adoption stage to take next; `null` when every installable module is installed.
    pub next_stage: Option<NextStage>,
    /// `true` when nothing below is wrong.
    pub healthy: bool,
    /// Everything wrong, one line each.
    pub problems: Vec<String>,
}

/// Where the profile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileSource {
    /// The resolved profile kept in the journal by the last install.
    Journal,
    /// `--profile` / `--preset`.
    File,
}

/// One plane.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaneReport {
    /// Plane name.
    pub name: String,
    /// Plane type.
    #[serde(rename = "type")]
    pub plane_type: PlaneType,
    /// Its kubeconfig context (`(current)`: the current context).
    pub context: String,
    /// Whether its cluster answered.
    pub reachable: bool,
    /// Why it did not, or why its objects could not be read.
    pub error: Option<String>,
    /// The cluster's Kubernetes version.
    pub kubernetes_version: Option<String>,
    /// CNI and encryption of its cluster; `null` when unreachable.
    pub network: Option<Network>,
    /// The agent's connection to the control plane (not for the control plane itself).
    pub agent: Option<Agent>,
    /// Registered CA against the live agent CA (not for the control plane itself).
    pub ca: Option<CaReport>,
    /// The copies of the cluster gateway's CA on its cluster against the control plane's.
    pub ca_copies: Vec<CaCopyReport>,
    /// Whether the cluster gateway's certificate covers the name its agent dials (planes with
    /// an agent whose release is installed; `null` otherwise).
    pub gateway: Option<GatewayReport>,
    /// Its helm releases, in plan order.
    pub releases: Vec<ReleaseReport>,
}

/// Registered against live agent CA of one plane.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaReport {
    /// The verdict.
    pub state: CaState,
    /// The plane resource on the control plane, e.g. `ClusterDataPlane default`.
    pub registered_in: String,
    /// The agent's Secret on the plane's cluster, e.g. `Secret openchoreo-data-plane/cluster-agent-tls`.
    pub live_in: String,
    /// A sentence for the user.
    pub detail: String,
}

/// A copy of the cluster gateway's CA against the CA itself.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaCopyReport {
    /// The verdict.
    pub state: CaState,
    /// The copy, e.g. `ConfigMap openchoreo-data-plane/cluster-gateway-ca`.
    pub copy: String,
    /// What it copies, e.g. `Secret openchoreo-control-plane/cluster-gateway-ca`.
    pub source: String,
    /// A sentence for the user.
    pub detail: String,
}

/// One helm release.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseReport {
    /// The module that installs it.
    pub module: String,
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// Chart name.
    pub chart: String,
    /// Chart version of the installed revision (from its storage Secret); `null` if not installed.
    pub chart_version: Option<String>,
    /// Chart version the profile pins.
    pub planned_version: String,
    /// Latest revision; `null` if not installed.
    pub revision: Option<u32>,
    /// helm's status of the latest revision (`deployed`, `failed`, `pending-upgrade`, ...),
    /// `missing` when there is no release, `unknown` when the cluster was not read.
    pub status: String,
    /// Whether its workloads are ready.
    pub health: Health,
    /// Someone else installed it: choreoctl uses it as it is, never upgrades nor uninstalls it
    /// (docs/lifecycle.md, "Prerequisites someone else runs").
    pub external: bool,
}

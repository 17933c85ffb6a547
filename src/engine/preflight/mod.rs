//! Preflight (`choreoctl check`, and `install` before it takes the lock): can this plan be
//! installed on these clusters? Per distinct cluster (one client each, shared by the planes on
//! it): reachability and Kubernetes version against the catalog's range, permissions asked with
//! SelfSubjectAccessReviews, the CNI against the edition, components already there (helm
//! releases, CRDs, an installation made by OpenChoreo's own scripts), a default StorageClass and
//! load-balancer support where releases need them, the namespaces install uses, and whether an
//! installed cluster gateway's certificate covers the names the planes will dial.
//!
//! - [`needs`]: what the plan asks of each cluster (pure);
//! - [`read`]: every cluster read, at once; [`facts`]: what they return;
//! - [`decide`]: the verdicts (pure), each with a hint.
//!
//! docs/check.md lists every check and the JSON form of the [`Report`].

mod decide;
mod facts;
mod needs;
mod read;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::Diagnostic;
use serde::Serialize;

use super::kube::{Cluster, Clusters, KubeError, Target};
use crate::plan::Plan;
use crate::profile::model::PlaneType;
use facts::Journaled;

/// `apiVersion` of the JSON/YAML report.
pub const REPORT_API_VERSION: &str = "choreoctl.openchoreo.dev/v1alpha1";

/// How a check came out. Only `fail` fails the preflight (exit 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Fine.
    Pass,
    /// Worth knowing; install goes on.
    Warn,
    /// Install would fail or do harm: fix it first.
    Fail,
}

/// One check on one cluster.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable identifier (docs/check.md), e.g. `permissions`.
    pub id: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// What was found.
    pub message: String,
    /// What to run or change (always set on `fail` and `warn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The checks of one cluster and the planes on it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReport {
    /// The context it was reached through (the planes' context).
    pub context: String,
    /// The API server URL, once reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Planes on this cluster.
    pub planes: Vec<String>,
    /// Checks, in the order docs/check.md lists them.
    pub checks: Vec<Check>,
}

/// Counts of verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Checks passed.
    pub passed: usize,
    /// Warnings.
    pub warnings: usize,
    /// Failures.
    pub failed: usize,
}

/// The whole preflight.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Always [`REPORT_API_VERSION`].
    pub api_version: &'static str,
    /// Always `CheckReport`.
    pub kind: &'static str,
    /// Installation name.
    pub installation: String,
    /// Edition.
    pub edition: String,
    /// OpenChoreo release.
    pub version: String,
    /// Kubernetes versions the release supports (catalog).
    pub kubernetes: String,
    /// Whether no check failed.
    pub passed: bool,
    /// Verdict counts.
    pub summary: Counts,
    /// Per cluster, in the order of the plan's planes.
    pub clusters: Vec<ClusterReport>,
}

impl Report {
    fn new(plan: &Plan, kubernetes: &str, clusters: Vec<ClusterReport>) -> Self {
        let mut summary = Counts::default();
        for check in clusters.iter().flat_map(|cluster| &cluster.checks) {
            match check.verdict {
                Verdict::Pass => summary.passed += 1,
                Verdict::Warn => summary.warnings += 1,
                Verdict::Fail => summary.failed += 1,
            }
        }
        Report {
            api_version: REPORT_API_VERSION,
            kind: "CheckReport",
            installation: plan.name.clone(),
            edition: plan.edition.clone(),
            version: plan.version.clone(),
            kubernetes: kubernetes.to_owned(),
            passed: summary.failed == 0,
            summary,
            clusters,
        }
    }
}

/// A plane's target, as the engine connects to it.
fn target(plane: &crate::resolve::Plane) -> Target {
    Target {
        kubeconfig: plane
            .kubeconfig
            .as_deref()
            .map(|path| crate::kubeconfig::expand_home(Path::new(path))),
        context: plane.context.clone(),
    }
}

/// Planes grouped by the cluster they are on, or by the target that could not be reached.
enum Group {
    Reached {
        cluster: Arc<Cluster>,
        planes: Vec<String>,
    },
    Unreachable {
        context: String,
        planes: Vec<String>,
        error: KubeError,
    },
}

/// Runs every check of `plan` (`kubernetes`: the catalog's range for its release).
pub async fn run(plan: &Plan, kubernetes: &str, kubeconfig: Option<PathBuf>) -> Report {
    let clusters = Clusters::new(kubeconfig);
    let targets: Vec<Target> = plan.planes.iter().map(target).collect();
    let connected =
        futures::future::join_all(targets.iter().map(|target| clusters.connect(target))).await;
    let mut groups: Vec<Group> = Vec::new();
    let mut control = None;
    for (plane, result) in plan.planes.iter().zip(connected) {
        let name = plane.name.clone();
        match result {
            Ok(cluster) => {
                if plane.plane_type == PlaneType::Control {
                    control = Some(cluster.clone());
                }
                let same = groups.iter_mut().find_map(|group| match group {
                    Group::Reached { cluster: c, planes } if Arc::ptr_eq(c, &cluster) => {
                        Some(planes)
                    }
                    _ => None,
                });
                match same {
                    Some(planes) => planes.push(name),
                    None => groups.push(Group::Reached {
                        cluster,
                        planes: vec![name],
                    }),
                }
            }
            Err(error) => {
                let context = plane.context_label().to_owned();
                let same = groups.iter_mut().find_map(|group| match group {
                    Group::Unreachable {
                        context: c, planes, ..
                    } if *c == context => Some(planes),
                    _ => None,
                });
                match same {
                    Some(planes) => planes.push(name),
                    None => groups.push(Group::Unreachable {
                        context,
                        planes: vec![name],
                        error,
                    }),
                }
            }
        }
    }
    let journaled = match &control {
        Some(cluster) => read::journaled(cluster, &plan.name).await,
        None => Journaled::Unknown,
    };
    let reports = futures::future::join_all(
        groups
            .into_iter()
            .map(|group| check_group(plan, kubernetes, group, &journaled)),
    )
    .await;
    Report::new(plan, kubernetes, reports)
}

async fn check_group(
    plan: &Plan,
    kubernetes: &str,
    group: Group,
    journaled: &Journaled,
) -> ClusterReport {
    let (cluster, planes) = match group {
        Group::Unreachable {
            context,
            planes,
            error,
        } => {
            return ClusterReport {
                context,
                server: None,
                planes,
                checks: vec![Check {
                    id: "reachable",
                    verdict: Verdict::Fail,
                    message: error.to_string(),
                    hint: Some(error.help().map_or_else(
                        || "check the kubeconfig context of these planes".to_owned(),
                        |help| help.to_string(),
                    )),
                }],
            };
        }
        Group::Reached { cluster, planes } => (cluster, planes),
    };
    let needs = needs::cluster_needs(plan, &planes);
    let mut facts = read::facts(&cluster, &needs::access(needs.control)).await;
    facts.foreign_versions =
        read::foreign_versions(&cluster, &needs, &facts.releases, &plan.name).await;
    let mut checks = vec![
        Check {
            id: "reachable",
            verdict: Verdict::Pass,
            message: format!("the API server at {} answers", cluster.server()),
            hint: None,
        },
        decide::kubernetes_version(&facts.version, kubernetes, &plan.version),
        decide::permissions(&facts.access, cluster.context()),
        decide::cni(&plan.edition, &needs, &facts),
    ];
    checks.extend(decide::storage(&needs, &facts.storage_classes));
    checks.extend(decide::load_balancer(&needs, &facts));
    checks.extend(decide::components(&needs, &facts, &plan.name, journaled));
    checks.extend(decide::namespaces(&needs, &facts));
    if !needs.gateway_hosts.is_empty() {
        let certificate = read::gateway_certificate(&cluster).await;
        checks.extend(decide::gateway_certificate(
            &needs.gateway_hosts,
            &certificate,
        ));
    }
    ClusterReport {
        context: cluster.context().to_owned(),
        server: Some(cluster.server().to_owned()),
        planes,
        checks,
    }
}

//! Reads the clusters of an installation and assembles the [`Report`]: per distinct cluster one
//! list of helm's storage Secrets (release state in bulk) and one list each of Deployments,
//! StatefulSets, DaemonSets, Pending pods and PersistentVolumeClaims; per installed release one
//! read of its latest storage Secret (the chart version); per registered plane its plane
//! resource on the control plane and its agent Secret on its own cluster; once, the certificate
//! the cluster gateway serves, against the `serverUrl` each agent's release was installed with.
//! No helm process.
//! An unreachable plane is reported as such; it does not stop the report.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::future::{join_all, try_join5};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};

use super::ca::{copies, copy_report, registration, registration_report};
use super::drift::{CaState, Lookup};
use super::gateway::{GatewayState, ServedNames, gateway_report};
use super::health::{ClusterWorkloads, Health, HealthState, release_health};
use super::network::{Network, detect};
use super::run::{RunReport, RunState, run_report};
use super::stage::next_stage;
use super::{PlaneReport, ProfileSource, ReleaseReport, Report, STATUS_API_VERSION};
use crate::catalog::Catalog;
use crate::engine::gateway_tls::read_served_names;
use crate::engine::helm::{ReleaseStates, read_release_states, read_stored_revision};
use crate::engine::journal::Journal;
use crate::engine::kube::{Cluster, Clusters, Target};
use crate::engine::lock::live_holder;
use crate::plan::{Action, Plan, Step};
use crate::profile::model::PlaneType;
use crate::resolve::{Plane, Resolved};

/// How long the reads of one cluster may take in all.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What `status` reports on.
pub struct Inputs<'a> {
    /// The catalog (adoption stages).
    pub catalog: &'a Catalog,
    /// The installation's resolved profile.
    pub resolved: &'a Resolved,
    /// Its plan (which releases, registrations and agent CAs to look at).
    pub plan: &'a Plan,
    /// Its journal.
    pub journal: &'a Journal,
    /// Where the profile came from.
    pub source: ProfileSource,
    /// `--context`: the context of planes whose own context is the current one.
    pub default_context: Option<&'a str>,
}

/// What one cluster shows, read once however many planes share it.
struct Facts {
    releases: ReleaseStates,
    workloads: ClusterWorkloads,
    network: Network,
}

/// Reads the installation's clusters and builds the report; `control` is the control plane's
/// cluster, already connected.
pub async fn collect(clusters: &Clusters, control: &Arc<Cluster>, inputs: &Inputs<'_>) -> Report {
    let connected = join_all(inputs.resolved.planes.iter().map(|plane| async {
        clusters
            .connect(&target(plane, inputs.default_context))
            .await
            .map_err(|e| e.to_string())
    }))
    .await;
    let mut facts: HashMap<*const Cluster, Result<Facts, String>> = HashMap::new();
    let distinct: Vec<&Arc<Cluster>> = {
        let mut seen = BTreeSet::new();
        connected
            .iter()
            .flatten()
            .filter(|cluster| seen.insert(Arc::as_ptr(cluster) as usize))
            .collect()
    };
    let read = join_all(distinct.iter().map(|cluster| read_facts(cluster))).await;
    for (cluster, result) in distinct.into_iter().zip(read) {
        facts.insert(Arc::as_ptr(cluster), result);
    }
    let holder = live_holder(control.client(), &inputs.journal.installation)
        .await
        .ok()
        .flatten();
    let run = run_report(&inputs.journal.run, holder.as_deref());
    let served = read_served_names(control.client()).await;
    let planes = join_all(
        inputs
            .resolved
            .planes
            .iter()
            .zip(&connected)
            .map(|(plane, cluster)| {
                let facts = cluster
                    .as_ref()
                    .ok()
                    .and_then(|c| facts.get(&Arc::as_ptr(c)));
                plane_report(plane, cluster, facts, control, inputs, &served)
            }),
    )
    .await;
    let installed: BTreeSet<String> = inputs
        .resolved
        .modules
        .iter()
        .map(|module| module.name.clone())
        .collect();
    let problems = problems(&run, &planes);
    Report {
        api_version: STATUS_API_VERSION,
        kind: "Status",
        installation: inputs.journal.installation.clone(),
        edition: inputs.resolved.edition,
        version: inputs.resolved.version.clone(),
        control_plane_context: control.context().to_owned(),
        profile: inputs.source,
        run,
        planes,
        next_stage: next_stage(inputs.catalog, inputs.resolved.edition, &installed),
        healthy: problems.is_empty(),
        problems,
    }
}

/// Where a plane's cluster is: its own kubeconfig and context, else `--context`, else the
/// current context.
pub fn target(plane: &Plane, default_context: Option<&str>) -> Target {
    let mut target = Target::of_plane(plane);
    if target.context.is_none() {
        target.context = default_context.map(str::to_owned);
    }
    target
}

async fn read_facts(cluster: &Cluster) -> Result<Facts, String> {
    let client = cluster.client().clone();
    let all = ListParams::default();
    let deployments = Api::<Deployment>::all(client.clone());
    let stateful_sets = Api::<StatefulSet>::all(client.clone());
    let daemon_sets = Api::<DaemonSet>::all(client.clone());
    let pods = Api::<Pod>::all(client.clone());
    let claims = Api::<PersistentVolumeClaim>::all(client.clone());
    let pending = all.clone().fields("status.phase=Pending");
    let read = async {
        let (deployments, stateful_sets, daemon_sets, pods, claims) = try_join5(
            deployments.list(&all),
            stateful_sets.list(&all),
            daemon_sets.list(&all),
            pods.list(&pending),
            claims.list(&all),
        )
        .await?;
        let releases = read_release_states(&client).await?;
        let agents: Vec<(String, String)> = daemon_sets
            .items
            .iter()
            .map(|set| {
                (
                    set.metadata.namespace.clone().unwrap_or_default(),
                    set.metadata.name.clone().unwrap_or_default(),
                )
            })
            .collect();
        let cilium_namespace = agents
            .iter()
            .find(|(_, name)| name == "cilium")
            .map(|(namespace, _)| namespace.clone());
        let cilium_config = match cilium_namespace {
            Some(namespace) => Api::<ConfigMap>::namespaced(client.clone(), &namespace)
                .get_opt("cilium-config")
                .await?
                .and_then(|config| config.data),
            None => None,
        };
        Ok::<_, kube::Error>(Facts {
            releases,
            network: detect(&agents, cilium_config.as_ref()),
            workloads: ClusterWorkloads {
                deployments: deployments.items,
                stateful_sets: stateful_sets.items,
                daemon_sets: daemon_sets.items,
                pending_pods: pods.items,
                claims: claims.items,
            },
        })
    };
    match tokio::time::timeout(READ_TIMEOUT, read).await {
        Ok(Ok(facts)) => Ok(facts),
        Ok(Err(error)) => Err(format!(
            "cannot read the objects of context `{}`: {error}",
            cluster.context()
        )),
        Err(_) => Err(format!(
            "the cluster of context `{}` did not answer within {} s",
            cluster.context(),
            READ_TIMEOUT.as_secs()
        )),
    }
}

async fn plane_report(
    plane: &Plane,
    cluster: &Result<Arc<Cluster>, String>,
    facts: Option<&Result<Facts, String>>,
    control: &Arc<Cluster>,
    inputs: &Inputs<'_>,
    served: &ServedNames,
) -> PlaneReport {
    let plan = inputs.plan;
    let helm_steps: Vec<&Step> = plan
        .steps
        .iter()
        .filter(|step| step.plane == plane.name && matches!(step.action, Action::Helm(_)))
        .collect();
    let mut report = PlaneReport {
        name: plane.name.clone(),
        plane_type: plane.plane_type,
        context: plane.context_label().to_owned(),
        reachable: cluster.is_ok(),
        error: None,
        kubernetes_version: None,
        network: None,
        agent: None,
        ca: None,
        ca_copies: Vec::new(),
        gateway: None,
        releases: Vec::new(),
    };
    let facts = match (cluster, facts) {
        (Ok(cluster), Some(Ok(facts))) => {
            report.kubernetes_version = Some(cluster.version().git_version.clone());
            Some((cluster, facts))
        }
        (Ok(cluster), Some(Err(error))) => {
            report.kubernetes_version = Some(cluster.version().git_version.clone());
            report.error = Some(error.clone());
            None
        }
        (Ok(_), None) => None,
        (Err(error), _) => {
            report.error = Some(error.clone());
            None
        }
    };
    let releases = join_all(helm_steps.iter().map(|step| async {
        let (mut report, values) = release_report(step, facts).await;
        report.external = inputs
            .journal
            .steps
            .get(&step.id)
            .is_some_and(|record| record.external);
        (report, values)
    }))
    .await;
    // The agent's release: the one whose planned values give it a serverUrl.
    report.gateway = helm_steps
        .iter()
        .zip(&releases)
        .find_map(|(step, (_, installed))| match &step.action {
            Action::Helm(helm) if helm.values["clusterAgent"]["serverUrl"].is_string() => {
                Some(installed)
            }
            _ => None,
        })
        .and_then(|installed| {
            let server_url = match installed.as_ref()? {
                Ok(values) => values["clusterAgent"]["serverUrl"]
                    .as_str()
                    .map_or(Lookup::Missing, |url| Lookup::Found(url.to_owned())),
                Err(why) => Lookup::Failed(why.clone()),
            };
            Some(gateway_report(&server_url, served))
        });
    report.releases = releases.into_iter().map(|(release, _)| release).collect();
    report.network = facts.map(|(_, facts)| facts.network.clone());
    if plane.plane_type != PlaneType::Control
        && let Some(registration) = registration(plan, &plane.name)
    {
        let (agent, ca) =
            registration_report(&registration, &plane.name, control, cluster.as_ref().ok()).await;
        report.agent = Some(agent);
        report.ca = Some(ca);
    }
    // The gateway's CA is read on the control plane's cluster.
    for copy in copies(plan, &plane.name) {
        let copied = copy_report(&copy, &plane.name, Some(control), cluster.as_ref().ok()).await;
        report.ca_copies.push(copied);
    }
    report
}

/// The release's report, and the values of its latest revision (`None` when not installed or
/// not read).
async fn release_report(
    step: &Step,
    facts: Option<(&Arc<Cluster>, &Facts)>,
) -> (ReleaseReport, Option<Result<serde_json::Value, String>>) {
    let Action::Helm(helm) = &step.action else {
        unreachable!("only helm steps are reported as releases")
    };
    let namespace = step.namespace.clone().unwrap_or_else(|| "default".into());
    let mut report = ReleaseReport {
        module: step.module.clone(),
        release: helm.release.clone(),
        namespace: namespace.clone(),
        chart: helm.chart.name.clone(),
        chart_version: None,
        planned_version: helm.version.clone(),
        revision: None,
        status: "unknown".into(),
        health: Health::unknown("the cluster was not read"),
        external: false,
    };
    let Some((cluster, facts)) = facts else {
        return (report, None);
    };
    let Some(stored) = facts.releases.get(&namespace, &helm.release) else {
        report.status = "missing".into();
        report.health = Health::unknown("not installed");
        return (report, None);
    };
    report.revision = Some(stored.revision);
    report.status = stored.status.to_string();
    let revision =
        read_stored_revision(cluster.client(), &namespace, &helm.release, stored.revision).await;
    report.health = release_health(&facts.workloads, &helm.release, &namespace);
    let values = match revision {
        Ok(Some(revision)) => {
            report.chart_version = Some(revision.chart.version);
            Some(Ok(revision.values))
        }
        Ok(None) => None,
        Err(why) => Some(Err(why)),
    };
    (report, values)
}

/// Everything wrong, one line each, in report order.
fn problems(run: &RunReport, planes: &[PlaneReport]) -> Vec<String> {
    let mut problems = Vec::new();
    match run.status {
        RunState::Failed | RunState::Interrupted => problems.push(format!(
            "last run {} {}: {}",
            run.id,
            if run.status == RunState::Failed {
                "failed"
            } else {
                "was interrupted"
            },
            run.hint.as_deref().unwrap_or_default()
        )),
        RunState::Succeeded | RunState::Running => {}
    }
    for plane in planes {
        let name = &plane.name;
        if let Some(error) = &plane.error {
            let what = if plane.reachable {
                "cannot be read"
            } else {
                "is unreachable"
            };
            problems.push(format!("plane {name} {what}: {error}"));
            continue;
        }
        for release in &plane.releases {
            let id = format!(
                "release {}/{} on plane {name}",
                release.namespace, release.release
            );
            if release.status != "deployed" {
                problems.push(format!("{id} is {}", release.status));
            } else if release.health.state == HealthState::Unhealthy {
                problems.push(format!(
                    "{id} is unhealthy: {}",
                    release.health.problems.join("; ")
                ));
            }
        }
        if let Some(ca) = plane.ca.as_ref().filter(|ca| ca.state != CaState::Match) {
            problems.push(format!("plane {name}: {}", ca.detail));
        }
        for copy in plane
            .ca_copies
            .iter()
            .filter(|copy| copy.state != CaState::Match)
        {
            problems.push(format!("plane {name}: {}", copy.detail));
        }
        if let Some(gateway) = plane
            .gateway
            .as_ref()
            .filter(|gateway| gateway.state != GatewayState::Covered)
        {
            problems.push(format!("plane {name}: {}", gateway.detail));
        }
        if let Some(agent) = plane.agent.as_ref().filter(|a| a.connected == Some(false)) {
            problems.push(format!(
                "plane {name}: agent not connected ({})",
                agent.detail
            ));
        }
    }
    problems
}

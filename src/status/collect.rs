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
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod, Secret};
use kube::api::{Api, ListParams};
use serde_json::Value;

use super::agent::{Agent, agent_state};
use super::drift::{CaState, Lookup, compare_ca};
use super::gateway::{GatewayState, ServedNames, gateway_report};
use super::health::{ClusterWorkloads, Health, HealthState, release_health};
use super::network::{Network, detect};
use super::run::{RunReport, RunState, run_report};
use super::stage::next_stage;
use super::{CaReport, PlaneReport, ProfileSource, ReleaseReport, Report, STATUS_API_VERSION};
use crate::catalog::Catalog;
use crate::engine::gateway_tls::read_served_names;
use crate::engine::helm::{ReleaseStates, read_release_states, read_stored_revision};
use crate::engine::journal::Journal;
use crate::engine::kube::{Cluster, Clusters, Target};
use crate::engine::lock::live_holder;
use crate::plan::{Action, ApplyAction, Plan, Step};
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
                plane_report(plane, cluster, facts, control, inputs.plan, &served)
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
fn target(plane: &Plane, default_context: Option<&str>) -> Target {
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
    plan: &Plan,
    served: &ServedNames,
) -> PlaneReport {
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
    let releases = join_all(helm_steps.iter().map(|step| release_report(step, facts))).await;
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
        let (agent, ca) = registration_report(&registration, control, cluster.as_ref().ok()).await;
        report.agent = Some(agent);
        report.ca = Some(ca);
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

/// Where a plane is registered and where its live agent CA is, as the plan says.
struct Registration {
    api_version: String,
    kind: String,
    name: String,
    secret_namespace: String,
    secret_name: String,
    secret_key: String,
}

/// The plane resource a step applies on the control plane for `plane` (one carrying
/// `spec.clusterAgent.clientCA`), and the agent CA the same module reads from the plane.
fn registration(plan: &Plan, plane: &str) -> Option<Registration> {
    plan.steps.iter().find_map(|step| {
        let Action::Apply(ApplyAction::Objects(objects)) = &step.action else {
            return None;
        };
        if step.subject != plane {
            return None;
        }
        let object = objects
            .iter()
            .find(|object| object["spec"]["clusterAgent"]["clientCA"].is_object())?;
        let read = plan.steps.iter().find_map(|read| match &read.action {
            Action::Read(action)
                if read.subject == plane
                    && read.module == step.module
                    && action.resource.kind == "Secret" =>
            {
                Some(action)
            }
            _ => None,
        })?;
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        Some(Registration {
            api_version: text(&object["apiVersion"]),
            kind: text(&object["kind"]),
            name: text(&object["metadata"]["name"]),
            secret_namespace: read.resource.namespace.clone().unwrap_or_default(),
            secret_name: read.resource.name.clone(),
            secret_key: read.key.clone(),
        })
    })
}

async fn registration_report(
    registration: &Registration,
    control: &Arc<Cluster>,
    plane_cluster: Option<&Arc<Cluster>>,
) -> (Agent, CaReport) {
    let resource = format!("{} {}", registration.kind, registration.name);
    let secret = format!(
        "Secret {}/{}",
        registration.secret_namespace, registration.secret_name
    );
    let (registered, status) = read_plane_resource(registration, control).await;
    let agent = match &registered {
        Lookup::Failed(why) => Agent {
            connected: None,
            detail: format!("cannot read {resource}: {why}"),
        },
        _ => agent_state(status.as_ref()),
    };
    let live = match plane_cluster {
        Some(cluster) => read_agent_ca(registration, cluster).await,
        None => Lookup::Failed("the plane's cluster is unreachable".into()),
    };
    let (state, detail) = compare_ca(&registered, &live, &resource, &secret);
    let ca = CaReport {
        state,
        registered_in: resource,
        live_in: secret,
        detail,
    };
    (agent, ca)
}

/// The registered CA and the status of the plane resource.
async fn read_plane_resource(
    registration: &Registration,
    control: &Arc<Cluster>,
) -> (Lookup, Option<Value>) {
    let kind = match control
        .kind(
            &registration.api_version,
            &registration.kind,
            Duration::ZERO,
        )
        .await
    {
        Ok(Some(kind)) => kind,
        Ok(None) => return (Lookup::Missing, None),
        Err(error) => return (Lookup::Failed(error.to_string()), None),
    };
    match control.api(&kind, None).get_opt(&registration.name).await {
        Ok(Some(object)) => {
            let ca = object.data["spec"]["clusterAgent"]["clientCA"]["value"]
                .as_str()
                .map_or(Lookup::Missing, |pem| Lookup::Found(pem.to_owned()));
            (ca, object.data.get("status").cloned())
        }
        Ok(None) => (Lookup::Missing, None),
        Err(error) => (Lookup::Failed(error.to_string()), None),
    }
}

async fn read_agent_ca(registration: &Registration, cluster: &Arc<Cluster>) -> Lookup {
    let api: Api<Secret> =
        Api::namespaced(cluster.client().clone(), &registration.secret_namespace);
    match api.get_opt(&registration.secret_name).await {
        Ok(Some(secret)) => secret
            .data
            .as_ref()
            .and_then(|data| data.get(&registration.secret_key))
            .map_or(Lookup::Missing, |bytes| {
                Lookup::Found(String::from_utf8_lossy(&bytes.0).into_owned())
            }),
        Ok(None) => Lookup::Missing,
        Err(error) => Lookup::Failed(error.to_string()),
    }
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

//! Whether a helm release's workloads are ready, judged from the objects of its cluster: the
//! Deployments, StatefulSets and DaemonSets helm created for it (annotations
//! `meta.helm.sh/release-name` and `meta.helm.sh/release-namespace`), ready replicas against
//! desired ones, and no Pending pod or PersistentVolumeClaim of theirs (a volume that never
//! binds must never pass as healthy). Pure: the cluster's objects are read elsewhere.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// Annotation helm puts on every object of a release: the release name.
pub const RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
/// Annotation helm puts on every object of a release: the release namespace.
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";

/// The workload objects of one cluster, as listed (every namespace).
#[derive(Debug, Clone, Default)]
pub struct ClusterWorkloads {
    /// Every Deployment.
    pub deployments: Vec<Deployment>,
    /// Every StatefulSet.
    pub stateful_sets: Vec<StatefulSet>,
    /// Every DaemonSet.
    pub daemon_sets: Vec<DaemonSet>,
    /// Pods in phase Pending.
    pub pending_pods: Vec<Pod>,
    /// Every PersistentVolumeClaim.
    pub claims: Vec<PersistentVolumeClaim>,
}

/// One workload of a release and its replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// `Deployment`, `StatefulSet` or `DaemonSet`.
    pub kind: &'static str,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Ready replicas (DaemonSet: pods ready).
    pub ready: i32,
    /// Desired replicas (DaemonSet: pods scheduled).
    pub desired: i32,
}

/// How healthy a release is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HealthState {
    /// Every workload has its desired replicas ready, nothing Pending (or it has no workloads).
    Healthy,
    /// A workload is short of ready replicas, or a pod or volume of it is Pending.
    Unhealthy,
    /// Not judged: the release is missing or its cluster unreachable.
    Unknown,
}

/// The health of one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The verdict.
    pub state: HealthState,
    /// Its workloads, ready against desired.
    pub workloads: Vec<Workload>,
    /// What keeps it from being healthy, one line each.
    pub problems: Vec<String>,
}

impl Health {
    /// Health that could not be judged, and why.
    pub fn unknown(why: impl Into<String>) -> Self {
        Health {
            state: HealthState::Unknown,
            workloads: Vec::new(),
            problems: vec![why.into()],
        }
    }
}

fn owned_by(meta: &ObjectMeta, release: &str, namespace: &str) -> bool {
    let Some(annotations) = &meta.annotations else {
        return false;
    };
    annotations.get(RELEASE_NAME_ANNOTATION).map(String::as_str) == Some(release)
        && annotations
            .get(RELEASE_NAMESPACE_ANNOTATION)
            .map(String::as_str)
            == Some(namespace)
}

fn named(meta: &ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// The workloads of release `release` (installed in `namespace`), ready against desired.
pub fn workloads_of(objects: &ClusterWorkloads, release: &str, namespace: &str) -> Vec<Workload> {
    let mut workloads = Vec::new();
    for deployment in &objects.deployments {
        if owned_by(&deployment.metadata, release, namespace) {
            let (ns, name) = named(&deployment.metadata);
            let status = deployment.status.as_ref();
            workloads.push(Workload {
                kind: "Deployment",
                namespace: ns,
                name,
                ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
                desired: deployment
                    .spec
                    .as_ref()
                    .and_then(|s| s.replicas)
                    .unwrap_or(1),
            });
        }
    }
    for set in &objects.stateful_sets {
        if owned_by(&set.metadata, release, namespace) {
            let (ns, name) = named(&set.metadata);
            workloads.push(Workload {
                kind: "StatefulSet",
                namespace: ns,
                name,
                ready: set
                    .status
                    .as_ref()
                    .and_then(|s| s.ready_replicas)
                    .unwrap_or(0),
                desired: set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            });
        }
    }
    for set in &objects.daemon_sets {
        if owned_by(&set.metadata, release, namespace) {
            let (ns, name) = named(&set.metadata);
            let status = set.status.as_ref();
            workloads.push(Workload {
                kind: "DaemonSet",
                namespace: ns,
                name,
                ready: status.map_or(0, |s| s.number_ready),
                desired: status.map_or(0, |s| s.desired_number_scheduled),
            });
        }
    }
    workloads
}

/// Whether a pod belongs to one of `workloads`: owned by the StatefulSet or DaemonSet itself,
/// or by a ReplicaSet of the Deployment (`<deployment>-<hash>`).
fn pod_of<'a>(pod: &Pod, workloads: &'a [Workload]) -> Option<&'a Workload> {
    let (namespace, _) = named(&pod.metadata);
    let owners = pod.metadata.owner_references.as_deref().unwrap_or_default();
    workloads.iter().find(|workload| {
        workload.namespace == namespace
            && owners
                .iter()
                .any(|owner| match (owner.kind.as_str(), workload.kind) {
                    ("ReplicaSet", "Deployment") => owner
                        .name
                        .rsplit_once('-')
                        .is_some_and(|(deployment, _)| deployment == workload.name),
                    (kind, workload_kind) => kind == workload_kind && owner.name == workload.name,
                })
    })
}

/// Whether a claim belongs to one of `workloads`: made by a StatefulSet from its
/// `volumeClaimTemplates` (`<template>-<statefulset>-<ordinal>`), or created by the release.
fn claim_of(
    claim: &PersistentVolumeClaim,
    workloads: &[Workload],
    release: &str,
    namespace: &str,
) -> bool {
    if owned_by(&claim.metadata, release, namespace) {
        return true;
    }
    let (claim_namespace, name) = named(&claim.metadata);
    let Some((stem, ordinal)) = name.rsplit_once('-') else {
        return false;
    };
    ordinal.parse::<u32>().is_ok()
        && workloads.iter().any(|workload| {
            workload.kind == "StatefulSet"
                && workload.namespace == claim_namespace
                && stem.ends_with(&format!("-{}", workload.name))
        })
}

/// Judges release `release` (installed in `namespace`) from its cluster's objects.
pub fn release_health(objects: &ClusterWorkloads, release: &str, namespace: &str) -> Health {
    let workloads = workloads_of(objects, release, namespace);
    let mut problems: Vec<String> = workloads
        .iter()
        .filter(|w| w.ready < w.desired)
        .map(|w| {
            format!(
                "{} {}/{}: {}/{} ready",
                w.kind, w.namespace, w.name, w.ready, w.desired
            )
        })
        .collect();
    for pod in &objects.pending_pods {
        if pod_of(pod, &workloads).is_some() {
            let (ns, name) = named(&pod.metadata);
            let why = pod
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|conditions| {
                    conditions
                        .iter()
                        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
                })
                .and_then(|c| c.message.clone().or_else(|| c.reason.clone()));
            problems.push(match why {
                Some(why) => format!("Pod {ns}/{name} Pending: {why}"),
                None => format!("Pod {ns}/{name} Pending"),
            });
        }
    }
    for claim in &objects.claims {
        let pending = claim.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending");
        if pending && claim_of(claim, &workloads, release, namespace) {
            let (ns, name) = named(&claim.metadata);
            problems.push(format!("PersistentVolumeClaim {ns}/{name} Pending"));
        }
    }
    Health {
        state: if problems.is_empty() {
            HealthState::Healthy
        } else {
            HealthState::Unhealthy
        },
        workloads,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn object<T: serde::de::DeserializeOwned>(value: Value) -> T {
        serde_json::from_value(value).unwrap()
    }

    fn meta(namespace: &str, name: &str, release: Option<&str>) -> Value {
        let mut meta = json!({"namespace": namespace, "name": name});
        if let Some(release) = release {
            meta["annotations"] = json!({
                RELEASE_NAME_ANNOTATION: release,
                RELEASE_NAMESPACE_ANNOTATION: namespace,
            });
        }
        meta
    }

    fn deployment(
        name: &str,
        release: Option<&str>,
        desired: i32,
        ready: Option<i32>,
    ) -> Deployment {
        object(json!({
            "metadata": meta("openbao", name, release),
            "spec": {"replicas": desired, "selector": {}, "template": {}},
            "status": {"readyReplicas": ready},
        }))
    }

    fn stateful_set(name: &str, desired: i32, ready: i32) -> StatefulSet {
        object(json!({
            "metadata": meta("openbao", name, Some("openbao")),
            "spec": {"replicas": desired, "selector": {}, "template": {}, "serviceName": name},
            "status": {"replicas": desired, "readyReplicas": ready},
        }))
    }

    fn pending_pod(name: &str, owner_kind: &str, owner: &str) -> Pod {
        object(json!({
            "metadata": {
                "namespace": "openbao", "name": name,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind, "name": owner, "uid": "u"}],
            },
            "status": {"phase": "Pending", "conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "pod has unbound immediate PersistentVolumeClaims",
            }]},
        }))
    }

    fn claim(name: &str, phase: &str) -> PersistentVolumeClaim {
        object(json!({
            "metadata": {"namespace": "openbao", "name": name},
            "status": {"phase": phase},
        }))
    }

    #[test]
    fn a_release_whose_workloads_are_all_ready_is_healthy() {
        let objects = ClusterWorkloads {
            deployments: vec![
                deployment("injector", Some("openbao"), 2, Some(2)),
                deployment("other", Some("thunder"), 1, Some(0)),
                deployment("unmanaged", None, 1, Some(0)),
            ],
            stateful_sets: vec![stateful_set("openbao", 1, 1)],
            ..ClusterWorkloads::default()
        };
        let health = release_health(&objects, "openbao", "openbao");
        assert_eq!(health.state, HealthState::Healthy, "{:?}", health.problems);
        let names: Vec<_> = health.workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["injector", "openbao"]);
    }

    #[test]
    fn missing_ready_replicas_make_a_release_unhealthy_and_are_named() {
        let objects = ClusterWorkloads {
            deployments: vec![deployment("injector", Some("openbao"), 2, None)],
            ..ClusterWorkloads::default()
        };
        let health = release_health(&objects, "openbao", "openbao");
        assert_eq!(health.state, HealthState::Unhealthy);
        assert_eq!(health.problems, ["Deployment openbao/injector: 0/2 ready"]);
    }

    #[test]
    fn a_pending_pod_or_volume_of_the_release_is_never_healthy() {
        let objects = ClusterWorkloads {
            deployments: vec![deployment("injector", Some("openbao"), 1, Some(1))],
            stateful_sets: vec![stateful_set("openbao", 1, 1)],
            pending_pods: vec![
                pending_pod("openbao-0", "StatefulSet", "openbao"),
                pending_pod("injector-5d8f7-abcde", "ReplicaSet", "injector-5d8f7"),
                pending_pod("elsewhere-0", "StatefulSet", "elsewhere"),
            ],
            claims: vec![
                claim("data-openbao-0", "Pending"),
                claim("data-openbao-1", "Bound"),
                claim("data-elsewhere-0", "Pending"),
            ],
            ..ClusterWorkloads::default()
        };
        let health = release_health(&objects, "openbao", "openbao");
        assert_eq!(health.state, HealthState::Unhealthy);
        assert_eq!(
            health.problems,
            [
                "Pod openbao/openbao-0 Pending: pod has unbound immediate PersistentVolumeClaims",
                "Pod openbao/injector-5d8f7-abcde Pending: pod has unbound immediate PersistentVolumeClaims",
                "PersistentVolumeClaim openbao/data-openbao-0 Pending",
            ]
        );
    }

    #[test]
    fn a_release_without_workloads_is_healthy_with_nothing_to_wait_for() {
        let health = release_health(&ClusterWorkloads::default(), "kgateway-crds", "x");
        assert_eq!(health.state, HealthState::Healthy);
        assert!(health.workloads.is_empty());
    }

    #[test]
    fn daemon_sets_count_scheduled_against_ready_pods() {
        let set: DaemonSet = object(json!({
            "metadata": meta("kube-system", "cilium", Some("cilium")),
            "spec": {"selector": {}, "template": {}},
            "status": {"desiredNumberScheduled": 3, "numberReady": 2, "currentNumberScheduled": 3,
                       "numberMisscheduled": 0},
        }));
        let objects = ClusterWorkloads {
            daemon_sets: vec![set],
            ..ClusterWorkloads::default()
        };
        let health = release_health(&objects, "cilium", "kube-system");
        assert_eq!(health.problems, ["DaemonSet kube-system/cilium: 2/3 ready"]);
    }
}

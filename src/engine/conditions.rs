//! Readiness of an object for each wait condition of the catalog ([`WaitCondition`]).
//!
//! Pure functions over the object as JSON (what the API server returns), so they are tested on
//! fixtures without a cluster. Each answers [`Readiness::Ready`] or says why not, in words a
//! timeout message can show: a condition's reason and message, replicas not yet updated or
//! available, a generation the controller has not observed yet.
//!
//! The rollout checks follow `kubectl rollout status` (kubernetes/kubectl
//! `pkg/polymorphichelpers/rollout_status.go`): a status counts only once its controller has
//! observed the object's current generation, so an apply that just changed the spec is never
//! judged by the previous rollout's status.

use serde_json::Value;

use crate::catalog::model::WaitCondition;

/// Whether an object satisfies a wait condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The condition holds.
    Ready,
    /// The condition does not hold yet, and why.
    NotReady(String),
}

impl Readiness {
    /// Whether the condition holds.
    pub fn is_ready(&self) -> bool {
        matches!(self, Readiness::Ready)
    }

    fn not_ready(reason: impl Into<String>) -> Self {
        Readiness::NotReady(reason.into())
    }
}

/// Readiness of `object` (of kind `kind`; `None` while it does not exist) for `condition`.
pub fn readiness(condition: WaitCondition, kind: &str, object: Option<&Value>) -> Readiness {
    let Some(object) = object else {
        return Readiness::not_ready("it does not exist yet");
    };
    if object.pointer("/metadata/deletionTimestamp").is_some() {
        return Readiness::not_ready("it is being deleted");
    }
    match (condition, kind) {
        (WaitCondition::Exists, _) => Readiness::Ready,
        (WaitCondition::Addressed, _) => load_balancer_addressed(object),
        (WaitCondition::Available | WaitCondition::RolledOut, "Deployment") => {
            deployment_available(object)
        }
        (WaitCondition::Available, _) => condition_true(object, "Available"),
        (WaitCondition::Ready, _) => condition_true(object, "Ready"),
        (WaitCondition::Complete, _) => job_complete(object),
        (WaitCondition::Established, _) => crd_established(object),
        (WaitCondition::RolledOut, "StatefulSet") => statefulset_rolled_out(object),
        (WaitCondition::RolledOut, "DaemonSet") => daemonset_rolled_out(object),
        (WaitCondition::RolledOut, other) => Readiness::not_ready(format!(
            "RolledOut is defined for Deployment, StatefulSet and DaemonSet, not {other}"
        )),
    }
}

/// A Deployment whose latest spec is fully rolled out and available (kubectl's rollout check,
/// then the `Available` condition).
pub fn deployment_available(object: &Value) -> Readiness {
    if let Some(stale) = unobserved_generation(object) {
        return stale;
    }
    if let Some(progressing) = find_condition(object, "Progressing")
        && progressing.reason == Some("ProgressDeadlineExceeded")
    {
        return Readiness::not_ready(progressing.describe());
    }
    let wanted = int(object, "/spec/replicas").unwrap_or(1);
    let replicas = int(object, "/status/replicas").unwrap_or(0);
    let updated = int(object, "/status/updatedReplicas").unwrap_or(0);
    let available = int(object, "/status/availableReplicas").unwrap_or(0);
    if updated < wanted {
        return Readiness::not_ready(format!("{updated} of {wanted} replicas updated"));
    }
    if replicas > updated {
        let old = replicas - updated;
        return Readiness::not_ready(format!(
            "{old} old {} pending termination",
            plural(old, "replica", "replicas")
        ));
    }
    if available < updated {
        return Readiness::not_ready(format!(
            "{available} of {updated} updated replicas available"
        ));
    }
    match find_condition(object, "Available") {
        Some(condition) if condition.status != Some("True") => {
            Readiness::not_ready(condition.describe())
        }
        _ => Readiness::Ready,
    }
}

/// A StatefulSet whose latest spec is rolled out: every replica ready and, for rolling updates,
/// on the update revision (above the partition, if any).
pub fn statefulset_rolled_out(object: &Value) -> Readiness {
    if let Some(stale) = unobserved_generation(object) {
        return stale;
    }
    let wanted = int(object, "/spec/replicas").unwrap_or(1);
    let ready = int(object, "/status/readyReplicas").unwrap_or(0);
    if ready < wanted {
        return Readiness::not_ready(format!("{ready} of {wanted} pods ready"));
    }
    let strategy = str_at(object, "/spec/updateStrategy/type").unwrap_or("RollingUpdate");
    if strategy != "RollingUpdate" {
        return Readiness::Ready;
    }
    let updated = int(object, "/status/updatedReplicas").unwrap_or(0);
    if let Some(partition) = int(object, "/spec/updateStrategy/rollingUpdate/partition")
        && partition > 0
    {
        let above = (wanted - partition).max(0);
        return if updated < above {
            Readiness::not_ready(format!(
                "partitioned rollout: {updated} of {above} pods updated"
            ))
        } else {
            Readiness::Ready
        };
    }
    let current = str_at(object, "/status/currentRevision");
    let update = str_at(object, "/status/updateRevision");
    if update.is_some() && current != update {
        return Readiness::not_ready(format!(
            "{updated} of {wanted} pods at revision {}",
            update.unwrap_or_default()
        ));
    }
    Readiness::Ready
}

/// A DaemonSet whose latest spec is rolled out: scheduled on every eligible node, updated and
/// available there.
pub fn daemonset_rolled_out(object: &Value) -> Readiness {
    if let Some(stale) = unobserved_generation(object) {
        return stale;
    }
    let desired = int(object, "/status/desiredNumberScheduled").unwrap_or(0);
    let updated = int(object, "/status/updatedNumberScheduled").unwrap_or(0);
    let available = int(object, "/status/numberAvailable").unwrap_or(0);
    let rolling = str_at(object, "/spec/updateStrategy/type").unwrap_or("RollingUpdate");
    if rolling == "RollingUpdate" && updated < desired {
        return Readiness::not_ready(format!("{updated} of {desired} pods updated"));
    }
    if available < desired {
        return Readiness::not_ready(format!("{available} of {desired} pods available"));
    }
    Readiness::Ready
}

/// A CustomResourceDefinition whose API is served (`Established=True`); a name clash shows as
/// `NamesAccepted=False`.
pub fn crd_established(object: &Value) -> Readiness {
    if let Some(names) = find_condition(object, "NamesAccepted")
        && names.status == Some("False")
    {
        return Readiness::not_ready(names.describe());
    }
    condition_true(object, "Established")
}

/// The status condition `type` is `True` (and, where the condition records the generation it
/// was computed for, that is the object's current generation).
pub fn condition_true(object: &Value, type_: &str) -> Readiness {
    let Some(condition) = find_condition(object, type_) else {
        return Readiness::not_ready(format!("no {type_} condition yet"));
    };
    if condition.status != Some("True") {
        return Readiness::not_ready(condition.describe());
    }
    let generation = int(object, "/metadata/generation");
    match (condition.observed_generation, generation) {
        (Some(observed), Some(generation)) if observed < generation => {
            Readiness::not_ready(format!(
                "{type_}=True is for generation {observed}, the object is at generation {generation}"
            ))
        }
        _ => Readiness::Ready,
    }
}

/// A LoadBalancer Service to which the load balancer has given an address (an IP or a
/// hostname in `status.loadBalancer.ingress`).
pub fn load_balancer_addressed(object: &Value) -> Readiness {
    let addressed = object
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .is_some_and(|ingress| {
            ingress
                .iter()
                .any(|entry| entry.get("ip").is_some() || entry.get("hostname").is_some())
        });
    if addressed {
        return Readiness::Ready;
    }
    match str_at(object, "/spec/type") {
        Some("LoadBalancer") => Readiness::not_ready(
            "no load-balancer address yet (is a load-balancer controller running in this cluster?)",
        ),
        other => Readiness::not_ready(format!(
            "the Service is of type {}, not LoadBalancer: nothing will give it an address",
            other.unwrap_or("ClusterIP")
        )),
    }
}

/// A Job that ran to success (`Complete=True`); a `Failed=True` Job says why it failed.
pub fn job_complete(object: &Value) -> Readiness {
    if let Some(failed) = find_condition(object, "Failed")
        && failed.status == Some("True")
    {
        return Readiness::not_ready(format!("the Job failed: {}", failed.describe()));
    }
    condition_true(object, "Complete")
}

/// Why a pod is not ready (phase, then a container's waiting or failed state, or why it is not
/// scheduled); `None` when it is ready.
pub fn pod_problem(pod: &Value) -> Option<String> {
    if find_condition(pod, "Ready").is_some_and(|c| c.status == Some("True")) {
        return None;
    }
    let phase = str_at(pod, "/status/phase").unwrap_or("Pending");
    let mut containers = ["/status/initContainerStatuses", "/status/containerStatuses"]
        .into_iter()
        .filter_map(|pointer| pod.pointer(pointer)?.as_array())
        .flatten();
    let container_problem = containers.find_map(|container| {
        let name = container.get("name").and_then(Value::as_str).unwrap_or("?");
        let waiting = container.pointer("/state/waiting");
        let failed = container
            .pointer("/state/terminated")
            .filter(|t| t.get("exitCode").and_then(Value::as_i64).unwrap_or(0) != 0);
        let state = waiting.or(failed)?;
        let reason = state
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("Waiting");
        Some(match state.get("message").and_then(Value::as_str) {
            Some(message) if !message.is_empty() => {
                format!("container {name} {reason}: {}", message.trim())
            }
            _ => format!("container {name} {reason}"),
        })
    });
    let detail = container_problem
        .or_else(|| {
            find_condition(pod, "PodScheduled")
                .filter(|c| c.status == Some("False"))
                .map(|c| c.describe())
        })
        .or_else(|| find_condition(pod, "Ready").map(|c| c.describe()));
    Some(match detail {
        Some(detail) => format!("{phase}: {detail}"),
        None => phase.to_owned(),
    })
}

/// Not ready while the controller has not yet seen the latest spec.
fn unobserved_generation(object: &Value) -> Option<Readiness> {
    let generation = int(object, "/metadata/generation")?;
    match int(object, "/status/observedGeneration") {
        Some(observed) if observed >= generation => None,
        Some(observed) => Some(Readiness::not_ready(format!(
            "the controller has not observed generation {generation} yet (observed {observed})"
        ))),
        None => Some(Readiness::not_ready(format!(
            "the controller has not observed generation {generation} yet"
        ))),
    }
}

/// One entry of `status.conditions`.
struct Condition<'a> {
    type_: &'a str,
    status: Option<&'a str>,
    reason: Option<&'a str>,
    message: Option<&'a str>,
    observed_generation: Option<i64>,
}

impl Condition<'_> {
    /// `Ready=False (Issuing: waiting for the CertificateRequest)`.
    fn describe(&self) -> String {
        let status = self.status.unwrap_or("Unknown");
        let detail = match (self.reason, self.message) {
            (Some(reason), Some(message)) if !message.is_empty() => {
                format!(" ({reason}: {message})")
            }
            (Some(reason), _) => format!(" ({reason})"),
            (None, Some(message)) if !message.is_empty() => format!(" ({message})"),
            _ => String::new(),
        };
        format!("{}={status}{detail}", self.type_)
    }
}

fn find_condition<'a>(object: &'a Value, type_: &str) -> Option<Condition<'a>> {
    let conditions = object.pointer("/status/conditions")?.as_array()?;
    let found = conditions
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))?;
    let text = |key: &str| found.get(key).and_then(Value::as_str);
    Some(Condition {
        type_: found.get("type").and_then(Value::as_str)?,
        status: text("status"),
        reason: text("reason"),
        message: text("message").map(str::trim),
        observed_generation: found.get("observedGeneration").and_then(Value::as_i64),
    })
}

fn int(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

fn str_at<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_saphyr::from_str(text).expect("fixture is YAML")
    }

    fn reason(readiness: Readiness) -> String {
        match readiness {
            Readiness::NotReady(reason) => reason,
            Readiness::Ready => panic!("expected not ready"),
        }
    }

    #[test]
    fn a_job_is_complete_only_once_it_succeeded_and_says_why_it_failed() {
        let running = yaml("status: {active: 1}");
        let done = yaml("status: {conditions: [{type: Complete, status: 'True'}]}");
        let failed = yaml(
            "status: {conditions: [{type: Failed, status: 'True', reason: BackoffLimitExceeded}]}",
        );
        assert_eq!(reason(job_complete(&running)), "no Complete condition yet");
        assert!(job_complete(&done).is_ready());
        assert_eq!(
            reason(job_complete(&failed)),
            "the Job failed: Failed=True (BackoffLimitExceeded)"
        );
    }

    const DEPLOYMENT_READY: &str = "
kind: Deployment
metadata: {name: cert-manager-webhook, generation: 2}
spec: {replicas: 2}
status:
  observedGeneration: 2
  replicas: 2
  updatedReplicas: 2
  readyReplicas: 2
  availableReplicas: 2
  conditions:
  - {type: Available, status: 'True', reason: MinimumReplicasAvailable}
  - {type: Progressing, status: 'True', reason: NewReplicaSetAvailable}
";

    #[test]
    fn deployment_rolled_out_and_available_is_ready() {
        let object = yaml(DEPLOYMENT_READY);
        assert_eq!(
            readiness(WaitCondition::Available, "Deployment", Some(&object)),
            Readiness::Ready
        );
    }

    #[test]
    fn deployment_just_applied_is_not_judged_by_the_previous_rollout() {
        // The spec changed (generation 3) but the controller still reports generation 2's
        // complete rollout: exactly what `is_deployment_completed` would accept.
        let object = yaml(&DEPLOYMENT_READY.replace("generation: 2}", "generation: 3}"));
        assert_eq!(
            reason(deployment_available(&object)),
            "the controller has not observed generation 3 yet (observed 2)"
        );
    }

    #[test]
    fn a_load_balancer_service_is_addressed_once_it_has_an_ingress_ip_or_hostname() {
        let pending = yaml("spec: {type: LoadBalancer}\nstatus: {loadBalancer: {}}\n");
        assert!(reason(load_balancer_addressed(&pending)).contains("no load-balancer address"));
        let cluster_ip = yaml("spec: {type: ClusterIP}\n");
        assert!(reason(load_balancer_addressed(&cluster_ip)).contains("type ClusterIP"));
        for ingress in ["{ip: 198.51.100.10}", "{hostname: lb.example.com}"] {
            let addressed = yaml(&format!(
                "spec: {{type: LoadBalancer}}\nstatus: {{loadBalancer: {{ingress: [{ingress}]}}}}\n"
            ));
            assert_eq!(
                readiness(WaitCondition::Addressed, "Service", Some(&addressed)),
                Readiness::Ready
            );
        }
    }

    #[test]
    fn deployment_reports_replicas_not_updated_old_or_unavailable() {
        let rolling = yaml(
            "
metadata: {generation: 1}
spec: {replicas: 3}
status: {observedGeneration: 1, replicas: 3, updatedReplicas: 1, availableReplicas: 3}
",
        );
        assert_eq!(
            reason(deployment_available(&rolling)),
            "1 of 3 replicas updated"
        );

        let old = yaml(
            "
metadata: {generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 3, updatedReplicas: 2, availableReplicas: 2}
",
        );
        assert_eq!(
            reason(deployment_available(&old)),
            "1 old replica pending termination"
        );

        let unavailable = yaml(
            "
metadata: {generation: 1}
spec: {replicas: 2}
status:
  observedGeneration: 1
  replicas: 2
  updatedReplicas: 2
  availableReplicas: 0
  unavailableReplicas: 2
  conditions:
  - type: Available
    status: 'False'
    reason: MinimumReplicasUnavailable
    message: Deployment does not have minimum availability.
",
        );
        assert_eq!(
            reason(deployment_available(&unavailable)),
            "0 of 2 updated replicas available"
        );
    }

    #[test]
    fn deployment_past_its_progress_deadline_says_so() {
        let object = yaml(
            "
metadata: {generation: 1}
spec: {replicas: 1}
status:
  observedGeneration: 1
  replicas: 1
  updatedReplicas: 1
  conditions:
  - type: Progressing
    status: 'False'
    reason: ProgressDeadlineExceeded
    message: ReplicaSet \"web-5d8f\" has timed out progressing.
",
        );
        assert_eq!(
            reason(deployment_available(&object)),
            "Progressing=False (ProgressDeadlineExceeded: ReplicaSet \"web-5d8f\" has timed out progressing.)"
        );
    }

    #[test]
    fn deployment_without_status_waits_for_its_controller() {
        let object = yaml("metadata: {name: web, generation: 1}\nspec: {replicas: 1}\n");
        assert_eq!(
            reason(deployment_available(&object)),
            "the controller has not observed generation 1 yet"
        );
    }

    #[test]
    fn scaled_to_zero_deployment_is_ready() {
        let object = yaml(
            "metadata: {generation: 1}\nspec: {replicas: 0}\nstatus: {observedGeneration: 1}\n",
        );
        assert!(deployment_available(&object).is_ready());
    }

    #[test]
    fn certificate_ready_condition() {
        let issuing = yaml(
            "
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: cluster-agent-dataplane-tls, generation: 1}
status:
  conditions:
  - type: Ready
    status: 'False'
    reason: DoesNotExist
    message: Issuing certificate as Secret does not exist
    observedGeneration: 1
  - {type: Issuing, status: 'True', reason: DoesNotExist, observedGeneration: 1}
",
        );
        assert_eq!(
            reason(readiness(
                WaitCondition::Ready,
                "Certificate",
                Some(&issuing)
            )),
            "Ready=False (DoesNotExist: Issuing certificate as Secret does not exist)"
        );

        let ready = yaml(
            "
metadata: {generation: 1}
status:
  conditions:
  - {type: Ready, status: 'True', reason: Ready, message: Certificate is up to date and has not expired, observedGeneration: 1}
",
        );
        assert!(readiness(WaitCondition::Ready, "Certificate", Some(&ready)).is_ready());

        // Ready for an older spec does not count.
        let stale = yaml(
            "
metadata: {generation: 2}
status:
  conditions:
  - {type: Ready, status: 'True', observedGeneration: 1}
",
        );
        assert_eq!(
            reason(condition_true(&stale, "Ready")),
            "Ready=True is for generation 1, the object is at generation 2"
        );
    }

    #[test]
    fn external_secret_without_conditions_yet() {
        let object = yaml(
            "
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: observer-secret, namespace: openchoreo-observability-plane}
spec: {refreshInterval: 1h}
",
        );
        assert_eq!(
            reason(readiness(
                WaitCondition::Ready,
                "ExternalSecret",
                Some(&object)
            )),
            "no Ready condition yet"
        );
    }

    #[test]
    fn cluster_secret_store_not_ready_shows_the_providers_message() {
        let object = yaml(
            "
kind: ClusterSecretStore
metadata: {name: default}
status:
  conditions:
  - type: Ready
    status: 'False'
    reason: InvalidProviderConfig
    message: 'unable to log in to auth method: permission denied'
",
        );
        assert_eq!(
            reason(readiness(
                WaitCondition::Ready,
                "ClusterSecretStore",
                Some(&object)
            )),
            "Ready=False (InvalidProviderConfig: unable to log in to auth method: permission denied)"
        );
    }

    #[test]
    fn crd_established_and_name_clash() {
        let established = yaml(
            "
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io, generation: 1}
status:
  conditions:
  - {type: NamesAccepted, status: 'True', reason: NoConflicts}
  - {type: Established, status: 'True', reason: InitialNamesAccepted}
",
        );
        assert!(
            readiness(
                WaitCondition::Established,
                "CustomResourceDefinition",
                Some(&established)
            )
            .is_ready()
        );

        let clash = yaml(
            "
metadata: {name: widgets.example.org}
status:
  conditions:
  - type: NamesAccepted
    status: 'False'
    reason: ListKindConflict
    message: '\"WidgetList\" is already in use'
  - {type: Established, status: 'False', reason: NotAccepted}
",
        );
        assert_eq!(
            reason(crd_established(&clash)),
            "NamesAccepted=False (ListKindConflict: \"WidgetList\" is already in use)"
        );
    }

    #[test]
    fn statefulset_rollout() {
        let waiting_for_pods = yaml(
            "
kind: StatefulSet
metadata: {name: prometheus-openchoreo-observability, generation: 1}
spec: {replicas: 1}
status: {observedGeneration: 1, replicas: 1, readyReplicas: 0, currentRevision: p-1, updateRevision: p-1}
",
        );
        assert_eq!(
            reason(readiness(
                WaitCondition::RolledOut,
                "StatefulSet",
                Some(&waiting_for_pods)
            )),
            "0 of 1 pods ready"
        );

        let mid_update = yaml(
            "
metadata: {generation: 2}
spec: {replicas: 3}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 3, updatedReplicas: 1, currentRevision: o-1, updateRevision: o-2}
",
        );
        assert_eq!(
            reason(statefulset_rolled_out(&mid_update)),
            "1 of 3 pods at revision o-2"
        );

        let done = yaml(
            "
metadata: {generation: 2}
spec: {replicas: 3}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentRevision: o-2, updateRevision: o-2}
",
        );
        assert!(statefulset_rolled_out(&done).is_ready());

        let partitioned = yaml(
            "
metadata: {generation: 2}
spec: {replicas: 3, updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}}
status: {observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1, currentRevision: o-1, updateRevision: o-2}
",
        );
        assert!(statefulset_rolled_out(&partitioned).is_ready());
    }

    #[test]
    fn daemonset_rollout() {
        let partial = yaml(
            "
kind: DaemonSet
metadata: {name: cilium, namespace: kube-system, generation: 1}
status: {observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2}
",
        );
        assert_eq!(
            reason(readiness(
                WaitCondition::RolledOut,
                "DaemonSet",
                Some(&partial)
            )),
            "2 of 3 pods available"
        );
        let done = yaml(
            "
metadata: {generation: 1}
status: {observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3}
",
        );
        assert!(daemonset_rolled_out(&done).is_ready());
    }

    #[test]
    fn pod_problems_name_the_waiting_container_or_the_scheduler() {
        let unschedulable = yaml(
            "
metadata: {name: web-1}
status:
  phase: Pending
  conditions:
  - type: PodScheduled
    status: 'False'
    reason: Unschedulable
    message: '0/2 nodes are available: 2 node(s) didn''t match Pod''s node affinity/selector.'
",
        );
        assert_eq!(
            pod_problem(&unschedulable).unwrap(),
            "Pending: PodScheduled=False (Unschedulable: 0/2 nodes are available: 2 node(s) \
             didn't match Pod's node affinity/selector.)"
        );

        let pulling = yaml(
            "
metadata: {name: web-2}
status:
  phase: Pending
  conditions:
  - {type: PodScheduled, status: 'True'}
  - {type: Ready, status: 'False', reason: ContainersNotReady}
  containerStatuses:
  - name: web
    ready: false
    state: {waiting: {reason: ImagePullBackOff, message: 'Back-off pulling image \"web:9\"'}}
",
        );
        assert_eq!(
            pod_problem(&pulling).unwrap(),
            "Pending: container web ImagePullBackOff: Back-off pulling image \"web:9\""
        );

        let ready = yaml(
            "
status:
  phase: Running
  conditions:
  - {type: Ready, status: 'True'}
",
        );
        assert_eq!(pod_problem(&ready), None);
    }

    #[test]
    fn absent_deleted_and_existing_objects() {
        assert_eq!(
            reason(readiness(WaitCondition::Exists, "Secret", None)),
            "it does not exist yet"
        );
        let deleting = yaml("metadata: {name: x, deletionTimestamp: '2026-01-01T00:00:00Z'}");
        assert_eq!(
            reason(readiness(WaitCondition::Exists, "Secret", Some(&deleting))),
            "it is being deleted"
        );
        let present = yaml("metadata: {name: x}");
        assert!(readiness(WaitCondition::Exists, "Secret", Some(&present)).is_ready());
    }

    #[test]
    fn rolled_out_of_a_kind_without_rollouts_is_explained() {
        let object = yaml("metadata: {name: x}");
        assert_eq!(
            reason(readiness(
                WaitCondition::RolledOut,
                "Certificate",
                Some(&object)
            )),
            "RolledOut is defined for Deployment, StatefulSet and DaemonSet, not Certificate"
        );
    }
}

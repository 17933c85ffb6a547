//! Rollout readiness of the workloads: `RolledOut` of a Deployment, StatefulSet or DaemonSet,
//! and a Deployment's `Available`.
//!
//! The rollout checks follow `kubectl rollout status` (kubernetes/kubectl
//! `pkg/polymorphichelpers/rollout_status.go`): a status counts only once its controller has
//! observed the object's current generation, so an apply that just changed the spec is never
//! judged by the previous rollout's status.

use serde_json::Value;

use super::Readiness;
use super::object::{find_condition, int, str_at};

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

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::WaitCondition;
    use crate::engine::conditions::fixtures::{reason, yaml};
    use crate::engine::conditions::readiness;

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
}

//! Readiness told by a status condition: `Ready`, `Available`, `Established` (with a CRD's
//! name clash) and `Complete` (with a Job's failure).

use serde_json::Value;

use super::Readiness;
use super::object::{find_condition, int};

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

/// A Job that ran to success (`Complete=True`); a `Failed=True` Job says why it failed.
pub fn job_complete(object: &Value) -> Readiness {
    if let Some(failed) = find_condition(object, "Failed")
        && failed.status == Some("True")
    {
        return Readiness::not_ready(format!("the Job failed: {}", failed.describe()));
    }
    condition_true(object, "Complete")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::WaitCondition;
    use crate::engine::conditions::fixtures::{reason, yaml};
    use crate::engine::conditions::readiness;

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
}

//! Readiness of an object for each wait condition of the catalog ([`WaitCondition`]).
//!
//! Pure functions over the object as JSON (what the API server returns), so they are tested on
//! fixtures without a cluster. Each answers [`Readiness::Ready`] or says why not, in words a
//! timeout message can show: a condition's reason and message, replicas not yet updated or
//! available, a generation the controller has not observed yet.
//!
//! [`readiness`] dispatches on the condition and the kind; one file per family of checks:
//!
//! - `rollout.rs`: `RolledOut` of a Deployment, StatefulSet or DaemonSet, and a Deployment's
//!   `Available`;
//! - `condition.rs`: `Ready`, `Available`, `Established` and `Complete`, from status conditions;
//! - `load_balancer.rs`: `Addressed`, a LoadBalancer Service's address;
//! - `pod.rs`: why a pod is not ready ([`pod_problem`]);
//! - `object.rs`: reading status conditions and fields out of the object.

mod condition;
mod load_balancer;
mod object;
mod pod;
mod rollout;

pub use pod::pod_problem;

use serde_json::Value;

use crate::catalog::model::WaitCondition;
use condition::{condition_true, crd_established, job_complete};
use load_balancer::load_balancer_addressed;
use rollout::{daemonset_rolled_out, deployment_available, statefulset_rolled_out};

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

/// What the unit tests of the condition families start from.
#[cfg(test)]
mod fixtures {
    use serde_json::Value;

    use super::Readiness;

    /// The object written as YAML in `text`.
    pub fn yaml(text: &str) -> Value {
        serde_saphyr::from_str(text).expect("fixture is YAML")
    }

    /// Why the object is not ready; panics when it is.
    pub fn reason(readiness: Readiness) -> String {
        match readiness {
            Readiness::NotReady(reason) => reason,
            Readiness::Ready => panic!("expected not ready"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{reason, yaml};
    use super::*;

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

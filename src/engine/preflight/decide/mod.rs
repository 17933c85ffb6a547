//! The verdicts (pure): what the plan needs of a cluster
//! ([`ClusterNeeds`](super::needs::ClusterNeeds)) against what was read from it
//! ([`Facts`](super::facts::Facts)), each turned into a [`Check`] with a hint on what to do.
//! One file per check family, in the order docs/check.md lists them:
//!
//! - `cluster.rs`: `kubernetes-version`, `permissions`;
//! - `cni.rs`: `cni`;
//! - `capacity.rs`: `default-storage-class`, `load-balancer`;
//! - `components.rs`: `existing-components`, `crd-ownership`, `gateway-api-crds`;
//! - `namespaces.rs`: `free-names`;
//! - `gateway.rs`: `gateway-certificate`.

mod capacity;
mod cluster;
mod cni;
mod components;
mod gateway;
mod namespaces;

pub use capacity::{load_balancer, storage};
pub use cluster::{kubernetes_version, permissions};
pub use cni::cni;
pub use components::components;
pub use gateway::gateway_certificate;
pub use namespaces::namespaces;

use super::{Check, Verdict};

/// A check that passed.
fn pass(id: &'static str, message: String) -> Check {
    Check {
        id,
        verdict: Verdict::Pass,
        message,
        hint: None,
    }
}

/// A warning, with what to do about it.
fn warn(id: &'static str, message: String, hint: impl Into<String>) -> Check {
    Check {
        id,
        verdict: Verdict::Warn,
        message,
        hint: Some(hint.into()),
    }
}

/// A failure, with how to fix it.
fn fail(id: &'static str, message: String, hint: impl Into<String>) -> Check {
    Check {
        id,
        verdict: Verdict::Fail,
        message,
        hint: Some(hint.into()),
    }
}

/// The warning of a check whose facts could not be read (`what`, and why).
fn unread(id: &'static str, what: &str, reason: &str) -> Check {
    warn(
        id,
        format!("could not read {what}: {reason}"),
        "this check needs read access to them; the others still ran",
    )
}

/// What the unit tests of the check families start from.
#[cfg(test)]
mod fixtures {
    use std::collections::BTreeMap;

    use crate::engine::helm::ReleaseStates;
    use crate::engine::preflight::facts::{Facts, NodeFact};
    use crate::engine::preflight::needs::{ClusterNeeds, PlannedRelease};

    /// A reachable cluster with one Ready node and nothing else read.
    pub fn facts() -> Facts {
        Facts {
            version: "v1.33.1".into(),
            access: Vec::new(),
            nodes: Ok(vec![NodeFact {
                name: "n1".into(),
                ready: true,
                message: String::new(),
                provider_id: None,
            }]),
            daemonsets: Ok(Vec::new()),
            storage_classes: Ok(Vec::new()),
            load_balancers: Ok(Vec::new()),
            crds: Ok(Vec::new()),
            releases: Ok(ReleaseStates::default()),
            namespaces: Ok(Vec::new()),
            installations: Ok(Vec::new()),
            foreign_versions: BTreeMap::new(),
        }
    }

    /// Helm's release states of `(namespace, name, status)` releases.
    pub fn release_states(releases: &[(&str, &str, &str)]) -> ReleaseStates {
        let labels: Vec<(&str, BTreeMap<String, String>)> = releases
            .iter()
            .map(|(namespace, name, status)| {
                let labels = [("name", *name), ("status", *status), ("version", "1")]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                (*namespace, labels)
            })
            .collect();
        ReleaseStates::from_labels(labels.iter().map(|(ns, l)| (*ns, l)))
    }

    /// The needs of a control plane installing cert-manager.
    pub fn needs_cert_manager() -> ClusterNeeds {
        ClusterNeeds {
            control: true,
            releases: vec![PlannedRelease {
                step: "secure-core/cert-manager@control".into(),
                namespace: "cert-manager".into(),
                name: "cert-manager".into(),
                chart: "cert-manager".into(),
                external: Some(">=1.17.0, <2.0.0".parse().unwrap()),
            }],
            ..ClusterNeeds::default()
        }
    }
}

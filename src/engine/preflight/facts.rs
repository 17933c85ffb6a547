//! What the checks read from one cluster, as plain data: filled by `read.rs`, judged by
//! `decide/`. A read that failed (forbidden, timed out) keeps its reason, and the checks
//! depending on it say they could not tell.

use std::collections::BTreeMap;

use crate::engine::gateway_tls::CertificateNames;
use crate::engine::helm::ReleaseStates;

use super::needs::Access;

/// A read, or why it could not be made.
pub type Read<T> = Result<T, String>;

/// Everything read from one cluster.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The server's `gitVersion`, e.g. `v1.33.2` or `v1.31.4-eks-2d98532`.
    pub version: String,
    /// Each permission asked, and the answer (allowed or not).
    pub access: Vec<(Access, Read<bool>)>,
    /// Nodes.
    pub nodes: Read<Vec<NodeFact>>,
    /// DaemonSets of every namespace, as `(namespace, name)`.
    pub daemonsets: Read<Vec<(String, String)>>,
    /// StorageClasses.
    pub storage_classes: Read<Vec<StorageClassFact>>,
    /// Services of type LoadBalancer.
    pub load_balancers: Read<Vec<ServiceFact>>,
    /// CustomResourceDefinitions.
    pub crds: Read<Vec<CrdFact>>,
    /// helm releases (from helm's storage Secrets).
    pub releases: Read<ReleaseStates>,
    /// Namespaces.
    pub namespaces: Read<Vec<NamespaceFact>>,
    /// Installations whose choreoctl journal is kept on this cluster (its control plane).
    pub installations: Read<Vec<String>>,
    /// The chart version of each planned release someone else installed whose chart may be
    /// used as it is, by plan step.
    pub foreign_versions: BTreeMap<String, Read<String>>,
}

/// The cluster gateway's certificate on the control plane's cluster, once installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayCertificate {
    /// The names of the certificate it serves (Secret `cluster-gateway-tls`).
    pub served: CertificateNames,
    /// The names Certificate `cluster-gateway-tls` asks cert-manager for (`dnsNames` and
    /// `ipAddresses`); `None` when there is no such Certificate.
    pub requested: Option<CertificateNames>,
}

/// A node and its `Ready` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFact {
    /// Node name.
    pub name: String,
    /// `Ready=True`.
    pub ready: bool,
    /// The condition's message when not ready.
    pub message: String,
    /// `spec.providerID` (`aws:///…`, `gce://…`): a cloud provider, and so its load balancers.
    pub provider_id: Option<String>,
}

/// A StorageClass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageClassFact {
    /// Name.
    pub name: String,
    /// Annotated `storageclass.kubernetes.io/is-default-class: "true"`.
    pub default: bool,
}

/// A Service of type LoadBalancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFact {
    /// `namespace/name`.
    pub name: String,
    /// Its first load-balancer address, once it has one.
    pub address: Option<String>,
}

/// A CustomResourceDefinition and who installed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdFact {
    /// Name, e.g. `certificates.cert-manager.io`.
    pub name: String,
    /// `spec.group`.
    pub group: String,
    /// The helm release owning it (`meta.helm.sh/release-namespace`, `…/release-name`).
    pub helm_release: Option<(String, String)>,
    /// `gateway.networking.k8s.io/bundle-version` (Gateway API CRDs).
    pub bundle_version: Option<String>,
}

/// A namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceFact {
    /// Name.
    pub name: String,
    /// Being deleted.
    pub terminating: bool,
    /// Label `app.kubernetes.io/managed-by`.
    pub managed_by: Option<String>,
}

/// What choreoctl's journal on the control plane says was installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Journaled {
    /// The journal could not be read (control plane unreachable or forbidden).
    Unknown,
    /// No journal: choreoctl never installed this installation.
    Absent,
    /// The steps it records as finished.
    Steps(std::collections::BTreeSet<String>),
}

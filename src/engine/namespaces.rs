//! The namespaces helm releases go into, and the volume claims in them: choreoctl creates a
//! release's namespace itself, marked as its own ([`MANAGED_BY_LABEL`]), so that taking the
//! release away later deletes only namespaces choreoctl made; and it finds the claims a
//! release's StatefulSets made, which outlive the release.

use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim};
use kube::Client;
use kube::api::{Api, ListParams, ObjectMeta, PostParams};

use super::kube::{Cluster, KubeError, describe};
use crate::catalog::model::ResourceRef;
use crate::names::{MANAGED_BY, MANAGED_BY_LABEL};

/// The label Kubernetes copies from a StatefulSet's selector onto the claims it makes from the
/// set's `volumeClaimTemplates`; charts put the release name in it.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// Creates namespace `name`, marked as choreoctl's, unless it exists (whoever made it: an
/// existing namespace is left as it is, unmarked).
///
/// # Errors
///
/// [`KubeError::Api`] when the namespace can be neither read nor created; the helm step fails
/// (exit 3 for the run).
pub async fn create_unless_present(cluster: &Cluster, name: &str) -> Result<(), KubeError> {
    create_marked(cluster.client(), name)
        .await
        .map_err(|e| cluster.api_error("creating", &describe("Namespace", None, name), e))
}

/// Creates namespace `name` marked as choreoctl's unless it exists (an existing one is left
/// as it is); also how choreoctl's own state namespace is made (src/engine/lock/namespace.rs).
///
/// # Errors
///
/// The client's error when the namespace can be neither read nor created.
pub async fn create_marked(client: &Client, name: &str) -> Result<(), kube::Error> {
    let api: Api<Namespace> = Api::all(client.clone());
    if api.get_opt(name).await?.is_some() {
        return Ok(());
    }
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some([(MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned())].into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match api.create(&PostParams::default(), &namespace).await {
        Ok(_) => Ok(()),
        // Created at the same moment by another step or run.
        Err(kube::Error::Api(status)) if status.is_already_exists() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Namespace `name` as the cluster has it, `None` if it does not exist.
///
/// # Errors
///
/// [`KubeError::Api`] when it cannot be read.
pub async fn get(cluster: &Cluster, name: &str) -> Result<Option<Namespace>, KubeError> {
    let api: Api<Namespace> = Api::all(cluster.client().clone());
    api.get_opt(name)
        .await
        .map_err(|e| cluster.api_error("reading", &describe("Namespace", None, name), e))
}

/// Whether choreoctl created `namespace` ([`create_unless_present`]).
pub fn created_by_choreoctl(namespace: &Namespace) -> bool {
    namespace
        .metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(MANAGED_BY_LABEL))
        .is_some_and(|value| value == MANAGED_BY)
}

/// The names of the volume claims in `namespace`, all of them or (`release` given) those of
/// that release's StatefulSets ([`INSTANCE_LABEL`]).
///
/// # Errors
///
/// [`KubeError::Api`] when they cannot be listed.
pub async fn claims(
    cluster: &Cluster,
    namespace: &str,
    release: Option<&str>,
) -> Result<Vec<String>, KubeError> {
    let api: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client().clone(), namespace);
    let params = match release {
        Some(release) => ListParams::default().labels(&format!("{INSTANCE_LABEL}={release}")),
        None => ListParams::default(),
    };
    let listed = api.list(&params).await.map_err(|e| {
        cluster.api_error(
            "listing",
            &format!("PersistentVolumeClaims in {namespace}"),
            e,
        )
    })?;
    Ok(listed
        .items
        .into_iter()
        .filter_map(|claim| claim.metadata.name)
        .collect())
}

/// The namespace `name` as an object to delete or wait for.
pub fn reference(name: &str) -> ResourceRef {
    ResourceRef {
        api_version: "v1".into(),
        kind: "Namespace".into(),
        namespace: None,
        name: name.to_owned(),
    }
}

//! The CustomResourceDefinitions `uninstall` takes away with a release (src/engine/steps/remove.rs):
//! those helm leaves behind — the chart's `crds/` directories, which helm installs once and
//! never upgrades or uninstalls, and the CRDs of its manifest marked
//! `helm.sh/resource-policy: keep`. Their custom resources are deleted first, while the
//! release's controllers still run, so that finalizers complete; a finalizer still pending at
//! the timeout is named with its object.
//!
//! A CRD is taken away only when nothing says someone else made or changes it:
//! - no `meta.helm.sh/release-name` annotation naming another release;
//! - no field manager other than the one that applied it (helm for a chart's CRDs, choreoctl for
//!   applied ones) owning fields of its `spec`, the definition itself (a CRD applied with
//!   kubectl, or edited with it, is someone else's; a controller that only annotates it, or the
//!   API server writing its status, does not count).
//!
//! A CRD a cluster had before the install, with no such mark, cannot be told apart.

use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams};

use super::{StepEnv, StepError, Undo};
use crate::engine::helm::{ChartSource, Helm, ReleaseRef};
use crate::engine::kube::{Cluster, KubeError, patiently};
use crate::mirror::images::parse_rendered;
use crate::plan::ChartCrds;

/// helm's annotation naming the release an object belongs to.
const RELEASE_ANNOTATION: &str = "meta.helm.sh/release-name";

/// helm's annotation that keeps an object when its release is uninstalled.
const RESOURCE_POLICY: &str = "helm.sh/resource-policy";

/// How often a sweep looks whether the custom resources are gone.
const POLL: Duration = Duration::from_millis(500);

/// How many objects a message names.
const NAMED: usize = 5;

/// The names of the CRDs in `chart`'s `crds/` directories (its subcharts' included), as
/// `helm show crds` prints them.
///
/// # Errors
///
/// [`StepError::Helm`] when helm cannot read the chart; nothing has been removed then.
pub async fn of_chart(env: &StepEnv<'_>, chart: &ChartCrds) -> Result<Vec<String>, StepError> {
    let (helm, _) = env.helm();
    let source = ChartSource {
        reference: chart.chart.reference.clone(),
        version: chart.version.clone(),
        plain_http: chart.chart.plain_http,
    };
    let text = helm
        .show_crds(&source)
        .await
        .map_err(|error| StepError::Helm {
            error,
            undo: Undo::Untouched,
        })?;
    let documents = parse_rendered(&text).map_err(|reason| KubeError::NotRemoved {
        object: format!("the CRDs of chart {} {}", chart.chart.name, chart.version),
        reason,
    })?;
    Ok(documents
        .iter()
        .filter(|document| document["kind"] == "CustomResourceDefinition")
        .filter_map(|document| document["metadata"]["name"].as_str().map(str::to_owned))
        .collect())
}

/// The names of the CRDs in `release`'s manifest that helm keeps when it uninstalls the
/// release (`helm.sh/resource-policy: keep`, as cert-manager's chart marks its CRDs).
///
/// # Errors
///
/// [`StepError::Helm`] when helm cannot read the manifest; nothing has been removed then.
pub async fn kept_by_helm(
    env: &StepEnv<'_>,
    release: &ReleaseRef,
) -> Result<Vec<String>, StepError> {
    let (helm, _) = env.helm();
    let manifest = helm
        .get_manifest(release)
        .await
        .map_err(|error| StepError::Helm {
            error,
            undo: Undo::Untouched,
        })?;
    let documents = parse_rendered(&manifest).map_err(|reason| KubeError::NotRemoved {
        object: format!(
            "the manifest of release {}/{}",
            release.namespace, release.name
        ),
        reason,
    })?;
    Ok(documents
        .iter()
        .filter(|document| document["kind"] == "CustomResourceDefinition")
        .filter(|document| document["metadata"]["annotations"][RESOURCE_POLICY] == "keep")
        .filter_map(|document| document["metadata"]["name"].as_str().map(str::to_owned))
        .collect())
}

/// Who else made or changes `crd`, if anyone: `manager` applied it, for `release` when a chart
/// did. `None`: it is the removal's to take.
pub fn other_owner(
    crd: &CustomResourceDefinition,
    manager: &str,
    release: Option<&str>,
) -> Option<String> {
    let annotations = crd.metadata.annotations.as_ref();
    if let Some(owner) = annotations.and_then(|found| found.get(RELEASE_ANNOTATION))
        && Some(owner.as_str()) != release
    {
        return Some(format!("helm release {owner} owns it"));
    }
    let others: Vec<&str> = crd
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter(|entry| entry.subresource.as_deref().unwrap_or_default().is_empty())
        .filter(|entry| {
            entry
                .fields_v1
                .as_ref()
                .is_some_and(|fields| fields.0.get("f:spec").is_some())
        })
        .filter_map(|entry| entry.manager.as_deref())
        .filter(|other| !other.starts_with(manager))
        .collect();
    (!others.is_empty()).then(|| format!("{} changed it", others.join(", ")))
}

/// The CRD named, if it exists.
///
/// # Errors
///
/// [`KubeError`] when the cluster cannot answer.
pub async fn get(
    cluster: &Cluster,
    name: &str,
) -> Result<Option<CustomResourceDefinition>, KubeError> {
    let api: Api<CustomResourceDefinition> = Api::all(cluster.client().clone());
    api.get_opt(name)
        .await
        .map_err(|e| cluster.api_error("reading", &format!("CustomResourceDefinition {name}"), e))
}

/// Deletes every custom resource of `crd` on the cluster and waits until they are gone:
/// how many there were.
///
/// # Errors
///
/// [`KubeError`] when they cannot be listed or deleted, or some are still there at `timeout`
/// (named, with their pending finalizers).
pub async fn delete_custom_resources(
    cluster: &Cluster,
    crd: &CustomResourceDefinition,
    timeout: Duration,
) -> Result<usize, KubeError> {
    let Some(resource) = stored_resource(crd) else {
        return Ok(0);
    };
    let crd_name = crd.metadata.name.clone().unwrap_or_default();
    let all: Api<DynamicObject> = Api::all_with(cluster.client().clone(), &resource);
    let what = format!("the {} of CRD {crd_name}", resource.plural);
    let params = ListParams::default();
    let list = async || {
        patiently(|| all.list(&params))
            .await
            .map(|list| list.items)
            .map_err(|e| cluster.api_error("listing", &what, e))
    };
    let found = list().await?;
    let background = DeleteParams::background();
    for object in &found {
        let name = object.metadata.name.clone().unwrap_or_default();
        let api: Api<DynamicObject> = match object.metadata.namespace.as_deref() {
            Some(namespace) => Api::namespaced_with(cluster.client().clone(), namespace, &resource),
            None => Api::all_with(cluster.client().clone(), &resource),
        };
        match patiently(|| api.delete(&name, &background)).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => return Err(cluster.api_error("deleting", &label(&resource, object), e)),
        }
    }
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = list().await?;
        if left.is_empty() {
            return Ok(found.len());
        }
        if tokio::time::Instant::now() >= deadline {
            let named: Vec<String> = left
                .iter()
                .take(NAMED)
                .map(|object| {
                    let finalizers = object.metadata.finalizers.clone().unwrap_or_default();
                    if finalizers.is_empty() {
                        label(&resource, object)
                    } else {
                        format!(
                            "{} (finalizer {})",
                            label(&resource, object),
                            finalizers.join(", ")
                        )
                    }
                })
                .collect();
            return Err(KubeError::NotRemoved {
                object: what,
                reason: format!(
                    "{} still there {} s after they were deleted: {} (the controller that \
                     finalizes them is gone or failing)",
                    left.len(),
                    timeout.as_secs(),
                    named.join(", ")
                ),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The API of `crd`'s objects at its storage version; `None` when it serves none.
fn stored_resource(crd: &CustomResourceDefinition) -> Option<ApiResource> {
    let spec = &crd.spec;
    let version = spec
        .versions
        .iter()
        .find(|version| version.storage)
        .or_else(|| spec.versions.iter().find(|version| version.served))?;
    Some(ApiResource {
        group: spec.group.clone(),
        version: version.name.clone(),
        api_version: format!("{}/{}", spec.group, version.name),
        kind: spec.names.kind.clone(),
        plural: spec.names.plural.clone(),
    })
}

/// `Kind namespace/name` of a custom resource.
fn label(resource: &ApiResource, object: &DynamicObject) -> String {
    crate::engine::kube::describe(
        &resource.kind,
        object.metadata.namespace.as_deref(),
        object.metadata.name.as_deref().unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, ManagedFieldsEntry};

    use super::*;

    fn crd(
        annotation: Option<&str>,
        managers: &[(&str, Option<&str>)],
    ) -> CustomResourceDefinition {
        let mut crd = CustomResourceDefinition::default();
        crd.metadata.annotations =
            annotation.map(|release| [(RELEASE_ANNOTATION.to_owned(), release.to_owned())].into());
        crd.metadata.managed_fields = Some(
            managers
                .iter()
                .map(|(manager, subresource)| {
                    let fields = match subresource {
                        Some(_) => serde_json::json!({"f:status": {}}),
                        None if manager.starts_with("kwok") => {
                            serde_json::json!({"f:metadata": {"f:annotations": {}}})
                        }
                        None => serde_json::json!({"f:metadata": {}, "f:spec": {}}),
                    };
                    ManagedFieldsEntry {
                        manager: Some((*manager).to_owned()),
                        subresource: subresource.map(str::to_owned),
                        fields_v1: Some(FieldsV1(fields)),
                        ..ManagedFieldsEntry::default()
                    }
                })
                .collect(),
        );
        crd
    }

    #[test]
    fn a_crd_whose_definition_only_helm_wrote_is_the_charts_whoever_annotates_it() {
        let ours = crd(
            None,
            &[
                ("helm", None),
                ("kube-apiserver", Some("status")),
                ("kwok-controller", None),
            ],
        );
        assert_eq!(
            other_owner(&ours, "helm", Some("openchoreo-control-plane")),
            None
        );
    }

    #[test]
    fn another_field_manager_or_release_makes_it_someone_elses() {
        let applied = crd(None, &[("helm", None), ("kubectl-client-side-apply", None)]);
        assert_eq!(
            other_owner(&applied, "helm", Some("cp")).as_deref(),
            Some("kubectl-client-side-apply changed it")
        );
        let theirs = crd(Some("cert-manager"), &[("helm", None)]);
        assert_eq!(
            other_owner(&theirs, "helm", Some("cp")).as_deref(),
            Some("helm release cert-manager owns it")
        );
        let applied_by_us = crd(None, &[("choreoctl", None)]);
        assert_eq!(other_owner(&applied_by_us, "choreoctl", None), None);
        assert!(other_owner(&applied_by_us, "helm", Some("cp")).is_some());
    }
}

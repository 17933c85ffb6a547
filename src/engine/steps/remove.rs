//! Remove steps: what an earlier run made, taken away and waited for until it is gone
//! (`module remove`, `uninstall`). The engine derives them from the journal
//! (src/engine/removal.rs); each is idempotent, so a run killed half-way is finished by running
//! the same command again:
//!
//! - a release: `helm uninstall --wait` (a release already gone is done). The volume claims its
//!   StatefulSets made outlive it: kept and named in a note, or deleted with `--delete-data`.
//!   With `uninstall`, the CRDs of its chart's `crds/` go too (src/engine/steps/crds.rs): their
//!   custom resources before the release, the CRDs after it;
//! - objects an apply step applied: deleted in reverse order, each waited for until gone (a
//!   finalizer still pending at the timeout fails the step, naming the object); a CRD someone
//!   else changed is kept (src/engine/steps/crds.rs says how that is told);
//! - a namespace: deleted once empty of releases, only if choreoctl created it and no claim is
//!   kept in it (otherwise kept, saying why).
//!
//! A dry run and a preview say what is there to remove.

use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject};
use kube::runtime::wait::{await_condition, conditions::is_deleted};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use super::{Change, Preview, StepDone, StepEnv, StepError, crds};
use crate::catalog::crd_waits::is_built_in;
use crate::catalog::model::ResourceRef;
use crate::engine::helm::{Helm, ReleaseRef, StoredRelease, UninstallRequest};
use crate::engine::kube::{Cluster, KubeError, describe, patiently};
use crate::engine::namespaces;
use crate::engine::removal::is_crd;
use crate::names::FIELD_MANAGER;
use crate::plan::{ChartCrds, Removal};

/// How long one removal may take unless `--timeout` says otherwise.
const REMOVE_TIMEOUT: Duration = Duration::from_secs(300);

/// Takes away what `what` names; `namespace` is the step's. `live` (releases) is the release's
/// latest revision in helm's storage before the run, `None` if it has none.
///
/// # Errors
///
/// [`StepError::Helm`] when helm cannot uninstall the release; [`StepError::Kube`] when an
/// object cannot be deleted, or is not gone before the timeout. The run ends as a partial
/// failure (exit 3), and running the command again takes up what is left.
pub async fn run(
    env: &StepEnv<'_>,
    what: &Removal,
    namespace: Option<&str>,
    live: Option<&StoredRelease>,
) -> Result<StepDone, StepError> {
    let namespace = namespace.unwrap_or("default");
    let timeout = env.timeout.unwrap_or(REMOVE_TIMEOUT);
    let notes = match what {
        Removal::Release {
            release,
            delete_data,
            crds,
        } => {
            let removal = ReleaseRemoval {
                release,
                namespace,
                delete_data: *delete_data,
                crds: crds.as_ref(),
                timeout,
            };
            removal.run(env, live).await?
        }
        Removal::Objects(objects) => {
            let mut notes = Vec::new();
            for object in objects.iter().rev() {
                if is_crd(object)
                    && let Some(crd) = crds::get(env.cluster, &object.name).await?
                    && let Some(owner) = crds::other_owner(&crd, FIELD_MANAGER, None)
                {
                    notes.push(format!(
                        "kept CustomResourceDefinition {}: {owner}",
                        object.name
                    ));
                    continue;
                }
                if !delete_object(env.cluster, object, namespace, timeout).await? {
                    notes.push(format!("{} was gone already", label(object)));
                }
            }
            notes
        }
        Removal::Namespace => remove_namespace(env.cluster, namespace, timeout).await?,
    };
    Ok(StepDone {
        notes,
        ..StepDone::default()
    })
}

/// What a run would remove: whether the release, objects or namespace are there now.
///
/// # Errors
///
/// [`StepError::Kube`] when the cluster cannot answer.
pub async fn dry_run(
    env: &StepEnv<'_>,
    what: &Removal,
    namespace: Option<&str>,
    live: Option<&StoredRelease>,
) -> Result<StepDone, StepError> {
    let preview = preview(env, what, namespace, live).await;
    Ok(StepDone {
        notes: vec![preview.reason],
        ..StepDone::default()
    })
}

/// [`Change::Remove`] when something is there to remove, [`Change::NoOp`] when it is gone.
pub async fn preview(
    env: &StepEnv<'_>,
    what: &Removal,
    namespace: Option<&str>,
    live: Option<&StoredRelease>,
) -> Preview {
    let namespace = namespace.unwrap_or("default");
    let present = match what {
        Removal::Release { release, crds, .. } => Ok(live.is_some().then(|| {
            let crds = if crds.is_some() {
                ", with the CRDs of its chart's crds/ and their custom resources"
            } else {
                ""
            };
            format!("release {namespace}/{release} would be uninstalled{crds}")
        })),
        Removal::Objects(objects) => {
            let (mut present, mut kept) = (Vec::new(), Vec::new());
            for object in objects {
                let found = match exists(env.cluster, object, namespace).await {
                    Ok(true) => someone_elses(env.cluster, object).await,
                    Ok(false) => continue,
                    Err(error) => Err(error),
                };
                match found {
                    Ok(None) => present.push(label(object)),
                    Ok(Some(owner)) => kept.push(format!("{} ({owner})", label(object))),
                    Err(error) => return Preview::new(Change::Unknown, error.to_string()),
                }
            }
            let kept = if kept.is_empty() {
                String::new()
            } else {
                format!("; kept: {}", kept.join(", "))
            };
            Ok((!present.is_empty())
                .then(|| format!("{} would be deleted{kept}", present.join(", "))))
        }
        Removal::Namespace => namespaces::get(env.cluster, namespace).await.map(|found| {
            found
                .map(|_| format!("namespace {namespace} would be deleted if nothing is kept in it"))
        }),
    };
    match present {
        Ok(Some(reason)) => Preview::new(Change::Remove, reason),
        Ok(None) => Preview::new(Change::NoOp, "gone already"),
        Err(error) => Preview::new(Change::Unknown, error.to_string()),
    }
}

/// One release to take away.
struct ReleaseRemoval<'a> {
    release: &'a str,
    namespace: &'a str,
    delete_data: bool,
    crds: Option<&'a ChartCrds>,
    timeout: Duration,
}

impl ReleaseRemoval<'_> {
    /// Its chart's CRDs (`uninstall`): their custom resources first, while the release's
    /// controllers run, then the CRDs; then `helm uninstall`, and the volume claims its
    /// StatefulSets made, deleted or kept. The CRDs go before the release so that a run killed
    /// in between still finds the release, and with it the CRDs it keeps.
    async fn run(
        &self,
        env: &StepEnv<'_>,
        live: Option<&StoredRelease>,
    ) -> Result<Vec<String>, StepError> {
        let (release, namespace) = (self.release, self.namespace);
        let mut notes = Vec::new();
        let (helm, target) = env.helm();
        let release_ref = ReleaseRef {
            target: target.clone(),
            namespace: namespace.to_owned(),
            name: release.to_owned(),
        };
        let crds = self
            .crds(env, live.map(|_| &release_ref), &mut notes)
            .await?;
        for crd in &crds {
            crds::delete_custom_resources(env.cluster, crd, self.timeout).await?;
        }
        for crd in &crds {
            let object = ResourceRef {
                api_version: "apiextensions.k8s.io/v1".into(),
                kind: "CustomResourceDefinition".into(),
                namespace: None,
                name: crd.metadata.name.clone().unwrap_or_default(),
            };
            delete_object(env.cluster, &object, namespace, self.timeout).await?;
        }
        if !crds.is_empty() {
            env.cluster.refresh_kinds().await;
        }
        if live.is_some() {
            let request = UninstallRequest {
                release: release_ref,
                wait: true,
                timeout: self.timeout,
            };
            match helm.uninstall(&request).await {
                Err(error) if !error.is_release_not_found() => {
                    return Err(StepError::Helm {
                        error,
                        undo: super::Undo::Untouched,
                    });
                }
                _ => {}
            }
        } else {
            notes.push(format!("release {namespace}/{release} was gone already"));
        }
        for claim in namespaces::claims(env.cluster, namespace, Some(release)).await? {
            let object = claim_ref(namespace, &claim);
            if self.delete_data {
                delete_object(env.cluster, &object, namespace, self.timeout).await?;
                notes.push(format!("deleted PersistentVolumeClaim {namespace}/{claim}"));
            } else {
                notes.push(format!(
                    "kept PersistentVolumeClaim {namespace}/{claim} (its data; --delete-data deletes it)"
                ));
            }
        }
        Ok(notes)
    }

    /// The CRDs helm leaves behind when it uninstalls the release (`uninstall` only): those of
    /// the chart's `crds/`, and those of the `live` release's manifest that ask helm to keep
    /// them (`helm.sh/resource-policy: keep`), as far as they are there and the removal's to
    /// take (a note for each one kept).
    async fn crds(
        &self,
        env: &StepEnv<'_>,
        live: Option<&ReleaseRef>,
        notes: &mut Vec<String>,
    ) -> Result<Vec<CustomResourceDefinition>, StepError> {
        let Some(chart) = self.crds else {
            return Ok(Vec::new());
        };
        let mut names = crds::of_chart(env, chart).await?;
        if let Some(release) = live {
            names.extend(crds::kept_by_helm(env, release).await?);
        }
        names.sort();
        names.dedup();
        let mut found = Vec::new();
        for name in names {
            let Some(crd) = crds::get(env.cluster, &name).await? else {
                continue;
            };
            match crds::other_owner(&crd, "helm", Some(self.release)) {
                Some(owner) => notes.push(format!("kept CustomResourceDefinition {name}: {owner}")),
                None => found.push(crd),
            }
        }
        Ok(found)
    }
}

/// Deletes `namespace` if choreoctl created it and no volume claim is left in it.
async fn remove_namespace(
    cluster: &Cluster,
    namespace: &str,
    timeout: Duration,
) -> Result<Vec<String>, StepError> {
    let Some(found) = namespaces::get(cluster, namespace).await? else {
        return Ok(Vec::new());
    };
    if !namespaces::created_by_choreoctl(&found) {
        return Ok(vec![format!(
            "kept namespace {namespace}: choreoctl did not create it"
        )]);
    }
    let claims = namespaces::claims(cluster, namespace, None).await?;
    if !claims.is_empty() {
        return Ok(vec![format!(
            "kept namespace {namespace}: it holds PersistentVolumeClaim {}",
            claims.join(", ")
        )]);
    }
    delete_object(
        cluster,
        &namespaces::reference(namespace),
        namespace,
        timeout,
    )
    .await?;
    Ok(Vec::new())
}

/// Why `object` stays although the journal recorded it: a CRD someone else made or changes
/// (src/engine/steps/crds.rs). `None` for every other object.
async fn someone_elses(
    cluster: &Cluster,
    object: &ResourceRef,
) -> Result<Option<String>, KubeError> {
    if !is_crd(object) {
        return Ok(None);
    }
    Ok(crds::get(cluster, &object.name)
        .await?
        .and_then(|crd| crds::other_owner(&crd, FIELD_MANAGER, None)))
}

/// The ref of a volume claim.
fn claim_ref(namespace: &str, name: &str) -> ResourceRef {
    ResourceRef {
        api_version: "v1".into(),
        kind: "PersistentVolumeClaim".into(),
        namespace: Some(namespace.to_owned()),
        name: name.to_owned(),
    }
}

/// `Kind namespace/name`, or `Kind name` for an object the journal recorded without a
/// namespace (cluster-scoped, or in the step's namespace).
fn label(object: &ResourceRef) -> String {
    describe(&object.kind, object.namespace.as_deref(), &object.name)
}

/// The API of `object`'s kind, `None` when the kind is not served (its objects are gone).
async fn api_of(
    cluster: &Cluster,
    object: &ResourceRef,
    namespace: &str,
) -> Result<Option<Api<DynamicObject>>, KubeError> {
    let Some(kind) = cluster
        .kind(&object.api_version, &object.kind, Duration::ZERO)
        .await?
    else {
        return Ok(None);
    };
    let namespace = object.namespace.as_deref().unwrap_or(namespace);
    Ok(Some(cluster.api(&kind, Some(namespace))))
}

/// Whether `object` exists.
async fn exists(
    cluster: &Cluster,
    object: &ResourceRef,
    namespace: &str,
) -> Result<bool, KubeError> {
    let Some(api) = api_of(cluster, object, namespace).await? else {
        return Ok(false);
    };
    api.get_opt(&object.name)
        .await
        .map(|found| found.is_some())
        .map_err(|e| cluster.api_error("reading", &label(object), e))
}

/// How to delete an object of `api_version`: a built-in kind in the foreground, so what it owns
/// (a Job's pods, a Deployment's ReplicaSets) goes first; a custom resource in the background,
/// since the garbage collector holds a foreground deletion of a kind it has not discovered yet
/// (a CRD installed moments ago) until its next resync.
pub fn delete_params(api_version: &str) -> DeleteParams {
    if is_built_in(api_version) {
        DeleteParams::foreground()
    } else {
        DeleteParams::background()
    }
}

/// Deletes `object` (a built-in kind in the foreground: [`delete_params`]) and waits until it is gone;
/// an object without a namespace of a namespaced kind is looked for in `namespace`. `false`: it
/// was gone already.
///
/// # Errors
///
/// [`KubeError`] when it cannot be deleted, or is still there at `timeout` (with its pending
/// finalizers named).
pub async fn delete_object(
    cluster: &Cluster,
    object: &ResourceRef,
    namespace: &str,
    timeout: Duration,
) -> Result<bool, KubeError> {
    let Some(api) = api_of(cluster, object, namespace).await? else {
        return Ok(false);
    };
    let label = label(object);
    let Some(found) = patiently(|| api.get_opt(&object.name))
        .await
        .map_err(|e| cluster.api_error("reading", &label, e))?
    else {
        return Ok(false);
    };
    let uid = found.metadata.uid.clone().unwrap_or_default();
    let params = delete_params(&object.api_version);
    match patiently(|| api.delete(&object.name, &params)).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(false),
        Err(e) => return Err(cluster.api_error("deleting", &label, e)),
    }
    let gone = await_condition(api.clone(), &object.name, is_deleted(&uid));
    match tokio::time::timeout(timeout, gone).await {
        Ok(Ok(_)) => Ok(true),
        Ok(Err(error)) => Err(KubeError::NotRemoved {
            object: label,
            reason: format!("could not watch it being deleted: {error}"),
        }),
        Err(_) => {
            let finalizers = api
                .get_opt(&object.name)
                .await
                .ok()
                .flatten()
                .and_then(|left| left.metadata.finalizers)
                .unwrap_or_default();
            Err(KubeError::NotRemoved {
                object: label,
                reason: if finalizers.is_empty() {
                    format!("still there {} s after it was deleted", timeout.as_secs())
                } else {
                    format!(
                        "still there {} s after it was deleted: finalizer {} pending (the \
                         controller that removes it is gone or failing)",
                        timeout.as_secs(),
                        finalizers.join(", ")
                    )
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use kube::api::PropagationPolicy;

    use super::delete_params;

    #[test]
    fn built_in_kinds_go_in_the_foreground_and_custom_resources_in_the_background() {
        let policy = |api_version| delete_params(api_version).propagation_policy;
        for built_in in ["v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1"] {
            assert!(
                matches!(policy(built_in), Some(PropagationPolicy::Foreground)),
                "{built_in}"
            );
        }
        for custom in ["openchoreo.dev/v1alpha1", "gateway.networking.k8s.io/v1"] {
            assert!(
                matches!(policy(custom), Some(PropagationPolicy::Background)),
                "{custom}"
            );
        }
    }
}

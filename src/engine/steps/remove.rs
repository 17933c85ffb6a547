//! Remove steps: what an earlier run made, taken away and waited for until it is gone
//! (`module remove`, `uninstall`). The engine derives them from the journal
//! (src/engine/removal.rs); each is idempotent, so a run killed half-way is finished by running
//! the same command again:
//!
//! - a release: `helm uninstall --wait` (a release already gone is done). The volume claims its
//!   StatefulSets made outlive it: kept and named in a note, or deleted with `--delete-data`;
//! - objects an apply step applied: deleted in reverse order, each waited for until gone (a
//!   finalizer still pending at the timeout fails the step, naming the object);
//! - a namespace: deleted once empty of releases, only if choreoctl created it and no claim is
//!   kept in it (otherwise kept, saying why).
//!
//! A dry run and a preview say what is there to remove.

use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject};
use kube::runtime::wait::{await_condition, conditions::is_deleted};

use super::{Change, Preview, StepDone, StepEnv, StepError};
use crate::catalog::model::ResourceRef;
use crate::engine::helm::{Helm, ReleaseRef, StoredRelease, UninstallRequest};
use crate::engine::kube::{Cluster, KubeError, describe};
use crate::engine::namespaces;
use crate::plan::Removal;

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
        } => remove_release(env, release, namespace, live, *delete_data, timeout).await?,
        Removal::Objects(objects) => {
            let mut notes = Vec::new();
            for object in objects.iter().rev() {
                if !delete_object(env.cluster, object, namespace, timeout).await? {
                    notes.push(format!("{} was gone already", label(object, namespace)));
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
        Removal::Release { release, .. } => Ok(live
            .is_some()
            .then(|| format!("release {namespace}/{release} would be uninstalled"))),
        Removal::Objects(objects) => {
            let mut present = Vec::new();
            for object in objects {
                match exists(env.cluster, object, namespace).await {
                    Ok(true) => present.push(label(object, namespace)),
                    Ok(false) => {}
                    Err(error) => return Preview::new(Change::Unknown, error.to_string()),
                }
            }
            Ok((!present.is_empty()).then(|| format!("{} would be deleted", present.join(", "))))
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

/// Uninstalls `release`; then deletes or keeps the volume claims its StatefulSets made.
async fn remove_release(
    env: &StepEnv<'_>,
    release: &str,
    namespace: &str,
    live: Option<&StoredRelease>,
    delete_data: bool,
    timeout: Duration,
) -> Result<Vec<String>, StepError> {
    let mut notes = Vec::new();
    if live.is_some() {
        let (helm, target) = env.helm();
        let request = UninstallRequest {
            release: ReleaseRef {
                target: target.clone(),
                namespace: namespace.to_owned(),
                name: release.to_owned(),
            },
            wait: true,
            timeout,
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
        if delete_data {
            delete_object(env.cluster, &object, namespace, timeout).await?;
            notes.push(format!("deleted PersistentVolumeClaim {namespace}/{claim}"));
        } else {
            notes.push(format!(
                "kept PersistentVolumeClaim {namespace}/{claim} (its data; --delete-data deletes it)"
            ));
        }
    }
    Ok(notes)
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
    let object = ResourceRef {
        api_version: "v1".into(),
        kind: "Namespace".into(),
        namespace: None,
        name: namespace.to_owned(),
    };
    delete_object(cluster, &object, namespace, timeout).await?;
    Ok(Vec::new())
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

/// `Kind namespace/name`; objects without a namespace are looked for in `namespace` when
/// their kind is namespaced.
fn label(object: &ResourceRef, namespace: &str) -> String {
    describe(
        &object.kind,
        Some(object.namespace.as_deref().unwrap_or(namespace)),
        &object.name,
    )
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
        .map_err(|e| cluster.api_error("reading", &label(object, namespace), e))
}

/// Deletes `object` (in the foreground, so what it owns goes first) and waits until it is gone.
/// `false`: it was gone already.
async fn delete_object(
    cluster: &Cluster,
    object: &ResourceRef,
    namespace: &str,
    timeout: Duration,
) -> Result<bool, KubeError> {
    let Some(api) = api_of(cluster, object, namespace).await? else {
        return Ok(false);
    };
    let label = label(object, namespace);
    let Some(found) = api
        .get_opt(&object.name)
        .await
        .map_err(|e| cluster.api_error("reading", &label, e))?
    else {
        return Ok(false);
    };
    let uid = found.metadata.uid.clone().unwrap_or_default();
    match api.delete(&object.name, &DeleteParams::foreground()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(false),
        Err(e) => return Err(cluster.api_error("deleting", &label, e)),
    }
    let gone = await_condition(api.clone(), &object.name, is_deleted(&uid));
    match tokio::time::timeout(timeout, gone).await {
        Ok(Ok(_)) => Ok(true),
        Ok(Err(error)) => Err(KubeError::Invalid {
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
            Err(KubeError::Invalid {
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

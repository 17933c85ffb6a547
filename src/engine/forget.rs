//! What `uninstall --all` takes away after its run has removed every release and object: the
//! installation's own state on each of its clusters ([`forget`]), and what `plane remove` takes
//! away from a removed plane's cluster ([`forget_plane`]), in an order that lets a run killed
//! half-way be finished by running the command again:
//!
//! 1. the ownership markers (src/engine/ownership.rs) on the clusters other than the control
//!    plane's (a run killed now still finds the journal, and writes them again on its way);
//! 2. the journal, under the lock, whose Lease goes when the lock is released;
//! 3. `choreoctl-system` on every cluster, where choreoctl created it and no other installation
//!    keeps its state there.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::error::EngineError;
use super::journal::JournalStore;
use super::kube::{Cluster, Clusters, Target};
use super::lock::{LockOptions, acquire};
use super::steps::remove::delete_object;
use super::{namespaces, ownership};
use crate::names::SYSTEM_NAMESPACE;
use crate::plan::Plan;
use crate::platform::PlaneType;
use crate::resolve::Plane;

/// How long `choreoctl-system` may take to go.
const NAMESPACE_TIMEOUT: Duration = Duration::from_secs(120);

/// Deletes the state of `plan`'s installation from its clusters (see the module
/// documentation); notes say what was kept and why.
///
/// # Errors
///
/// [`EngineError::Cluster`] (exit 4) when a cluster cannot be reached or refuses a delete;
/// [`EngineError::Lock`] (exit 5) when another run holds the lock; [`EngineError::Journal`]
/// (exit 1) when the journal cannot be deleted.
pub async fn forget(
    plan: &Plan,
    kubeconfig: Option<PathBuf>,
    lock: &LockOptions,
) -> Result<Vec<String>, EngineError> {
    let clusters = Clusters::new(kubeconfig);
    let mut control = None;
    let mut reached: Vec<(String, Arc<Cluster>)> = Vec::new();
    for plane in &plan.planes {
        let cluster = clusters.connect(&Target::of_plane(plane)).await?;
        let identity = cluster.identity().await?.to_owned();
        if plane.plane_type == PlaneType::Control {
            control = Some(identity.clone());
        }
        if !reached.iter().any(|(known, _)| *known == identity) {
            reached.push((identity, cluster));
        }
    }
    let control = control.ok_or(EngineError::NoControlPlane)?;
    let installation = plan.name.as_str();
    let marker = format!(
        "ConfigMap {SYSTEM_NAMESPACE}/{}",
        ownership::marker_name(installation)
    );
    for (_, cluster) in reached.iter().filter(|(identity, _)| *identity != control) {
        ownership::delete(cluster.client(), installation)
            .await
            .map_err(|e| cluster.api_error("deleting", &marker, e))?;
    }
    let (_, control_cluster) = reached
        .iter()
        .find(|(identity, _)| *identity == control)
        .expect("the control plane's cluster was reached");
    let held = acquire(control_cluster.client(), installation, lock).await?;
    JournalStore::new(control_cluster.client(), installation)
        .delete()
        .await?;
    held.release().await?;
    let mut notes = Vec::new();
    for (_, cluster) in &reached {
        if let Some(note) = system_namespace(cluster, installation).await? {
            notes.push(note);
        }
    }
    Ok(notes)
}

/// Takes plane `removed` out of the state of `plan`'s installation (`plan` holds the planes that
/// stay): when no plane that stays is on its cluster, its ownership marker there, then, under
/// the lock, its cluster binding and the journal's records of steps about it, then
/// [`SYSTEM_NAMESPACE`] there as [`forget`] does; notes say what was kept and why.
///
/// # Errors
///
/// As [`forget`].
pub async fn forget_plane(
    plan: &Plan,
    removed: &Plane,
    kubeconfig: Option<PathBuf>,
    lock: &LockOptions,
) -> Result<Vec<String>, EngineError> {
    let clusters = Clusters::new(kubeconfig);
    let leaving = clusters.connect(&Target::of_plane(removed)).await?;
    let leaving_identity = leaving.identity().await?.to_owned();
    let mut control = None;
    let mut shared = None;
    for plane in plan
        .planes
        .iter()
        .filter(|plane| plane.name != removed.name)
    {
        let cluster = clusters.connect(&Target::of_plane(plane)).await?;
        if cluster.identity().await? == leaving_identity {
            shared = Some(plane.name.clone());
        }
        if plane.plane_type == PlaneType::Control {
            control = Some(cluster);
        }
    }
    let control = control.ok_or(EngineError::NoControlPlane)?;
    let installation = plan.name.as_str();
    if shared.is_none() {
        ownership::delete(leaving.client(), installation)
            .await
            .map_err(|e| {
                let marker = ownership::marker_name(installation);
                leaving.api_error(
                    "deleting",
                    &format!("ConfigMap {SYSTEM_NAMESPACE}/{marker}"),
                    e,
                )
            })?;
    }
    let held = acquire(control.client(), installation, lock).await?;
    let store = JournalStore::new(control.client(), installation);
    if let Some(stored) = store.load().await? {
        let mut journal = stored.journal;
        journal.unbind_cluster(&removed.name);
        let about: Vec<String> = journal
            .steps
            .keys()
            .filter(|id| {
                id.rsplit_once('@')
                    .is_some_and(|(_, subject)| subject == removed.name)
            })
            .cloned()
            .collect();
        for id in &about {
            journal.forget_step(id);
        }
        store.save(&journal, Some(&stored.resource_version)).await?;
    }
    held.release().await?;
    let mut notes = Vec::new();
    match shared {
        Some(plane) => notes.push(format!(
            "kept the state of {installation} on context {}: plane {plane} is on that cluster too",
            leaving.context()
        )),
        None => notes.extend(system_namespace(&leaving, installation).await?),
    }
    Ok(notes)
}

/// Deletes [`SYSTEM_NAMESPACE`] on `cluster` unless someone else created it or another
/// installation keeps its state there (then a note saying so).
async fn system_namespace(
    cluster: &Cluster,
    installation: &str,
) -> Result<Option<String>, EngineError> {
    let Some(found) = namespaces::get(cluster, SYSTEM_NAMESPACE).await? else {
        return Ok(None);
    };
    let context = cluster.context();
    if !namespaces::created_by_choreoctl(&found) {
        return Ok(Some(format!(
            "kept namespace {SYSTEM_NAMESPACE} on context {context}: choreoctl did not create it"
        )));
    }
    let mut others = ownership::installations_on(cluster.client())
        .await
        .map_err(|e| {
            cluster.api_error("listing", &format!("the state in {SYSTEM_NAMESPACE}"), e)
        })?;
    others.remove(installation);
    if !others.is_empty() {
        let others: Vec<String> = others.into_iter().collect();
        return Ok(Some(format!(
            "kept namespace {SYSTEM_NAMESPACE} on context {context}: installation {} keeps its \
             state there",
            others.join(", ")
        )));
    }
    let namespace = namespaces::reference(SYSTEM_NAMESPACE);
    delete_object(cluster, &namespace, SYSTEM_NAMESPACE, NAMESPACE_TIMEOUT).await?;
    Ok(None)
}

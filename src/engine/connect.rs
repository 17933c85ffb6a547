//! Connecting a plan's planes: one client per cluster however many planes share it, and the
//! same cluster as helm is told it. A run needs every plane ([`connect_planes`]); a preview
//! works with those that answer ([`connect_reachable`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::EngineError;
use super::helm::{KubeTarget, ReleaseStates, read_release_states};
use super::kube::{Cluster, Clusters, KubeError, Target};
use crate::plan::Plan;
use crate::profile::model::PlaneType;

/// A plane and its connected cluster.
pub struct PlaneCluster {
    /// Plane name.
    pub name: String,
    /// Its context, as the profile names it (`None`: the current context).
    pub context: Option<String>,
    /// Whether it is the control plane (which keeps the lock and journal).
    pub control: bool,
    /// Its cluster.
    pub cluster: Arc<Cluster>,
    /// The same cluster as helm is told it; `None` in a preview when it could not be
    /// determined (a preview runs no helm).
    pub helm_target: Option<KubeTarget>,
    /// The kubeconfig file and context it is reached through, as the profile names them.
    pub target: Target,
}

impl PlaneCluster {
    /// Its context as shown to users: the profile's, else the one the kubeconfig made current.
    pub fn context_label(&self) -> String {
        self.context
            .clone()
            .unwrap_or_else(|| self.cluster.context().to_owned())
    }
}

/// Connects the cluster of every plane of `plan` (one client per cluster) and tells helm the
/// same cluster.
///
/// # Errors
///
/// [`EngineError::Cluster`] (exit 4) when a cluster cannot be reached;
/// [`EngineError::HelmTarget`] (exit 2) when no kubeconfig file holds a plane's context;
/// [`EngineError::ClusterUnderTwoContexts`] (exit 4) when two planes reach one cluster through
/// different contexts.
pub async fn connect_planes(
    clusters: &Clusters,
    plan: &Plan,
    kubeconfig: Option<&Path>,
) -> Result<Vec<PlaneCluster>, EngineError> {
    let mut planes: Vec<PlaneCluster> = Vec::new();
    for plane in &plan.planes {
        let target = Target::of_plane(plane);
        let cluster = clusters.connect(&target).await?;
        let helm_target = helm_target(&target, kubeconfig)
            .map_err(|(context, reason)| EngineError::HelmTarget { context, reason })?;
        // Planes on one cluster must be reached through one context: the plan installs what
        // planes share (the secure core) once per context, so a cluster reached through two
        // contexts would get the same releases twice, at the same time.
        if let Some(other) = planes
            .iter()
            .find(|other| other.cluster.server() == cluster.server() && other.target != target)
        {
            return Err(EngineError::ClusterUnderTwoContexts {
                first: other.name.clone(),
                first_context: other.target.label(),
                second: plane.name.clone(),
                second_context: target.label(),
                server: cluster.server().to_owned(),
            });
        }
        planes.push(PlaneCluster {
            name: plane.name.clone(),
            context: plane.context.clone(),
            control: plane.plane_type == PlaneType::Control,
            cluster,
            helm_target: Some(helm_target),
            target,
        });
    }
    Ok(planes)
}

/// A plane as a preview reached it, or not.
pub struct Reached {
    /// Plane name.
    pub name: String,
    /// The connected plane, or why its cluster could not be reached.
    pub plane: Result<PlaneCluster, String>,
    /// Whether its kubeconfig and context were found (else nothing was contacted).
    pub configured: bool,
}

/// Connects every plane of `plan` side by side; one that does not answer is returned with the
/// reason, not as an error.
pub async fn connect_reachable(
    clusters: &Clusters,
    plan: &Plan,
    kubeconfig: Option<&Path>,
) -> Vec<Reached> {
    let connecting = plan.planes.iter().map(|plane| async move {
        let target = Target::of_plane(plane);
        let connected = clusters.connect(&target).await;
        let configured = !matches!(
            connected,
            Err(KubeError::Kubeconfig { .. } | KubeError::NoContext { .. })
        );
        let name = plane.name.clone();
        let reached = connected
            .map(|cluster| PlaneCluster {
                name: plane.name.clone(),
                context: plane.context.clone(),
                control: plane.plane_type == PlaneType::Control,
                cluster,
                helm_target: helm_target(&target, kubeconfig).ok(),
                target,
            })
            .map_err(|error| error.to_string());
        Reached {
            name,
            plane: reached,
            configured,
        }
    });
    futures::future::join_all(connecting).await
}

/// The kubeconfig file and context helm is given for `target`: helm's `--kubeconfig` takes one
/// file, so with a `KUBECONFIG` list it is the first file that defines the context.
///
/// # Errors
///
/// The context and why, when the kubeconfig cannot be read or no file of it defines the
/// context; a run stops with [`EngineError::HelmTarget`](super::EngineError) (exit 2).
pub fn helm_target(
    target: &Target,
    default: Option<&Path>,
) -> Result<KubeTarget, (String, String)> {
    let explicit = target.kubeconfig.as_deref().or(default);
    let loaded = crate::kubeconfig::load(explicit)
        .map_err(|e| (target.context.clone().unwrap_or_default(), e.to_string()))?;
    let context = match (&target.context, &loaded.config.current_context) {
        (Some(context), _) | (None, Some(context)) => context.clone(),
        (None, None) => {
            return Err((
                "(current)".into(),
                "the kubeconfig names no current context".into(),
            ));
        }
    };
    if let Some(path) = explicit {
        return Ok(KubeTarget {
            kubeconfig: crate::kubeconfig::expand_home(path),
            context,
        });
    }
    let files: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
        Some(list) if !list.is_empty() => std::env::split_paths(&list).collect(),
        _ => vec![crate::kubeconfig::expand_home(Path::new("~/.kube/config"))],
    };
    let holder = files.iter().find(|file| {
        crate::kubeconfig::load(Some(file)).is_ok_and(|loaded| {
            loaded
                .config
                .contexts
                .iter()
                .any(|named| named.name == context)
        })
    });
    match holder {
        Some(file) => Ok(KubeTarget {
            kubeconfig: file.clone(),
            context,
        }),
        None => Err((context, "no kubeconfig file defines it".into())),
    }
}

/// helm's release state of every plane, read from its storage Secrets once per cluster
/// (planes sharing a cluster share the answer; a failed read is tried again for the next plane
/// on that cluster).
pub async fn read_releases(
    planes: &[PlaneCluster],
) -> Vec<(String, Result<ReleaseStates, KubeError>)> {
    let mut read: Vec<(&Arc<Cluster>, ReleaseStates)> = Vec::new();
    let mut by_plane = Vec::new();
    for plane in planes {
        let known = read
            .iter()
            .find(|(cluster, _)| Arc::ptr_eq(cluster, &plane.cluster));
        let states = match known {
            Some((_, states)) => Ok(states.clone()),
            None => read_release_states(plane.cluster.client())
                .await
                .map_err(|e| {
                    plane
                        .cluster
                        .api_error("listing", "helm release Secrets", e)
                }),
        };
        if let (Ok(states), None) = (&states, known) {
            read.push((&plane.cluster, states.clone()));
        }
        by_plane.push((plane.name.clone(), states));
    }
    by_plane
}

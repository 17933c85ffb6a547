//! The ownership markers of a run's clusters (src/engine/ownership.rs): checked before the lock
//! is taken, written once the journal is saved.

use std::sync::Arc;

use crate::engine::connect::PlaneCluster;
use crate::engine::error::EngineError;
use crate::engine::kube::{Cluster, KubeError};
use crate::engine::ownership::{self, MarkerCheck, Sites, check_marker};
use crate::engine::reporter::Reporter;
use crate::names::SYSTEM_NAMESPACE;

/// Checks the ownership marker ([`ownership`]) of every cluster of `planes` other than the
/// control plane's against the control plane's cluster (a marker naming another one: exit 4
/// unless `rebind`); returns the clusters whose marker is to be written (none yet, or rebound).
///
/// # Errors
///
/// [`EngineError::ControlPlaneMoved`] (exit 4) for a marker naming another control plane's
/// cluster; [`EngineError::Cluster`] (exit 4) when a cluster cannot be read.
pub(super) async fn check_ownership(
    installation: &str,
    planes: &[PlaneCluster],
    control: &PlaneCluster,
    rebind: bool,
    reporter: &dyn Reporter,
) -> Result<Vec<Arc<Cluster>>, EngineError> {
    let control_uid = control.cluster.identity().await?.to_owned();
    let control_context = control.target.label();
    // One plane per cluster other than the control plane's; their markers read side by side.
    let mut seen = vec![control_uid.clone()];
    let mut others = Vec::new();
    for plane in planes {
        let uid = plane.cluster.identity().await?;
        if !seen.iter().any(|known| known == uid) {
            seen.push(uid.to_owned());
            others.push(plane);
        }
    }
    let markers = futures::future::try_join_all(others.iter().map(|plane| async {
        ownership::read(plane.cluster.client(), installation)
            .await
            .map_err(|e| marker_error(&plane.cluster, "reading", installation, e))
    }))
    .await?;
    let mut unmarked = Vec::new();
    for (plane, marker) in others.into_iter().zip(markers) {
        let plane_context = plane.target.label();
        let sites = Sites {
            installation,
            plane: &plane.name,
            plane_context: &plane_context,
            control_context: &control_context,
            control_uid: &control_uid,
        };
        match check_marker(marker.as_ref(), sites, rebind)? {
            MarkerCheck::Same => {}
            MarkerCheck::Absent => unmarked.push(plane.cluster.clone()),
            MarkerCheck::Rebound { previous_uid } => {
                reporter.note(&format!(
                    "the cluster of plane {} ({plane_context}) belonged to the control plane on \
                     cluster {previous_uid}; rebound to {control_uid} ({control_context})",
                    plane.name
                ));
                unmarked.push(plane.cluster.clone());
            }
        }
    }
    Ok(unmarked)
}

/// Writes the ownership marker naming the control plane's cluster on each of `clusters`.
pub(super) async fn write_markers(
    installation: &str,
    clusters: &[Arc<Cluster>],
    control: &PlaneCluster,
) -> Result<(), EngineError> {
    let control_uid = control.cluster.identity().await?;
    let control_context = control.context_label();
    futures::future::try_join_all(clusters.iter().map(|cluster| async {
        ownership::write(
            cluster.client(),
            installation,
            control_uid,
            &control_context,
        )
        .await
        .map_err(|e| marker_error(cluster, "writing", installation, e))
    }))
    .await?;
    Ok(())
}

/// A failed read or write of `installation`'s ownership marker on `cluster`.
fn marker_error(
    cluster: &Cluster,
    action: &'static str,
    installation: &str,
    source: kube::Error,
) -> KubeError {
    let marker = ownership::marker_name(installation);
    cluster.api_error(
        action,
        &format!("ConfigMap {SYSTEM_NAMESPACE}/{marker}"),
        source,
    )
}

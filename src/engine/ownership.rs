//! Ownership markers: which control plane the planes on a cluster belong to. The journal lives
//! on the control plane's cluster, so a control-plane context re-pointed at another cluster
//! finds no journal there and looks like a first install. Every other cluster of an
//! installation therefore carries a ConfigMap `choreoctl-system/choreoctl-owner-<installation>`
//! naming the control plane's cluster identity (its `kube-system` UID), written by `install`;
//! a run whose control plane is on another cluster than a marker names is refused (exit 4)
//! unless `--rebind` (docs/engine.md, "Cluster identity").

use std::collections::BTreeSet;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};

use super::lock::ensure_system_namespace;
use crate::names::{
    FIELD_MANAGER, INSTALLATION_LABEL, MANAGED_BY, MANAGED_BY_LABEL, SYSTEM_NAMESPACE,
};

/// Key of the marker holding the control plane's cluster identity.
pub const CONTROL_PLANE_CLUSTER_KEY: &str = "controlPlaneCluster";
/// Key of the marker holding the control plane's context when it was written (for messages).
pub const CONTROL_PLANE_CONTEXT_KEY: &str = "controlPlaneContext";
/// Key of the marker holding when it was written.
pub const RECORDED_KEY: &str = "recorded";

/// Name of the marker of `installation`.
pub fn marker_name(installation: &str) -> String {
    format!("choreoctl-owner-{installation}")
}

/// What a marker says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// `kube-system` UID of the control plane's cluster.
    pub control_uid: String,
    /// The control plane's context when the marker was written.
    pub control_context: String,
    /// When it was written (RFC 3339).
    pub recorded: String,
}

/// How a cluster's marker compares with this run's control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerCheck {
    /// No marker yet: write one.
    Absent,
    /// The marker names this run's control plane.
    Same,
    /// It names another control plane, accepted with `--rebind`: write this run's.
    Rebound {
        /// The control plane's cluster the marker named.
        previous_uid: String,
    },
}

/// A plane's cluster belongs to the same installation under another control plane: the
/// control-plane context was most likely re-pointed at another cluster. Exit code 4.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error(
    "installation '{installation}': the cluster of plane '{plane}' ({plane_context}) belongs to \
     its control plane on the cluster whose kube-system namespace has UID {recorded_uid} \
     (reached through context '{recorded_context}', recorded {recorded}), but the control \
     plane's {control_context} now reaches a cluster with UID {live_uid}"
)]
#[diagnostic(help(
    "the control plane's context was probably re-pointed at another cluster: its journal, lock \
     and releases are on the cluster with UID {recorded_uid}; point the context back at it \
     (kubectl config view shows its server). If the control plane really moved, run again with \
     --rebind: install puts the control plane on the new cluster and registers every plane \
     with it"
))]
pub struct ControlPlaneMoved {
    /// The installation.
    pub installation: String,
    /// A plane whose cluster carries the marker.
    pub plane: String,
    /// How that plane is reached (`context 'dp1'`).
    pub plane_context: String,
    /// The control plane's cluster the marker names.
    pub recorded_uid: String,
    /// Its context when the marker was written.
    pub recorded_context: String,
    /// When the marker was written.
    pub recorded: String,
    /// How the control plane is reached now (`context 'cp'`).
    pub control_context: String,
    /// The cluster the control plane's context reaches now.
    pub live_uid: String,
}

/// Where a plane and the control plane are, for [`check_marker`].
#[derive(Debug, Clone, Copy)]
pub struct Sites<'a> {
    /// The installation.
    pub installation: &'a str,
    /// A plane on the marked cluster.
    pub plane: &'a str,
    /// How it is reached (`context 'dp1'`).
    pub plane_context: &'a str,
    /// How the control plane is reached (`context 'cp'`).
    pub control_context: &'a str,
    /// The control plane's cluster identity now.
    pub control_uid: &'a str,
}

/// Checks a cluster's marker (`None`: none) against this run's control plane.
///
/// # Errors
///
/// [`ControlPlaneMoved`] when the marker names another control plane and `rebind` is not
/// given; the run stops before any step ([`EngineError::ControlPlaneMoved`], exit 4).
///
/// [`EngineError::ControlPlaneMoved`]: crate::engine::EngineError::ControlPlaneMoved
pub fn check_marker(
    marker: Option<&Marker>,
    sites: Sites<'_>,
    rebind: bool,
) -> Result<MarkerCheck, Box<ControlPlaneMoved>> {
    let Some(marker) = marker else {
        return Ok(MarkerCheck::Absent);
    };
    if marker.control_uid == sites.control_uid {
        return Ok(MarkerCheck::Same);
    }
    if rebind {
        return Ok(MarkerCheck::Rebound {
            previous_uid: marker.control_uid.clone(),
        });
    }
    Err(Box::new(ControlPlaneMoved {
        installation: sites.installation.to_owned(),
        plane: sites.plane.to_owned(),
        plane_context: sites.plane_context.to_owned(),
        recorded_uid: marker.control_uid.clone(),
        recorded_context: marker.control_context.clone(),
        recorded: marker.recorded.clone(),
        control_context: sites.control_context.to_owned(),
        live_uid: sites.control_uid.to_owned(),
    }))
}

/// Reads the marker of `installation` on the cluster `client` reaches.
///
/// # Errors
///
/// The client's error when the ConfigMap cannot be read; a run then stops before changing
/// anything, with exit 4 (`Preflight`).
pub async fn read(client: &Client, installation: &str) -> Result<Option<Marker>, kube::Error> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let Some(config_map) = api.get_opt(&marker_name(installation)).await? else {
        return Ok(None);
    };
    let data = config_map.data.unwrap_or_default();
    let value = |key: &str| data.get(key).cloned().unwrap_or_default();
    Ok(Some(Marker {
        control_uid: value(CONTROL_PLANE_CLUSTER_KEY),
        control_context: value(CONTROL_PLANE_CONTEXT_KEY),
        recorded: value(RECORDED_KEY),
    }))
}

/// Writes (server-side apply, field manager [`FIELD_MANAGER`]) the marker of `installation` naming
/// the control plane's cluster `control_uid`, reached through `control_context`.
///
/// # Errors
///
/// The client's error when [`SYSTEM_NAMESPACE`] or the ConfigMap cannot be created or
/// applied; the run then stops with exit 4 (`Preflight`).
pub async fn write(
    client: &Client,
    installation: &str,
    control_uid: &str,
    control_context: &str,
) -> Result<(), kube::Error> {
    ensure_system_namespace(client).await?;
    let name = marker_name(installation);
    let config_map = ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(SYSTEM_NAMESPACE.to_owned()),
            labels: Some(
                [
                    (INSTALLATION_LABEL.to_owned(), installation.to_owned()),
                    (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
                ]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        data: Some(
            [
                (CONTROL_PLANE_CLUSTER_KEY.to_owned(), control_uid.to_owned()),
                (
                    CONTROL_PLANE_CONTEXT_KEY.to_owned(),
                    control_context.to_owned(),
                ),
                (
                    RECORDED_KEY.to_owned(),
                    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                ),
            ]
            .into(),
        ),
        ..ConfigMap::default()
    };
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let mut value = serde_json::to_value(&config_map).map_err(kube::Error::SerdeError)?;
    value["apiVersion"] = "v1".into();
    value["kind"] = "ConfigMap".into();
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&value),
    )
    .await?;
    Ok(())
}

/// Deletes the marker of `installation` (`uninstall --all`); one already gone is no error.
///
/// # Errors
///
/// The client's error when the cluster refuses or fails the delete.
pub async fn delete(client: &Client, installation: &str) -> Result<(), kube::Error> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    match api
        .delete(&marker_name(installation), &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(error) => Err(error),
    }
}

/// The installations whose state (journal, lock, marker) the cluster `client` reaches keeps in
/// [`SYSTEM_NAMESPACE`], by the [`INSTALLATION_LABEL`] on it.
///
/// # Errors
///
/// The client's error when the objects cannot be listed.
pub async fn installations_on(client: &Client) -> Result<BTreeSet<String>, kube::Error> {
    let mut found = labelled::<ConfigMap>(client).await?;
    found.extend(labelled::<Secret>(client).await?);
    found.extend(labelled::<Lease>(client).await?);
    Ok(found)
}

/// The [`INSTALLATION_LABEL`] values on objects of kind `K` in [`SYSTEM_NAMESPACE`].
async fn labelled<K>(client: &Client) -> Result<BTreeSet<String>, kube::Error>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let params = ListParams::default().labels(INSTALLATION_LABEL);
    Ok(api
        .list_metadata(&params)
        .await?
        .items
        .into_iter()
        .filter_map(|item| item.metadata.labels?.remove(INSTALLATION_LABEL))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(uid: &str) -> Marker {
        Marker {
            control_uid: uid.into(),
            control_context: "cp".into(),
            recorded: "2026-11-24T10:00:00Z".into(),
        }
    }

    fn sites(control_uid: &str) -> Sites<'_> {
        Sites {
            installation: "lab",
            plane: "default",
            plane_context: "context 'dp1'",
            control_context: "context 'cp'",
            control_uid,
        }
    }

    #[test]
    fn a_marker_naming_another_control_plane_is_refused_unless_rebind() {
        assert_eq!(
            check_marker(None, sites("a"), false),
            Ok(MarkerCheck::Absent)
        );
        assert_eq!(
            check_marker(Some(&marker("a")), sites("a"), false),
            Ok(MarkerCheck::Same)
        );
        let refused = check_marker(Some(&marker("a")), sites("b"), false).unwrap_err();
        let message = refused.to_string();
        for needle in [
            "'lab'",
            "'default'",
            "context 'dp1'",
            "UID a",
            "context 'cp'",
            "UID b",
        ] {
            assert!(message.contains(needle), "{needle} in {message}");
        }
        assert_eq!(
            check_marker(Some(&marker("a")), sites("b"), true),
            Ok(MarkerCheck::Rebound {
                previous_uid: "a".into()
            })
        );
    }
}

//! Restart steps: the Deployments of the step's namespace whose pods mount one of the step's
//! Secrets or ConfigMaps are restarted as `kubectl rollout restart` does (a pod-template
//! annotation, [`RESTARTED_AT`], set to the time), then waited for until rolled out.
//! OpenChoreo's cluster agents read their client certificate and the cluster gateway's CA only
//! when they start, so an agent whose registered CA or CA copy was repaired needs one (`plane
//! sync-ca`, which adds a restart step only for such planes, src/plan/ca_sync.rs). Which
//! Deployments these are is read from their volumes, never from their names.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

use super::{Change, Preview, StepDone, StepEnv, StepError};
use crate::catalog::model::{ResourceRef, WaitCondition};
use crate::engine::kube::{Cluster, describe};
use crate::engine::wait::wait_for;
use crate::names::{FIELD_MANAGER, RESTARTED_AT};
use crate::plan::RestartAction;

/// How long a restarted Deployment may take to roll out, unless `--timeout` says otherwise.
const ROLLOUT_TIMEOUT: u64 = 300;

/// A Deployment that mounts some of the step's objects.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mounting {
    /// Its name.
    name: String,
    /// `Kind/name` of what it mounts, in the step's order.
    mounts: Vec<String>,
}

/// Restarts each Deployment that mounts the action's objects, one after the other, each waited
/// for until rolled out.
///
/// # Errors
///
/// [`StepError::Kube`] when the Deployments cannot be listed or patched; [`StepError::Wait`]
/// when a restarted Deployment does not roll out in time.
pub async fn run(
    env: &StepEnv<'_>,
    action: &RestartAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let namespace = namespace.unwrap_or("default");
    let found = survey(env.cluster, action, namespace).await?;
    let mut notes = Vec::new();
    if found.is_empty() {
        notes.push(nothing_mounts(action, namespace));
    }
    let api: Api<Deployment> = Api::namespaced(env.cluster.client().clone(), namespace);
    for deployment in found {
        let label = describe("Deployment", Some(namespace), &deployment.name);
        let patch = json!({"spec": {"template": {"metadata": {"annotations": {
            RESTARTED_AT: Timestamp::now().to_string(),
        }}}}});
        api.patch(
            &deployment.name,
            &PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..PatchParams::default()
            },
            &Patch::Merge(&patch),
        )
        .await
        .map_err(|e| env.cluster.api_error("restarting", &label, e))?;
        let resource = ResourceRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some(namespace.into()),
            name: deployment.name.clone(),
        };
        wait_for(
            env.cluster,
            &resource,
            WaitCondition::Available,
            env.timeout(ROLLOUT_TIMEOUT),
        )
        .await?;
        notes.push(format!(
            "restarted {label} to load {}",
            deployment.mounts.join(", ")
        ));
    }
    Ok(StepDone {
        notes,
        ..StepDone::default()
    })
}

/// What a run would restart, as notes; nothing changes.
///
/// # Errors
///
/// [`StepError::Kube`] when the Deployments cannot be listed.
pub async fn dry_run(
    env: &StepEnv<'_>,
    action: &RestartAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let namespace = namespace.unwrap_or("default");
    let found = survey(env.cluster, action, namespace).await?;
    let mut notes: Vec<String> = found
        .iter()
        .map(|deployment| {
            format!(
                "would restart {} to load {}",
                describe("Deployment", Some(namespace), &deployment.name),
                deployment.mounts.join(", ")
            )
        })
        .collect();
    if found.is_empty() {
        notes.push(nothing_mounts(action, namespace));
    }
    Ok(StepDone {
        notes,
        ..StepDone::default()
    })
}

/// Which Deployments a run would restart.
pub async fn preview(
    env: &StepEnv<'_>,
    action: &RestartAction,
    namespace: Option<&str>,
) -> Preview {
    let namespace = namespace.unwrap_or("default");
    match survey(env.cluster, action, namespace).await {
        Ok(found) if found.is_empty() => {
            Preview::new(Change::NoOp, nothing_mounts(action, namespace))
        }
        Ok(found) => Preview::new(
            Change::Upgrade,
            format!(
                "would restart Deployment(s) {}",
                found
                    .iter()
                    .map(|deployment| deployment.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Err(error) => Preview::new(Change::Unknown, error.to_string()),
    }
}

fn nothing_mounts(action: &RestartAction, namespace: &str) -> String {
    let mounts: Vec<String> = action
        .mounts
        .iter()
        .map(|mount| key(&mount.kind, &mount.name))
        .collect();
    format!(
        "no Deployment in namespace {namespace} mounts {}: nothing to restart",
        mounts.join(", ")
    )
}

/// The Deployments of `namespace` whose pods mount any of the action's objects.
async fn survey(
    cluster: &Cluster,
    action: &RestartAction,
    namespace: &str,
) -> Result<Vec<Mounting>, StepError> {
    let api: Api<Deployment> = Api::namespaced(cluster.client().clone(), namespace);
    let listed = api.list(&ListParams::default()).await.map_err(|e| {
        cluster.api_error(
            "listing",
            &format!("the Deployments of namespace {namespace}"),
            e,
        )
    })?;
    let found = listed
        .items
        .into_iter()
        .filter_map(|deployment| {
            let mounted = deployment
                .spec
                .as_ref()
                .and_then(|spec| spec.template.spec.as_ref())
                .map(mounted_objects)
                .unwrap_or_default();
            let mounts: Vec<String> = action
                .mounts
                .iter()
                .map(|mount| key(&mount.kind, &mount.name))
                .filter(|mount| mounted.contains(mount))
                .collect();
            (!mounts.is_empty()).then(|| Mounting {
                name: deployment.metadata.name.unwrap_or_default(),
                mounts,
            })
        })
        .collect();
    Ok(found)
}

fn key(kind: &str, name: &str) -> String {
    format!("{kind}/{name}")
}

/// `Secret/name` and `ConfigMap/name` of every volume of `spec`, projected ones included.
fn mounted_objects(spec: &PodSpec) -> Vec<String> {
    let mut mounted = Vec::new();
    for volume in spec.volumes.iter().flatten() {
        if let Some(name) = volume.secret.as_ref().and_then(|s| s.secret_name.as_ref()) {
            mounted.push(key("Secret", name));
        }
        if let Some(config) = &volume.config_map {
            mounted.push(key("ConfigMap", &config.name));
        }
        for source in volume
            .projected
            .iter()
            .flat_map(|projected| projected.sources.iter().flatten())
        {
            if let Some(secret) = &source.secret {
                mounted.push(key("Secret", &secret.name));
            }
            if let Some(config) = &source.config_map {
                mounted.push(key("ConfigMap", &config.name));
            }
        }
    }
    mounted
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::PodSpec;
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_and_projected_volumes_are_mounts_and_nothing_else_is() {
        let spec: PodSpec = serde_json::from_value(json!({
            "containers": [{"name": "agent"}],
            "volumes": [
                {"name": "a", "secret": {"secretName": "cluster-agent-tls"}},
                {"name": "b", "configMap": {"name": "cluster-gateway-ca"}},
                {"name": "c", "projected": {"sources": [
                    {"secret": {"name": "other-tls"}},
                    {"configMap": {"name": "bundle"}},
                    {"serviceAccountToken": {"path": "token"}}
                ]}},
                {"name": "d", "emptyDir": {}}
            ]
        }))
        .unwrap();
        assert_eq!(
            mounted_objects(&spec),
            [
                "Secret/cluster-agent-tls",
                "ConfigMap/cluster-gateway-ca",
                "Secret/other-tls",
                "ConfigMap/bundle"
            ]
        );
    }
}

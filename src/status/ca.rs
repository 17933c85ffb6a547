//! The CAs a plane depends on, read live: its agent CA as registered on the control plane
//! against the live one on its cluster ([`registration_report`]), and each copy of the cluster
//! gateway's CA an apply step keeps on its cluster against the control plane's Secret
//! ([`copy_report`]). Which objects these are comes from the plan: the apply step carrying
//! `spec.clusterAgent.clientCA`, and the ConfigMaps whose data is the output of a read of a
//! Secret's `ca.crt`. `status` reports both; `plane sync-ca` repairs what differs.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::Api;
use serde_json::Value;

use super::agent::{Agent, agent_state};
use super::drift::{Lookup, compare_ca, compare_copy};
use super::{CaCopyReport, CaReport};
use crate::engine::kube::{Cluster, describe};
use crate::plan::{Action, ApplyAction, PUBLIC_SECRET_KEY, Plan, ReadAction, Step};

/// Where a plane is registered and where its live agent CA is, as the plan says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    api_version: String,
    kind: String,
    name: String,
    secret_namespace: String,
    secret_name: String,
    secret_key: String,
}

/// The plane resource a step applies on the control plane for `plane` (one carrying
/// `spec.clusterAgent.clientCA`), and the agent CA the same module reads from the plane.
pub fn registration(plan: &Plan, plane: &str) -> Option<Registration> {
    plan.steps.iter().find_map(|step| {
        let Action::Apply(ApplyAction::Objects(objects)) = &step.action else {
            return None;
        };
        if step.subject != plane {
            return None;
        }
        let object = objects
            .iter()
            .find(|object| object["spec"]["clusterAgent"]["clientCA"].is_object())?;
        let read = plan.steps.iter().find_map(|read| match &read.action {
            Action::Read(action)
                if read.subject == plane
                    && read.module == step.module
                    && action.resource.kind == "Secret" =>
            {
                Some(action)
            }
            _ => None,
        })?;
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        Some(Registration {
            api_version: text(&object["apiVersion"]),
            kind: text(&object["kind"]),
            name: text(&object["metadata"]["name"]),
            secret_namespace: read.resource.namespace.clone().unwrap_or_default(),
            secret_name: read.resource.name.clone(),
            secret_key: read.key.clone(),
        })
    })
}

pub async fn registration_report(
    registration: &Registration,
    plane: &str,
    control: &Arc<Cluster>,
    plane_cluster: Option<&Arc<Cluster>>,
) -> (Agent, CaReport) {
    let resource = format!("{} {}", registration.kind, registration.name);
    let secret = format!(
        "Secret {}/{}",
        registration.secret_namespace, registration.secret_name
    );
    let (registered, status) = read_plane_resource(registration, control).await;
    let agent = match &registered {
        Lookup::Failed(why) => Agent {
            connected: None,
            detail: format!("cannot read {resource}: {why}"),
        },
        _ => agent_state(status.as_ref()),
    };
    let live = match plane_cluster {
        Some(cluster) => read_agent_ca(registration, cluster).await,
        None => Lookup::Failed("the plane's cluster is unreachable".into()),
    };
    let (state, detail) = compare_ca(&registered, &live, &resource, &secret, plane);
    let ca = CaReport {
        state,
        registered_in: resource,
        live_in: secret,
        detail,
    };
    (agent, ca)
}

/// The registered CA and the status of the plane resource.
async fn read_plane_resource(
    registration: &Registration,
    control: &Arc<Cluster>,
) -> (Lookup, Option<Value>) {
    let kind = match control
        .kind(
            &registration.api_version,
            &registration.kind,
            Duration::ZERO,
        )
        .await
    {
        Ok(Some(kind)) => kind,
        Ok(None) => return (Lookup::Missing, None),
        Err(error) => return (Lookup::Failed(error.to_string()), None),
    };
    match control.api(&kind, None).get_opt(&registration.name).await {
        Ok(Some(object)) => {
            let ca = object.data["spec"]["clusterAgent"]["clientCA"]["value"]
                .as_str()
                .map_or(Lookup::Missing, |pem| Lookup::Found(pem.to_owned()));
            (ca, object.data.get("status").cloned())
        }
        Ok(None) => (Lookup::Missing, None),
        Err(error) => (Lookup::Failed(error.to_string()), None),
    }
}

async fn read_agent_ca(registration: &Registration, cluster: &Arc<Cluster>) -> Lookup {
    read_secret_key(
        cluster,
        &registration.secret_namespace,
        &registration.secret_name,
        &registration.secret_key,
    )
    .await
}

/// A copy of a CA that an apply step keeps in a ConfigMap on a plane's cluster, and the Secret
/// it is copied from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCopy {
    /// The ConfigMap's namespace.
    pub namespace: String,
    /// The ConfigMap's name.
    pub name: String,
    /// The key of its data holding the CA.
    pub key: String,
    /// The plane whose cluster the source Secret is on.
    pub source_plane: String,
    /// The source Secret's namespace.
    pub source_namespace: String,
    /// The source Secret's name.
    pub source_name: String,
}

impl CaCopy {
    /// `ConfigMap ns/name`.
    pub fn label(&self) -> String {
        describe("ConfigMap", Some(&self.namespace), &self.name)
    }

    /// `Secret ns/name`.
    pub fn source_label(&self) -> String {
        describe("Secret", Some(&self.source_namespace), &self.source_name)
    }
}

/// The CA copies the plan's apply steps about `plane` keep on its cluster: each ConfigMap key
/// whose value is the output of a step reading a Secret's `ca.crt`.
pub fn copies(plan: &Plan, plane: &str) -> Vec<CaCopy> {
    let reads: Vec<(&Step, &ReadAction)> = plan
        .steps
        .iter()
        .filter_map(|step| match &step.action {
            Action::Read(read) if read.reads_ca() => Some((step, read)),
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    for step in plan
        .steps
        .iter()
        .filter(|step| step.subject == plane && step.plane == plane)
    {
        let Action::Apply(ApplyAction::Objects(objects)) = &step.action else {
            continue;
        };
        for object in objects
            .iter()
            .filter(|o| o["kind"].as_str() == Some("ConfigMap"))
        {
            let Some(data) = object["data"].as_object() else {
                continue;
            };
            for (key, value) in data {
                let Some(text) = value.as_str() else {
                    continue;
                };
                let Some((source, read)) = reads.iter().find(|(_, read)| text == read.placeholder)
                else {
                    continue;
                };
                let namespace = object["metadata"]["namespace"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| step.namespace.clone())
                    .unwrap_or_else(|| "default".into());
                found.push(CaCopy {
                    namespace,
                    name: object["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .into(),
                    key: key.clone(),
                    source_plane: source.plane.clone(),
                    source_namespace: read
                        .resource
                        .namespace
                        .clone()
                        .or_else(|| source.namespace.clone())
                        .unwrap_or_else(|| "default".into()),
                    source_name: read.resource.name.clone(),
                });
            }
        }
    }
    found
}

/// The copy against its source: `source` is the cluster of the source's plane, `cluster` the
/// copy's (`None`: unreachable).
pub async fn copy_report(
    copy: &CaCopy,
    plane: &str,
    source: Option<&Arc<Cluster>>,
    cluster: Option<&Arc<Cluster>>,
) -> CaCopyReport {
    let live = match cluster {
        Some(cluster) => read_config_map_key(cluster, &copy.namespace, &copy.name, &copy.key).await,
        None => Lookup::Failed("the plane's cluster is unreachable".into()),
    };
    let from = match source {
        Some(cluster) => {
            read_secret_key(
                cluster,
                &copy.source_namespace,
                &copy.source_name,
                PUBLIC_SECRET_KEY,
            )
            .await
        }
        None => Lookup::Failed(format!(
            "the cluster of plane {} is unreachable",
            copy.source_plane
        )),
    };
    let (state, detail) = compare_copy(&live, &from, &copy.label(), &copy.source_label(), plane);
    CaCopyReport {
        state,
        copy: copy.label(),
        source: copy.source_label(),
        detail,
    }
}

async fn read_config_map_key(cluster: &Cluster, namespace: &str, name: &str, key: &str) -> Lookup {
    let api: Api<ConfigMap> = Api::namespaced(cluster.client().clone(), namespace);
    match api.get_opt(name).await {
        Ok(Some(config)) => config
            .data
            .and_then(|mut data| data.remove(key))
            .filter(|value| !value.trim().is_empty())
            .map_or(Lookup::Missing, Lookup::Found),
        Ok(None) => Lookup::Missing,
        Err(error) => Lookup::Failed(error.to_string()),
    }
}

async fn read_secret_key(cluster: &Cluster, namespace: &str, name: &str, key: &str) -> Lookup {
    let api: Api<Secret> = Api::namespaced(cluster.client().clone(), namespace);
    match api.get_opt(name).await {
        Ok(Some(secret)) => secret
            .data
            .and_then(|mut data| data.remove(key))
            .map_or(Lookup::Missing, |bytes| {
                Lookup::Found(String::from_utf8_lossy(&bytes.0).into_owned())
            }),
        Ok(None) => Lookup::Missing,
        Err(error) => Lookup::Failed(error.to_string()),
    }
}

//! Every cluster read the checks make, at once: SelfSubjectAccessReviews and a few lists
//! (metadata only where that is enough). A read that fails keeps its reason.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Namespace, Node, Secret, Service};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, PostParams};
use kube::{Client, Resource};

use super::facts::{
    CrdFact, Facts, GatewayCertificate, Journaled, NamespaceFact, NodeFact, Read, ServiceFact,
    StorageClassFact,
};
use super::needs::{Access, ClusterNeeds};
use crate::engine::gateway_tls::{
    CertificateNames, GATEWAY_NAMESPACE, GATEWAY_TLS_SECRET, read_served_names,
};
use crate::engine::helm::{ReleaseStates, read_release_states, read_stored_revision};
use crate::engine::journal::JournalStore;
use crate::engine::kube::{Cluster, chain};
use crate::names::JOURNAL_SECRET_TYPE;
use crate::names::{MANAGED_BY_LABEL, SYSTEM_NAMESPACE};

const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
const BETA_DEFAULT_CLASS: &str = "storageclass.beta.kubernetes.io/is-default-class";

fn reason(error: kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message,
        other => chain(&other),
    }
}

/// Reads everything the checks judge, asking for `access`.
pub async fn facts(cluster: &Cluster, access: &[Access]) -> Facts {
    let client = cluster.client();
    let (
        access,
        nodes,
        daemonsets,
        storage_classes,
        load_balancers,
        crds,
        releases,
        namespaces,
        installations,
    ) = tokio::join!(
        futures::future::join_all(access.iter().map(|a| ask(client, a))),
        nodes(client),
        daemonsets(client),
        storage_classes(client),
        load_balancers(client),
        crds(client),
        async { read_release_states(client).await.map_err(reason) },
        namespaces(client),
        installations(client),
    );
    Facts {
        version: cluster.version().git_version.clone(),
        access,
        nodes,
        daemonsets,
        storage_classes,
        load_balancers,
        crds,
        releases,
        namespaces,
        installations,
        foreign_versions: BTreeMap::new(),
    }
}

/// The chart version of each release of `needs` that someone else installed (not labelled as
/// `installation`'s) and whose chart may be used as it is.
pub async fn foreign_versions(
    cluster: &Cluster,
    needs: &ClusterNeeds,
    releases: &Read<ReleaseStates>,
    installation: &str,
) -> BTreeMap<String, Read<String>> {
    let Ok(releases) = releases else {
        return BTreeMap::new();
    };
    let mut versions = BTreeMap::new();
    for planned in needs.releases.iter().filter(|p| p.external.is_some()) {
        let Some(found) = releases.get(&planned.namespace, &planned.name) else {
            continue;
        };
        if found.installation.as_deref() == Some(installation) {
            continue;
        }
        let version = read_stored_revision(
            cluster.client(),
            &found.namespace,
            &found.name,
            found.revision,
        )
        .await
        .and_then(|stored| {
            stored
                .map(|stored| stored.chart.version)
                .ok_or_else(|| "its storage Secret is gone".to_owned())
        });
        versions.insert(planned.step.clone(), version);
    }
    versions
}

/// The cluster gateway's certificate: the names it is valid for and the names its Certificate
/// asks for; `None` before the first install (no Secret `cluster-gateway-tls`).
pub async fn gateway_certificate(cluster: &Cluster) -> Read<Option<GatewayCertificate>> {
    let Some(served) = read_served_names(cluster.client()).await? else {
        return Ok(None);
    };
    let kind = cluster
        .kind("cert-manager.io/v1", "Certificate", Duration::ZERO)
        .await
        .map_err(|e| e.to_string())?;
    let requested = match kind {
        None => None,
        Some(kind) => cluster
            .api(&kind, Some(GATEWAY_NAMESPACE))
            .get_opt(GATEWAY_TLS_SECRET)
            .await
            .map_err(reason)?
            .map(|certificate| {
                let strings = |key: &str| -> Vec<String> {
                    certificate.data["spec"][key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|name| name.as_str().map(str::to_owned))
                        .collect()
                };
                CertificateNames {
                    dns: strings("dnsNames"),
                    ips: strings("ipAddresses")
                        .iter()
                        .filter_map(|ip| ip.parse().ok())
                        .collect(),
                }
            }),
    };
    Ok(Some(GatewayCertificate { served, requested }))
}

/// What choreoctl's journal of `installation` on the control plane's cluster records.
pub async fn journaled(cluster: &Cluster, installation: &str) -> Journaled {
    match JournalStore::new(cluster.client(), installation)
        .load()
        .await
    {
        Ok(None) => Journaled::Absent,
        // A step journaled as using someone else's release did not install it.
        Ok(Some(stored)) => Journaled::Steps(
            stored
                .journal
                .steps
                .into_iter()
                .filter(|(_, record)| !record.external)
                .map(|(id, _)| id)
                .collect(),
        ),
        Err(_) => Journaled::Unknown,
    }
}

async fn ask(client: &Client, access: &Access) -> (Access, Read<bool>) {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(access.verb.to_owned()),
                group: Some(access.group.to_owned()),
                resource: Some(access.resource.to_owned()),
                namespace: access.namespace.map(str::to_owned),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api
        .create(&PostParams::default(), &review)
        .await
        .map(|review| review.status.is_some_and(|status| status.allowed))
        .map_err(reason);
    (access.clone(), answer)
}

async fn list<K>(client: &Client) -> Read<Vec<K>>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let api: Api<K> = Api::all(client.clone());
    api.list(&ListParams::default())
        .await
        .map(|list| list.items)
        .map_err(reason)
}

async fn nodes(client: &Client) -> Read<Vec<NodeFact>> {
    Ok(list::<Node>(client)
        .await?
        .into_iter()
        .map(|node| {
            let ready = node
                .status
                .as_ref()
                .and_then(|status| status.conditions.as_ref())
                .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Ready"));
            NodeFact {
                name: node.metadata.name.unwrap_or_default(),
                ready: ready.is_some_and(|c| c.status == "True"),
                message: ready
                    .and_then(|c| c.message.clone())
                    .unwrap_or_else(|| "no Ready condition".into()),
                provider_id: node.spec.and_then(|spec| spec.provider_id),
            }
        })
        .collect())
}

async fn daemonsets(client: &Client) -> Read<Vec<(String, String)>> {
    let api: Api<DaemonSet> = Api::all(client.clone());
    let list = api
        .list_metadata(&ListParams::default())
        .await
        .map_err(reason)?;
    Ok(list
        .items
        .into_iter()
        .map(|d| {
            (
                d.metadata.namespace.unwrap_or_default(),
                d.metadata.name.unwrap_or_default(),
            )
        })
        .collect())
}

async fn storage_classes(client: &Client) -> Read<Vec<StorageClassFact>> {
    Ok(list::<StorageClass>(client)
        .await?
        .into_iter()
        .map(|class| {
            let annotations = class.metadata.annotations.unwrap_or_default();
            StorageClassFact {
                name: class.metadata.name.unwrap_or_default(),
                default: [DEFAULT_CLASS, BETA_DEFAULT_CLASS]
                    .iter()
                    .any(|key| annotations.get(*key).is_some_and(|v| v == "true")),
            }
        })
        .collect())
}

async fn load_balancers(client: &Client) -> Read<Vec<ServiceFact>> {
    Ok(list::<Service>(client)
        .await?
        .into_iter()
        .filter(|service| {
            service.spec.as_ref().and_then(|spec| spec.type_.as_deref()) == Some("LoadBalancer")
        })
        .map(|service| ServiceFact {
            name: format!(
                "{}/{}",
                service.metadata.namespace.unwrap_or_default(),
                service.metadata.name.unwrap_or_default()
            ),
            address: service
                .status
                .and_then(|status| status.load_balancer)
                .and_then(|lb| lb.ingress)
                .and_then(|ingress| ingress.into_iter().next())
                .and_then(|first| first.ip.or(first.hostname)),
        })
        .collect())
}

/// CRDs are large (their schemas): only their metadata is read; the group is in the name.
async fn crds(client: &Client) -> Read<Vec<CrdFact>> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let list = api
        .list_metadata(&ListParams::default())
        .await
        .map_err(reason)?;
    Ok(list
        .items
        .into_iter()
        .map(|crd| {
            let annotations: BTreeMap<String, String> =
                crd.metadata.annotations.unwrap_or_default();
            let helm_release = match (
                annotations.get("meta.helm.sh/release-namespace"),
                annotations.get("meta.helm.sh/release-name"),
            ) {
                (Some(namespace), Some(name)) => Some((namespace.clone(), name.clone())),
                _ => None,
            };
            let name = crd.metadata.name.unwrap_or_default();
            CrdFact {
                group: name
                    .split_once('.')
                    .map(|(_, group)| group.to_owned())
                    .unwrap_or_default(),
                name,
                helm_release,
                bundle_version: annotations
                    .get("gateway.networking.k8s.io/bundle-version")
                    .cloned(),
            }
        })
        .collect())
}

async fn namespaces(client: &Client) -> Read<Vec<NamespaceFact>> {
    Ok(list::<Namespace>(client)
        .await?
        .into_iter()
        .map(|namespace| NamespaceFact {
            terminating: namespace
                .status
                .and_then(|status| status.phase)
                .is_some_and(|phase| phase == "Terminating"),
            managed_by: namespace
                .metadata
                .labels
                .and_then(|labels| labels.get(MANAGED_BY_LABEL).cloned()),
            name: namespace.metadata.name.unwrap_or_default(),
        })
        .collect())
}

/// Installations whose journal Secret is in `choreoctl-system` (named `choreoctl-<installation>`).
async fn installations(client: &Client) -> Read<Vec<String>> {
    let api: Api<Secret> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let params = ListParams::default().fields(&format!("type={JOURNAL_SECRET_TYPE}"));
    let list = api.list_metadata(&params).await.map_err(reason)?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|secret| {
            let name = secret.metadata.name?;
            name.strip_prefix("choreoctl-").map(str::to_owned)
        })
        .collect())
}

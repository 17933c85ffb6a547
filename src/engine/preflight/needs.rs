//! What a plan asks of one cluster, worked out from the plan alone (pure): the releases it
//! installs there, the namespaces it creates, the permissions that takes, whether something
//! there claims volumes or needs a load balancer, and whether choreoctl installs Cilium.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::engine::gateway_tls::dialled_host;
use crate::names::SYSTEM_NAMESPACE;
use crate::plan::{Action, ApplyAction, Plan};

/// A helm release the plan installs on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRelease {
    /// The plan step (`<module>/<step>@<plane>`), as the journal records it.
    pub step: String,
    /// Release namespace.
    pub namespace: String,
    /// Release name.
    pub name: String,
    /// Chart name.
    pub chart: String,
    /// The versions of the chart that, installed by someone else, are used as they are
    /// ([`HelmAction::external`](crate::plan::HelmAction::external)).
    pub external: Option<semver::VersionReq>,
}

/// One permission install uses, asked with a SelfSubjectAccessReview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `create`, `update`, ...
    pub verb: &'static str,
    /// API group (`""`: core).
    pub group: &'static str,
    /// Resource (plural).
    pub resource: &'static str,
    /// Namespace; `None`: cluster-scoped, or every namespace.
    pub namespace: Option<&'static str>,
}

impl Access {
    /// `create customresourcedefinitions.apiextensions.k8s.io`, as `kubectl auth can-i` takes it.
    pub fn describe(&self) -> String {
        let resource = if self.group.is_empty() {
            self.resource.to_owned()
        } else {
            format!("{}.{}", self.resource, self.group)
        };
        match self.namespace {
            Some(namespace) => format!("{} {resource} -n {namespace}", self.verb),
            None => format!("{} {resource}", self.verb),
        }
    }
}

/// What the plan asks of one cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterNeeds {
    /// Whether the control plane is one of them (the lock and journal live there).
    pub control: bool,
    /// Releases installed there, in plan order.
    pub releases: Vec<PlannedRelease>,
    /// Namespaces steps there install into (and `choreoctl-system` on the control plane).
    pub namespaces: BTreeSet<String>,
    /// Releases that claim PersistentVolumes from the default StorageClass: `release (why)`.
    pub volumes: Vec<String>,
    /// Releases that need LoadBalancer Services to get an address: `release (why)`.
    pub load_balancers: Vec<String>,
    /// Whether choreoctl installs Cilium there (the cilium edition).
    pub installs_cilium: bool,
    /// The Gateway API CRDs version applied there, if any.
    pub gateway_api: Option<String>,
    /// On the control plane's cluster: every host the planes' agents will dial the cluster
    /// gateway under, known before the install (`clusterAgent.serverUrl`; an address read
    /// during the install is not known yet), with the planes dialling it.
    pub gateway_hosts: Vec<(String, Vec<String>)>,
}

/// Whether a release's values make it claim volumes.
type ClaimsVolumes = fn(&Value) -> bool;

/// Charts whose releases claim volumes through the default StorageClass: chart, what claims,
/// and how their values turn that on (defaults of the charts pinned in modules/releases/).
const VOLUME_CLAIMS: &[(&str, &str, ClaimsVolumes)] = &[
    ("openbao", "server.dataStorage", |v| {
        !flag(v, "/server/dev/enabled", false) && flag(v, "/server/dataStorage/enabled", true)
    }),
    (
        "observability-logs-opensearch",
        "OpenSearch persistence",
        |v| {
            flag(v, "/openSearch/enabled", true) && flag(v, "/openSearch/persistence/enabled", true)
        },
    ),
    (
        "observability-metrics-prometheus",
        "Prometheus storageSpec",
        |v| {
            v.pointer("/kube-prometheus-stack/prometheus/prometheusSpec/storageSpec")
                .is_none_or(|spec| spec.get("volumeClaimTemplate").is_some())
        },
    ),
    ("docker-registry", "persistence", |v| {
        flag(v, "/persistence/enabled", false)
    }),
    ("harbor", "persistence", |v| {
        flag(v, "/persistence/enabled", true)
    }),
];

/// Charts that create a Gateway (its Service is a LoadBalancer by kgateway's default).
const GATEWAY_CHARTS: &[&str] = &[
    "openchoreo-control-plane",
    "openchoreo-data-plane",
    "openchoreo-observability-plane",
];

fn flag(values: &Value, pointer: &str, default: bool) -> bool {
    values
        .pointer(pointer)
        .and_then(Value::as_bool)
        .unwrap_or(default)
}

/// Whether some object in `values` asks for `type: LoadBalancer`.
fn asks_for_load_balancer(values: &Value) -> bool {
    match values {
        Value::Object(map) => map.iter().any(|(key, value)| {
            (key == "type" && value == "LoadBalancer") || asks_for_load_balancer(value)
        }),
        Value::Array(items) => items.iter().any(asks_for_load_balancer),
        _ => false,
    }
}

/// The permissions install uses on a cluster (`control`: it holds the lock and journal).
pub fn access(control: bool) -> Vec<Access> {
    let mut access = vec![
        Access {
            verb: "create",
            group: "",
            resource: "namespaces",
            namespace: None,
        },
        Access {
            verb: "create",
            group: "apiextensions.k8s.io",
            resource: "customresourcedefinitions",
            namespace: None,
        },
        Access {
            verb: "patch",
            group: "apiextensions.k8s.io",
            resource: "customresourcedefinitions",
            namespace: None,
        },
        Access {
            verb: "create",
            group: "rbac.authorization.k8s.io",
            resource: "clusterroles",
            namespace: None,
        },
        Access {
            verb: "create",
            group: "rbac.authorization.k8s.io",
            resource: "clusterrolebindings",
            namespace: None,
        },
        Access {
            verb: "create",
            group: "admissionregistration.k8s.io",
            resource: "validatingwebhookconfigurations",
            namespace: None,
        },
        Access {
            verb: "create",
            group: "admissionregistration.k8s.io",
            resource: "mutatingwebhookconfigurations",
            namespace: None,
        },
        Access {
            verb: "create",
            group: "apps",
            resource: "deployments",
            namespace: None,
        },
        Access {
            verb: "create",
            group: "",
            resource: "secrets",
            namespace: None,
        },
        Access {
            verb: "list",
            group: "",
            resource: "secrets",
            namespace: None,
        },
    ];
    if control {
        for verb in ["create", "update"] {
            access.push(Access {
                verb,
                group: "coordination.k8s.io",
                resource: "leases",
                namespace: Some(SYSTEM_NAMESPACE),
            });
        }
        access.push(Access {
            verb: "update",
            group: "",
            resource: "secrets",
            namespace: Some(SYSTEM_NAMESPACE),
        });
    }
    access
}

/// What `plan` asks of the cluster holding `planes`.
pub fn cluster_needs(plan: &Plan, planes: &[String]) -> ClusterNeeds {
    let control = plan.planes.iter().any(|plane| {
        planes.contains(&plane.name)
            && plane.plane_type == crate::profile::model::PlaneType::Control
    });
    let mut needs = ClusterNeeds {
        control,
        ..ClusterNeeds::default()
    };
    if control {
        needs.namespaces.insert(SYSTEM_NAMESPACE.to_owned());
        needs.gateway_hosts = gateway_hosts(plan);
    }
    for step in plan
        .steps
        .iter()
        .filter(|step| planes.contains(&step.plane))
    {
        if let Some(namespace) = &step.namespace {
            needs.namespaces.insert(namespace.clone());
        }
        match &step.action {
            Action::Helm(helm) => {
                let chart = helm.chart.name.as_str();
                needs.releases.push(PlannedRelease {
                    step: step.id.clone(),
                    namespace: step.namespace.clone().unwrap_or_default(),
                    name: helm.release.clone(),
                    chart: chart.to_owned(),
                    external: helm.external.clone(),
                });
                if chart == "cilium" {
                    needs.installs_cilium = true;
                }
                if let Some((_, why, claims)) =
                    VOLUME_CLAIMS.iter().find(|(name, _, _)| *name == chart)
                    && claims(&helm.values)
                {
                    needs.volumes.push(format!("{} ({why})", helm.release));
                }
                if GATEWAY_CHARTS.contains(&chart) {
                    needs
                        .load_balancers
                        .push(format!("{} (its Gateway's Service)", helm.release));
                } else if asks_for_load_balancer(&helm.values) {
                    needs
                        .load_balancers
                        .push(format!("{} (a LoadBalancer Service)", helm.release));
                }
            }
            Action::Apply(ApplyAction::Remote(manifest))
                if manifest.url.contains("gateway-api") =>
            {
                needs.gateway_api = Some(manifest.version.clone());
            }
            _ => {}
        }
    }
    needs
}

/// The hosts agents dial (`wss://HOST:PORT/ws` in a helm step's `clusterAgent.serverUrl`) with
/// the planes dialling each, in plan order; a host still to be read during the install (a
/// placeholder) is left out.
fn gateway_hosts(plan: &Plan) -> Vec<(String, Vec<String>)> {
    let mut hosts: Vec<(String, Vec<String>)> = Vec::new();
    for step in &plan.steps {
        let Action::Helm(helm) = &step.action else {
            continue;
        };
        let Some(host) = helm.values["clusterAgent"]["serverUrl"]
            .as_str()
            .and_then(dialled_host)
            .filter(|host| !host.contains(['<', '>', ' ']))
        else {
            continue;
        };
        match hosts.iter_mut().find(|(known, _)| *known == host) {
            Some((_, planes)) if planes.contains(&step.plane) => {}
            Some((_, planes)) => planes.push(step.plane.clone()),
            None => hosts.push((host, vec![step.plane.clone()])),
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(chart: &str, values: Value) -> bool {
        let (_, _, rule) = VOLUME_CLAIMS
            .iter()
            .find(|(name, _, _)| *name == chart)
            .unwrap();
        rule(&values)
    }

    #[test]
    fn persistent_openbao_claims_a_volume_and_dev_mode_does_not() {
        assert!(claims(
            "openbao",
            json!({"server": {"dev": {"enabled": false}, "dataStorage": {"enabled": true}}})
        ));
        assert!(!claims(
            "openbao",
            json!({"server": {"dev": {"enabled": true}}})
        ));
    }

    #[test]
    fn opensearch_claims_unless_disabled_and_prometheus_unless_storage_is_emptied() {
        assert!(claims(
            "observability-logs-opensearch",
            json!({"openSearch": {"enabled": true}})
        ));
        assert!(!claims(
            "observability-logs-opensearch",
            json!({"openSearch": {"enabled": false}})
        ));
        assert!(claims("observability-metrics-prometheus", json!({})));
        assert!(!claims(
            "observability-metrics-prometheus",
            json!({"kube-prometheus-stack": {"prometheus": {"prometheusSpec": {"storageSpec": {}}}}})
        ));
    }

    #[test]
    fn load_balancer_services_are_found_at_any_depth() {
        assert!(asks_for_load_balancer(
            &json!({"clusterGateway": {"service": {"type": "LoadBalancer"}}})
        ));
        assert!(!asks_for_load_balancer(
            &json!({"service": {"type": "ClusterIP"}, "list": [{"type": "NodePort"}]})
        ));
    }

    #[test]
    fn the_control_plane_also_needs_the_lock_and_journal() {
        let control = access(true);
        assert!(control.iter().any(|a| a.resource == "leases"));
        assert!(!access(false).iter().any(|a| a.resource == "leases"));
        assert_eq!(
            control[1].describe(),
            "create customresourcedefinitions.apiextensions.k8s.io"
        );
        assert_eq!(
            control.last().unwrap().describe(),
            "update secrets -n choreoctl-system"
        );
    }

    fn plan_of(control: &str) -> Plan {
        let yaml = format!(
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: t}}\n\
             spec:\n  edition: generic\n  planes:\n\
             \x20   - {control}\n\
             \x20   - {{name: local, type: data, context: cp}}\n\
             \x20   - {{name: eu, type: data, context: eu}}\n"
        );
        let catalog = crate::catalog::Catalog::embedded().unwrap();
        let source = crate::source::SourceFile::new("test.yaml", yaml.as_str());
        let loaded = crate::profile::LoadedProfile {
            profile: crate::profile::load::parse(&source).unwrap(),
            source,
        };
        let known = crate::kubeconfig::KnownContexts::default();
        let resolved = crate::resolve::resolve(&catalog, &loaded, &known).unwrap();
        crate::plan::build(&catalog, &resolved).unwrap()
    }

    #[test]
    fn the_gateway_hosts_are_those_agents_dial_and_an_address_read_later_is_left_out() {
        let named = plan_of(
            "{name: control, type: control, context: cp, clusterGateway: {address: gw.example.com}}",
        );
        assert_eq!(
            gateway_hosts(&named),
            [(
                "gw.example.com".to_owned(),
                vec!["local".to_owned(), "eu".to_owned()]
            )]
        );
        let read_later = plan_of("{name: control, type: control, context: cp}");
        assert_eq!(
            gateway_hosts(&read_later),
            [(
                "cluster-gateway.openchoreo-control-plane.svc.cluster.local".to_owned(),
                vec!["local".to_owned()]
            )]
        );
    }
}

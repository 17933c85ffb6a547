//! The wiring of a plan: which planes each step spec is instantiated for, which earlier
//! instances a step needs (the nearest: same plane, same cluster, or all), and the outputs of
//! read steps it may use.

use std::collections::BTreeSet;

use super::Builder;
use crate::catalog::model::{Each, StepSpec};
use crate::plan::context::OutputLookup;
use crate::plan::{Action, Step};
use crate::resolve::{Plane, ResolvedModule};

impl<'a> Builder<'a> {
    /// The planes one step spec is instantiated for.
    pub(super) fn subjects(&self, module: &ResolvedModule, spec: &StepSpec) -> Vec<&'a Plane> {
        let keep = |plane: &&Plane| {
            spec.plane_types.is_empty() || spec.plane_types.contains(&plane.plane_type)
        };
        let home = module.planes.iter().map(|name| self.plane(name));
        let planes: Vec<&'a Plane> = match spec.each {
            Each::Home => home.filter(keep).collect(),
            Each::Served => {
                let mut names: Vec<&str> = Vec::new();
                for plane in home {
                    for served in &plane.serves {
                        if !names.contains(&served.as_str()) {
                            names.push(served);
                        }
                    }
                }
                names
                    .into_iter()
                    .map(|name| self.plane(name))
                    .filter(keep)
                    .collect()
            }
            Each::Control => vec![self.control()],
        };
        if !spec.per_cluster {
            return planes;
        }
        let mut seen = BTreeSet::new();
        planes
            .into_iter()
            .filter(|plane| seen.insert(plane.cluster_key()))
            .collect()
    }

    /// Earlier instances of `module/step` closest to `subject`: the same plane, else the same
    /// cluster, else all of them.
    pub(super) fn nearest(&self, module: &str, step: &str, subject: &Plane) -> Vec<&Step> {
        let candidates: Vec<&Step> = self
            .instances
            .get(&(module.to_string(), step.to_string()))
            .map(|positions| positions.iter().map(|&index| &self.steps[index]).collect())
            .unwrap_or_default();
        let same_plane: Vec<&Step> = candidates
            .iter()
            .copied()
            .filter(|candidate| candidate.subject == subject.name)
            .collect();
        if !same_plane.is_empty() {
            return same_plane;
        }
        let same_cluster: Vec<&Step> = candidates
            .iter()
            .copied()
            .filter(|candidate| {
                self.plane(&candidate.subject).cluster_key() == subject.cluster_key()
            })
            .collect();
        if !same_cluster.is_empty() {
            return same_cluster;
        }
        candidates
    }

    pub(super) fn outputs(&self, module: &ResolvedModule, subject: &Plane) -> OutputLookup {
        let mut lookup = OutputLookup::default();
        let reads = self.instances.iter().filter(|(_, positions)| {
            positions
                .first()
                .is_some_and(|&index| matches!(self.steps[index].action, Action::Read(_)))
        });
        for ((owner, step), _) in reads {
            let found: Vec<(&str, &str)> = self
                .nearest(owner, step, subject)
                .into_iter()
                .filter_map(|found| match &found.action {
                    Action::Read(read) => Some((found.id.as_str(), read.placeholder.as_str())),
                    _ => None,
                })
                .collect();
            let value = match found.as_slice() {
                [(id, placeholder)] => Ok((id.to_string(), placeholder.to_string())),
                many => Err(format!(
                    "output(\"{owner}/{step}\") is ambiguous for plane `{}`: {}",
                    subject.name,
                    many.iter()
                        .map(|(id, _)| *id)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            if *owner == module.name {
                lookup.values.insert(step.clone(), value.clone());
            }
            lookup.values.insert(format!("{owner}/{step}"), value);
        }
        lookup
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::plan::build::fixtures::{helm, plan, profile, step};
    use crate::plan::{Action, ApplyAction, Plan};

    #[test]
    fn prerequisites_run_once_per_cluster() {
        let plan = plan(&profile("generic", ""));
        let cert_managers: Vec<&str> = plan
            .steps
            .iter()
            .filter(|step| step.id.starts_with("secure-core/cert-manager@"))
            .map(|step| step.context.as_deref().unwrap())
            .collect();
        assert_eq!(cert_managers, ["cp", "eu"]);
    }

    #[test]
    fn cilium_comes_first_on_every_cluster_only_in_the_cilium_edition() {
        let cilium = plan(&profile("cilium", ""));
        let on = |plan: &Plan, context: &str| {
            plan.steps
                .iter()
                .find(|step| step.context.as_deref() == Some(context))
                .map(|step| step.id.clone())
                .unwrap()
        };
        assert_eq!(on(&cilium, "cp"), "secure-core/cilium@control");
        assert_eq!(on(&cilium, "eu"), "secure-core/cilium@eu");
        let generic = plan(&profile("generic", ""));
        assert!(generic.steps.iter().all(|step| !step.id.contains("cilium")));
    }

    #[test]
    fn registration_runs_on_the_control_plane_with_the_agent_ca_of_its_plane() {
        let plan = plan(&profile("generic", ""));
        let register = step(&plan, "secure-core/register@eu");
        assert_eq!(register.plane, "control");
        assert_eq!(register.context.as_deref(), Some("cp"));
        assert!(
            register
                .needs
                .contains(&"secure-core/agent-ca@eu".to_string())
        );
        let Action::Apply(ApplyAction::Objects(objects)) = &register.action else {
            panic!("register applies objects")
        };
        assert_eq!(objects[0]["kind"], "ClusterDataPlane");
        assert_eq!(
            objects[0]["spec"]["clusterAgent"]["clientCA"]["value"],
            "<from plane eu: secret openchoreo-data-plane/cluster-agent-tls ca.crt>"
        );
    }

    fn server_url(plan: &Plan, id: &str) -> String {
        helm(plan, id).values["clusterAgent"]["serverUrl"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn objects<'a>(plan: &'a Plan, id: &str) -> &'a [Value] {
        match &step(plan, id).action {
            Action::Apply(ApplyAction::Objects(objects)) => objects,
            other => panic!("{id} is a {} step", other.kind()),
        }
    }

    fn has(plan: &Plan, id: &str) -> bool {
        plan.steps.iter().any(|step| step.id == id)
    }

    const READ: &str = "secure-core/cluster-gateway-address@control";
    const CERTIFICATE: &str = "secure-core/cluster-gateway-certificate@control";

    #[test]
    fn remote_agents_dial_the_load_balancer_ip_read_after_the_control_plane_and_covered_by_its_certificate()
     {
        let plan = plan(&profile("generic", ""));
        assert!(server_url(&plan, "secure-core/data-plane@local").contains(".svc.cluster.local"));
        let Action::Read(read) = &step(&plan, READ).action else {
            panic!("{READ} reads")
        };
        assert_eq!(read.resource.kind, "Service");
        assert_eq!(read.resource.name, "cluster-gateway-external");
        assert_eq!(read.key, "loadBalancerIP");
        assert_eq!(
            server_url(&plan, "secure-core/data-plane@eu"),
            format!("wss://{}:8443/ws", read.placeholder)
        );
        assert!(
            step(&plan, "secure-core/data-plane@eu")
                .needs
                .contains(&READ.to_string())
        );
        // The same value joins the certificate's IP SANs, before any agent installs.
        let certificate = &objects(&plan, CERTIFICATE)[0];
        assert_eq!(certificate["kind"], "Certificate");
        assert_eq!(certificate["metadata"]["name"], "cluster-gateway-tls");
        assert_eq!(
            certificate["spec"],
            serde_json::json!({"ipAddresses": [read.placeholder]})
        );
        assert!(
            step(&plan, "secure-core/data-plane@eu")
                .needs
                .contains(&"secure-core/cluster-gateway-certificate-ready@control".to_string())
        );
        let control = &helm(&plan, "secure-core/control-plane@control").values["clusterGateway"];
        assert_eq!(control["service"]["type"], "LoadBalancer");
        let names = control["tls"]["dnsNames"].as_array().unwrap();
        for name in [
            "cluster-gateway.openchoreo-control-plane.svc",
            "cluster-gateway.openchoreo-control-plane.svc.cluster.local",
        ] {
            assert!(names.contains(&Value::from(name)), "{names:?}");
        }
    }

    #[test]
    fn a_gateway_address_from_the_profile_is_dialled_by_every_plane_and_covered_by_the_certificate()
    {
        let with = |address: &str| {
            plan(&profile("generic", "").replace(
                "{name: control, type: control, context: cp}",
                &format!(
                    "{{name: control, type: control, context: cp, clusterGateway: {{address: '{address}'}}}}"
                ),
            ))
        };
        let ip = with("203.0.113.7");
        for plane in ["local", "eu"] {
            assert_eq!(
                server_url(&ip, &format!("secure-core/data-plane@{plane}")),
                "wss://203.0.113.7:8443/ws"
            );
        }
        assert!(!has(&ip, READ));
        assert_eq!(
            objects(&ip, CERTIFICATE)[0]["spec"]["ipAddresses"],
            serde_json::json!(["203.0.113.7"])
        );

        let host = with("gw.example.com");
        assert_eq!(
            server_url(&host, "secure-core/data-plane@eu"),
            "wss://gw.example.com:8443/ws"
        );
        assert!(!has(&host, READ) && !has(&host, CERTIFICATE));
        let names = &helm(&host, "secure-core/control-plane@control").values["clusterGateway"]["tls"]
            ["dnsNames"];
        assert!(
            names
                .as_array()
                .unwrap()
                .contains(&Value::from("gw.example.com"))
        );

        let v6 = with("2001:db8::7");
        assert_eq!(
            server_url(&v6, "secure-core/data-plane@eu"),
            "wss://[2001:db8::7]:8443/ws"
        );
        assert_eq!(
            objects(&v6, CERTIFICATE)[0]["spec"]["ipAddresses"],
            serde_json::json!(["2001:db8::7"])
        );
    }

    #[test]
    fn planes_sharing_the_control_planes_cluster_dial_the_service_and_nothing_is_read() {
        let plan = plan(
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {name: t}\n\
             spec:\n  edition: generic\n  planes:\n\
             \x20   - {name: control, type: control, context: cp}\n\
             \x20   - {name: local, type: data, context: cp}\n",
        );
        assert_eq!(
            server_url(&plan, "secure-core/data-plane@local"),
            "wss://cluster-gateway.openchoreo-control-plane.svc.cluster.local:8443/ws"
        );
        assert!(!has(&plan, READ) && !has(&plan, CERTIFICATE));
        let control = &helm(&plan, "secure-core/control-plane@control").values["clusterGateway"];
        assert_eq!(control["service"]["type"], "ClusterIP");
    }

    #[test]
    fn remote_log_collectors_ship_to_the_listener_and_route_the_observability_plane_serves() {
        let plan = plan(&profile(
            "generic",
            "  modules:\n    - name: observe\n",
        ).replace(
            "    - {name: eu, type: data, context: eu}\n",
            "    - {name: eu, type: data, context: eu}\n    - {name: obs, type: observability, context: obs}\n",
        ));
        let passthrough =
            &helm(&plan, "observe/observability-plane@obs").values["gateway"]["tlsPassthrough"];
        assert_eq!(passthrough["enabled"], true);
        let host = passthrough["hostname"].as_str().unwrap();
        assert_eq!(host, "opensearch.obs.openchoreo.localhost");
        let route = &objects(&plan, "observe/opensearch-route@obs")[0];
        assert_eq!(route["kind"], "TLSRoute");
        assert_eq!(route["spec"]["hostnames"], serde_json::json!([host]));
        assert_eq!(route["spec"]["parentRefs"][0]["name"], "gateway-default");
        assert_eq!(route["spec"]["parentRefs"][0]["sectionName"], "tls");
        for plane in ["local", "eu"] {
            let fluent_bit =
                &helm(&plan, &format!("observe/collector@{plane}")).values["fluent-bit"];
            assert_eq!(fluent_bit["openSearchHost"], host);
            assert_eq!(fluent_bit["openSearchVHost"], host);
            assert_eq!(fluent_bit["openSearchPort"], passthrough["port"]);
            // Credentials: synced on the collector's own cluster from its own store.
            let credentials = objects(&plan, &format!("observe/collector-credentials@{plane}"));
            let external = &credentials[1];
            assert_eq!(external["kind"], "ExternalSecret");
            assert_eq!(
                external["spec"]["target"]["name"],
                "opensearch-admin-credentials"
            );
            assert_eq!(
                step(&plan, &format!("observe/collector-credentials@{plane}")).context,
                step(&plan, &format!("observe/collector@{plane}")).context
            );
        }
        // No Secret's data is ever applied: nothing secret travels between clusters.
        for step in &plan.steps {
            if let Action::Apply(ApplyAction::Objects(objects)) = &step.action {
                assert!(
                    objects.iter().all(|object| object["kind"] != "Secret"),
                    "{} applies a Secret",
                    step.id
                );
            }
        }
    }

    #[test]
    fn needs_point_only_to_earlier_steps() {
        let plan = plan(&profile(
            "cilium",
            "  modules:\n    - name: elastic\n    - name: edge\n",
        ));
        for (index, step) in plan.steps.iter().enumerate() {
            for need in &step.needs {
                let position = plan.steps.iter().position(|s| &s.id == need).unwrap();
                assert!(position < index, "{} needs later {need}", step.id);
            }
        }
    }
}

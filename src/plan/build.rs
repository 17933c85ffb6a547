//! Expanding resolved modules into step instances bound to planes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::PlanError;
use super::context::{OutputLookup, PlanContext};
use super::{
    Action, ApplyAction, ChartRef, HelmAction, HelmSettings, PLAN_API_VERSION, Plan, ReadAction,
    RemoteManifest, Step, WaitAction,
};
use crate::catalog::Catalog;
use crate::catalog::model::{self, Each, ResourceRef, RunOn, StepSpec};
use crate::profile::model::PlaneType;
use crate::resolve::{Plane, Resolved, ResolvedModule};
use crate::template::{Renderer, deep_merge};

/// Computes the plan for a resolved installation.
pub fn build(catalog: &Catalog, resolved: &Resolved) -> Result<Plan, PlanError> {
    let renderer = Renderer::new(&catalog.templates)?;
    let context = PlanContext::new(resolved);
    let mut builder = Builder {
        resolved,
        context: &context,
        renderer: &renderer,
        steps: Vec::new(),
        instances: BTreeMap::new(),
    };
    for module in &resolved.modules {
        for spec in &catalog.modules[&module.name].steps {
            for subject in builder.subjects(module, spec) {
                builder.add(module, spec, subject)?;
            }
        }
    }
    Ok(Plan {
        api_version: PLAN_API_VERSION,
        kind: "Plan",
        name: resolved.name.clone(),
        edition: resolved.edition.to_string(),
        version: resolved.version.clone(),
        planes: resolved.planes.clone(),
        modules: resolved.modules.iter().map(|m| m.name.clone()).collect(),
        planned: resolved.planned.clone(),
        steps: builder.steps,
    })
}

struct Builder<'a> {
    resolved: &'a Resolved,
    context: &'a PlanContext<'a>,
    renderer: &'a Renderer,
    steps: Vec<Step>,
    /// Positions in `steps` of each `(module, step)`'s instances.
    instances: BTreeMap<(String, String), Vec<usize>>,
}

impl<'a> Builder<'a> {
    fn plane(&self, name: &str) -> &'a Plane {
        self.resolved
            .planes
            .iter()
            .find(|plane| plane.name == name)
            .expect("resolver only places modules on known planes")
    }

    fn control(&self) -> &'a Plane {
        self.resolved
            .planes
            .iter()
            .find(|plane| plane.plane_type == PlaneType::Control)
            .expect("resolver guarantees one control plane")
    }

    /// The planes one step spec is instantiated for.
    fn subjects(&self, module: &ResolvedModule, spec: &StepSpec) -> Vec<&'a Plane> {
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
    fn nearest(&self, module: &str, step: &str, subject: &Plane) -> Vec<&Step> {
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

    fn outputs(&self, module: &ResolvedModule, subject: &Plane) -> OutputLookup {
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

    fn add(
        &mut self,
        module: &ResolvedModule,
        spec: &StepSpec,
        subject: &'a Plane,
    ) -> Result<(), PlanError> {
        let target = match spec.run_on {
            RunOn::Subject => subject,
            RunOn::Control => self.control(),
        };
        let chart = match &spec.action {
            model::Action::Helm(helm) => Some(&self.resolved.release.charts[&helm.chart]),
            _ => None,
        };
        let step_error = |message: String| PlanError::Step {
            module: module.name.clone(),
            step: spec.id.clone(),
            plane: subject.name.clone(),
            message,
        };
        let outputs = Arc::new(self.outputs(module, subject));
        let context = self
            .context
            .step(module, subject, target, chart, outputs.clone());

        if let Some(when) = &spec.when {
            let keep = self
                .renderer
                .condition(when, &context)
                .map_err(|error| step_error(format!("`when`: {error}")))?;
            if !keep {
                return Ok(());
            }
        }

        let (namespace, action) = self.action(spec, target, &context, &step_error)?;

        let mut needs: Vec<String> = Vec::new();
        for need in &spec.needs {
            let (owner, name) = need.split_once('/').unwrap_or((&module.name, need));
            for found in self.nearest(owner, name, subject) {
                if !needs.contains(&found.id) {
                    needs.push(found.id.clone());
                }
            }
        }
        for used in outputs.used.lock().expect("not poisoned").iter() {
            if !needs.contains(used) {
                needs.push(used.clone());
            }
        }
        let step = Step {
            id: format!("{}/{}@{}", module.name, spec.id, subject.name),
            module: module.name.clone(),
            plane: target.name.clone(),
            subject: subject.name.clone(),
            context: target.context.clone(),
            kubeconfig: target.kubeconfig.clone(),
            namespace,
            action,
            needs,
        };
        self.instances
            .entry((module.name.clone(), spec.id.clone()))
            .or_default()
            .push(self.steps.len());
        self.steps.push(step);
        Ok(())
    }

    /// The step's action with its templates rendered, and the namespace it works in.
    fn action(
        &self,
        spec: &StepSpec,
        target: &Plane,
        context: &minijinja::Value,
        step_error: &dyn Fn(String) -> PlanError,
    ) -> Result<(Option<String>, Action), PlanError> {
        let resource = |resource: &ResourceRef| -> Result<ResourceRef, PlanError> {
            Ok(ResourceRef {
                name: self
                    .renderer
                    .inline(&resource.name, context)
                    .map_err(|error| step_error(format!("resource name: {error}")))?,
                ..resource.clone()
            })
        };
        Ok(match &spec.action {
            model::Action::Helm(helm) => {
                let pin = &self.resolved.release.charts[&helm.chart];
                let mut values = self.renderer.yaml(&helm.values, context)?;
                if let Some(overrides) = self.resolved.values.get(&helm.release) {
                    deep_merge(&mut values, overrides);
                }
                let action = HelmAction {
                    chart: self.chart_ref(pin),
                    release: helm.release.clone(),
                    version: pin.version.clone(),
                    helm: HelmSettings {
                        wait: helm.wait,
                        timeout: helm.timeout,
                    },
                    values,
                };
                (Some(helm.namespace.clone()), Action::Helm(action))
            }
            model::Action::Apply(model::ApplyAction::Template(template)) => {
                let objects = self.renderer.documents(template, context)?;
                let namespace = common_namespace(&objects);
                (namespace, Action::Apply(ApplyAction::Objects(objects)))
            }
            model::Action::Apply(model::ApplyAction::Manifest(key)) => {
                let pin = &self.resolved.release.manifests[key];
                let remote = RemoteManifest {
                    name: pin.name.clone(),
                    url: self.manifest_url(pin),
                    version: pin.version.clone(),
                };
                (None, Action::Apply(ApplyAction::Remote(remote)))
            }
            model::Action::Wait(wait) => {
                let resource = resource(&wait.resource)?;
                let hint = wait
                    .hint
                    .as_deref()
                    .map(|hint| self.renderer.inline(hint, context))
                    .transpose()
                    .map_err(|error| step_error(format!("hint: {error}")))?;
                let action = WaitAction {
                    condition: wait.condition,
                    timeout: wait.timeout,
                    resource,
                    hint,
                };
                (action.resource.namespace.clone(), Action::Wait(action))
            }
            model::Action::Read(read) => {
                let resource = resource(&read.resource)?;
                let action = ReadAction {
                    placeholder: format!(
                        "<from plane {}: {} {}{} {}>",
                        target.name,
                        resource.kind.to_lowercase(),
                        resource
                            .namespace
                            .as_deref()
                            .map(|ns| format!("{ns}/"))
                            .unwrap_or_default(),
                        resource.name,
                        read.key
                    ),
                    resource,
                    key: read.key.clone(),
                };
                (action.resource.namespace.clone(), Action::Read(action))
            }
        })
    }

    fn chart_ref(&self, pin: &model::ChartPin) -> ChartRef {
        let charts = &self.resolved.charts;
        match &charts.mirror {
            Some(mirror) => ChartRef {
                name: pin.name.clone(),
                reference: format!("{}/{}", mirror.value.trim_end_matches('/'), pin.name),
                repo: None,
                plain_http: charts.plain_http,
            },
            None if pin.repo.starts_with("oci://") => ChartRef {
                name: pin.name.clone(),
                reference: format!("{}/{}", pin.repo.trim_end_matches('/'), pin.name),
                repo: None,
                plain_http: false,
            },
            None => ChartRef {
                name: pin.name.clone(),
                reference: pin.name.clone(),
                repo: Some(pin.repo.clone()),
                plain_http: false,
            },
        }
    }

    fn manifest_url(&self, pin: &model::ManifestPin) -> String {
        match &self.resolved.manifests.mirror {
            Some(mirror) => {
                let file = pin.url.rsplit('/').next().unwrap_or(&pin.url);
                format!(
                    "{}/{}/{}/{file}",
                    mirror.value.trim_end_matches('/'),
                    pin.name,
                    pin.version
                )
            }
            None => pin.url.clone(),
        }
    }
}

/// The namespace shared by every namespaced object, if they share one.
fn common_namespace(objects: &[Value]) -> Option<String> {
    let namespaces: BTreeSet<&str> = objects
        .iter()
        .filter_map(|object| object.pointer("/metadata/namespace")?.as_str())
        .collect();
    match namespaces.len() {
        1 => namespaces.into_iter().next().map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::KnownContexts;
    use crate::profile::LoadedProfile;
    use crate::profile::load::parse;
    use crate::source::SourceFile;

    fn plan(yaml: &str) -> Plan {
        let catalog = Catalog::embedded().unwrap();
        let source = SourceFile::new("test.yaml", yaml);
        let loaded = LoadedProfile {
            profile: parse(&source).unwrap(),
            source,
        };
        let resolved =
            crate::resolve::resolve(&catalog, &loaded, &KnownContexts::default()).unwrap();
        build(&catalog, &resolved).unwrap()
    }

    fn profile(edition: &str, extra: &str) -> String {
        format!(
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: t}}\n\
             spec:\n  edition: {edition}\n  planes:\n\
             \x20   - {{name: control, type: control, context: cp}}\n\
             \x20   - {{name: local, type: data, context: cp}}\n\
             \x20   - {{name: eu, type: data, context: eu}}\n{extra}"
        )
    }

    fn step<'a>(plan: &'a Plan, id: &str) -> &'a Step {
        plan.steps
            .iter()
            .find(|step| step.id == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    }

    fn helm<'a>(plan: &'a Plan, id: &str) -> &'a HelmAction {
        match &step(plan, id).action {
            Action::Helm(helm) => helm,
            other => panic!("{id} is a {} step", other.kind()),
        }
    }

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

    #[test]
    fn mirror_and_value_overrides_apply() {
        let plan = plan(&profile(
            "generic",
            "  charts: {mirror: 'oci://127.0.0.1:5000/choreo', plainHttp: true}\n\
             \x20 values:\n    openchoreo-control-plane:\n      backstage: {replicas: 2}\n",
        ));
        let control = helm(&plan, "secure-core/control-plane@control");
        let chart = &control.chart;
        assert_eq!(
            chart.reference,
            "oci://127.0.0.1:5000/choreo/openchoreo-control-plane"
        );
        assert!(chart.plain_http);
        let values = &control.values;
        assert_eq!(values["backstage"]["replicas"], 2);
        assert_eq!(values["backstage"]["secretName"], "backstage-secrets");
        assert!(!control.helm.wait, "control plane must not use helm --wait");
    }
}

//! The topology: plane names, exactly one control plane, the kubeconfig context of each plane,
//! and the planes each observability plane serves.

use serde_saphyr::{Location, Spanned};

use super::{GatewayAddress, Plane, ResolveError, Resolver, is_dns_label};
use crate::profile::LoadedProfile;
use crate::profile::model::{PlaneSpec, PlaneType};
use crate::suggest::hint;

impl Resolver<'_> {
    /// The planes in profile order, bound to contexts; exactly one control plane.
    pub(super) fn planes(&self, loaded: &LoadedProfile) -> Result<Vec<Plane>, ResolveError> {
        let specs = &loaded.profile.spec.planes;
        let mut planes: Vec<Plane> = Vec::new();
        for spec in specs {
            let name = &spec.name;
            if !is_dns_label(&name.value) {
                return self.fail(
                    name.referenced,
                    format!("plane name `{}` is not a DNS label", name.value),
                    "use lower-case letters, digits and '-', at most 63 characters".into(),
                );
            }
            if planes.iter().any(|plane| plane.name == name.value) {
                return self.fail(
                    name.referenced,
                    format!("duplicate plane name `{}`", name.value),
                    "give every plane its own name".into(),
                );
            }
            let contexts = self.known_contexts.of(spec.kubeconfig.as_deref());
            let context = match (&spec.context, contexts) {
                (Some(context), Some(contexts)) if !contexts.names.contains(&context.value) => {
                    let hint = hint(&context.value, contexts.names.iter().map(String::as_str));
                    return self.fail(
                        context.referenced,
                        format!(
                            "context `{}` of plane `{}` is not in kubeconfig {}",
                            context.value, name.value, contexts.origin
                        ),
                        format!(
                            "{hint}its contexts are: {}",
                            if contexts.names.is_empty() {
                                "(none)".into()
                            } else {
                                contexts.names.join(", ")
                            }
                        ),
                    );
                }
                (Some(context), _) => Some(context.value.clone()),
                (None, Some(contexts)) => contexts.current.clone(),
                (None, None) => None,
            };
            planes.push(Plane {
                name: name.value.clone(),
                plane_type: spec.plane_type.value,
                context,
                kubeconfig: spec.kubeconfig.clone(),
                serves: Vec::new(),
            });
        }
        let controls: Vec<&Plane> = planes
            .iter()
            .filter(|plane| plane.plane_type == PlaneType::Control)
            .collect();
        if controls.len() != 1 {
            let (at, message) = match controls.get(1) {
                Some(second) => (
                    specs
                        .iter()
                        .find(|spec| spec.name.value == second.name)
                        .map_or(Location::UNKNOWN, |spec| spec.plane_type.referenced),
                    format!(
                        "more than one control plane (`{}` and `{}`)",
                        controls[0].name, second.name
                    ),
                ),
                None => (
                    Location::UNKNOWN,
                    format!("{}: no control plane", self.source.name),
                ),
            };
            return self.fail(
                at,
                message,
                "an installation has exactly one plane of type `control`".into(),
            );
        }
        for (index, spec) in specs.iter().enumerate() {
            planes[index].serves = self.serves(spec, &planes)?;
        }
        Ok(planes)
    }

    /// The control plane's cluster-gateway address, when the profile names one: a DNS name or
    /// an IP address, set on the control plane only.
    pub(super) fn cluster_gateway(
        &self,
        loaded: &LoadedProfile,
    ) -> Result<Option<GatewayAddress>, ResolveError> {
        let mut found = None;
        for spec in &loaded.profile.spec.planes {
            let Some(gateway) = &spec.cluster_gateway else {
                continue;
            };
            let address = &gateway.address;
            if spec.plane_type.value != PlaneType::Control {
                return self.fail(
                    address.referenced,
                    format!(
                        "clusterGateway is set on plane `{}` of type {}; only the control plane \
                         has a cluster gateway",
                        spec.name.value, spec.plane_type.value
                    ),
                    "move `clusterGateway` to the entry of the plane of type `control`".into(),
                );
            }
            found = match GatewayAddress::parse(&address.value) {
                Some(parsed) => Some(parsed),
                None => {
                    return self.fail(
                        address.referenced,
                        format!(
                            "clusterGateway.address `{}` is neither an IP address nor a DNS name",
                            address.value
                        ),
                        "write the host alone, such as `gateway.example.com` or `203.0.113.10`: \
                         no scheme, port or path (agents dial port 8443)"
                            .into(),
                    );
                }
            };
        }
        Ok(found)
    }

    /// The planes an observability plane serves: those listed, else every data and workflow
    /// plane.
    fn serves(&self, spec: &PlaneSpec, planes: &[Plane]) -> Result<Vec<String>, ResolveError> {
        let servable =
            |plane: &Plane| matches!(plane.plane_type, PlaneType::Data | PlaneType::Workflow);
        let Some(serves) = &spec.serves else {
            return Ok(if spec.plane_type.value == PlaneType::Observability {
                planes
                    .iter()
                    .filter(|plane| servable(plane))
                    .map(|plane| plane.name.clone())
                    .collect()
            } else {
                Vec::new()
            });
        };
        if spec.plane_type.value != PlaneType::Observability {
            let at = serves
                .first()
                .map_or(spec.name.referenced, |s| s.referenced);
            return self.fail(
                at,
                format!(
                    "plane `{}` is of type {}; only observability planes serve others",
                    spec.name.value, spec.plane_type.value
                ),
                "remove `serves`, or make the plane `type: observability`".into(),
            );
        }
        let mut names = Vec::new();
        for served in serves {
            let Some(plane) = planes.iter().find(|plane| plane.name == served.value) else {
                return self.unknown_plane(served, planes, "serves");
            };
            if !servable(plane) {
                return self.fail(
                    served.referenced,
                    format!(
                        "`serves` names `{}`, a {} plane; only data and workflow planes are served",
                        plane.name, plane.plane_type
                    ),
                    "list data or workflow planes".into(),
                );
            }
            if !names.contains(&plane.name) {
                names.push(plane.name.clone());
            }
        }
        Ok(names)
    }

    /// The error for a plane name that no plane has.
    pub(super) fn unknown_plane<T>(
        &self,
        name: &Spanned<String>,
        planes: &[Plane],
        field: &str,
    ) -> Result<T, ResolveError> {
        let names: Vec<&str> = planes.iter().map(|plane| plane.name.as_str()).collect();
        let hint = hint(&name.value, names.iter().copied());
        self.fail(
            name.referenced,
            format!("`{field}` names unknown plane `{}`", name.value),
            format!("{hint}the planes are: {}", names.join(", ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::kubeconfig::{Contexts, KnownContexts};
    use crate::resolve::fixtures::*;
    use crate::resolve::{ResolveError, Resolved, resolve};

    #[test]
    fn the_cluster_gateway_address_is_a_dns_name_or_an_ip_set_on_the_control_plane_only() {
        let with = |planes: &str| resolve_yaml(&profile("generic", planes, "    []\n"));
        let control = |address: &str| {
            format!(
                "    - {{name: control, type: control, context: cp, clusterGateway: {{address: '{address}'}}}}\n\
                 \x20   - {{name: eu, type: data, context: eu}}\n"
            )
        };
        let host = with(&control("gw.example.com")).unwrap();
        let gateway = host.cluster_gateway.unwrap();
        assert_eq!(
            (gateway.address.as_str(), gateway.ip),
            ("gw.example.com", false)
        );
        let v6 = with(&control("2001:db8::7"))
            .unwrap()
            .cluster_gateway
            .unwrap();
        assert!(v6.ip);
        assert_eq!(v6.url_host(), "[2001:db8::7]");
        assert!(
            with(&control("198.51.100.7"))
                .unwrap()
                .cluster_gateway
                .unwrap()
                .ip
        );

        for bad in ["https://gw.example.com", "gw.example.com:8443", "GW", ""] {
            let error = message(with(&control(bad)).unwrap_err());
            assert!(
                error.contains("test.yaml:7:")
                    && error.contains("neither an IP address nor a DNS name"),
                "{bad}: {error}"
            );
            assert!(error.contains("no scheme, port or path"), "{error}");
        }
        let on_data = message(
            with(
                "    - {name: control, type: control, context: cp}\n\
                 \x20   - {name: eu, type: data, context: eu, clusterGateway: {address: gw.example.com}}\n",
            )
            .unwrap_err(),
        );
        assert!(
            on_data.contains("test.yaml:8:")
                && on_data.contains("only the control plane has a cluster gateway"),
            "{on_data}"
        );
    }

    #[test]
    fn observability_serves_every_data_and_workflow_plane_by_default() {
        let planes = "    - {name: control, type: control}\n    - {name: eu, type: data}\n\
            \x20   - {name: ci, type: workflow}\n    - {name: obs, type: observability}\n";
        let resolved = resolve_yaml(&profile("generic", planes, "    []\n")).unwrap();
        let obs = resolved.planes.iter().find(|p| p.name == "obs").unwrap();
        assert_eq!(obs.serves, ["eu", "ci"]);
    }

    #[test]
    fn serves_must_name_data_or_workflow_planes() {
        let planes = "    - {name: control, type: control}\n    - {name: eu, type: data}\n\
            \x20   - {name: obs, type: observability, serves: [control]}\n";
        let text = message(resolve_yaml(&profile("generic", planes, "    []\n")).unwrap_err());
        assert!(
            text.contains("a control plane; only data and workflow planes are served"),
            "{text}"
        );
    }

    #[test]
    fn duplicate_planes_and_missing_control_are_errors() {
        let duplicate = "    - {name: control, type: control}\n    - {name: control, type: data}\n";
        let text = message(resolve_yaml(&profile("cilium", duplicate, "    []\n")).unwrap_err());
        assert!(
            text.contains("test.yaml:8:") && text.contains("duplicate plane name `control`"),
            "{text}"
        );
        let headless = "    - {name: eu, type: data}\n";
        let text = message(resolve_yaml(&profile("cilium", headless, "    []\n")).unwrap_err());
        assert!(text.contains("no control plane"), "{text}");
    }

    /// Contexts as a readable kubeconfig would report them; no file is involved.
    fn alpha_and_beta(origin: &str) -> Contexts {
        Contexts {
            origin: origin.into(),
            names: vec!["alpha".into(), "beta".into()],
            current: Some("beta".into()),
        }
    }

    fn resolve_knowing(yaml: &str, known: &KnownContexts) -> Result<Resolved, ResolveError> {
        resolve(&Catalog::embedded().unwrap(), &loaded(yaml), known)
    }

    #[test]
    fn a_context_missing_from_the_known_ones_is_refused_with_the_list() {
        let known = KnownContexts {
            default: Some(alpha_and_beta("~/.kube/config")),
            ..KnownContexts::default()
        };
        let yaml = profile(
            "generic",
            "    - {name: control, type: control, context: alpah}\n",
            "    []\n",
        );
        let text = message(resolve_knowing(&yaml, &known).unwrap_err());
        assert!(
            text.contains("test.yaml:7:")
                && text.contains(
                    "context `alpah` of plane `control` is not in kubeconfig ~/.kube/config"
                ),
            "{text}"
        );
        assert!(
            text.contains("did you mean `alpha`?")
                && text.contains("its contexts are: alpha, beta"),
            "{text}"
        );

        let unnamed = profile(
            "generic",
            "    - {name: control, type: control}\n",
            "    []\n",
        );
        let resolved = resolve_knowing(&unnamed, &known).unwrap();
        assert_eq!(resolved.planes[0].context.as_deref(), Some("beta"));
    }

    #[test]
    fn a_plane_with_its_own_kubeconfig_is_checked_against_that_file_only() {
        let known = KnownContexts {
            files: [("~/eu.yaml".to_string(), alpha_and_beta("~/eu.yaml"))].into(),
            ..KnownContexts::default()
        };
        let planes = "    - {name: control, type: control, context: cp}\n\
            \x20   - {name: eu, type: data, context: gamma, kubeconfig: ~/eu.yaml}\n";
        let text =
            message(resolve_knowing(&profile("generic", planes, "    []\n"), &known).unwrap_err());
        assert!(
            text.contains("context `gamma` of plane `eu` is not in kubeconfig ~/eu.yaml"),
            "{text}"
        );
    }

    #[test]
    fn unknown_kubeconfigs_are_not_checked() {
        let planes = "    - {name: control, type: control, context: anything}\n\
            \x20   - {name: eu, type: data}\n";
        let resolved = resolve_knowing(
            &profile("generic", planes, "    []\n"),
            &KnownContexts::default(),
        )
        .unwrap();
        assert_eq!(resolved.planes[0].context.as_deref(), Some("anything"));
        assert_eq!(resolved.planes[1].context, None);
        assert_eq!(resolved.planes[1].context_label(), "(current)");
    }
}

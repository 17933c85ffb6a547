//! Placement: the planes each module runs on, chosen in the profile or defaulted to its home type.

use serde_saphyr::{Location, Spanned};

use super::{Plane, ResolveError, Resolver};
use crate::catalog::SECURE_CORE;
use crate::catalog::model::Module;
use crate::profile::model::{ModuleSpec, PlaneType};

impl Resolver<'_> {
    /// The planes `module` runs on: those the profile names, else every plane of its home type.
    pub(super) fn placement(
        &self,
        module: &Module,
        spec: Option<&ModuleSpec>,
        planes: &[Plane],
    ) -> Result<Vec<String>, ResolveError> {
        if module.name == SECURE_CORE {
            return Ok(planes.iter().map(|plane| plane.name.clone()).collect());
        }
        let chosen: Vec<&Spanned<String>> = match spec {
            Some(spec) => match (&spec.plane, &spec.planes) {
                (Some(_), Some(planes)) => {
                    let at = planes
                        .first()
                        .map_or(spec.name.referenced, |p| p.referenced);
                    return self.fail(
                        at,
                        format!("module `{}` sets both `plane` and `planes`", module.name),
                        "keep one of them".into(),
                    );
                }
                (Some(plane), None) => vec![plane],
                (None, Some(planes)) => planes.iter().collect(),
                (None, None) => Vec::new(),
            },
            None => Vec::new(),
        };
        if chosen.is_empty() {
            let home = module
                .home
                .expect("validated: installable modules have a home");
            let placed: Vec<String> = planes
                .iter()
                .filter(|plane| plane.plane_type == home)
                .map(|plane| plane.name.clone())
                .collect();
            if placed.is_empty() {
                let at = spec.map_or(Location::UNKNOWN, |spec| spec.name.referenced);
                return self.fail(
                    at,
                    format!(
                        "module `{}` lives on {} {home} plane, and the topology has none",
                        module.name,
                        if home == PlaneType::Observability { "an" } else { "a" }
                    ),
                    format!(
                        "add a plane of type {home}, or place the module with `planes:` on one of type {}",
                        type_list(&module.allowed_planes)
                    ),
                );
            }
            return Ok(placed);
        }
        let mut placed = Vec::new();
        for name in chosen {
            let Some(plane) = planes.iter().find(|plane| plane.name == name.value) else {
                let field = if spec.is_some_and(|spec| spec.plane.is_some()) {
                    "plane"
                } else {
                    "planes"
                };
                return self.unknown_plane(name, planes, field);
            };
            if !module.allowed_planes.contains(&plane.plane_type) {
                return self.fail(
                    name.referenced,
                    format!(
                        "module `{}` cannot run on plane `{}`: it is a {} plane",
                        module.name, plane.name, plane.plane_type
                    ),
                    format!(
                        "`{}` runs on {} planes",
                        module.name,
                        type_list(&module.allowed_planes)
                    ),
                );
            }
            if !placed.contains(&plane.name) {
                placed.push(plane.name.clone());
            }
        }
        Ok(placed)
    }
}

/// Plane types as `a or b`.
fn type_list(types: &[PlaneType]) -> String {
    types
        .iter()
        .map(|plane_type| plane_type.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use crate::resolve::fixtures::*;

    #[test]
    fn default_placement_is_every_plane_of_the_home_type() {
        let resolved = resolve_yaml(&profile("cilium", TOPOLOGY, "    - name: elastic\n")).unwrap();
        assert_eq!(module(&resolved, "elastic").planes, ["eu", "us"]);
        let placed = resolve_yaml(&profile(
            "cilium",
            TOPOLOGY,
            "    - {name: elastic, planes: [us]}\n",
        ))
        .unwrap();
        assert_eq!(module(&placed, "elastic").planes, ["us"]);
    }

    #[test]
    fn elastic_only_on_data_planes() {
        let error = resolve_yaml(&profile(
            "cilium",
            TOPOLOGY,
            "    - {name: elastic, plane: ci}\n",
        ))
        .unwrap_err();
        let text = message(error);
        assert!(
            text.contains("module `elastic` cannot run on plane `ci`: it is a workflow plane"),
            "{text}"
        );
        assert!(text.contains("runs on data planes"), "{text}");
    }

    #[test]
    fn build_may_sit_on_a_data_plane_but_not_on_control() {
        resolve_yaml(&profile(
            "cilium",
            TOPOLOGY,
            "    - {name: build, plane: eu}\n",
        ))
        .unwrap();
        let error = resolve_yaml(&profile(
            "cilium",
            TOPOLOGY,
            "    - {name: build, plane: control}\n",
        ))
        .unwrap_err();
        assert!(message(error).contains("runs on workflow or data planes"));
    }

    #[test]
    fn home_plane_type_must_exist() {
        let planes = "    - {name: control, type: control}\n    - {name: eu, type: data}\n";
        let text =
            message(resolve_yaml(&profile("cilium", planes, "    - name: observe\n")).unwrap_err());
        assert!(
            text.contains("lives on an observability plane, and the topology has none"),
            "{text}"
        );
    }
}

//! From a profile and the catalog to a checked topology: planes bound to contexts, modules
//! with their requirements, edition support and placement.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use miette::Diagnostic;
use petgraph::graphmap::DiGraphMap;
use serde::Serialize;
use serde_json::Value;
use serde_saphyr::{Location, Spanned};

use crate::catalog::model::{Module, Release, SupportLevel};
use crate::catalog::{Catalog, SECURE_CORE};
use crate::kubeconfig::{self, Contexts};
use crate::profile::LoadedProfile;
use crate::profile::model::{ChartsSpec, Edition, ManifestsSpec, ModuleSpec, PlaneType};
use crate::source::{LocatedError, SourceFile};
use crate::suggest::hint;

/// Domain used when the profile sets none.
pub const DEFAULT_DOMAIN: &str = "openchoreo.localhost";

/// The checked, fully defaulted installation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    /// Installation name (`metadata.name`).
    pub name: String,
    /// The edition.
    pub edition: Edition,
    /// The OpenChoreo release and its pinned versions.
    #[serde(skip)]
    pub release: Release,
    /// OpenChoreo release version.
    pub version: String,
    /// Base domain.
    pub domain: String,
    /// Planes in profile order.
    pub planes: Vec<Plane>,
    /// Modules to install, requirements before the modules that need them.
    pub modules: Vec<ResolvedModule>,
    /// Modules asked for that are planned but not installable yet.
    pub planned: Vec<PlannedModule>,
    /// Chart source settings.
    pub charts: ChartsSpec,
    /// Manifest source settings.
    pub manifests: ManifestsSpec,
    /// Per-release value overrides.
    pub values: BTreeMap<String, Value>,
}

/// A plane bound to a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plane {
    /// Plane name (also its plane ID).
    pub name: String,
    /// Plane type.
    #[serde(rename = "type")]
    pub plane_type: PlaneType,
    /// kubeconfig context; `None` means the current context of an unreadable kubeconfig.
    pub context: Option<String>,
    /// kubeconfig file for this plane, when not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// For observability planes: the planes served.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub serves: Vec<String>,
}

impl Plane {
    /// Identifies the cluster: planes with the same key share it.
    pub fn cluster_key(&self) -> (Option<&str>, Option<&str>) {
        (self.kubeconfig.as_deref(), self.context.as_deref())
    }

    /// The context as shown to users.
    pub fn context_label(&self) -> &str {
        self.context.as_deref().unwrap_or("(current)")
    }
}

/// A module to install, where, and with what.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedModule {
    /// Catalog name.
    pub name: String,
    /// Support level on the chosen edition.
    pub level: SupportLevel,
    /// Features that level turns on.
    pub features: Vec<String>,
    /// Planes the module is placed on.
    pub planes: Vec<String>,
    /// Options, defaults filled in.
    pub options: BTreeMap<String, Value>,
    /// Set when the module was added only because others require it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_by: Vec<String>,
}

/// A module the profile asks for that cannot be installed yet.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedModule {
    /// Catalog name.
    pub name: String,
    /// Why it is not installed.
    pub reason: String,
}

/// A profile that does not fit the catalog or the clusters.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ResolveError {
    /// A problem at a place in the profile.
    #[error(transparent)]
    #[diagnostic(transparent)]
    At(Box<LocatedError>),
    /// A problem with no single place (flags, whole topology).
    #[error("{message}")]
    #[diagnostic(help("{help}"))]
    Input {
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: String,
    },
}

/// Resolution of one profile.
struct Resolver<'a> {
    catalog: &'a Catalog,
    source: &'a SourceFile,
    default_kubeconfig: Option<&'a Path>,
}

/// Checks the profile against the catalog (and the kubeconfig, when readable).
pub fn resolve(
    catalog: &Catalog,
    loaded: &LoadedProfile,
    default_kubeconfig: Option<&Path>,
) -> Result<Resolved, ResolveError> {
    Resolver {
        catalog,
        source: &loaded.source,
        default_kubeconfig,
    }
    .resolve(loaded)
}

impl Resolver<'_> {
    fn fail<T>(&self, at: Location, message: String, help: String) -> Result<T, ResolveError> {
        if at == Location::UNKNOWN {
            Err(ResolveError::Input { message, help })
        } else {
            Err(ResolveError::At(self.source.error_at(
                at,
                message,
                Some(help),
            )))
        }
    }

    fn resolve(&self, loaded: &LoadedProfile) -> Result<Resolved, ResolveError> {
        let spec = &loaded.profile.spec;
        let Some(edition) = &spec.edition else {
            let help =
                "set `edition: cilium` or `edition: generic` under `spec:`, or pass --edition";
            return Err(match line_of_key(&self.source.text, "spec") {
                Some(line) => ResolveError::At(self.source.error_at_line(
                    line,
                    1,
                    "no edition chosen",
                    Some(help.into()),
                )),
                None => ResolveError::Input {
                    message: format!("{}: no edition chosen", self.source.name),
                    help: help.into(),
                },
            });
        };
        let edition = edition.value;
        let release = self.release(spec.version.as_ref())?;
        let planes = self.planes(loaded)?;
        let (modules, planned) = self.modules(&spec.modules, edition, &planes)?;
        let domain = match &spec.domain {
            Some(domain) => self.domain(domain)?,
            None => DEFAULT_DOMAIN.to_string(),
        };
        self.check_value_overrides(&spec.values, &modules)?;
        Ok(Resolved {
            name: loaded.profile.metadata.name.clone(),
            edition,
            version: release.version.clone(),
            release,
            domain,
            planes,
            modules,
            planned,
            charts: spec.charts.clone().unwrap_or_default(),
            manifests: spec.manifests.clone().unwrap_or_default(),
            values: spec
                .values
                .iter()
                .map(|(release, value)| (release.clone(), value.value.clone()))
                .collect(),
        })
    }

    fn domain(&self, domain: &Spanned<String>) -> Result<String, ResolveError> {
        let value = &domain.value;
        let valid = value.len() <= 253 && value.contains('.') && value.split('.').all(is_dns_label);
        if valid {
            Ok(value.clone())
        } else {
            self.fail(
                domain.referenced,
                format!("domain `{value}` is not a DNS name"),
                "give a base domain such as `choreo.example.com`: lower-case labels separated by dots, no scheme, port or path".into(),
            )
        }
    }

    /// Overrides must name a release the plan installs; a typo would be silently ignored.
    fn check_value_overrides(
        &self,
        values: &BTreeMap<String, Spanned<Value>>,
        modules: &[ResolvedModule],
    ) -> Result<(), ResolveError> {
        let releases: BTreeSet<&str> = modules
            .iter()
            .flat_map(|module| &self.catalog.modules[&module.name].steps)
            .filter_map(|step| match &step.action {
                crate::catalog::model::Action::Helm(helm) => Some(helm.release.as_str()),
                _ => None,
            })
            .collect();
        for (release, value) in values {
            if releases.contains(release.as_str()) {
                continue;
            }
            let hint = hint(release, releases.iter().copied());
            let line = line_of_key(&self.source.text, release);
            let message = format!(
                "`values` overrides release `{release}`, which this installation does not have"
            );
            let help = format!(
                "{hint}releases: {}",
                releases.iter().copied().collect::<Vec<_>>().join(", ")
            );
            return match line {
                Some(line) => Err(ResolveError::At(self.source.error_at_line(
                    line,
                    1,
                    message,
                    Some(help),
                ))),
                None => self.fail(value.referenced, message, help),
            };
        }
        Ok(())
    }

    fn release(&self, version: Option<&Spanned<String>>) -> Result<Release, ResolveError> {
        let Some(version) = version else {
            return Ok(self.catalog.newest_release().clone());
        };
        match self.catalog.release(&version.value) {
            Some(release) => Ok(release.clone()),
            None => self.fail(
                version.referenced,
                format!(
                    "OpenChoreo release `{}` is not in the catalog",
                    version.value
                ),
                format!(
                    "use one of: {}",
                    self.catalog
                        .releases
                        .values()
                        .map(|release| release.version.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }

    fn planes(&self, loaded: &LoadedProfile) -> Result<Vec<Plane>, ResolveError> {
        let specs = &loaded.profile.spec.planes;
        let mut planes: Vec<Plane> = Vec::new();
        let mut kubeconfigs: BTreeMap<Option<String>, Option<Contexts>> = BTreeMap::new();
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
            let contexts =
                kubeconfigs
                    .entry(spec.kubeconfig.clone())
                    .or_insert_with(|| match &spec.kubeconfig {
                        Some(path) => kubeconfig::read(Some(Path::new(path))),
                        None => kubeconfig::read(self.default_kubeconfig),
                    });
            let context = match (&spec.context, contexts.as_ref()) {
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

    fn serves(
        &self,
        spec: &crate::profile::model::PlaneSpec,
        planes: &[Plane],
    ) -> Result<Vec<String>, ResolveError> {
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

    fn unknown_plane<T>(
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

    fn modules(
        &self,
        specs: &[ModuleSpec],
        edition: Edition,
        planes: &[Plane],
    ) -> Result<(Vec<ResolvedModule>, Vec<PlannedModule>), ResolveError> {
        let mut asked: BTreeMap<String, &ModuleSpec> = BTreeMap::new();
        let mut planned = Vec::new();
        for spec in specs {
            let name = &spec.name;
            let Some(module) = self.catalog.module(&name.value) else {
                let names: Vec<&str> = self
                    .catalog
                    .add_on_modules()
                    .into_iter()
                    .map(|module| module.name.as_str())
                    .collect();
                let hint = hint(&name.value, names.iter().copied());
                return self.fail(
                    name.referenced,
                    format!("unknown module `{}`", name.value),
                    format!(
                        "{hint}modules: {} (see `choreoctl module list`)",
                        names.join(", ")
                    ),
                );
            };
            if module.name == SECURE_CORE {
                return self.fail(
                    name.referenced,
                    "the Secure Core is always installed; it is not listed as a module".into(),
                    "remove this entry".into(),
                );
            }
            if asked.insert(name.value.clone(), spec).is_some() {
                return self.fail(
                    name.referenced,
                    format!("module `{}` is listed twice", name.value),
                    "list each module once; use `planes: [...]` for several planes".into(),
                );
            }
            let support = &module.editions[&edition];
            match support.level {
                SupportLevel::Planned => planned.push(PlannedModule {
                    name: module.name.clone(),
                    reason: support.reason.clone().unwrap_or_default(),
                }),
                SupportLevel::Unsupported => {
                    return self.fail(
                        name.referenced,
                        format!(
                            "{} is not supported on the {edition} edition: {}",
                            module.title,
                            support.reason.as_deref().unwrap_or("")
                        ),
                        support
                            .remedy
                            .clone()
                            .unwrap_or_else(|| "remove the module or change the edition".into()),
                    );
                }
                _ => {}
            }
        }

        let order = self.dependency_order(&asked)?;
        let mut resolved = Vec::new();
        for name in order {
            let module = &self.catalog.modules[&name];
            let support = &module.editions[&edition];
            if support.level == SupportLevel::Planned {
                continue;
            }
            let spec = asked.get(&name).copied();
            let required_by: Vec<String> = if spec.is_some() || name == SECURE_CORE {
                Vec::new()
            } else {
                resolved_requirers(&self.catalog.modules, &asked, &name)
            };
            if spec.is_none() && !support.level.installable() && name != SECURE_CORE {
                return Err(ResolveError::Input {
                    message: format!(
                        "{} requires {}, which is not supported on the {edition} edition: {}",
                        required_by.join(", "),
                        module.title,
                        support.reason.as_deref().unwrap_or("")
                    ),
                    help: support
                        .remedy
                        .clone()
                        .unwrap_or_else(|| "change the edition".into()),
                });
            }
            resolved.push(ResolvedModule {
                name: name.clone(),
                level: support.level,
                features: support.features.clone(),
                planes: self.placement(module, spec, planes)?,
                options: self.options(module, spec)?,
                required_by,
            });
        }
        Ok((resolved, planned))
    }

    /// Secure Core first, then every module after the modules it requires.
    fn dependency_order(
        &self,
        asked: &BTreeMap<String, &ModuleSpec>,
    ) -> Result<Vec<String>, ResolveError> {
        let mut graph: DiGraphMap<&str, ()> = DiGraphMap::new();
        graph.add_node(SECURE_CORE);
        let mut queue: Vec<&str> = asked.keys().map(String::as_str).collect();
        let mut seen = BTreeSet::new();
        while let Some(name) = queue.pop() {
            if !seen.insert(name) {
                continue;
            }
            graph.add_node(name);
            graph.add_edge(SECURE_CORE, name, ());
            for required in &self.catalog.modules[name].requires {
                graph.add_edge(required.as_str(), name, ());
                queue.push(required);
            }
        }
        if let Err(cycle) = petgraph::algo::toposort(&graph, None) {
            let path = cycle_path(&graph, cycle.node_id());
            return Err(ResolveError::Input {
                message: format!("module requirements form a cycle: {}", path.join(" -> ")),
                help: "break the cycle in the `requires:` lists of the catalog (modules/*.yaml)"
                    .into(),
            });
        }
        // Acyclic: emit, among the modules whose requirements are done, the earliest adoption
        // stage first (then by name), so plans read in the order platforms grow.
        let mut order: Vec<String> = Vec::new();
        while order.len() < graph.node_count() {
            let next = graph
                .nodes()
                .filter(|name| !order.iter().any(|done| done == name))
                .filter(|name| {
                    graph
                        .neighbors_directed(name, petgraph::Direction::Incoming)
                        .all(|before| order.iter().any(|done| done == before))
                })
                .min_by_key(|name| (self.catalog.modules[*name].stage, *name))
                .expect("an acyclic graph always has a ready node");
            order.push(next.to_string());
        }
        Ok(order)
    }

    fn placement(
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

    fn options(
        &self,
        module: &Module,
        spec: Option<&ModuleSpec>,
    ) -> Result<BTreeMap<String, Value>, ResolveError> {
        let mut options: BTreeMap<String, Value> = module
            .options
            .iter()
            .map(|(name, option)| (name.clone(), option.default.clone()))
            .collect();
        let Some(spec) = spec else {
            return Ok(options);
        };
        for (name, value) in &spec.options {
            let Some(option) = module.options.get(name) else {
                let names: Vec<&str> = module.options.keys().map(String::as_str).collect();
                let hint = hint(name, names.iter().copied());
                return self.fail(
                    value.referenced,
                    format!("module `{}` has no option `{name}`", module.name),
                    if names.is_empty() {
                        format!("`{}` takes no options", module.name)
                    } else {
                        format!("{hint}its options are: {}", names.join(", "))
                    },
                );
            };
            if !option.one_of.is_empty() && !option.one_of.contains(&value.value) {
                return self.fail(
                    value.referenced,
                    format!(
                        "option `{name}` of module `{}` cannot be {}",
                        module.name, value.value
                    ),
                    format!(
                        "use one of: {}",
                        option
                            .one_of
                            .iter()
                            .map(Value::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            if !same_type(&option.default, &value.value) {
                return self.fail(
                    value.referenced,
                    format!(
                        "option `{name}` of module `{}` must be a {}, not {}",
                        module.name,
                        type_name(&option.default),
                        value.value
                    ),
                    format!("{}; default: {}", option.description, option.default),
                );
            }
            options.insert(name.clone(), value.value.clone());
        }
        Ok(options)
    }
}

/// Asked modules that (transitively) require `name`.
fn resolved_requirers(
    modules: &BTreeMap<String, Module>,
    asked: &BTreeMap<String, &ModuleSpec>,
    name: &str,
) -> Vec<String> {
    asked
        .keys()
        .filter(|asked| {
            let mut queue = vec![asked.as_str()];
            let mut seen = BTreeSet::new();
            while let Some(next) = queue.pop() {
                if !seen.insert(next) {
                    continue;
                }
                for required in &modules[next].requires {
                    if required == name {
                        return true;
                    }
                    queue.push(required);
                }
            }
            false
        })
        .cloned()
        .collect()
}

/// The shortest cycle through `start`, as the modules along it, `start` repeated at the end.
fn cycle_path<'a>(graph: &DiGraphMap<&'a str, ()>, start: &'a str) -> Vec<&'a str> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.neighbors(node) {
            if next == start {
                let mut path = vec![start];
                let mut current = node;
                while current != start {
                    path.push(current);
                    current = parent[current];
                }
                path.push(start);
                let last = path.len() - 1;
                path[1..last].reverse();
                return path;
            }
            if !parent.contains_key(next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![start, start]
}

/// The 1-based line on which `key:` is written (first occurrence).
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with(':')
        })
        .map(|index| index + 1)
}

fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !name.is_empty()
        && name.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

fn type_list(types: &[PlaneType]) -> String {
    types
        .iter()
        .map(|plane_type| plane_type.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        || (a.is_number() && b.is_number())
        || a.is_null()
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::load::parse;

    const NO_KUBECONFIG: &str = "/nonexistent/choreoctl-test-kubeconfig";

    fn resolve_yaml(yaml: &str) -> Result<Resolved, ResolveError> {
        let catalog = Catalog::embedded().expect("embedded catalog loads");
        resolve_with(&catalog, yaml)
    }

    fn resolve_with(catalog: &Catalog, yaml: &str) -> Result<Resolved, ResolveError> {
        let source = SourceFile::new("test.yaml", yaml);
        let profile = parse(&source).expect("test profile parses");
        resolve(
            catalog,
            &LoadedProfile { profile, source },
            Some(Path::new(NO_KUBECONFIG)),
        )
    }

    fn profile(edition: &str, planes: &str, modules: &str) -> String {
        format!(
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: t}}\n\
             spec:\n  edition: {edition}\n  planes:\n{planes}  modules:\n{modules}"
        )
    }

    const TOPOLOGY: &str = "    - {name: control, type: control, context: cp}\n\
        \x20   - {name: eu, type: data, context: eu}\n\
        \x20   - {name: us, type: data, context: us}\n\
        \x20   - {name: ci, type: workflow, context: cp}\n\
        \x20   - {name: obs, type: observability, context: obs, serves: [eu]}\n";

    fn message(error: ResolveError) -> String {
        match error {
            ResolveError::At(located) => {
                format!("{} | {}", located, located.help.clone().unwrap_or_default())
            }
            ResolveError::Input { message, help } => format!("{message} | {help}"),
        }
    }

    fn module<'a>(resolved: &'a Resolved, name: &str) -> &'a ResolvedModule {
        resolved
            .modules
            .iter()
            .find(|module| module.name == name)
            .unwrap_or_else(|| panic!("module {name} resolved"))
    }

    #[test]
    fn requirements_are_added_transitively_and_ordered_first() {
        let resolved =
            resolve_yaml(&profile("cilium", TOPOLOGY, "    - name: automate\n")).unwrap();
        let names: Vec<&str> = resolved.modules.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["secure-core", "build", "automate"]);
        assert_eq!(module(&resolved, "build").required_by, ["automate"]);
        assert!(module(&resolved, "automate").required_by.is_empty());
    }

    #[test]
    fn guard_on_generic_is_refused_with_the_way_out() {
        let error = resolve_yaml(&profile("generic", TOPOLOGY, "    - name: guard\n")).unwrap_err();
        let text = message(error);
        assert!(text.contains("test.yaml:13:"), "{text}");
        assert!(
            text.contains(
                "Guard needs the Cilium edition; run `choreoctl migrate generic-to-cilium` first"
            ),
            "{text}"
        );
    }

    #[test]
    fn observe_level_and_features_follow_the_edition() {
        let modules = "    - name: observe\n";
        let cilium = resolve_yaml(&profile("cilium", TOPOLOGY, modules)).unwrap();
        let generic = resolve_yaml(&profile("generic", TOPOLOGY, modules)).unwrap();
        assert_eq!(module(&cilium, "observe").level, SupportLevel::Advanced);
        assert!(
            module(&cilium, "observe")
                .features
                .contains(&"tracing".to_string())
        );
        assert_eq!(module(&generic, "observe").level, SupportLevel::Common);
        assert_eq!(module(&generic, "observe").features, ["logs", "metrics"]);
    }

    #[test]
    fn planned_modules_are_reported_not_dropped() {
        let resolved =
            resolve_yaml(&profile("cilium", TOPOLOGY, "    - name: intelligence\n")).unwrap();
        assert_eq!(resolved.planned.len(), 1);
        assert_eq!(resolved.planned[0].name, "intelligence");
        assert!(resolved.modules.iter().all(|m| m.name != "intelligence"));
    }

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
    fn home_plane_type_must_exist() {
        let planes = "    - {name: control, type: control}\n    - {name: eu, type: data}\n";
        let text =
            message(resolve_yaml(&profile("cilium", planes, "    - name: observe\n")).unwrap_err());
        assert!(
            text.contains("lives on an observability plane, and the topology has none"),
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

    #[test]
    fn options_are_defaulted_and_checked() {
        let resolved = resolve_yaml(&profile("cilium", TOPOLOGY, "    - name: cd\n")).unwrap();
        assert_eq!(module(&resolved, "cd").options["engine"], "argocd");
        let text = message(
            resolve_yaml(&profile(
                "cilium",
                TOPOLOGY,
                "    - {name: cd, options: {engin: flux}}\n",
            ))
            .unwrap_err(),
        );
        assert!(
            text.contains("has no option `engin`") && text.contains("did you mean `engine`?"),
            "{text}"
        );
    }

    #[test]
    fn contexts_missing_from_a_readable_kubeconfig_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\nclusters:\n- {name: c, cluster: {server: 'https://127.0.0.1:6443'}}\n\
             users:\n- {name: u, user: {}}\ncontexts:\n- {name: alpha, context: {cluster: c, user: u}}\n\
             - {name: beta, context: {cluster: c, user: u}}\ncurrent-context: beta\n",
        )
        .unwrap();
        let catalog = Catalog::embedded().unwrap();
        let yaml = profile(
            "generic",
            "    - {name: control, type: control, context: alpah}\n",
            "    []\n",
        );
        let source = SourceFile::new("test.yaml", yaml.as_str());
        let loaded = LoadedProfile {
            profile: parse(&source).unwrap(),
            source,
        };
        let text = message(resolve(&catalog, &loaded, Some(&path)).unwrap_err());
        assert!(
            text.contains("context `alpah` of plane `control` is not in kubeconfig"),
            "{text}"
        );
        assert!(
            text.contains("did you mean `alpha`?") && text.contains("alpha, beta"),
            "{text}"
        );

        let current = profile(
            "generic",
            "    - {name: control, type: control}\n",
            "    []\n",
        );
        let source = SourceFile::new("test.yaml", current.as_str());
        let loaded = LoadedProfile {
            profile: parse(&source).unwrap(),
            source,
        };
        let resolved = resolve(&catalog, &loaded, Some(&path)).unwrap();
        assert_eq!(resolved.planes[0].context.as_deref(), Some("beta"));
    }

    #[test]
    fn a_requirement_cycle_prints_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for sub in ["modules", "templates"] {
            copy_dir(&root.join(sub), &dir.path().join(sub));
        }
        for (name, requires) in [
            ("cd", "[registry]"),
            ("registry", "[edge]"),
            ("edge", "[cd]"),
        ] {
            let path = dir.path().join(format!("modules/{name}.yaml"));
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.replacen(
                "\neditions:",
                &format!("\nrequires: {requires}\neditions:"),
                1,
            );
            std::fs::write(&path, text).unwrap();
        }
        let catalog = Catalog::from_dir(dir.path()).unwrap();
        let planes = "    - {name: control, type: control}\n    - {name: eu, type: data}\n\
            \x20   - {name: ci, type: workflow}\n";
        let text = message(
            resolve_with(&catalog, &profile("cilium", planes, "    - name: edge\n")).unwrap_err(),
        );
        assert!(text.contains("module requirements form a cycle:"), "{text}");
        let cycle = text
            .split("cycle: ")
            .nth(1)
            .unwrap()
            .split(" |")
            .next()
            .unwrap();
        let path: Vec<&str> = cycle.split(" -> ").collect();
        assert_eq!(path.len(), 4, "{text}");
        assert_eq!(path.first(), path.last(), "{text}");
        for name in ["cd", "registry", "edge"] {
            assert!(path.contains(&name), "{text}");
        }
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy_dir(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
}

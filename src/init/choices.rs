//! What `init` offers: the two editions and the four topologies in the words of the modular
//! architecture proposal, and the modules with whether each fits the chosen edition and
//! topology.

use crate::catalog::Catalog;
use crate::catalog::model::{EditionSupport, Module, SupportLevel};
use crate::profile::model::{Edition, PlaneSpec, PlaneType};

/// An edition as `init` presents it.
#[derive(Debug, Clone, Copy)]
pub struct EditionChoice {
    /// The edition.
    pub edition: Edition,
    /// One line for the menu.
    pub summary: &'static str,
    /// The trade-off, in the proposal's words.
    pub details: &'static str,
}

/// The editions, Cilium first (the proposal's order).
pub const EDITIONS: [EditionChoice; 2] = [
    EditionChoice {
        edition: Edition::Cilium,
        summary: "zero trust + encryption, every module (Cilium becomes the CNI)",
        details: "Cilium is the mandatory CNI. Full Zero Trust networking with traffic \
            encryption; supports all add-on modules, including advanced observability and \
            governance. For enterprises and advanced teams building toward a full IDP.",
    },
    EditionChoice {
        edition: Edition::Generic,
        summary: "quick start on the cluster's existing CNI, limited modules",
        details: "Runs with the CNI the cluster has (Calico, Flannel, cloud-provider). Basic \
            network isolation (no encryption); observability is basic logs and metrics only; \
            governance (Guard) is not supported. For teams that want a quick start with their \
            existing network stack; `choreoctl migrate generic-to-cilium` moves to Cilium later.",
    },
];

/// A topology: one of the proposal's four deployment patterns, shipped as a preset.
#[derive(Debug, Clone, Copy)]
pub struct Topology {
    /// Preset name in `profiles/`.
    pub preset: &'static str,
    /// The pattern's name and level in the proposal.
    pub pattern: &'static str,
    /// What it is, in the proposal's words.
    pub description: &'static str,
}

/// The four deployment patterns, simplest first.
pub const TOPOLOGIES: [Topology; 4] = [
    Topology {
        preset: "single-plane",
        pattern: "Single-Plane (Simple)",
        description: "all modules run on one cluster; ideal for minimal setups",
    },
    Topology {
        preset: "multi-plane",
        pattern: "Multi-Plane (Intermediate)",
        description: "separate control and data plane clusters",
    },
    Topology {
        preset: "shared-observability",
        pattern: "Shared-Observability (Advanced)",
        description: "one observability plane serves multiple data planes to reduce cost and \
            centralize telemetry",
    },
    Topology {
        preset: "fully-isolated",
        pattern: "Fully Isolated (Enterprise)",
        description: "each plane (control, data, CI, observability) runs independently for \
            scale, compliance, and security",
    },
];

/// The topology a preset name stands for.
pub fn topology(preset: &str) -> Option<&'static Topology> {
    TOPOLOGIES.iter().find(|topology| topology.preset == preset)
}

/// Where a module goes in the chosen topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The default: every plane of its home type (or nowhere yet, for a planned module).
    Home,
    /// The topology has no plane of its home type: these planes of a type it also allows.
    Planes(Vec<String>),
    /// No plane of the topology can hold it; the reason.
    Nowhere(String),
}

/// A module as `init` offers it on one edition and topology.
#[derive(Debug, Clone)]
pub struct ModuleChoice<'a> {
    /// The catalog entry.
    pub module: &'a Module,
    /// Its support on the chosen edition.
    pub support: &'a EditionSupport,
    /// Where it would go.
    pub placement: Placement,
    /// Why it cannot be chosen, when it cannot.
    pub unavailable: Option<String>,
}

impl ModuleChoice<'_> {
    /// Whether it can be chosen.
    pub fn selectable(&self) -> bool {
        self.unavailable.is_none()
    }
}

/// Every add-on module in adoption-stage order, with its support on `edition` and where it
/// would go among `planes`.
pub fn module_choices<'a>(
    catalog: &'a Catalog,
    edition: Edition,
    planes: &[PlaneSpec],
) -> Vec<ModuleChoice<'a>> {
    let mut choices: Vec<ModuleChoice<'a>> = catalog
        .add_on_modules()
        .into_iter()
        .map(|module| {
            let support = &module.editions[&edition];
            let placement = placement(module, planes);
            let unavailable = match (support.level, &placement) {
                (SupportLevel::Unsupported, _) => Some(format!(
                    "unsupported on the {edition} edition: {}",
                    support.reason.as_deref().unwrap_or("no reason given")
                )),
                (SupportLevel::Planned, _) => Some(format!(
                    "planned: {}",
                    support.reason.as_deref().unwrap_or("not installable yet")
                )),
                (_, Placement::Nowhere(reason)) => Some(reason.clone()),
                _ => None,
            };
            ModuleChoice {
                module,
                support,
                placement,
                unavailable,
            }
        })
        .collect();
    // A module whose requirement cannot be chosen cannot be chosen either.
    loop {
        let blocked: Vec<(usize, String)> = choices
            .iter()
            .enumerate()
            .filter(|(_, choice)| choice.selectable())
            .filter_map(|(index, choice)| {
                choice.module.requires.iter().find_map(|required| {
                    let reason = choices
                        .iter()
                        .find(|other| other.module.name == *required)?
                        .unavailable
                        .as_ref()?;
                    Some((index, format!("needs {required}: {reason}")))
                })
            })
            .collect();
        if blocked.is_empty() {
            return choices;
        }
        for (index, reason) in blocked {
            choices[index].unavailable = Some(reason);
        }
    }
}

/// Where `module` goes among `planes`: its home type when the topology has one, else every
/// plane of the first type it also allows that the topology has.
fn placement(module: &Module, planes: &[PlaneSpec]) -> Placement {
    let Some(home) = module.home else {
        return Placement::Home;
    };
    let of_type = |plane_type: PlaneType| -> Vec<String> {
        planes
            .iter()
            .filter(|plane| plane.plane_type.value == plane_type)
            .map(|plane| plane.name.value.clone())
            .collect()
    };
    if !of_type(home).is_empty() {
        return Placement::Home;
    }
    for allowed in &module.allowed_planes {
        let names = of_type(*allowed);
        if !names.is_empty() {
            return Placement::Planes(names);
        }
    }
    let types: Vec<&str> = module.allowed_planes.iter().map(|t| t.as_str()).collect();
    Placement::Nowhere(format!(
        "needs a plane of type {}, and this topology has none",
        types.join(" or ")
    ))
}

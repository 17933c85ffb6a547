//! `init`'s questions: each answer from its flag, or asked (edition, topology, domain,
//! modules); the planes' contexts are bound in `contexts.rs`.

use std::path::Path;

use super::InitRequest;
use super::contexts::bind_contexts;
use super::layout::{matrix, wrap};
use crate::catalog::Catalog;
use crate::commands::prompt::Asker;
use crate::error::Error;
use crate::init::choices::{EDITIONS, ModuleChoice, TOPOLOGIES, module_choices, topology};
use crate::init::{Answers, TopologyPreset, topology_preset};
use crate::kubeconfig::KnownContexts;
use crate::profile::ProfileError;
use crate::profile::model::{Edition, PlaneSpec};
use crate::resolve::{DEFAULT_DOMAIN, DOMAIN_HELP, is_dns_name};
use crate::suggest::hint;

/// Every answer of `request`, the missing ones asked by `asker`.
pub(super) fn ask(
    catalog: &Catalog,
    request: &InitRequest,
    kubeconfig: Option<&Path>,
    asker: &Asker,
) -> Result<Answers, Error> {
    let edition = match request.edition {
        Some(edition) => edition,
        None => ask_edition(asker)?,
    };
    let topology = match &request.topology {
        Some(name) => checked_topology(catalog, name)?,
        None => ask_topology(asker)?,
    };
    // Without a terminal and without --preset, the default topology's planes are not the
    // user's: their contexts are asked for generically.
    let topology_known = request.topology.is_some() || !asker.refuses();
    let preset = topology_preset(catalog, &topology).map_err(ProfileError::from)?;
    let known = KnownContexts::read(kubeconfig, [None]).default;
    let planes = bind_contexts(request, &preset, topology_known, known.as_ref(), asker)?;
    let domain = match &request.domain {
        Some(domain) => domain.clone(),
        None => asker.input("--domain DOMAIN", "Base domain", DEFAULT_DOMAIN, |text| {
            if is_dns_name(text) {
                Ok(())
            } else {
                Err(DOMAIN_HELP.to_string())
            }
        })?,
    };
    let modules = match &request.modules {
        Some(modules) => modules.clone(),
        None => ask_modules(catalog, edition, &preset, &planes, asker)?,
    };
    Ok(Answers {
        name: request.name.clone(),
        edition,
        topology,
        planes,
        domain,
        modules,
    })
}

fn ask_edition(asker: &Asker) -> Result<Edition, Error> {
    let mut explanation = String::from("Secure Core edition:\n");
    for choice in EDITIONS {
        explanation.push_str(&format!("  {}: {}\n", choice.edition, choice.details));
    }
    asker.say(&wrap(&explanation, asker.width()));
    let items: Vec<String> = EDITIONS
        .iter()
        .map(|choice| format!("{:<8} {}", choice.edition.as_str(), choice.summary))
        .collect();
    let default = EDITIONS
        .iter()
        .position(|choice| choice.edition == Edition::Generic)
        .expect("generic is an edition");
    let index = asker.select("--edition cilium|generic", "Edition", &items, default)?;
    Ok(EDITIONS[index].edition)
}

fn checked_topology(catalog: &Catalog, name: &str) -> Result<String, ProfileError> {
    if topology(name).is_some() {
        return Ok(name.to_string());
    }
    let names: Vec<&str> = TOPOLOGIES.iter().map(|topology| topology.preset).collect();
    let help = if catalog.presets.contains_key(name) {
        format!(
            "`{name}` is a ready-made profile, not a topology: `choreoctl profile show --preset {name} > {name}.yaml` starts from it"
        )
    } else {
        format!(
            "{}topologies: {}",
            hint(name, names.iter().copied()),
            names.join(", ")
        )
    };
    Err(ProfileError::Flag {
        message: format!("init starts from a topology, and `{name}` is none"),
        help,
    })
}

fn ask_topology(asker: &Asker) -> Result<String, Error> {
    let mut explanation = String::from("Topology (deployment pattern):\n");
    for topology in TOPOLOGIES {
        explanation.push_str(&format!(
            "  {}: {}\n",
            topology.pattern, topology.description
        ));
    }
    asker.say(&wrap(&explanation, asker.width()));
    let items: Vec<String> = TOPOLOGIES
        .iter()
        .map(|topology| format!("{:<21} {}", topology.preset, topology.pattern))
        .collect();
    let names = TOPOLOGIES.map(|topology| topology.preset).join("|");
    let index = asker.select(&format!("--preset {names}"), "Topology", &items, 0)?;
    Ok(TOPOLOGIES[index].preset.to_string())
}

fn ask_modules(
    catalog: &Catalog,
    edition: Edition,
    preset: &TopologyPreset,
    planes: &[PlaneSpec],
    asker: &Asker,
) -> Result<Vec<String>, Error> {
    let choices = module_choices(catalog, edition, planes);
    asker.say(&matrix(&choices, edition, asker.width()));
    let selectable: Vec<&ModuleChoice> = choices.iter().filter(|c| c.selectable()).collect();
    let items: Vec<String> = selectable
        .iter()
        .map(|choice| {
            format!(
                "{:<12} {} ({})",
                choice.module.name,
                choice.module.title,
                choice.support.level.as_str()
            )
        })
        .collect();
    let checked: Vec<bool> = selectable
        .iter()
        .map(|choice| preset.modules.contains(&choice.module.name))
        .collect();
    let picked = asker.multi_select(
        "--module NAME (repeatable) or --no-modules",
        "Modules (space toggles, enter accepts)",
        &items,
        &checked,
    )?;
    Ok(picked
        .into_iter()
        .map(|index| selectable[index].module.name.clone())
        .collect())
}

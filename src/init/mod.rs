//! `choreoctl init` without the terminal: what it offers ([`choices`]) and the profile built
//! from the answers. The command (`commands::init`) asks the questions and checks the result
//! the way `profile validate` does before writing it.

pub mod choices;

use std::collections::BTreeSet;

use serde_saphyr::{Location, Spanned};

use crate::catalog::Catalog;
use crate::profile::load;
use crate::profile::model::{
    API_VERSION, Edition, KIND, Metadata, ModuleSpec, PlaneSpec, Profile, ProfileSpec,
};
use crate::source::LocatedError;
use choices::{Placement, module_choices};

/// Where the schema modeline points editors unless told otherwise: the file that
/// `choreoctl profile schema > profile.schema.json` writes beside the profile.
pub const DEFAULT_SCHEMA: &str = "profile.schema.json";

/// A topology preset's planes and modules, as the starting point of the answers.
#[derive(Debug, Clone)]
pub struct TopologyPreset {
    /// Its planes, with the contexts the preset names.
    pub planes: Vec<PlaneSpec>,
    /// The modules it installs, by name.
    pub modules: Vec<String>,
}

/// Reads a preset of the catalog.
pub fn topology_preset(
    catalog: &Catalog,
    preset: &str,
) -> Result<TopologyPreset, Box<LocatedError>> {
    let source = &catalog.presets[preset];
    let profile = load::parse(source)?;
    Ok(TopologyPreset {
        planes: profile.spec.planes,
        modules: profile
            .spec
            .modules
            .into_iter()
            .map(|module| module.name.value)
            .collect(),
    })
}

/// The answers to `init`'s questions.
#[derive(Debug, Clone)]
pub struct Answers {
    /// `metadata.name`.
    pub name: String,
    /// The edition.
    pub edition: Edition,
    /// The topology's preset name.
    pub topology: String,
    /// The topology's planes, bound to the contexts chosen (none: the current context).
    pub planes: Vec<PlaneSpec>,
    /// The base domain.
    pub domain: String,
    /// The modules chosen, by name.
    pub modules: Vec<String>,
}

/// The profile the answers describe. Each module chosen comes with the modules it requires;
/// a module whose home plane type the topology lacks is placed on the planes of a type it
/// also allows (Build on the data plane of `single-plane`). Anything that still does not fit
/// (an unknown module, Guard on generic) is left for the resolver to refuse with its reason.
pub fn profile(catalog: &Catalog, answers: &Answers) -> Profile {
    Profile {
        api_version: unlocated(API_VERSION.to_string()),
        kind: unlocated(KIND.to_string()),
        metadata: Metadata {
            name: answers.name.clone(),
        },
        spec: ProfileSpec {
            edition: Some(unlocated(answers.edition)),
            version: None,
            domain: Some(unlocated(answers.domain.clone())),
            planes: answers.planes.clone(),
            modules: module_specs(catalog, answers),
            charts: None,
            manifests: None,
            values: Default::default(),
            adopt: Vec::new(),
        },
    }
}

/// The profile as written: the schema modeline (`schema`: a path, relative to the profile, or
/// a URL), a line on where it came from, then the YAML.
pub fn profile_text(profile: &Profile, topology: &str, schema: &str) -> anyhow::Result<String> {
    Ok(format!(
        "# yaml-language-server: $schema={schema}\n\
         # Written by `choreoctl init` from the {topology} topology. Check it with\n\
         # `choreoctl profile validate FILE`; see what it installs with `choreoctl plan --profile FILE`.\n\
         {}",
        crate::output::to_yaml(profile)?
    ))
}

fn module_specs(catalog: &Catalog, answers: &Answers) -> Vec<ModuleSpec> {
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    let mut pending: Vec<&str> = answers.modules.iter().map(String::as_str).collect();
    while let Some(name) = pending.pop() {
        if wanted.insert(name) {
            let requires = catalog.module(name).map(|module| &module.requires);
            pending.extend(requires.into_iter().flatten().map(String::as_str));
        }
    }
    let choices = module_choices(catalog, answers.edition, &answers.planes);
    let known = choices
        .iter()
        .filter(|choice| wanted.contains(choice.module.name.as_str()))
        .map(|choice| module_spec(&choice.module.name, &choice.placement));
    let unknown = answers
        .modules
        .iter()
        .filter(|name| {
            !choices
                .iter()
                .any(|choice| choice.module.name == name.as_str())
        })
        .map(|name| module_spec(name, &Placement::Home));
    known.chain(unknown).collect()
}

fn module_spec(name: &str, placement: &Placement) -> ModuleSpec {
    ModuleSpec {
        name: unlocated(name.to_string()),
        plane: None,
        planes: match placement {
            Placement::Planes(planes) => Some(
                planes
                    .iter()
                    .map(|plane| unlocated(plane.clone()))
                    .collect(),
            ),
            Placement::Home | Placement::Nowhere(_) => None,
        },
        options: Default::default(),
    }
}

/// A value that comes from an answer, not from a file.
pub(crate) fn unlocated<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::KnownContexts;
    use crate::profile::LoadedProfile;
    use crate::resolve::{ResolveError, Resolved, resolve};
    use crate::source::SourceFile;

    fn catalog() -> Catalog {
        Catalog::embedded().expect("the embedded catalog loads")
    }

    fn answers(catalog: &Catalog, edition: Edition, topology: &str, modules: &[&str]) -> Answers {
        Answers {
            name: "lab".into(),
            edition,
            topology: topology.into(),
            planes: topology_preset(catalog, topology).unwrap().planes,
            domain: "choreo.example.com".into(),
            modules: modules.iter().map(|name| name.to_string()).collect(),
        }
    }

    /// Writes the profile as `init` does and resolves it as `profile validate` does.
    fn written_and_resolved(
        catalog: &Catalog,
        answers: &Answers,
    ) -> (String, Result<Resolved, ResolveError>) {
        let text = profile_text(
            &profile(catalog, answers),
            &answers.topology,
            DEFAULT_SCHEMA,
        )
        .unwrap();
        let source = SourceFile::new("choreoctl.yaml", text.clone());
        let loaded = LoadedProfile {
            profile: load::parse(&source).expect("init writes a profile that parses"),
            source,
        };
        (text, resolve(catalog, &loaded, &KnownContexts::default()))
    }

    #[test]
    fn every_topology_is_a_preset_with_a_control_plane() {
        let catalog = catalog();
        for topology in choices::TOPOLOGIES {
            let preset = topology_preset(&catalog, topology.preset).unwrap();
            assert!(
                preset.planes.iter().any(
                    |plane| plane.plane_type.value == crate::profile::model::PlaneType::Control
                ),
                "{}",
                topology.preset
            );
        }
    }

    #[test]
    fn the_profile_starts_with_the_schema_modeline_and_keeps_the_answers() {
        let catalog = catalog();
        let answers = answers(&catalog, Edition::Generic, "multi-plane", &["cd"]);
        let (text, resolved) = written_and_resolved(&catalog, &answers);
        assert!(
            text.starts_with("# yaml-language-server: $schema=profile.schema.json\n"),
            "{text}"
        );
        let resolved = resolved.unwrap();
        assert_eq!(resolved.edition, Edition::Generic);
        assert_eq!(resolved.domain, "choreo.example.com");
        let planes: Vec<(&str, Option<&str>)> = resolved
            .planes
            .iter()
            .map(|plane| (plane.name.as_str(), plane.context.as_deref()))
            .collect();
        assert_eq!(
            planes,
            [
                ("control", Some("cp")),
                ("ci", Some("cp")),
                ("dev", Some("dp1")),
                ("prod", Some("dp2"))
            ]
        );
        let modules: Vec<&str> = resolved.modules.iter().map(|m| m.name.as_str()).collect();
        assert!(modules.contains(&"cd"), "{modules:?}");
    }

    #[test]
    fn a_module_without_its_home_plane_goes_on_a_plane_it_allows_with_its_requirements() {
        let catalog = catalog();
        let answers = answers(&catalog, Edition::Cilium, "single-plane", &["automate"]);
        let (_, resolved) = written_and_resolved(&catalog, &answers);
        let resolved = resolved.unwrap();
        for name in ["build", "automate"] {
            let module = resolved.modules.iter().find(|m| m.name == name).unwrap();
            assert_eq!(module.planes, ["default"], "{name}");
        }
    }

    #[test]
    fn modules_that_do_not_fit_are_not_selectable_and_say_why() {
        let catalog = catalog();
        let planes = topology_preset(&catalog, "multi-plane").unwrap().planes;
        let choices = module_choices(&catalog, Edition::Generic, &planes);
        let reason = |name: &str| {
            choices
                .iter()
                .find(|choice| choice.module.name == name)
                .unwrap()
                .unavailable
                .clone()
        };
        assert!(
            reason("guard")
                .unwrap()
                .contains("unsupported on the generic edition")
        );
        assert!(reason("observe").unwrap().contains("observability"));
        assert!(reason("intelligence").unwrap().starts_with("planned"));
        assert_eq!(reason("cd"), None);
        assert_eq!(reason("automate"), None);
    }

    #[test]
    fn what_does_not_fit_is_left_for_the_resolver_to_refuse() {
        let catalog = catalog();
        let answers = answers(&catalog, Edition::Generic, "single-plane", &["guard"]);
        let (_, resolved) = written_and_resolved(&catalog, &answers);
        let error = resolved.unwrap_err().to_string();
        assert!(
            error.contains("not supported on the generic edition"),
            "{error}"
        );
    }
}

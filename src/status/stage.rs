//! The next adoption stage to suggest (docs/status.md): the lowest catalog stage that still has
//! modules installable on the installation's edition and not installed yet. Pure.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::profile::model::Edition;

/// A module of the suggested stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggested {
    /// Catalog name.
    pub name: String,
    /// Title.
    pub title: String,
}

/// The stage to adopt next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextStage {
    /// Adoption stage (2 to 4).
    pub stage: u8,
    /// Its modules not installed yet, installable on the edition.
    pub modules: Vec<Suggested>,
    /// What to run.
    pub hint: String,
}

/// The next stage for an installation on `edition` with modules `installed`; `None` when every
/// installable module is installed.
pub fn next_stage(
    catalog: &Catalog,
    edition: Edition,
    installed: &BTreeSet<String>,
) -> Option<NextStage> {
    let candidates: Vec<_> = catalog
        .add_on_modules()
        .into_iter()
        .filter(|module| !installed.contains(&module.name))
        .filter(|module| {
            module
                .editions
                .get(&edition)
                .is_some_and(|support| support.level.installable())
        })
        .collect();
    let stage = candidates.iter().map(|module| module.stage).min()?;
    let modules: Vec<Suggested> = candidates
        .into_iter()
        .filter(|module| module.stage == stage)
        .map(|module| Suggested {
            name: module.name.clone(),
            title: module.title.clone(),
        })
        .collect();
    let first = &modules[0].name;
    let hint = format!(
        "`choreoctl module info {first}` tells what it installs; `choreoctl module add {first} -p PROFILE` adds it to the profile file and installs it"
    );
    Some(NextStage {
        stage,
        modules,
        hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    fn names(stage: &NextStage) -> Vec<&str> {
        stage.modules.iter().map(|m| m.name.as_str()).collect()
    }

    #[test]
    fn a_secure_core_alone_is_offered_stage_2() {
        let catalog = Catalog::embedded().unwrap();
        let next = next_stage(&catalog, Edition::Cilium, &installed(&["secure-core"])).unwrap();
        assert_eq!(next.stage, 2);
        assert_eq!(names(&next), ["cd", "observe"]);
        assert!(
            next.hint.contains("`choreoctl module add cd -p PROFILE`"),
            "{}",
            next.hint
        );
    }

    #[test]
    fn the_rest_of_a_stage_comes_before_the_next_one() {
        let catalog = Catalog::embedded().unwrap();
        let next = next_stage(
            &catalog,
            Edition::Generic,
            &installed(&["secure-core", "cd"]),
        )
        .unwrap();
        assert_eq!((next.stage, names(&next)), (2, vec!["observe"]));
        let next = next_stage(
            &catalog,
            Edition::Generic,
            &installed(&["secure-core", "cd", "observe"]),
        )
        .unwrap();
        assert_eq!(next.stage, 3);
    }

    #[test]
    fn modules_the_edition_cannot_install_are_never_suggested() {
        let catalog = Catalog::embedded().unwrap();
        let all_but_stage_4: Vec<&str> = catalog
            .add_on_modules()
            .iter()
            .filter(|m| m.stage < 4)
            .map(|m| m.name.as_str())
            .collect();
        let next = next_stage(&catalog, Edition::Generic, &installed(&all_but_stage_4)).unwrap();
        assert_eq!(next.stage, 4);
        assert!(!names(&next).contains(&"guard"), "{:?}", names(&next));
        assert!(
            !names(&next).contains(&"intelligence"),
            "{:?}",
            names(&next)
        );
        let everything: Vec<&str> = catalog.modules.keys().map(String::as_str).collect();
        assert_eq!(
            next_stage(&catalog, Edition::Cilium, &installed(&everything)),
            None
        );
    }
}

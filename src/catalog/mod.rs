//! The module catalog: modules, their steps and templates, presets, and the versions pinned
//! per OpenChoreo release. Embedded in the binary; `--catalog DIR` reads another copy.

pub mod crd_waits;
mod error;
mod files;
mod load;
pub mod model;
mod raw_step;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

pub use error::CatalogError;
use model::{Module, Release};

use crate::source::SourceFile;

/// The loaded and validated catalog.
#[derive(Debug)]
pub struct Catalog {
    /// Modules by name, `secure-core` included.
    pub modules: BTreeMap<String, Module>,
    /// Versions tables by OpenChoreo release, oldest first.
    pub releases: BTreeMap<semver::Version, Release>,
    /// Template sources by path relative to `templates/`.
    pub templates: BTreeMap<String, String>,
    /// Preset profiles by name.
    pub presets: BTreeMap<String, SourceFile>,
    /// Where the catalog came from: `embedded` or a directory.
    pub origin: String,
}

/// Name of the catalog entry that is the Secure Core.
pub const SECURE_CORE: &str = "secure-core";

impl Catalog {
    /// The catalog compiled into this binary.
    pub fn embedded() -> Result<Self, CatalogError> {
        load::load(files::embedded(), "embedded".into())
    }

    /// A catalog read from `dir` (with `modules/`, `templates/` and `profiles/` inside).
    pub fn from_dir(dir: &Path) -> Result<Self, CatalogError> {
        let files = files::from_dir(dir).map_err(|error| CatalogError::Read {
            path: dir.display().to_string(),
            error,
        })?;
        load::load(files, dir.display().to_string())
    }

    /// The embedded catalog, or the one in `dir` when given.
    pub fn open(dir: Option<&Path>) -> Result<Self, CatalogError> {
        match dir {
            Some(dir) => Self::from_dir(dir),
            None => Self::embedded(),
        }
    }

    /// The newest release the catalog pins.
    pub fn newest_release(&self) -> &Release {
        self.releases
            .values()
            .next_back()
            .expect("the loader rejects a catalog without releases")
    }

    /// The versions table of one OpenChoreo release.
    pub fn release(&self, version: &str) -> Option<&Release> {
        self.releases
            .values()
            .find(|release| release.version == version)
    }

    /// A module by name.
    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules.get(name)
    }

    /// Modules other than the Secure Core, in adoption-stage order.
    pub fn add_on_modules(&self) -> Vec<&Module> {
        let mut modules: Vec<&Module> = self
            .modules
            .values()
            .filter(|module| module.name != SECURE_CORE)
            .collect();
        modules.sort_by_key(|module| (module.stage, module.name.clone()));
        modules
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_real_catalog_loads_with_every_module_of_the_design() {
        let catalog = Catalog::embedded().expect("embedded catalog is valid");
        for name in [
            "secure-core",
            "cd",
            "build",
            "observe",
            "edge",
            "automate",
            "elastic",
            "guard",
            "registry",
            "vault",
            "ai-gateway",
            "intelligence",
        ] {
            assert!(catalog.module(name).is_some(), "module {name}");
        }
        assert_eq!(catalog.newest_release().version, "1.2.3");
        for preset in [
            "single-plane",
            "multi-plane",
            "shared-observability",
            "fully-isolated",
            "fintech",
            "saas-startup",
            "healthcare",
            "ai-platform",
        ] {
            assert!(catalog.presets.contains_key(preset), "preset {preset}");
        }
        // The embedded catalog is read from its build-time JSON form, a directory from YAML:
        // both must give the same catalog.
        let on_disk = Catalog::from_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(
            serde_json::to_value(&on_disk.modules).unwrap(),
            serde_json::to_value(&catalog.modules).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&on_disk.releases).unwrap(),
            serde_json::to_value(&catalog.releases).unwrap()
        );
    }

    /// Copies the real catalog, applies `edit` to one module file, loads it.
    fn load_edited(module: &str, edit: impl Fn(String) -> String) -> Result<Catalog, CatalogError> {
        let dir = tempfile::tempdir().unwrap();
        let files = files::from_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        for (path, text) in files {
            let target = dir.path().join(&path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            let text = if path == format!("modules/{module}.yaml") {
                edit(text)
            } else {
                text
            };
            std::fs::write(target, text).unwrap();
        }
        Catalog::from_dir(dir.path())
    }

    fn error_text(result: Result<Catalog, CatalogError>) -> String {
        let error = result.expect_err("catalog must be rejected");
        format!("{error} {:?}", error)
    }

    #[test]
    fn a_dangling_need_names_the_file_and_step() {
        let text = error_text(load_edited("elastic", |text| {
            text.replace("needs: [keda]", "needs: [kedda]")
        }));
        assert!(text.contains("modules/elastic.yaml"), "{text}");
        assert!(text.contains("step `keda-ready` needs `kedda`"), "{text}");
    }

    #[test]
    fn a_need_on_a_module_not_required_is_rejected() {
        let text = error_text(load_edited("elastic", |text| {
            text.replace("needs: [keda]", "needs: [build/workflow-plane]")
        }));
        assert!(
            text.contains("module `elastic` does not require `build`"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_step_kind_names_the_file() {
        let text = error_text(load_edited("edge", |text| {
            text.replace("kind: apply", "kind: aply")
        }));
        assert!(text.contains("modules/edge.yaml"), "{text}");
        assert!(text.contains("aply"), "{text}");
    }

    #[test]
    fn a_missing_template_names_the_file_and_path() {
        let text = error_text(load_edited("edge", |text| {
            text.replace("edge/api-gateway.yaml.j2", "edge/nope.yaml.j2")
        }));
        assert!(text.contains("modules/edge.yaml"), "{text}");
        assert!(
            text.contains("missing template `templates/edge/nope.yaml.j2`"),
            "{text}"
        );
    }

    #[test]
    fn an_apply_step_takes_a_template_or_a_manifest_not_both() {
        let text = error_text(load_edited("edge", |text| {
            text.replace(
                "template: edge/api-gateway.yaml.j2",
                "template: edge/api-gateway.yaml.j2\n    manifest: gateway-api-crds",
            )
        }));
        assert!(text.contains("modules/edge.yaml"), "{text}");
        assert!(
            text.contains("an apply step needs exactly one of `template`, `manifest`"),
            "{text}"
        );
    }

    #[test]
    fn an_apply_of_a_custom_resource_without_a_crd_wait_names_the_file_step_and_kind() {
        let text = error_text(load_edited("build", |text| {
            text.replace("needs: [workflow-template-crd]", "needs: [workflow-plane]")
        }));
        assert!(text.contains("modules/build.yaml"), "{text}");
        assert!(
            text.contains("step `workflow-templates` applies `ClusterWorkflowTemplate` (argoproj.io) without waiting for its CRD"),
            "{text}"
        );
    }

    #[test]
    fn a_custom_kind_the_template_creates_must_be_declared() {
        let text = error_text(load_edited("build", |text| {
            text.replace("    creates: [ClusterWorkflowTemplate.argoproj.io]\n", "")
        }));
        assert!(text.contains("modules/build.yaml"), "{text}");
        assert!(
            text.contains(
                "creates `ClusterWorkflowTemplate.argoproj.io`, which `creates` does not list"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_chart_missing_from_the_versions_table_is_rejected() {
        let text = error_text(load_edited("elastic", |text| {
            text.replace("chart: keda-add-ons-http", "chart: keda-http")
        }));
        assert!(
            text.contains("uses chart `keda-http`, which release 1.2.3 does not pin"),
            "{text}"
        );
    }
}

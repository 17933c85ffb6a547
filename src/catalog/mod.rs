//! The module catalog: modules, their steps and templates, presets, and the versions pinned
//! per OpenChoreo release. Embedded in the binary; `--catalog DIR` reads another copy.

mod files;
mod load;
pub mod model;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

pub use load::CatalogError;
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
        self.releases.values().find(|release| release.version == version)
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

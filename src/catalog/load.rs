//! Parsing catalog files into a [`Catalog`](super::Catalog).

use std::collections::BTreeMap;

use super::files::{self, Files};
use super::model::{Module, Release};
use super::{Catalog, CatalogError, validate};
use crate::source::SourceFile;
use crate::yaml_error::yaml_error;

/// Parses and validates every catalog file.
pub fn load(files: Files, origin: String) -> Result<Catalog, CatalogError> {
    let mut modules = BTreeMap::new();
    let mut module_files = BTreeMap::new();
    let mut releases = BTreeMap::new();
    let mut templates = BTreeMap::new();
    let mut presets = BTreeMap::new();

    for (path, text) in files {
        let display = if origin == "embedded" {
            format!("catalog:{path}")
        } else {
            format!("{origin}/{path}")
        };
        let source = SourceFile::new(display.clone(), text.as_str());
        if let Some(rest) = path.strip_prefix("modules/releases/") {
            let release: Release = parse(&source, &path, &origin)?;
            let version = semver::Version::parse(&release.version).map_err(|error| {
                CatalogError::invalid(&display, format!("version: {error}"), "use X.Y.Z")
            })?;
            if rest != format!("{}.yaml", release.version) {
                return Err(CatalogError::invalid(
                    &display,
                    format!(
                        "holds release {} but is not named {0}.yaml",
                        release.version
                    ),
                    "name the file after the release it pins",
                ));
            }
            releases.insert(version, release);
        } else if let Some(rest) = path.strip_prefix("modules/") {
            let module: Module = parse(&source, &path, &origin)?;
            if rest != format!("{}.yaml", module.name) {
                return Err(CatalogError::invalid(
                    &display,
                    format!("defines module `{}` but is not named {0}.yaml", module.name),
                    "name the file after the module",
                ));
            }
            module_files.insert(module.name.clone(), display);
            modules.insert(module.name.clone(), module);
        } else if let Some(rest) = path.strip_prefix("templates/") {
            templates.insert(rest.to_string(), text);
        } else if let Some(name) = path
            .strip_prefix("profiles/")
            .and_then(|rest| rest.strip_suffix(".yaml"))
        {
            presets.insert(name.to_string(), source);
        }
    }

    let catalog = Catalog {
        modules,
        releases,
        templates,
        presets,
        origin,
    };
    validate::validate(&catalog, &module_files)?;
    Ok(catalog)
}

/// Embedded files are read from their build-time JSON form; a file that does not fit the
/// model is re-read as YAML so the error names its line.
fn parse<T: serde::de::DeserializeOwned>(
    source: &SourceFile,
    path: &str,
    origin: &str,
) -> Result<T, CatalogError> {
    if origin == "embedded"
        && let Some(json) = files::embedded_json(path)
        && let Ok(value) = serde_json::from_str(json)
    {
        return Ok(value);
    }
    serde_saphyr::from_str(&source.text)
        .map_err(|error| CatalogError::Syntax(yaml_error(source, &error)))
}

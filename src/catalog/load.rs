//! Parsing catalog files into a [`Catalog`](super::Catalog).

use std::collections::BTreeMap;

use miette::Diagnostic;

use super::files::{self, Files};
use super::model::{Module, Release};
use super::{Catalog, validate};
use crate::profile::load::yaml_error;
use crate::source::{LocatedError, SourceFile};

/// Why a catalog could not be used. Every variant names the file at fault.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CatalogError {
    /// The catalog directory could not be read.
    #[error("cannot read catalog {path}: {error}")]
    #[diagnostic(help("pass a directory holding modules/ and templates/ to --catalog"))]
    Read {
        /// The directory.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A catalog file is not valid YAML of the expected shape.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] Box<LocatedError>),
    /// A catalog file is well-formed but inconsistent.
    #[error("invalid catalog file {file}: {message}")]
    #[diagnostic(help("{help}"))]
    Invalid {
        /// The file at fault.
        file: String,
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: String,
    },
}

impl CatalogError {
    /// An inconsistency in `file`.
    pub fn invalid(file: &str, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self::Invalid {
            file: file.to_string(),
            message: message.into(),
            help: help.into(),
        }
    }
}

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

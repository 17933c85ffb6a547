//! `choreoctl version`.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::engine::helm::{HelmBinary, HelmError};
use crate::settings::GlobalSettings;

/// Version information.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Versions {
    choreoctl: &'static str,
    catalog: String,
    openchoreo_releases: Vec<String>,
    default_release: String,
    helm: HelmFound,
}

/// The helm an install would run, or why there is none.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct HelmFound {
    /// Whether a helm binary was found.
    found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    /// Whether choreoctl can use it (v3.18+ or v4).
    supported: bool,
    /// Why it cannot be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

impl HelmFound {
    /// Looks for helm as an install would; never fails (a missing helm is reported, not an
    /// error, for `version`).
    fn detect(explicit: Option<&Path>) -> Self {
        match HelmBinary::locate(explicit) {
            Ok(binary) => {
                let problem = binary.major().err().map(|error| error.to_string());
                HelmFound {
                    found: true,
                    path: Some(binary.path.display().to_string()),
                    version: Some(format!("v{}", binary.version)),
                    supported: problem.is_none(),
                    problem,
                }
            }
            Err(error) => HelmFound {
                found: !matches!(error, HelmError::NotFound { .. }),
                path: match &error {
                    HelmError::Unusable { path, .. } => Some(path.display().to_string()),
                    _ => None,
                },
                version: None,
                supported: false,
                problem: Some(error.to_string()),
            },
        }
    }

    fn line(&self) -> String {
        match (&self.problem, &self.version, &self.path) {
            (None, Some(version), Some(path)) => format!("helm {version} ({path})"),
            (Some(problem), _, _) if !self.found => problem.clone(),
            (problem, _, _) => format!("helm: {}", problem.as_deref().unwrap_or("unusable")),
        }
    }
}

/// Prints choreoctl's version, the OpenChoreo releases its catalog pins and the helm it would
/// run (`helm` is `--helm` / `CHOREOCTL_HELM`, else `helm` on PATH).
pub fn print(catalog: &Catalog, global: &GlobalSettings) -> anyhow::Result<()> {
    let (helm, printer) = (global.helm(), &global.printer);
    let versions = Versions {
        choreoctl: env!("CARGO_PKG_VERSION"),
        catalog: catalog.origin.clone(),
        openchoreo_releases: catalog
            .releases
            .values()
            .map(|release| release.version.clone())
            .collect(),
        default_release: catalog.newest_release().version.clone(),
        helm: HelmFound::detect(helm),
    };
    printer.emit(&versions, |out: &mut dyn Write| {
        writeln!(out, "choreoctl {}", versions.choreoctl)?;
        writeln!(
            out,
            "catalog {} (OpenChoreo {}; default {})",
            versions.catalog,
            versions.openchoreo_releases.join(", "),
            versions.default_release
        )?;
        writeln!(out, "{}", versions.helm.line())
    })
}

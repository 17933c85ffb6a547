//! `choreoctl version`.

use std::io::Write;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::output::Printer;

/// Version information.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Versions {
    choreoctl: &'static str,
    catalog: String,
    openchoreo_releases: Vec<String>,
    default_release: String,
}

/// Prints choreoctl's version and the OpenChoreo releases its catalog pins.
pub fn print(catalog: &Catalog, printer: &Printer) -> anyhow::Result<()> {
    let versions = Versions {
        choreoctl: env!("CARGO_PKG_VERSION"),
        catalog: catalog.origin.clone(),
        openchoreo_releases: catalog
            .releases
            .values()
            .map(|release| release.version.clone())
            .collect(),
        default_release: catalog.newest_release().version.clone(),
    };
    printer.emit(&versions, |out: &mut dyn Write| {
        writeln!(out, "choreoctl {}", versions.choreoctl)?;
        writeln!(
            out,
            "catalog {} (OpenChoreo {}; default {})",
            versions.catalog,
            versions.openchoreo_releases.join(", "),
            versions.default_release
        )
    })
}

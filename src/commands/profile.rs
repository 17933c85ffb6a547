//! `choreoctl profile validate|schema|show`.

use crate::catalog::Catalog;
use crate::error::Error;
use crate::output::to_yaml;
use crate::profile::ProfileRequest;
use crate::profile::schema::json_schema;
use crate::settings::GlobalSettings;

/// `profile validate`: loads and resolves; prints a one-line summary.
pub fn validate(
    catalog: &Catalog,
    request: &ProfileRequest,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let (kubeconfig, printer) = (global.kubeconfig(), &global.printer);
    let resolved = super::resolve_profile(catalog, request, kubeconfig)?;
    let summary = serde_json::json!({
        "valid": true,
        "name": resolved.name,
        "planes": resolved.planes.len(),
        "modules": resolved.modules.iter().map(|m| &m.name).collect::<Vec<_>>(),
        "planned": resolved.planned.iter().map(|m| &m.name).collect::<Vec<_>>(),
    });
    printer.emit(&summary, |out| {
        writeln!(
            out,
            "profile {} is valid: {} edition, {} planes, modules {}",
            resolved.name,
            resolved.edition,
            resolved.planes.len(),
            resolved
                .modules
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    Ok(())
}

/// `profile schema`: always JSON (what editors consume).
pub fn schema() -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(&json_schema())?;
    text.push('\n');
    crate::output::write_stdout(text.as_bytes())
}

/// `profile show`: the profile as parsed, or resolved.
pub fn show(
    catalog: &Catalog,
    request: &ProfileRequest,
    resolved: bool,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let (kubeconfig, printer) = (global.kubeconfig(), &global.printer);
    if resolved {
        let resolved = super::resolve_profile(catalog, request, kubeconfig)?;
        let yaml = to_yaml(&resolved)?;
        printer.emit(&resolved, |out| write!(out, "{yaml}"))?;
    } else {
        let loaded = request.load(catalog)?;
        let yaml = to_yaml(&loaded.profile)?;
        printer.emit(&loaded.profile, |out| write!(out, "{yaml}"))?;
    }
    Ok(())
}

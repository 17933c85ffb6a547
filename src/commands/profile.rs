//! `choreoctl profile validate|schema|show`.

use std::path::Path;

use super::report::log::Log;
use crate::catalog::Catalog;
use crate::engine::kube::{Clusters, Target};
use crate::error::Error;
use crate::output::to_yaml;
use crate::profile::ProfileRequest;
use crate::profile::schema::json_schema;
use crate::resolve::{Resolved, from_stored, profile_of};
use crate::settings::GlobalSettings;
use crate::status::{StatusError, locate};

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

/// The resolved profile of `installation` (the only one there when `None`), read from its
/// journal on the cluster of `context` (default: the current context).
///
/// # Errors
///
/// As [`show_installed`].
pub fn installed(
    catalog: &Catalog,
    installation: Option<&str>,
    context: Option<&str>,
    global: &GlobalSettings,
) -> Result<Resolved, Error> {
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let journal = runtime.block_on(async {
        let clusters = Clusters::new(global.kubeconfig().map(Path::to_path_buf));
        let target = Target {
            kubeconfig: None,
            context: context.map(str::to_owned),
        };
        let control = clusters.connect(&target).await.map_err(StatusError::from)?;
        Ok::<_, Error>(locate(&control, installation).await?)
    })?;
    Ok(from_stored(catalog, &journal.profile).map_err(StatusError::from)?)
}

/// `profile show --installation NAME`: the profile of an installation, read from its journal
/// on the cluster of `context` (default: the current context) and written as a profile
/// document ([`profile_of`]); secret values are masked and a note says how many.
///
/// # Errors
///
/// As `status` (exit 4 when the cluster is unreachable or holds no such installation, exit 2
/// when it holds several and none is named), and [`Error::Other`] for a journal whose profile
/// cannot be read.
pub fn show_installed(
    catalog: &Catalog,
    installation: &str,
    context: Option<&str>,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let resolved = installed(catalog, Some(installation), context, global)?;
    let (document, masked) = profile_of(catalog, &resolved);
    if masked > 0 {
        Log::new(&global.printer).note(&format!(
            "{masked} secret value(s) are shown as [REDACTED]: give them with --set when you \
             install from this file"
        ));
    }
    let yaml = to_yaml(&document)?;
    global
        .printer
        .emit(&document, |out| write!(out, "{yaml}"))?;
    Ok(())
}

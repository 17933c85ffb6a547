//! `choreoctl uninstall --all`: every step the installation's journal records as having made
//! something is taken away (src/engine/removal.rs, in reverse dependency order), with the CRDs
//! of its charts unless `--keep-crds`; then its own state goes from every cluster
//! (src/engine/forget.rs). The profile comes from `-p FILE` or from the journal itself.
//! `uninstall --module M -p FILE` is `module remove M -p FILE`, and `uninstall --plane P -p
//! FILE` is `plane remove P -p FILE`.

use std::collections::BTreeMap;

use super::confirm::Question;
use super::install::{Applied, Request, apply};
use super::report::log::Log;
use crate::catalog::Catalog;
use crate::cli::{ModuleRemoveArgs, PlaneRemoveArgs, UninstallArgs};
use crate::engine::journal::Operation;
use crate::engine::lock::LockOptions;
use crate::engine::removal::{self, Removing, Scope};
use crate::error::Error;
use crate::plan::Plan;
use crate::profile::ProfileRequest;
use crate::resolve::Resolved;
use crate::settings::{GlobalSettings, InstallSettings};

/// Runs `uninstall`.
///
/// # Errors
///
/// What loading the profile returns (exit 2), or the installation not found (exit 4); then
/// what [`apply`] returns; [`Error::Engine`] when the installation's state cannot be deleted.
pub fn uninstall(
    catalog: &Catalog,
    args: &UninstallArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    if let (Some(module), Some(file)) = (&args.module, &args.file) {
        let module_args = ModuleRemoveArgs {
            name: module.clone(),
            delete_data: args.delete_data,
            file: file.clone(),
            run: args.run.clone(),
            mirrors: args.mirrors.clone(),
        };
        return super::module::remove::remove(catalog, &module_args, global);
    }
    if let (Some(plane), Some(file)) = (&args.plane, &args.file) {
        let plane_args = PlaneRemoveArgs {
            name: plane.clone(),
            force: false,
            keep_crds: args.keep_crds,
            delete_data: args.delete_data,
            file: file.clone(),
            run: args.run.clone(),
            mirrors: args.mirrors.clone(),
        };
        return super::plane::remove::remove(catalog, &plane_args, global);
    }
    let resolved = profile(catalog, args, global)?;
    let full = crate::plan::build(catalog, &resolved)?;
    let chart_crds = if args.keep_crds {
        BTreeMap::new()
    } else {
        removal::chart_crds(&full)
    };
    let crds_kept_on = if args.keep_crds {
        full.planes.iter().map(|plane| plane.name.clone()).collect()
    } else {
        Default::default()
    };
    let plan = Plan {
        steps: Vec::new(),
        ..full
    };
    let mut settings = InstallSettings::resolve(&args.run, &resolved);
    // Nothing is installed: the install's preflight checks do not apply.
    settings.preflight = false;
    let question_text = format!(
        "Uninstall {} from every cluster of its {} plane(s)?",
        plan.name,
        plan.planes.len()
    );
    let request = Request {
        question: Question {
            command: "uninstall",
            text: &question_text,
        },
        operation: Operation::Uninstall,
        removal: Some(Removing {
            scope: Scope::Everything,
            delete_data: args.delete_data,
            chart_crds,
            crds_kept_on,
        }),
    };
    let applied = apply(
        catalog,
        &resolved,
        plan.clone(),
        &settings,
        request,
        &mut || Ok(()),
        global,
    )?;
    if applied != Applied::Done {
        return Ok(());
    }
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let lock = LockOptions {
        force_unlock: args.run.force_unlock,
        ..LockOptions::default()
    };
    let notes = runtime
        .block_on(crate::engine::forget::forget(
            &plan,
            global.kubeconfig.clone(),
            &lock,
        ))
        .map_err(Error::from)?;
    let log = Log::new(&global.printer);
    for note in &notes {
        log.note(note);
    }
    log.note(&format!(
        "uninstalled {}: its journal, lock and ownership markers are gone",
        plan.name
    ));
    Ok(())
}

/// The profile of the installation: `-p FILE`, else the one its journal keeps.
fn profile(
    catalog: &Catalog,
    args: &UninstallArgs,
    global: &GlobalSettings,
) -> Result<Resolved, Error> {
    match &args.file {
        Some(file) => {
            let request = ProfileRequest {
                file: Some(file.clone()),
                ..ProfileRequest::default()
            };
            let loaded = super::load_profile_request(catalog, &request, &args.mirrors)?;
            super::resolve_loaded(catalog, &loaded, global.kubeconfig())
        }
        None => super::profile::installed(
            catalog,
            args.installation.as_deref(),
            args.context.as_deref(),
            global,
        ),
    }
}

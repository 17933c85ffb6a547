//! `choreoctl module remove NAME -p FILE`: the module's entry leaves the profile file (in
//! place, src/profile/edit.rs), the file's diff is shown, and the edited profile is installed
//! with the module's journaled steps taken away after it (src/engine/removal.rs): the served
//! planes are unwired first, then its releases and objects go in reverse dependency order.

use std::collections::BTreeSet;
use std::path::Path;

use crate::catalog::{Catalog, SECURE_CORE};
use crate::cli::ModuleRemoveArgs;
use crate::commands::confirm::Question;
use crate::commands::install::{Request, apply};
use crate::commands::profile_edit::{List, load_edited, show_diff, write_edited};
use crate::commands::report::log::Log;
use crate::engine::journal::Operation;
use crate::engine::removal::{Removing, Scope};
use crate::error::Error;
use crate::profile::ProfileRequest;
use crate::profile::edit::remove_module;
use crate::settings::{GlobalSettings, InstallSettings};
use crate::suggest::hint;

/// Runs `module remove`.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2), before anything changes, for an unknown module, the Secure Core,
/// a module another installed module requires (naming it), or a file the editor cannot change;
/// then what [`apply`] returns.
pub fn remove(
    catalog: &Catalog,
    args: &ModuleRemoveArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let path = args.file.as_path();
    let name = args.name.as_str();
    check_module(catalog, name, path)?;
    let request = ProfileRequest {
        file: Some(path.to_path_buf()),
        ..ProfileRequest::default()
    };
    let current = super::super::load_profile_request(catalog, &request, &args.mirrors)?;
    let before = super::super::resolve_loaded(catalog, &current, global.kubeconfig())?;
    let log = Log::new(&global.printer);
    let listed = List::Modules.names(&current.profile).contains(&name);
    let text = if listed {
        remove_module(&current.source.text, name).map_err(|error| Error::Usage {
            message: format!("cannot edit {}: {error}", path.display()),
            help: by_hand(name, path),
        })?
    } else {
        // A run killed after writing the file: finish taking the module away.
        log.note(&format!(
            "module {name} is not in {}: nothing to edit; removing what is left of it",
            path.display()
        ));
        current.source.text.to_string()
    };
    let expected: Vec<&str> = List::Modules
        .names(&current.profile)
        .into_iter()
        .filter(|module| *module != name)
        .collect();
    let by_hand = by_hand(name, path);
    let edited = load_edited(
        &request,
        &text,
        &args.mirrors,
        List::Modules,
        &expected,
        &by_hand,
    )?;
    let resolved = super::super::resolve_loaded(catalog, &edited, global.kubeconfig())?;
    if let Some(kept) = resolved.modules.iter().find(|module| module.name == name) {
        let by = kept.required_by.join(", ");
        return Err(Error::Usage {
            message: format!("module `{name}` cannot be removed: {by} requires it"),
            help: format!(
                "remove {by} first (`choreoctl module remove {} -p {}`), then {name}",
                kept.required_by[0],
                path.display()
            ),
        });
    }
    let remaining: BTreeSet<&str> = resolved.modules.iter().map(|m| m.name.as_str()).collect();
    let mut scope: BTreeSet<String> = [name.to_owned()].into();
    for module in &before.modules {
        if module.name != name && !remaining.contains(module.name.as_str()) {
            log.note(&format!(
                "module {} is removed too: only {} required it",
                module.name,
                module.required_by.join(", ")
            ));
            scope.insert(module.name.clone());
        }
    }
    let settings = InstallSettings::resolve(&args.run, &resolved);
    show_diff(&log, path, &current.source.text, &text);
    let question_text = format!("Remove module {name}?");
    let mut write = || write_edited(&log, path, &current.source.text, &text, settings.dry_run);
    let request = Request {
        question: Question {
            command: "module remove",
            text: &question_text,
        },
        operation: Operation::Remove {
            what: format!("module {name}"),
        },
        removal: Some(Removing::of(Scope::Modules(scope), args.delete_data)),
    };
    let plan = crate::plan::build(catalog, &resolved)?;
    apply(
        catalog, &resolved, plan, &settings, request, &mut write, global,
    )?;
    Ok(())
}

/// Refuses a module the catalog lacks and the Secure Core.
fn check_module(catalog: &Catalog, name: &str, path: &Path) -> Result<(), Error> {
    if catalog.module(name).is_none() {
        let names: Vec<&str> = catalog
            .add_on_modules()
            .into_iter()
            .map(|module| module.name.as_str())
            .collect();
        return Err(Error::Usage {
            message: format!("unknown module `{name}`"),
            help: format!(
                "{}modules: {} (`choreoctl module list`)",
                hint(name, names.iter().copied()),
                names.join(", ")
            ),
        });
    }
    if name == SECURE_CORE {
        return Err(Error::Usage {
            message: "the Secure Core cannot be removed: every module runs on it".into(),
            help: format!(
                "remove the other modules from {} with `choreoctl module remove NAME`; the \
                 Secure Core stays as long as the installation",
                path.display()
            ),
        });
    }
    Ok(())
}

/// The fix when the editor cannot remove `module` from `path`.
fn by_hand(module: &str, path: &Path) -> String {
    format!(
        "delete the `{module}` entry under `spec.modules` by hand, then run `choreoctl module remove {module} -p {}` again",
        path.display()
    )
}

//! `choreoctl module add NAME -p FILE`: the module is added to the profile file in place
//! (src/profile/edit.rs keeps every other byte), the file's diff is shown, and the edited
//! profile is installed as `install` would (src/commands/install.rs): only the steps whose
//! inputs changed run, since the journal skips the rest.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::catalog::model::SupportLevel;
use crate::catalog::{Catalog, SECURE_CORE};
use crate::cli::ModuleAddArgs;
use crate::commands::confirm::Question;
use crate::commands::install::{Request, apply};
use crate::commands::report::log::Log;
use crate::engine::journal::Operation;
use crate::error::Error;
use crate::platform::PlaneType;
use crate::profile::ProfileRequest;
use crate::profile::edit::{ModuleEntry, PlaneEntry, add_module, add_plane};
use crate::profile::model::{Edition, ModuleSpec, Profile};

use crate::commands::profile_edit::{List, load_edited, show_diff, write_edited};
use crate::settings::{GlobalSettings, InstallSettings};
use crate::suggest::hint;

/// Runs `module add`.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2), before anything changes, for an unknown, planned or unsupported
/// module, a plane the profile lacks, an option that is not `key=value`, an entry already
/// listed differently, or a file the editor cannot change; a profile error (exit 2) when the
/// edited profile does not resolve (an unknown option, a plane type the module cannot run
/// on); then what [`apply`] returns.
pub fn add(catalog: &Catalog, args: &ModuleAddArgs, global: &GlobalSettings) -> Result<(), Error> {
    let path = args.file.as_path();
    let request = ProfileRequest {
        file: Some(path.to_path_buf()),
        ..ProfileRequest::default()
    };
    let current = super::super::load_profile_request(catalog, &request, &args.mirrors)?;
    let before = super::super::resolve_loaded(catalog, &current, global.kubeconfig())?;
    let entry = entry(args)?;
    check_module(catalog, &entry.name, before.edition, path)?;
    let new_plane = check_planes(
        catalog,
        &entry,
        args.context.as_deref(),
        &current.profile,
        path,
    )?;
    let listed = current
        .profile
        .spec
        .modules
        .iter()
        .find(|module| module.name.value == entry.name);
    let text = match listed {
        Some(module) if same_entry(module, &entry) => {
            Log::new(&global.printer).note(&format!(
                "module {} is in {} already: nothing to edit; installing it as it is",
                entry.name,
                path.display()
            ));
            current.source.text.to_string()
        }
        Some(module) => {
            return Err(Error::Usage {
                message: format!(
                    "module `{}` is in {} already (line {}), placed or configured otherwise",
                    entry.name,
                    path.display(),
                    module.name.referenced.line()
                ),
                help: "change its `plane`, `planes` or `options` there, then run `choreoctl install -p FILE`".into(),
            });
        }
        None => {
            let with_plane = match &new_plane {
                Some(plane) => add_plane(&current.source.text, plane),
                None => Ok(current.source.text.to_string()),
            };
            with_plane
                .and_then(|text| add_module(&text, &entry))
                .map_err(|error| Error::Usage {
                    message: format!("cannot edit {}: {error}", path.display()),
                    help: by_hand(&entry.name, path),
                })?
        }
    };
    let mut expected = List::Modules.names(&current.profile);
    if listed.is_none() {
        expected.push(&entry.name);
    }
    let by_hand = by_hand(&entry.name, path);
    let edited = load_edited(
        &request,
        &text,
        &args.mirrors,
        List::Modules,
        &expected,
        &by_hand,
    )?;
    if let Some(plane) = &new_plane {
        let mut planes = List::Planes.names(&current.profile);
        planes.push(&plane.name);
        if List::Planes.names(&edited.profile) != planes {
            return Err(Error::Usage {
                message: format!(
                    "cannot edit {}: the edit would not add plane `{}` last",
                    path.display(),
                    plane.name
                ),
                help: format!(
                    "add the plane first: `choreoctl plane add {} --type {} --context {} -p {}`",
                    plane.name,
                    plane.plane_type,
                    plane.context,
                    path.display()
                ),
            });
        }
    }
    let resolved = super::super::resolve_loaded(catalog, &edited, global.kubeconfig())?;
    let settings = InstallSettings::resolve(&args.run, &resolved);
    let log = Log::new(&global.printer);
    show_diff(&log, path, &current.source.text, &text);
    if let Some(plane) = &new_plane {
        log.note(&format!(
            "plane {} ({} plane on context {}) is added too, for module {}",
            plane.name, plane.plane_type, plane.context, entry.name
        ));
    }
    for module in &resolved.modules {
        let new = !before.modules.iter().any(|old| old.name == module.name);
        if new && !module.required_by.is_empty() {
            log.note(&format!(
                "module {} is added too: {} requires it",
                module.name,
                module.required_by.join(", ")
            ));
        }
    }
    let question_text = format!("Add module {}?", entry.name);
    let question = Question {
        command: "module add",
        text: &question_text,
    };
    let mut write = || write_edited(&log, path, &current.source.text, &text, settings.dry_run);
    let request = Request {
        question,
        operation: Operation::Install,
        removal: None,
    };
    let plan = crate::plan::build(catalog, &resolved)?;
    apply(
        catalog, &resolved, plan, &settings, request, &mut write, global,
    )?;
    Ok(())
}

/// The fix when the editor cannot add `module` to `path`.
fn by_hand(module: &str, path: &Path) -> String {
    format!(
        "add `- name: {module}` under `spec.modules` by hand, then run `choreoctl install -p {}`",
        path.display()
    )
}

/// The entry the flags ask for.
fn entry(args: &ModuleAddArgs) -> Result<ModuleEntry, Error> {
    let mut options = BTreeMap::new();
    for option in &args.options {
        let Some((key, value)) = option.split_once('=') else {
            return Err(Error::Usage {
                message: format!("--option `{option}` is not key=value"),
                help: format!(
                    "e.g. `--option retentionDays=14`; `choreoctl module info {}` lists the options",
                    args.name
                ),
            });
        };
        let value: Value = serde_saphyr::from_str(value).unwrap_or(Value::String(value.into()));
        options.insert(key.to_owned(), value);
    }
    Ok(ModuleEntry {
        name: args.name.clone(),
        plane: args.plane.clone(),
        planes: (!args.planes.is_empty()).then(|| args.planes.clone()),
        options,
    })
}

/// Refuses a module the catalog lacks, the Secure Core, and one the profile's edition does
/// not install (planned, or unsupported: the catalog's remedy names the fix, e.g. Guard on
/// the generic edition → `choreoctl migrate generic-to-cilium`).
fn check_module(catalog: &Catalog, name: &str, edition: Edition, path: &Path) -> Result<(), Error> {
    let Some(module) = catalog.module(name) else {
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
    };
    if module.name == SECURE_CORE {
        return Err(Error::Usage {
            message: "the Secure Core is always installed".into(),
            help: format!(
                "set its options under `spec.modules` in {} (`- name: secure-core`)",
                path.display()
            ),
        });
    }
    let support = &module.editions[&edition];
    let reason = support.reason.as_deref().unwrap_or("");
    match support.level {
        SupportLevel::Planned => Err(Error::Usage {
            message: format!(
                "{} ({name}) is planned, not installable yet: {reason}",
                module.title
            ),
            help: "`choreoctl matrix` shows what each edition installs today".into(),
        }),
        SupportLevel::Unsupported => Err(Error::Usage {
            message: format!(
                "{} ({name}) is not supported on the {edition} edition: {reason}",
                module.title
            ),
            help: support
                .remedy
                .clone()
                .unwrap_or_else(|| "`choreoctl matrix` shows what each edition installs".into()),
        }),
        _ => Ok(()),
    }
}

/// Refuses `--plane`/`--planes` naming a plane the profile does not have, unless `--context`
/// asks for it: then the plane to add (of the module's home type). `--context` with a plane
/// the profile has is refused too (it would change nothing).
fn check_planes(
    catalog: &Catalog,
    entry: &ModuleEntry,
    context: Option<&str>,
    profile: &Profile,
    path: &Path,
) -> Result<Option<PlaneEntry>, Error> {
    let names: Vec<&str> = profile
        .spec
        .planes
        .iter()
        .map(|plane| plane.name.value.as_str())
        .collect();
    let home = catalog
        .module(&entry.name)
        .and_then(|module| module.home)
        .unwrap_or(PlaneType::Data);
    let file = path.display();
    if let (Some(plane), Some(context)) = (&entry.plane, context) {
        if names.contains(&plane.as_str()) {
            return Err(Error::Usage {
                message: format!("--context: plane `{plane}` is in {file} already"),
                help: format!(
                    "drop --context to put module {} on it; --context adds a plane the profile \
                     does not have",
                    entry.name
                ),
            });
        }
        return Ok(Some(PlaneEntry {
            name: plane.clone(),
            plane_type: home,
            context: context.to_owned(),
            kubeconfig: None,
            serves: None,
        }));
    }
    let asked = entry.plane.iter().chain(entry.planes.iter().flatten());
    for plane in asked {
        if !names.contains(&plane.as_str()) {
            return Err(Error::Usage {
                message: format!("plane `{plane}` is not in {file}"),
                help: format!(
                    "{}the planes are {}; add it first (`choreoctl plane add {plane} --type \
                     {home} --context CTX -p {file}`), or in the same run: `choreoctl module add \
                     {} --plane {plane} --context CTX -p {file}`",
                    hint(plane, names.iter().copied()),
                    names.join(", "),
                    entry.name
                ),
            });
        }
    }
    Ok(None)
}

/// Whether the listed module is what the flags ask for (nothing to edit), or the flags ask
/// for nothing beyond the name.
fn same_entry(listed: &ModuleSpec, entry: &ModuleEntry) -> bool {
    let asks_nothing = entry.plane.is_none() && entry.planes.is_none() && entry.options.is_empty();
    let plane = listed.plane.as_ref().map(|plane| plane.value.clone());
    let planes = listed
        .planes
        .as_ref()
        .map(|planes| planes.iter().map(|plane| plane.value.clone()).collect());
    let options: BTreeMap<String, Value> = listed
        .options
        .iter()
        .map(|(key, value)| (key.clone(), value.value.clone()))
        .collect();
    asks_nothing || (plane == entry.plane && planes == entry.planes && options == entry.options)
}

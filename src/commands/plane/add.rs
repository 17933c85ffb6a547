//! `choreoctl plane add NAME --type T --context C -p FILE`: the plane is added to the profile
//! file in place (src/profile/edit.rs keeps every other byte), the file's diff is shown, and the
//! edited profile is installed as `install` would (src/commands/install.rs): the new plane's
//! cluster gets its prerequisites, its plane chart and the control plane's CA, the control plane
//! registers it, and every module placed on planes of its type goes there too; the steps of the
//! other planes are skipped by the journal unless their inputs changed (an observability plane
//! that serves every plane now serves this one as well).

use std::path::Path;

use crate::catalog::Catalog;
use crate::cli::PlaneAddArgs;
use crate::commands::confirm::Question;
use crate::commands::install::{Request, apply};
use crate::commands::profile_edit::{List, load_edited, show_diff, write_edited};
use crate::commands::report::log::Log;
use crate::engine::journal::Operation;
use crate::error::Error;
use crate::platform::PlaneType;
use crate::profile::ProfileRequest;
use crate::profile::edit::{PlaneEntry, add_plane};
use crate::profile::model::PlaneSpec;
use crate::resolve::Resolved;
use crate::settings::{GlobalSettings, InstallSettings};

/// Runs `plane add`.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2), before anything changes, for `--serves` on a plane that is not
/// an observability plane, a plane already listed otherwise, or a file the editor cannot
/// change; a profile error (exit 2) when the edited profile does not resolve (a context the
/// kubeconfig lacks, a served plane that does not exist); then what [`apply`] returns.
pub fn add(catalog: &Catalog, args: &PlaneAddArgs, global: &GlobalSettings) -> Result<(), Error> {
    let path = args.file.as_path();
    let entry = PlaneEntry {
        name: args.name.clone(),
        plane_type: args.plane_type.into(),
        context: args.context.clone(),
        kubeconfig: args.plane_kubeconfig.clone(),
        serves: (!args.serves.is_empty()).then(|| args.serves.clone()),
    };
    if entry.serves.is_some() && entry.plane_type != PlaneType::Observability {
        return Err(Error::Usage {
            message: format!(
                "--serves is for observability planes; `{}` is a {} plane",
                entry.name, entry.plane_type
            ),
            help: "drop --serves: an observability plane serves every plane unless its \
                   `serves` says otherwise"
                .into(),
        });
    }
    let request = ProfileRequest {
        file: Some(path.to_path_buf()),
        ..ProfileRequest::default()
    };
    let current = super::super::load_profile_request(catalog, &request, &args.mirrors)?;
    let log = Log::new(&global.printer);
    let listed = current
        .profile
        .spec
        .planes
        .iter()
        .find(|plane| plane.name.value == entry.name);
    let text = match listed {
        Some(plane) if same_plane(plane, &entry) => {
            log.note(&format!(
                "plane {} is in {} already: nothing to edit; installing it as it is",
                entry.name,
                path.display()
            ));
            current.source.text.to_string()
        }
        Some(plane) => {
            return Err(Error::Usage {
                message: format!(
                    "plane `{}` is in {} already (line {}), with another type, context, \
                     kubeconfig or serves",
                    entry.name,
                    path.display(),
                    plane.name.referenced.line()
                ),
                help: "change it there and run `choreoctl install -p FILE`, or add the plane \
                       under another name"
                    .into(),
            });
        }
        None => add_plane(&current.source.text, &entry).map_err(|error| Error::Usage {
            message: format!("cannot edit {}: {error}", path.display()),
            help: by_hand(&entry, path),
        })?,
    };
    let mut expected = List::Planes.names(&current.profile);
    if listed.is_none() {
        expected.push(&entry.name);
    }
    let by_hand = by_hand(&entry, path);
    let edited = load_edited(
        &request,
        &text,
        &args.mirrors,
        List::Planes,
        &expected,
        &by_hand,
    )?;
    let resolved = super::super::resolve_loaded(catalog, &edited, global.kubeconfig())?;
    let settings = InstallSettings::resolve(&args.run, &resolved);
    show_diff(&log, path, &current.source.text, &text);
    for note in what_comes_with(&resolved, &entry.name) {
        log.note(&note);
    }
    let question_text = format!(
        "Add {} plane {} on context {}?",
        entry.plane_type, entry.name, entry.context
    );
    let mut write = || write_edited(&log, path, &current.source.text, &text, settings.dry_run);
    let request = Request {
        question: Question {
            command: "plane add",
            text: &question_text,
        },
        operation: Operation::Install,
        removal: None,
    };
    let plan = crate::plan::build(catalog, &resolved)?;
    apply(
        catalog, &resolved, plan, &settings, request, &mut write, global,
    )?;
    Ok(())
}

/// What the new plane `name` gets besides its own chart: the modules placed on it, and the
/// observability planes serving it.
fn what_comes_with(resolved: &Resolved, name: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let modules: Vec<&str> = resolved
        .modules
        .iter()
        .filter(|module| module.planes.iter().any(|plane| plane == name))
        .map(|module| module.name.as_str())
        .collect();
    if !modules.is_empty() {
        notes.push(format!(
            "plane {name} gets module(s) {}: they are placed on every plane of its type",
            modules.join(", ")
        ));
    }
    for plane in &resolved.planes {
        if plane.serves.iter().any(|served| served == name) {
            notes.push(format!(
                "observability plane {} serves {name} too",
                plane.name
            ));
        }
    }
    notes
}

/// Whether the listed plane is the one the flags ask for.
fn same_plane(listed: &PlaneSpec, entry: &PlaneEntry) -> bool {
    let serves = listed
        .serves
        .as_ref()
        .map(|serves| serves.iter().map(|plane| plane.value.clone()).collect());
    listed.plane_type.value == entry.plane_type
        && listed
            .context
            .as_ref()
            .map(|context| context.value.as_str())
            == Some(entry.context.as_str())
        && listed.kubeconfig == entry.kubeconfig
        && serves == entry.serves
}

/// The fix when the editor cannot add the plane to `path`.
fn by_hand(entry: &PlaneEntry, path: &Path) -> String {
    format!(
        "add `- {{name: {}, type: {}, context: {}}}` under `spec.planes` by hand, then run \
         `choreoctl install -p {}`",
        entry.name,
        entry.plane_type,
        entry.context,
        path.display()
    )
}

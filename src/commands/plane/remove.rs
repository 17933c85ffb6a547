//! `choreoctl plane remove NAME -p FILE`: the profile without the plane is installed with the
//! plane's journaled steps taken away after it (src/engine/removal.rs): its registration with
//! the control plane goes first, then what choreoctl made on its cluster, in reverse dependency
//! order, with the CRDs of its charts unless `--keep-crds`. Then the cluster is forgotten (its
//! ownership marker, its binding in the journal, `choreoctl-system` there:
//! src/engine/forget.rs), and only then is the profile file written without the plane, so that
//! a run killed on the way is finished by running the same command again.

use std::collections::BTreeSet;
use std::path::Path;

use crate::catalog::Catalog;
use crate::cli::PlaneRemoveArgs;
use crate::commands::confirm::Question;
use crate::commands::install::{Applied, Request, apply};
use crate::commands::profile_edit::{List, load_edited, show_diff, write_edited};
use crate::commands::report::log::Log;
use crate::engine::journal::Operation;
use crate::engine::lock::LockOptions;
use crate::engine::removal::{self, Removing, Scope};
use crate::error::Error;
use crate::platform::PlaneType;
use crate::profile::ProfileRequest;
use crate::profile::edit::remove_plane;
use crate::profile::model::Profile;
use crate::resolve::{Plane, Resolved};
use crate::settings::{GlobalSettings, InstallSettings};

/// Runs `plane remove`.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2), before anything changes, for a plane the file lacks, the control
/// plane, an observability plane that serves others (without `--force`), a plane a module is
/// pinned to or an observability plane serves by name, or a file the editor cannot change; then
/// what [`apply`] returns; [`Error::Engine`] when the plane's cluster cannot be forgotten.
pub fn remove(
    catalog: &Catalog,
    args: &PlaneRemoveArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let path = args.file.as_path();
    let name = args.name.as_str();
    let request = ProfileRequest {
        file: Some(path.to_path_buf()),
        ..ProfileRequest::default()
    };
    let current = super::super::load_profile_request(catalog, &request, &args.mirrors)?;
    super::listed(&current.profile, name, path)?;
    let before = super::super::resolve_loaded(catalog, &current, global.kubeconfig())?;
    let leaving = before
        .planes
        .iter()
        .find(|plane| plane.name == name)
        .expect("a listed plane is resolved")
        .clone();
    check_removable(&current.profile, &leaving, args.force, path)?;
    let text = remove_plane(&current.source.text, name).map_err(|error| Error::Usage {
        message: format!("cannot edit {}: {error}", path.display()),
        help: by_hand(name, path),
    })?;
    let expected: Vec<&str> = List::Planes
        .names(&current.profile)
        .into_iter()
        .filter(|plane| *plane != name)
        .collect();
    let by_hand = by_hand(name, path);
    let edited = load_edited(
        &request,
        &text,
        &args.mirrors,
        List::Planes,
        &expected,
        &by_hand,
    )?;
    let resolved = super::super::resolve_loaded(catalog, &edited, global.kubeconfig())?;
    let log = Log::new(&global.printer);
    if args.force && !leaving.serves.is_empty() {
        log.note(&format!(
            "--force: plane(s) {} lose their observability wiring",
            leaving.serves.join(", ")
        ));
    }
    let mut settings = InstallSettings::resolve(&args.run, &resolved);
    // The plan installs nothing new: the install's preflight checks do not apply.
    settings.preflight = false;
    show_diff(&log, path, &current.source.text, &text);
    let mut plan = crate::plan::build(catalog, &resolved)?;
    let removing = removing(catalog, &before, &resolved, &leaving, args)?;
    plan.planes.push(leaving.clone());
    let question_text = format!(
        "Remove plane {name} and what choreoctl made on context {}?",
        leaving.context_label()
    );
    let request = Request {
        question: Question {
            command: "plane remove",
            text: &question_text,
        },
        operation: Operation::Remove {
            what: format!("plane {name}"),
        },
        removal: Some(removing),
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
    match applied {
        Applied::Done => {}
        Applied::DryRun => {
            log.note(&format!("--dry-run: {} is left as it is", path.display()));
            return Ok(());
        }
        Applied::Declined => return Ok(()),
    }
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let lock = LockOptions {
        force_unlock: args.run.force_unlock,
        ..LockOptions::default()
    };
    let notes = runtime
        .block_on(crate::engine::forget::forget_plane(
            &plan,
            &leaving,
            global.kubeconfig.clone(),
            &lock,
        ))
        .map_err(Error::from)?;
    for note in &notes {
        log.note(note);
    }
    write_edited(&log, path, &current.source.text, &text, false)?;
    log.note(&format!(
        "removed plane {name}: the control plane no longer registers it, and the journal no \
         longer binds context {}",
        leaving.context_label()
    ));
    Ok(())
}

/// What the removal takes: every journaled step about the plane; the CRDs of its charts unless
/// `--keep-crds` or another plane of the installation stays on its cluster (they are shared
/// there).
fn removing(
    catalog: &Catalog,
    before: &Resolved,
    after: &Resolved,
    leaving: &Plane,
    args: &PlaneRemoveArgs,
) -> Result<Removing, Error> {
    let shares_cluster = after
        .planes
        .iter()
        .any(|plane| plane.cluster_key() == leaving.cluster_key());
    let keep_crds = args.keep_crds || shares_cluster;
    let chart_crds = if keep_crds {
        Default::default()
    } else {
        removal::chart_crds(&crate::plan::build(catalog, before)?)
    };
    let crds_kept_on: BTreeSet<String> = if keep_crds {
        [leaving.name.clone()].into()
    } else {
        BTreeSet::new()
    };
    Ok(Removing {
        scope: Scope::Planes([leaving.name.clone()].into()),
        delete_data: args.delete_data,
        chart_crds,
        crds_kept_on,
    })
}

/// Refuses the control plane, an observability plane that serves others (unless `force`), a
/// plane a module is pinned to, and a plane an observability plane serves by name.
fn check_removable(
    profile: &Profile,
    leaving: &Plane,
    force: bool,
    path: &Path,
) -> Result<(), Error> {
    let name = leaving.name.as_str();
    let file = path.display();
    if leaving.plane_type == PlaneType::Control {
        return Err(Error::Usage {
            message: format!("plane `{name}` is the control plane: every other plane needs it"),
            help: format!(
                "to take the whole installation away: `choreoctl uninstall --all -p {file}`"
            ),
        });
    }
    if !leaving.serves.is_empty() && !force {
        return Err(Error::Usage {
            message: format!(
                "plane `{name}` serves plane(s) {}: they would lose their logs, metrics and traces",
                leaving.serves.join(", ")
            ),
            help: format!(
                "add another observability plane first (`choreoctl plane add NAME --type \
                 observability --context C -p {file}`), or remove it anyway: `choreoctl plane \
                 remove {name} -p {file} --force`"
            ),
        });
    }
    for module in &profile.spec.modules {
        let pinned = module.plane.iter().chain(module.planes.iter().flatten());
        if let Some(pin) = pinned.into_iter().find(|plane| plane.value == name) {
            return Err(Error::Usage {
                message: format!(
                    "module `{}` is placed on plane `{name}` ({file}:{})",
                    module.name.value,
                    pin.referenced.line()
                ),
                help: format!(
                    "take it off that plane there, or remove it first (`choreoctl module remove \
                     {} -p {file}`)",
                    module.name.value
                ),
            });
        }
    }
    for plane in &profile.spec.planes {
        let serves = plane.serves.iter().flatten();
        if let Some(served) = serves.into_iter().find(|served| served.value == name) {
            return Err(Error::Usage {
                message: format!(
                    "plane `{}` serves plane `{name}` by name ({file}:{})",
                    plane.name.value,
                    served.referenced.line()
                ),
                help: format!("drop `{name}` from its `serves` there, then run this again"),
            });
        }
    }
    Ok(())
}

/// The fix when the editor cannot remove the plane from `path`.
fn by_hand(name: &str, path: &Path) -> String {
    format!(
        "delete the `{name}` entry under `spec.planes` by hand, then run `choreoctl install -p {}` \
         (that leaves what choreoctl made on its cluster there)",
        path.display()
    )
}

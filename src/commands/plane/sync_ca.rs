//! `choreoctl plane sync-ca [NAME] [--check]`: every plane's agent CA as registered on the
//! control plane, and every copy of the cluster gateway's CA, against the live ones
//! (src/status/ca.rs reads both sides). `--check` reports and exits 10 on drift. Otherwise,
//! when something differs, the CA part of the installation's plan runs through the engine
//! (src/plan/ca_sync.rs: the reads, the registrations and copies that carry them, then a
//! restart of each drifted plane's agent, which loads certificates only when it starts), under
//! the lock and in the journal like any run. The profile is the one the journal keeps: the
//! installation as installed, whatever file is given to find it.
//!
//! A run killed on the way is finished by running `plane sync-ca` again: finding its run
//! interrupted in the journal, it restarts the agents of every plane it syncs, since it cannot
//! tell which of them the killed run restarted already.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

use futures::future::join_all;
use serde::Serialize;

use super::super::install::{Applied, Request, apply};
use super::super::status::{Located, given_profile, locate_installation};
use crate::catalog::Catalog;
use crate::cli::PlaneSyncCaArgs;
use crate::commands::confirm::Question;
use crate::commands::report::log::Log;
use crate::engine::journal::{Journal, Operation, RunStatus};
use crate::engine::kube::{Cluster, Clusters};
use crate::error::Error;
use crate::plan::Plan;
use crate::plan::ca_sync::ca_sync;
use crate::platform::PlaneType;
use crate::resolve::{Plane, Resolved, from_stored};
use crate::settings::{GlobalSettings, InstallSettings};
use crate::status::ca::{copies, copy_report, registration, registration_report};
use crate::status::drift::CaState;
use crate::status::{CaCopyReport, CaReport, StatusError, target};
use crate::suggest::hint;

/// What `plane sync-ca --check -o json` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CaSyncReport {
    api_version: &'static str,
    kind: &'static str,
    installation: String,
    /// Every plane looked at, in profile order.
    planes: Vec<PlaneCas>,
    /// `true` when every registration and copy holds the live CA.
    in_sync: bool,
}

/// One plane's CAs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PlaneCas {
    name: String,
    #[serde(rename = "type")]
    plane_type: PlaneType,
    /// Its agent CA as registered against the live one (`null` for the control plane).
    ca: Option<CaReport>,
    /// The copies of the gateway's CA on its cluster.
    ca_copies: Vec<CaCopyReport>,
}

impl PlaneCas {
    fn states(&self) -> impl Iterator<Item = (CaState, &str, &str)> {
        self.ca
            .iter()
            .map(|ca| (ca.state, ca.registered_in.as_str(), ca.detail.as_str()))
            .chain(
                self.ca_copies
                    .iter()
                    .map(|copy| (copy.state, copy.copy.as_str(), copy.detail.as_str())),
            )
    }

    /// A registration or copy differs or is missing.
    fn drifted(&self) -> bool {
        self.states()
            .any(|(state, ..)| matches!(state, CaState::Drift | CaState::Missing))
    }
}

/// Runs `plane sync-ca`.
///
/// # Errors
///
/// [`Error::Usage`] (exit 2) for a plane the installation does not have; [`Error::Status`]
/// (exit 4) when the installation is not found; with `--check`, [`Error::CaDrift`] (exit 10)
/// on drift and [`Error::Unreachable`] (exit 4) when a side cannot be read; otherwise what
/// [`apply`] returns.
pub fn sync_ca(
    catalog: &Catalog,
    args: &PlaneSyncCaArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let kubeconfig = global.kubeconfig();
    let given = given_profile(
        catalog,
        args.file.as_deref(),
        None,
        args.context.as_deref(),
        kubeconfig,
    )?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let located = runtime.block_on(locate_installation(
        given.as_ref(),
        args.context.as_deref(),
        args.installation.as_deref(),
        kubeconfig,
    ))?;
    let resolved = from_stored(catalog, &located.journal.profile).map_err(StatusError::from)?;
    let plan = crate::plan::build(catalog, &resolved)?;
    let selected = selection(&resolved, args.name.as_deref())?;
    let report = runtime.block_on(read_cas(&located, &resolved, &plan, &selected, args));
    let log = Log::new(&global.printer);
    if args.check {
        global.printer.emit(&report, |out| text(&report, out))?;
        return verdict(&report);
    }
    let resuming = interrupted_sync(&located.journal);
    let restart: BTreeSet<String> = report
        .planes
        .iter()
        .filter(|plane| plane.plane_type != PlaneType::Control)
        .filter(|plane| resuming || plane.drifted())
        .map(|plane| plane.name.clone())
        .collect();
    for plane in &report.planes {
        for (state, _, detail) in plane.states() {
            if state != CaState::Match {
                log.note(&format!("plane {}: {detail}", plane.name));
            }
        }
    }
    if !resuming && !report.planes.iter().any(PlaneCas::drifted) {
        let _ = writeln!(
            global.printer.stderr(),
            "every registered and copied CA is the live one: nothing to sync"
        );
        return verdict(&report);
    }
    if resuming {
        log.note(
            "finishing an interrupted `plane sync-ca`: the agents of every plane synced are \
             restarted, as the killed run may not have restarted them",
        );
    }
    let plan = ca_sync(&plan, &selected, &restart);
    let mut settings = InstallSettings::resolve(&args.run, &resolved);
    // Nothing is installed: the install's preflight checks do not apply.
    settings.preflight = false;
    let question_text = if restart.is_empty() {
        "Register and copy the live CAs again?".to_owned()
    } else {
        format!(
            "Register and copy the live CAs again, and restart the agent(s) of plane(s) {}?",
            restart.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    let request = Request {
        question: Question {
            command: "plane sync-ca",
            text: &question_text,
        },
        operation: Operation::SyncCa,
        removal: None,
    };
    match apply(
        catalog,
        &resolved,
        plan.clone(),
        &settings,
        request,
        &mut || Ok(()),
        global,
    )? {
        Applied::Done => {}
        Applied::DryRun | Applied::Declined => return Ok(()),
    }
    let after = runtime.block_on(read_cas(&located, &resolved, &plan, &selected, args));
    for plane in &after.planes {
        for (state, object, detail) in plane.states() {
            if state != CaState::Match {
                log.note(&format!(
                    "plane {} ({object}) after the sync: {detail}",
                    plane.name
                ));
            }
        }
    }
    if after.in_sync {
        log.note("every registered and copied CA is the live one now");
    }
    Ok(())
}

/// The planes whose CAs are synced: `name`, else every plane but the control plane (whose own
/// copy of the gateway's CA is always synced).
fn selection(resolved: &Resolved, name: Option<&str>) -> Result<BTreeSet<String>, Error> {
    let others = resolved
        .planes
        .iter()
        .filter(|plane| plane.plane_type != PlaneType::Control);
    let Some(name) = name else {
        return Ok(others.map(|plane| plane.name.clone()).collect());
    };
    match resolved.planes.iter().find(|plane| plane.name == name) {
        Some(plane) if plane.plane_type == PlaneType::Control => Ok(BTreeSet::new()),
        Some(plane) => Ok([plane.name.clone()].into()),
        None => {
            let names: Vec<&str> = resolved.planes.iter().map(|p| p.name.as_str()).collect();
            Err(Error::Usage {
                message: format!("installation {} has no plane `{name}`", resolved.name),
                help: format!(
                    "{}its planes are {}",
                    hint(name, names.iter().copied()),
                    names.join(", ")
                ),
            })
        }
    }
}

/// The journal's last run is a `plane sync-ca` that did not finish.
fn interrupted_sync(journal: &Journal) -> bool {
    journal.run.status == RunStatus::InProgress && journal.run.operation == Operation::SyncCa
}

/// Reads both sides of every registration and copy of the control plane and the `selected`
/// planes.
async fn read_cas(
    located: &Located,
    resolved: &Resolved,
    plan: &Plan,
    selected: &BTreeSet<String>,
    args: &PlaneSyncCaArgs,
) -> CaSyncReport {
    let planes: Vec<&Plane> = resolved
        .planes
        .iter()
        .filter(|plane| plane.plane_type == PlaneType::Control || selected.contains(&plane.name))
        .collect();
    let planes = join_all(planes.into_iter().map(|plane| {
        plane_cas(
            &located.clusters,
            &located.control,
            plan,
            plane,
            args.context.as_deref(),
        )
    }))
    .await;
    let in_sync = planes
        .iter()
        .all(|plane| plane.states().all(|(state, ..)| state == CaState::Match));
    CaSyncReport {
        api_version: crate::status::STATUS_API_VERSION,
        kind: "CaSync",
        installation: located.journal.installation.clone(),
        planes,
        in_sync,
    }
}

async fn plane_cas(
    clusters: &Clusters,
    control: &Arc<Cluster>,
    plan: &Plan,
    plane: &Plane,
    default_context: Option<&str>,
) -> PlaneCas {
    let cluster = clusters.connect(&target(plane, default_context)).await.ok();
    let ca = match registration(plan, &plane.name) {
        Some(found) if plane.plane_type != PlaneType::Control => Some(
            registration_report(&found, &plane.name, control, cluster.as_ref())
                .await
                .1,
        ),
        _ => None,
    };
    let mut ca_copies = Vec::new();
    for copy in copies(plan, &plane.name) {
        ca_copies.push(copy_report(&copy, &plane.name, Some(control), cluster.as_ref()).await);
    }
    PlaneCas {
        name: plane.name.clone(),
        plane_type: plane.plane_type,
        ca,
        ca_copies,
    }
}

/// `--check`'s exit: 10 on drift, 4 when a side could not be read, else 0.
fn verdict(report: &CaSyncReport) -> Result<(), Error> {
    let drifted: Vec<&PlaneCas> = report.planes.iter().filter(|p| p.drifted()).collect();
    if !drifted.is_empty() {
        return Err(Error::CaDrift {
            count: drifted
                .iter()
                .flat_map(|plane| plane.states())
                .filter(|(state, ..)| matches!(state, CaState::Drift | CaState::Missing))
                .count(),
            planes: drifted
                .iter()
                .map(|plane| plane.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let unknown: Vec<&str> = report
        .planes
        .iter()
        .filter(|plane| plane.states().any(|(state, ..)| state == CaState::Unknown))
        .map(|plane| plane.name.as_str())
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Unreachable {
            message: format!("the CAs of plane(s) {} cannot be read", unknown.join(", ")),
            help: "each line above says why; check the contexts with `kubectl --context CTX \
                   get --raw /version`"
                .into(),
        });
    }
    Ok(())
}

fn text(report: &CaSyncReport, out: &mut dyn Write) -> std::io::Result<()> {
    let mut rows = vec![["PLANE", "OBJECT", "STATE"].map(String::from).to_vec()];
    let mut details = Vec::new();
    for plane in &report.planes {
        for (state, object, detail) in plane.states() {
            rows.push(vec![
                plane.name.clone(),
                object.to_owned(),
                state.label().into(),
            ]);
            if state != CaState::Match {
                details.push(format!("plane {}: {detail}", plane.name));
            }
        }
    }
    crate::output::table(out, "", &rows)?;
    for detail in details {
        writeln!(out, "  - {detail}")?;
    }
    if report.in_sync {
        writeln!(
            out,
            "In sync: every registered and copied CA is the live one."
        )?;
    }
    Ok(())
}

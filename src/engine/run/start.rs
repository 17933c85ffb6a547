//! How a locked run starts: the journal loaded and the run's start decided (a first install, a
//! new run, an interrupted run resumed — with the profile it started with after `--resume` — or
//! refused: exit 6), each plane's cluster checked against the one recorded (exit 4 unless
//! `--rebind`), and the journal saved with the run in progress.

use k8s_openapi::jiff::Timestamp;

use super::Locked;
use crate::engine::connect::{PlaneCluster, connect_planes};
use crate::engine::error::EngineError;
use crate::engine::journal::{
    ClusterCheck, Digest, Journal, JournalWriter, RunStart, check_cluster, decide_run_start,
};
use crate::plan::Plan;

/// A run started in the journal.
pub(super) struct Started<'a> {
    /// `--resume` after the profile changed: the journaled profile's plan, which the run
    /// finishes instead of the one it was given.
    pub(super) plan: Option<Plan>,
    /// The planes of the plan the run walks.
    pub(super) planes: Vec<PlaneCluster>,
    /// The journal, saved with the run in progress.
    pub(super) writer: JournalWriter<'a>,
}

/// Starts the run of `locked` in the journal; `planes` are the connected planes of its plan.
///
/// # Errors
///
/// [`EngineError::Interrupted`] or [`EngineError::JournaledProfile`] (exit 6);
/// [`EngineError::ClusterChanged`] (exit 4); [`EngineError::Journal`] when the journal cannot
/// be read or saved (exit 1); connection errors of a journaled plan's planes (exit 4).
pub(super) async fn start<'a>(
    locked: &Locked<'a>,
    planes: Vec<PlaneCluster>,
) -> Result<Started<'a>, EngineError> {
    let options = locked.options;
    let reporter = locked.reporter;
    let stored = locked.store.load().await?;
    let profile_digest = Digest::of_json(&options.profile);
    let start = decide_run_start(
        stored.as_ref().map(|s| &s.journal),
        &profile_digest,
        &options.operation,
        options.interrupted,
    )?;
    let now = Timestamp::now();
    let operation = options.operation.clone();
    let mut journaled_plan = None;
    let (mut journal, version) = match (start, stored) {
        (RunStart::FirstInstall, _) | (_, None) => (
            Journal::new(
                &locked.plan.name,
                options.profile.clone(),
                operation,
                locked.by,
                now,
            ),
            None,
        ),
        (RunStart::ResumeWithJournaledProfile { run_id }, Some(stored)) => {
            let replanned = (locked.replan)(&stored.journal.profile).map_err(|reason| {
                EngineError::JournaledProfile {
                    run_id: run_id.clone(),
                    reason,
                }
            })?;
            reporter.note(&format!(
                "resuming interrupted run {run_id} with the profile it started with; the \
                 current profile is not applied: run install again afterwards"
            ));
            journaled_plan = Some(replanned);
            (stored.journal, Some(stored.resource_version))
        }
        (RunStart::Resume { run_id }, Some(stored)) => {
            reporter.note(&format!("resuming interrupted run {run_id}"));
            (stored.journal, Some(stored.resource_version))
        }
        (start, Some(mut stored)) => {
            if let RunStart::DiscardAndRun { run_id } = &start {
                reporter.note(&format!("discarded interrupted run {run_id}"));
            }
            stored
                .journal
                .begin_run(options.profile.clone(), operation, locked.by, now);
            (stored.journal, Some(stored.resource_version))
        }
    };
    let planes = match &journaled_plan {
        Some(journaled) => {
            connect_planes(locked.clusters, journaled, options.kubeconfig.as_deref()).await?
        }
        None => planes,
    };
    for plane in &planes {
        let uid = plane.cluster.identity().await?;
        match check_cluster(
            Some(&journal),
            &plane.name,
            plane.context.as_deref(),
            uid,
            options.rebind,
        )? {
            ClusterCheck::Same => {}
            ClusterCheck::FirstSeen => {
                journal.bind_cluster(&plane.name, uid, plane.context.as_deref(), now)
            }
            ClusterCheck::Rebound { previous_uid } => {
                reporter.note(&format!(
                    "plane {} rebound from cluster {previous_uid} to {uid}",
                    plane.name
                ));
                journal.bind_cluster(&plane.name, uid, plane.context.as_deref(), now);
            }
        }
    }
    let version = locked.store.save(&journal, version.as_deref()).await?;
    Ok(Started {
        plan: journaled_plan,
        planes,
        writer: JournalWriter::new(locked.store, journal, version),
    })
}

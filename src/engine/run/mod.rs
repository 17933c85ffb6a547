//! One run of a plan against live clusters (docs/engine.md, "How an install runs"), in this
//! order:
//!
//! 1. connect every plane's cluster (one client per cluster, [`crate::engine::connect`]), locate
//!    helm; check the ownership markers of the planes' other clusters ([`markers`]: a control
//!    plane re-pointed at another cluster → exit 4 unless `--rebind`);
//! 2. a dry run walks the plan now, changing nothing (no lock, no journal); otherwise
//! 3. take the lock on the control plane's cluster (held → exit 5);
//! 4. start the run in the journal ([`start`]: resume, refuse with exit 6, check each plane's
//!    cluster identity), write the missing markers;
//! 5. read helm's release state in bulk, once per cluster;
//! 6. walk the plan ([`crate::engine::walk`]), stopping new steps on Ctrl-C or a lost lock;
//! 7. finish the journal, report the summary per plane, release the lock.
//!
//! A failed helm step is rolled back (or uninstalled if new) by the step itself; its dependents
//! are skipped, independent branches finish, and the run ends as a partial failure (exit 3).

mod markers;
mod start;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::connect::{PlaneCluster, connect_planes, read_releases};
use super::error::EngineError;
use super::executor::Fate;
use super::helm::{HelmBinary, HelmProcess};
use super::journal::{InterruptedRunChoice, JournalStore, Operation, RunStatus};
use super::kube::{Cluster, Clusters};
use super::lock::{LockLost, LockOptions, acquire};
use super::reporter::Reporter;
use super::steps::Mode;
use super::summary::{Summary, summarize};
use super::walk::{Journaled, StepSettings, Walk};
use crate::plan::{Plan, StepKind};

/// Everything a run needs besides the plan.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--kubeconfig` (`None`: the `KUBECONFIG` list, else ~/.kube/config).
    pub kubeconfig: Option<PathBuf>,
    /// `--helm` / `CHOREOCTL_HELM`.
    pub helm: Option<PathBuf>,
    /// The resolved profile, kept in the journal.
    pub profile: Value,
    /// What the run is asked to do, kept in the journal.
    pub operation: Operation,
    /// `--dry-run`: check every step against the clusters, change nothing (no lock, no
    /// journal).
    pub dry_run: bool,
    /// How every step runs (`--concurrency`, `--timeout`, `--force-conflicts`, the manifest
    /// mirror).
    pub steps: StepSettings,
    /// `--force-unlock`.
    pub force_unlock: bool,
    /// `--resume` / `--discard`.
    pub interrupted: InterruptedRunChoice,
    /// `--rebind`.
    pub rebind: bool,
}

/// The outcome of a run that executed its plan.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The summary.
    pub summary: Summary,
}

/// Plans a resolved profile as the journal keeps it ([`Journal::profile`]): used to finish an
/// interrupted run with the profile it started with (`--resume` after the profile changed).
/// Fails with the reason.
///
/// [`Journal::profile`]: crate::engine::journal::Journal::profile
pub type Replan<'a> = dyn Fn(&Value) -> Result<Plan, String> + Sync + 'a;

/// Runs `plan` against its clusters; see the module documentation for the order. `replan`
/// plans the journaled profile of an interrupted run that `--resume` finishes.
///
/// # Errors
///
/// Before any change: helm missing or too old, a cluster unreachable, a re-pointed context
/// (exit 4); the lock held (exit 5); an interrupted run in the way (exit 6). After the walk:
/// [`EngineError::PartialFailure`] when steps failed or were skipped (exit 3); the lock lost or
/// the journal unsaved during the run (exit 5, exit 1). src/error.rs maps every variant.
pub async fn run(
    plan: &Plan,
    options: &Options,
    replan: &Replan<'_>,
    reporter: &dyn Reporter,
) -> Result<Outcome, EngineError> {
    let helm = HelmProcess::new(HelmBinary::locate(options.helm.as_deref())?)?;
    let clusters = Clusters::new(options.kubeconfig.clone());
    let planes = connect_planes(&clusters, plan, options.kubeconfig.as_deref()).await?;
    let control = planes
        .iter()
        .find(|plane| plane.control)
        .ok_or(EngineError::NoControlPlane)?;
    let unmarked =
        markers::check_ownership(&plan.name, &planes, control, options.rebind, reporter).await?;
    if options.dry_run {
        reporter.note("dry run: nothing is changed on any cluster (no lock, no journal)");
        let outcome = dry_run(plan, options, reporter, &helm, &planes).await;
        return finish(outcome);
    }
    let lock_options = LockOptions {
        force_unlock: options.force_unlock,
        ..LockOptions::default()
    };
    let lock = acquire(control.cluster.client(), &plan.name, &lock_options).await?;
    if let Some(previous) = lock.took_over_from() {
        let how = if previous.expired {
            "its lease had expired"
        } else if previous.process_gone {
            "its process on this machine has exited"
        } else {
            "--force-unlock"
        };
        reporter.note(&format!(
            "took the lock over from {} ({how}; last renewed {} s ago)",
            previous.identity,
            previous.renewed_ago.as_secs()
        ));
    }
    let by = lock.holder().identity.clone();
    let watch = lock.watch();
    let store = JournalStore::new(control.cluster.client(), &plan.name);
    let locked = Locked {
        plan,
        options,
        replan,
        reporter,
        helm: &helm,
        clusters: &clusters,
        store: &store,
        by: &by,
    };
    let result = locked.run(planes, unmarked, watch).await;
    if let Err(error) = lock.release().await {
        reporter.note(&format!("could not release the lock: {error}"));
    }
    finish(result?)
}

/// A run that executed its plan: success, or the partial failure its summary shows.
#[allow(clippy::result_large_err)] // the error `run` returns, as it is
fn finish(outcome: Outcome) -> Result<Outcome, EngineError> {
    if outcome.summary.succeeded() {
        return Ok(outcome);
    }
    let failed = outcome.summary.failures.len();
    let skipped = outcome
        .summary
        .planes
        .iter()
        .map(|p| p.count(super::summary::StepOutcome::Skipped))
        .sum();
    Err(EngineError::PartialFailure {
        failed,
        skipped,
        first: outcome
            .summary
            .failures
            .first()
            .map(|(id, message)| format!("{id}: {message}")),
    })
}

/// `install --dry-run`: the walk in [`Mode::DryRun`] over the connected planes.
async fn dry_run(
    plan: &Plan,
    options: &Options,
    reporter: &dyn Reporter,
    helm: &HelmProcess,
    planes: &[PlaneCluster],
) -> Outcome {
    // A dry run checks every step: no skip decisions, so no release state to read, except
    // where a remove step is to say whether its release is there.
    let mut releases = BTreeMap::new();
    if plan
        .steps
        .iter()
        .any(|step| step.kind() == StepKind::Remove)
    {
        for (plane, states) in read_releases(planes).await {
            match states {
                Ok(states) => {
                    releases.insert(plane, states);
                }
                Err(error) => reporter.note(&format!(
                    "the releases on plane {plane} cannot be read, so its removals are not \
                     checked: {error}"
                )),
            }
        }
    }
    let stop = AtomicBool::new(false);
    let walked = Walk {
        mode: Mode::DryRun,
        plan,
        planes,
        releases: &releases,
        helm: Some(helm),
        journal: Journaled::Unread,
        settings: options.steps,
        reporter,
        stop: &stop,
    }
    .walk()
    .await;
    let mut summary = summarize(
        plan,
        planes,
        &walked.nodes,
        &walked.results,
        walked.elapsed,
        reporter,
    );
    summary.dry_run = true;
    reporter.summary(&summary);
    Outcome { summary }
}

/// A run holding the lock.
struct Locked<'a> {
    plan: &'a Plan,
    options: &'a Options,
    replan: &'a Replan<'a>,
    reporter: &'a dyn Reporter,
    helm: &'a HelmProcess,
    clusters: &'a Clusters,
    store: &'a JournalStore,
    by: &'a str,
}

impl Locked<'_> {
    async fn run(
        &self,
        planes: Vec<PlaneCluster>,
        unmarked: Vec<Arc<Cluster>>,
        mut watch: super::lock::LockWatch,
    ) -> Result<Outcome, EngineError> {
        let started = start::start(self, planes).await?;
        let plan = started.plan.as_ref().unwrap_or(self.plan);
        let planes = started.planes.as_slice();
        if let Some(control) = planes.iter().find(|plane| plane.control) {
            markers::write_markers(&plan.name, &unmarked, control).await?;
        }
        let mut releases = BTreeMap::new();
        for (plane, states) in read_releases(planes).await {
            releases.insert(plane, states?);
        }
        let stop = AtomicBool::new(false);
        let lost = std::sync::Mutex::new(None::<LockLost>);
        let walk = Walk {
            mode: Mode::Run,
            plan,
            planes,
            releases: &releases,
            helm: Some(self.helm),
            journal: Journaled::Written(&started.writer),
            settings: self.options.steps,
            reporter: self.reporter,
            stop: &stop,
        };
        let walked = {
            let walking = walk.walk();
            // Stop starting steps when the lock is lost or on Ctrl-C; running steps finish.
            let guard = async {
                tokio::select! {
                    lock_lost = watch.wait_lost() => {
                        *lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(lock_lost);
                    }
                    _ = tokio::signal::ctrl_c() => {}
                }
                stop.store(true, Ordering::SeqCst);
            };
            tokio::pin!(walking, guard);
            tokio::select! {
                walked = &mut walking => walked,
                () = &mut guard => walking.await,
            }
        };
        let summary = summarize(
            plan,
            planes,
            &walked.nodes,
            &walked.results,
            walked.elapsed,
            self.reporter,
        );
        let interrupted = walked
            .results
            .iter()
            .any(|result| matches!(result.fate, Fate::NotStarted));
        let lost = lost.into_inner().unwrap_or_else(|p| p.into_inner());
        let status = match (&lost, interrupted) {
            (Some(_), _) | (None, true) => None,
            (None, false) if summary.succeeded() => Some(RunStatus::Succeeded),
            (None, false) => Some(RunStatus::Failed),
        };
        started.writer.finish(status).await?;
        if let Some(lost) = lost {
            return Err(EngineError::LockLost(lost));
        }
        self.reporter.summary(&summary);
        Ok(Outcome { summary })
    }
}

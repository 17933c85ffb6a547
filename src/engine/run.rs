//! One run of a plan against live clusters (DESIGN.md §10), in this order:
//!
//! 1. connect every plane's cluster (one client per cluster), locate helm; check the
//!    ownership markers of the planes' other clusters ([`super::ownership`]: a control plane
//!    re-pointed at another cluster → exit 4 unless `--rebind`);
//! 2. take the lock on the control plane's cluster (held → exit 5);
//! 3. load the journal and decide how the run starts (interrupted with a changed profile →
//!    exit 6 unless `--resume`/`--discard`); check each plane's cluster identity (another
//!    cluster → exit 4 unless `--rebind`); save the journal; write the missing markers;
//! 4. read helm's release state in bulk, once per cluster;
//! 5. execute the DAG: each step starts when its needs are done, at most `concurrency` at once
//!    per cluster; helm steps that the journal shows done with the same inputs and whose
//!    release is still deployed at that revision are skipped; read outputs are substituted into
//!    later steps; every finished step is journaled (one writer, saved after each step);
//! 6. finish the journal, report the summary per plane, release the lock.
//!
//! A failed helm step is rolled back (or uninstalled if new) by the step itself; its dependents
//! are skipped, independent branches finish, and the run ends as a partial failure (exit 3).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;
use miette::Diagnostic;
use serde_json::Value;

use super::executor::{Fate, Limits, Node, NodeResult, critical_path, execute};
use super::helm::{
    HelmBinary, HelmError, HelmProcess, KubeTarget, ReleaseStates, read_release_states,
};
use super::journal::{
    ClusterChanged, ClusterCheck, Digest, InterruptedRun, InterruptedRunChoice, Journal,
    JournalError, JournalStore, LiveRelease, RunStart, RunStatus, StepDecision, check_cluster,
    decide_run_start, decide_step, step_input_digest,
};
use super::kube::{ApplyOptions, Cluster, Clusters, KubeError, Target};
use super::lock::{LockError, LockLost, LockOptions, SYSTEM_NAMESPACE, acquire};
use super::outputs::Outputs;
use super::ownership::{self, ControlPlaneMoved, MarkerCheck, Sites, check_marker};
use super::steps::{self, StepDone, StepEnv, StepError};
use crate::plan::{Action, Plan, Step};
use crate::profile::model::PlaneType;

/// Everything a run needs besides the plan.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--kubeconfig` (`None`: the `KUBECONFIG` list, else ~/.kube/config).
    pub kubeconfig: Option<PathBuf>,
    /// `--helm` / `CHOREOCTL_HELM`.
    pub helm: Option<PathBuf>,
    /// The resolved profile, kept in the journal.
    pub profile: Value,
    /// Steps running at once against one cluster (`--concurrency`).
    pub concurrency: usize,
    /// `--timeout`: replaces each helm and wait step's own timeout.
    pub timeout: Option<Duration>,
    /// `--force-unlock`.
    pub force_unlock: bool,
    /// `--resume` / `--discard`.
    pub interrupted: InterruptedRunChoice,
    /// `--rebind`.
    pub rebind: bool,
    /// How objects are applied.
    pub apply: ApplyOptions,
    /// Whether `http://` manifest URLs may be fetched (plain-HTTP manifest mirror).
    pub manifests_plain_http: bool,
    /// `install --dry-run`: check every step against the clusters, change nothing (no lock,
    /// no journal; see [`super::dry_run`]).
    pub dry_run: bool,
}

/// Told about a run as it goes; implemented by the command layer (plain lines, later a TTY
/// progress display and NDJSON).
pub trait Reporter: Sync {
    /// Something the user should know that is not a step (a lock taken over, a rebind).
    fn note(&self, message: &str);
    /// A step starts.
    fn step_started(&self, step: &Step);
    /// A step ran (or was found unchanged: `Ok` with [`StepDone::unchanged`]).
    fn step_finished(&self, step: &Step, elapsed: Duration, result: &Result<StepDone, StepError>);
    /// A step did not run: a step it needs failed (`because`), or the run was stopped.
    fn step_skipped(&self, step: &Step, because: Option<&str>);
    /// The run is over.
    fn summary(&self, summary: &Summary);
}

/// What became of the steps of one plane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaneSummary {
    /// Plane name.
    pub plane: String,
    /// Its context.
    pub context: String,
    /// Steps that ran and succeeded.
    pub done: usize,
    /// Helm steps skipped as unchanged.
    pub unchanged: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Failed helm releases rolled back or uninstalled.
    pub rolled_back: usize,
    /// Steps not run because a need failed or the run stopped.
    pub skipped: usize,
    /// Time spent in this plane's steps (summed).
    pub busy: Duration,
}

/// The end of a run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Per plane, in plan order.
    pub planes: Vec<PlaneSummary>,
    /// Wall time of the execution.
    pub elapsed: Duration,
    /// The longest chain of needs by measured step time.
    pub critical_path: Duration,
    /// Failed steps: id and message.
    pub failures: Vec<(String, String)>,
    /// Helm upgrades (or installs) run.
    pub helm_upgrades: usize,
    /// A dry run: nothing was changed.
    pub dry_run: bool,
}

impl Summary {
    /// Whether every step ran or was unchanged.
    pub fn succeeded(&self) -> bool {
        self.planes
            .iter()
            .all(|plane| plane.failed == 0 && plane.skipped == 0)
    }
}

/// Why a run could not start, stopped, or did not fully succeed.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum EngineError {
    /// helm was not found or is too old.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Helm(#[from] HelmError),
    /// A cluster could not be reached or read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cluster(#[from] KubeError),
    /// The lock could not be taken.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lock(#[from] LockError),
    /// The lock was lost during the run.
    #[error("{0}; no further steps were started")]
    LockLost(LockLost),
    /// The journal could not be read or written.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Journal(#[from] JournalError),
    /// An interrupted run and a changed profile.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Interrupted(#[from] InterruptedRun),
    /// `--resume`: the profile the interrupted run started with cannot be planned again.
    #[error("cannot resume run {run_id} with the profile it started with: {reason}")]
    #[diagnostic(help("run again with --discard to install the current profile"))]
    JournaledProfile {
        /// The interrupted run.
        run_id: String,
        /// Why its profile cannot be planned.
        reason: String,
    },
    /// A plane's context now reaches another cluster.
    #[error(transparent)]
    #[diagnostic(transparent)]
    ClusterChanged(#[from] ClusterChanged),
    /// A plane's cluster belongs to this installation under another control plane's cluster.
    #[error(transparent)]
    #[diagnostic(transparent)]
    ControlPlaneMoved(#[from] Box<ControlPlaneMoved>),
    /// Two planes name different contexts that reach one cluster.
    #[error(
        "planes '{first}' ({first_context}) and '{second}' ({second_context}) reach the same \
         cluster ({server}) through different contexts: what they share would be installed twice"
    )]
    #[diagnostic(help(
        "give planes on one cluster the same context (and kubeconfig) in the profile"
    ))]
    ClusterUnderTwoContexts {
        /// The first plane.
        first: String,
        /// How it is reached.
        first_context: String,
        /// The second plane.
        second: String,
        /// How it is reached.
        second_context: String,
        /// The cluster's API server.
        server: String,
    },
    /// The profile has no control plane.
    #[error("the plan has no control plane to keep the lock and journal on")]
    NoControlPlane,
    /// The kubeconfig file or context for helm could not be determined.
    #[error("cannot tell helm which kubeconfig holds context `{context}`: {reason}")]
    HelmTarget {
        /// The context.
        context: String,
        /// Why.
        reason: String,
    },
    /// Steps failed (rolled back) or were skipped.
    #[error("{failed} step(s) failed and {skipped} were skipped: {}", first.as_deref().unwrap_or(""))]
    #[diagnostic(help(
        "failed helm releases were rolled back (or uninstalled if new); fix the cause and run \
         install again: finished steps are not repeated"
    ))]
    PartialFailure {
        /// Steps that failed.
        failed: usize,
        /// Steps not run.
        skipped: usize,
        /// The first failure, `id: message`.
        first: Option<String>,
    },
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
pub type Replan<'a> = dyn Fn(&Value) -> Result<Plan, String> + Sync + 'a;

/// Runs `plan` against its clusters; see the module documentation for the order. `replan`
/// plans the journaled profile of an interrupted run that `--resume` finishes.
pub async fn run(
    plan: &Plan,
    options: &Options,
    replan: &Replan<'_>,
    reporter: &dyn Reporter,
) -> Result<Outcome, EngineError> {
    let helm = HelmProcess::new(HelmBinary::locate(options.helm.as_deref())?)?;
    let clusters = Clusters::new(options.kubeconfig.clone());
    let planes = connect_planes(&clusters, plan, options).await?;
    let control = planes
        .iter()
        .find(|plane| plane.control)
        .ok_or(EngineError::NoControlPlane)?;
    let unmarked = check_ownership(&plan.name, &planes, control, options.rebind, reporter).await?;
    if options.dry_run {
        let outcome = super::dry_run::run(plan, options, reporter, &helm, &planes).await;
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
    let connected = Connected {
        clusters: &clusters,
        planes,
        unmarked,
    };
    let result = run_locked(
        plan, options, replan, reporter, &helm, connected, &store, &by, watch,
    )
    .await;
    if let Err(error) = lock.release().await {
        reporter.note(&format!("could not release the lock: {error}"));
    }
    finish(result?)
}

/// A run that executed its plan: success, or the partial failure its summary shows.
#[allow(clippy::result_large_err)] // the error `run` returns, as it is
fn finish(outcome: Outcome) -> Result<Outcome, EngineError> {
    if outcome.summary.succeeded() {
        Ok(outcome)
    } else {
        let failed = outcome.summary.failures.len();
        let skipped = outcome.summary.planes.iter().map(|p| p.skipped).sum();
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
}

/// Connects the cluster of every plane of `plan` (one client per cluster) and tells helm the
/// same cluster.
async fn connect_planes(
    clusters: &Clusters,
    plan: &Plan,
    options: &Options,
) -> Result<Vec<PlaneCluster>, EngineError> {
    let mut planes = Vec::new();
    for plane in &plan.planes {
        let target = Target {
            kubeconfig: plane
                .kubeconfig
                .as_deref()
                .map(|path| crate::kubeconfig::expand_home(Path::new(path))),
            context: plane.context.clone(),
        };
        let cluster = clusters.connect(&target).await?;
        let helm_target = helm_target(&target, options.kubeconfig.as_deref())
            .map_err(|(context, reason)| EngineError::HelmTarget { context, reason })?;
        // Planes on one cluster must be reached through one context: the plan installs what
        // planes share (the secure core) once per context, so a cluster reached through two
        // contexts would get the same releases twice, at the same time.
        if let Some(other) = planes.iter().find(|other: &&PlaneCluster| {
            other.cluster.server() == cluster.server() && other.target != target
        }) {
            return Err(EngineError::ClusterUnderTwoContexts {
                first: other.name.clone(),
                first_context: other.target_label(),
                second: plane.name.clone(),
                second_context: target_label(&target),
                server: cluster.server().to_owned(),
            });
        }
        planes.push(PlaneCluster {
            name: plane.name.clone(),
            context: plane.context.clone(),
            control: plane.plane_type == PlaneType::Control,
            cluster,
            helm_target,
            target,
        });
    }
    Ok(planes)
}

/// The clients of a run and the planes of the plan it was started with.
struct Connected<'a> {
    clusters: &'a Clusters,
    planes: Vec<PlaneCluster>,
    /// Clusters whose ownership marker is written once the journal is saved.
    unmarked: Vec<Arc<Cluster>>,
}

/// Checks the ownership marker ([`ownership`]) of every cluster of `planes` other than the
/// control plane's against the control plane's cluster (a marker naming another one: exit 4
/// unless `rebind`); returns the clusters whose marker is to be written (none yet, or rebound).
async fn check_ownership(
    installation: &str,
    planes: &[PlaneCluster],
    control: &PlaneCluster,
    rebind: bool,
    reporter: &dyn Reporter,
) -> Result<Vec<Arc<Cluster>>, EngineError> {
    let control_uid = control.cluster.identity().await?.to_owned();
    let control_context = control.target_label();
    // One plane per cluster other than the control plane's; their markers read side by side.
    let mut seen = vec![control_uid.clone()];
    let mut others = Vec::new();
    for plane in planes {
        let uid = plane.cluster.identity().await?;
        if !seen.iter().any(|known| known == uid) {
            seen.push(uid.to_owned());
            others.push(plane);
        }
    }
    let markers = futures::future::try_join_all(others.iter().map(|plane| async {
        ownership::read(plane.cluster.client(), installation)
            .await
            .map_err(|e| marker_error(&plane.cluster, "reading", installation, e))
    }))
    .await?;
    let mut unmarked = Vec::new();
    for (plane, marker) in others.into_iter().zip(markers) {
        let plane_context = plane.target_label();
        let sites = Sites {
            installation,
            plane: &plane.name,
            plane_context: &plane_context,
            control_context: &control_context,
            control_uid: &control_uid,
        };
        match check_marker(marker.as_ref(), sites, rebind)? {
            MarkerCheck::Same => {}
            MarkerCheck::Absent => unmarked.push(plane.cluster.clone()),
            MarkerCheck::Rebound { previous_uid } => {
                reporter.note(&format!(
                    "the cluster of plane {} ({plane_context}) belonged to the control plane on \
                     cluster {previous_uid}; rebound to {control_uid} ({control_context})",
                    plane.name
                ));
                unmarked.push(plane.cluster.clone());
            }
        }
    }
    Ok(unmarked)
}

/// Writes the ownership marker naming the control plane's cluster on each of `clusters`.
async fn write_markers(
    installation: &str,
    clusters: &[Arc<Cluster>],
    control: &PlaneCluster,
) -> Result<(), EngineError> {
    let control_uid = control.cluster.identity().await?;
    let control_context = control
        .context
        .clone()
        .unwrap_or_else(|| control.cluster.context().to_owned());
    futures::future::try_join_all(clusters.iter().map(|cluster| async {
        ownership::write(
            cluster.client(),
            installation,
            control_uid,
            &control_context,
        )
        .await
        .map_err(|e| marker_error(cluster, "writing", installation, e))
    }))
    .await?;
    Ok(())
}

/// A failed read or write of `installation`'s ownership marker on `cluster`.
fn marker_error(
    cluster: &Cluster,
    action: &'static str,
    installation: &str,
    source: kube::Error,
) -> KubeError {
    let marker = ownership::marker_name(installation);
    cluster.api_error(
        action,
        &format!("ConfigMap {SYSTEM_NAMESPACE}/{marker}"),
        source,
    )
}

/// A plane and its connected cluster.
pub(super) struct PlaneCluster {
    pub(super) name: String,
    pub(super) context: Option<String>,
    control: bool,
    pub(super) cluster: Arc<Cluster>,
    pub(super) helm_target: KubeTarget,
    /// The kubeconfig file and context it is reached through, as the profile names them.
    target: Target,
}

impl PlaneCluster {
    fn target_label(&self) -> String {
        target_label(&self.target)
    }
}

/// `context 'dp1'`, `context 'dp1' of /path/kubeconfig`, `the current context`.
fn target_label(target: &Target) -> String {
    let context = target.context.as_deref().map_or_else(
        || "the current context".to_owned(),
        |c| format!("context '{c}'"),
    );
    match &target.kubeconfig {
        Some(file) => format!("{context} of {}", file.display()),
        None => context,
    }
}

/// The journal and the `resourceVersion` to save it against: one writer.
struct JournalState {
    journal: Journal,
    version: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn run_locked(
    plan: &Plan,
    options: &Options,
    replan: &Replan<'_>,
    reporter: &dyn Reporter,
    helm: &HelmProcess,
    connected: Connected<'_>,
    store: &JournalStore,
    by: &str,
    mut watch: super::lock::LockWatch,
) -> Result<Outcome, EngineError> {
    let stored = store.load().await?;
    let profile_digest = Digest::of_json(&options.profile);
    let start = decide_run_start(
        stored.as_ref().map(|s| &s.journal),
        &profile_digest,
        options.interrupted,
    )?;
    let now = Timestamp::now();
    // `--resume` after the profile changed: the journaled profile's plan, on its planes.
    let mut journaled_plan = None;
    let (mut journal, version) = match (start, stored) {
        (RunStart::FirstInstall, _) | (_, None) => (
            Journal::new(&plan.name, options.profile.clone(), by, now),
            None,
        ),
        (RunStart::ResumeWithJournaledProfile { run_id }, Some(stored)) => {
            let replanned = replan(&stored.journal.profile).map_err(|reason| {
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
            stored.journal.begin_run(options.profile.clone(), by, now);
            (stored.journal, Some(stored.resource_version))
        }
    };
    let connected_unmarked = connected.unmarked;
    let (plan, planes) = match &journaled_plan {
        Some(journaled) => (
            journaled,
            connect_planes(connected.clusters, journaled, options).await?,
        ),
        None => (plan, connected.planes),
    };
    let planes = planes.as_slice();
    for plane in planes {
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
    let version = store.save(&journal, version.as_deref()).await?;
    if let Some(control) = planes.iter().find(|plane| plane.control) {
        write_markers(&plan.name, &connected_unmarked, control).await?;
    }

    // One client per cluster: index the distinct ones, read their releases once each.
    let mut distinct: Vec<Arc<Cluster>> = Vec::new();
    let mut cluster_of_plane = BTreeMap::new();
    for plane in planes {
        let index = match distinct.iter().position(|c| Arc::ptr_eq(c, &plane.cluster)) {
            Some(index) => index,
            None => {
                distinct.push(plane.cluster.clone());
                distinct.len() - 1
            }
        };
        cluster_of_plane.insert(plane.name.clone(), index);
    }
    let mut releases = Vec::new();
    for cluster in &distinct {
        let states = read_release_states(cluster.client())
            .await
            .map_err(|e| cluster.api_error("listing", "helm release Secrets", e))?;
        releases.push(states);
    }

    let nodes: Vec<Node> = plan
        .steps
        .iter()
        .map(|step| Node {
            id: step.id.clone(),
            needs: step.needs.clone(),
            cluster: cluster_of_plane
                .get(&step.plane)
                .map_or_else(String::new, usize::to_string),
            cost: if step.kind() == "helm" { 3 } else { 1 },
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let lost = Arc::new(std::sync::Mutex::new(None::<LockLost>));
    let context = RunContext {
        plan,
        options,
        reporter,
        helm,
        planes,
        cluster_of_plane,
        releases,
        store,
        outputs: std::sync::Mutex::new(Outputs::default()),
        journal: tokio::sync::Mutex::new(JournalState {
            journal,
            version: Some(version),
        }),
        journal_error: std::sync::Mutex::new(None),
        stop: stop.clone(),
    };
    let begun = Instant::now();
    let results = {
        let execution = execute(
            &nodes,
            Limits {
                per_cluster: options.concurrency.max(1),
            },
            &stop,
            |index| context.run_step(index),
        );
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
        tokio::pin!(execution, guard);
        let results = tokio::select! {
            results = &mut execution => results,
            () = &mut guard => execution.await,
        };
        results
    };
    let elapsed = begun.elapsed();

    let summary = summarize(plan, planes, &nodes, &results, elapsed, reporter);
    let RunContext {
        journal,
        journal_error,
        ..
    } = context;
    if let Some(error) = journal_error
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
    {
        return Err(error.into());
    }
    if let Some(lost) = lost.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(EngineError::LockLost(lost));
    }
    let interrupted = results
        .iter()
        .any(|result| matches!(result.fate, Fate::NotStarted));
    let mut state = journal.into_inner();
    if !interrupted {
        let status = if summary.succeeded() {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        };
        state.journal.finish(status, Timestamp::now());
        store.save(&state.journal, state.version.as_deref()).await?;
    }
    reporter.summary(&summary);
    Ok(Outcome { summary })
}

/// The summary of executed steps, per plane; skipped steps are told to `reporter`.
pub(super) fn summarize(
    plan: &Plan,
    planes: &[PlaneCluster],
    nodes: &[Node],
    results: &[NodeResult<StepDone, StepError>],
    elapsed: Duration,
    reporter: &dyn Reporter,
) -> Summary {
    let mut summary = Summary {
        planes: planes
            .iter()
            .map(|plane| PlaneSummary {
                plane: plane.name.clone(),
                context: plane
                    .context
                    .clone()
                    .unwrap_or_else(|| plane.cluster.context().to_owned()),
                ..PlaneSummary::default()
            })
            .collect(),
        elapsed,
        critical_path: critical_path(nodes, results),
        ..Summary::default()
    };
    for (step, result) in plan.steps.iter().zip(results) {
        let Some(plane) = summary.planes.iter_mut().find(|p| p.plane == step.plane) else {
            continue;
        };
        plane.busy += result.elapsed.unwrap_or_default();
        match &result.fate {
            Fate::Done(done) if done.unchanged => plane.unchanged += 1,
            Fate::Done(_) => {
                plane.done += 1;
                if step.kind() == "helm" {
                    summary.helm_upgrades += 1;
                }
            }
            Fate::Failed(error) => {
                plane.failed += 1;
                if step.kind() == "helm" {
                    summary.helm_upgrades += 1;
                }
                if matches!(
                    error.undo(),
                    Some(steps::Undo::RolledBack | steps::Undo::Uninstalled)
                ) {
                    plane.rolled_back += 1;
                }
                summary.failures.push((step.id.clone(), error.to_string()));
            }
            Fate::Skipped { because } => {
                plane.skipped += 1;
                reporter.step_skipped(step, Some(because));
            }
            Fate::NotStarted => {
                plane.skipped += 1;
                reporter.step_skipped(step, None);
            }
        }
    }
    summary
}

/// What every step of a run shares.
struct RunContext<'a> {
    plan: &'a Plan,
    options: &'a Options,
    reporter: &'a dyn Reporter,
    helm: &'a HelmProcess,
    planes: &'a [PlaneCluster],
    cluster_of_plane: BTreeMap<String, usize>,
    releases: Vec<ReleaseStates>,
    store: &'a JournalStore,
    outputs: std::sync::Mutex<Outputs>,
    journal: tokio::sync::Mutex<JournalState>,
    journal_error: std::sync::Mutex<Option<JournalError>>,
    stop: Arc<AtomicBool>,
}

impl RunContext<'_> {
    async fn run_step(&self, index: usize) -> Result<StepDone, StepError> {
        let step = &self.plan.steps[index];
        let rendered = self
            .outputs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .render(step);
        let digest = step_input_digest(&rendered);
        let plane = self
            .planes
            .iter()
            .find(|plane| plane.name == step.plane)
            .expect("every step's plane is connected");
        let cluster_index = self.cluster_of_plane[&step.plane];
        let env = StepEnv {
            cluster: &plane.cluster,
            helm: self.helm,
            helm_target: &plane.helm_target,
            timeout: self.options.timeout,
            apply: self.options.apply,
            manifests_plain_http: self.options.manifests_plain_http,
        };
        let namespace = rendered.namespace.as_deref();
        let started = Instant::now();
        let result = match &rendered.action {
            Action::Helm(action) => {
                let namespace = namespace.unwrap_or("default");
                let stored = self.releases[cluster_index].get(namespace, &action.release);
                let live = stored.map(|release| LiveRelease {
                    status: release.status.as_str().to_owned(),
                    revision: release.revision,
                });
                let record = self
                    .journal
                    .lock()
                    .await
                    .journal
                    .steps
                    .get(&step.id)
                    .cloned();
                match decide_step("helm", record.as_ref(), &digest, live.as_ref()) {
                    StepDecision::Skip => {
                        let done = StepDone {
                            revision: record.and_then(|r| r.revision),
                            unchanged: true,
                            ..StepDone::default()
                        };
                        let result = Ok(done);
                        self.reporter
                            .step_finished(step, started.elapsed(), &result);
                        return result;
                    }
                    StepDecision::Run(_) => {
                        self.reporter.step_started(step);
                        steps::helm::run(&env, action, namespace, stored).await
                    }
                }
            }
            Action::Apply(action) => {
                self.reporter.step_started(step);
                steps::apply::run(&env, action, namespace).await
            }
            Action::Wait(action) => {
                self.reporter.step_started(step);
                steps::wait::run(&env, action, namespace).await
            }
            Action::Read(action) => {
                self.reporter.step_started(step);
                steps::read::run(&env, action, namespace).await
            }
        };
        self.reporter
            .step_finished(step, started.elapsed(), &result);
        if let Ok(done) = &result {
            if let (Action::Read(read), Some(value)) = (&step.action, &done.output) {
                self.outputs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(&read.placeholder, value.clone());
            }
            self.journal_step(&step.id, digest, done).await;
        }
        result
    }

    /// Records a finished step and saves the journal; a failed save stops the run.
    async fn journal_step(&self, id: &str, digest: Digest, done: &StepDone) {
        let mut state = self.journal.lock().await;
        let now = Timestamp::now();
        state.journal.record_step(id, digest, done.revision, now);
        if let Some(output) = &done.output {
            state.journal.record_output(id, output.clone());
        }
        match self
            .store
            .save(&state.journal, state.version.as_deref())
            .await
        {
            Ok(version) => state.version = Some(version),
            Err(error) => {
                self.stop.store(true, Ordering::SeqCst);
                let mut slot = self.journal_error.lock().unwrap_or_else(|p| p.into_inner());
                slot.get_or_insert(error);
            }
        }
    }
}

/// The kubeconfig file and context helm is given for `target`: helm's `--kubeconfig` takes one
/// file, so with a `KUBECONFIG` list it is the first file that defines the context.
/// Fails with the context and why.
pub(super) fn helm_target(
    target: &Target,
    default: Option<&Path>,
) -> Result<KubeTarget, (String, String)> {
    let explicit = target.kubeconfig.as_deref().or(default);
    let loaded = crate::kubeconfig::load(explicit)
        .map_err(|e| (target.context.clone().unwrap_or_default(), e.to_string()))?;
    let context = match (&target.context, &loaded.config.current_context) {
        (Some(context), _) | (None, Some(context)) => context.clone(),
        (None, None) => {
            return Err((
                "(current)".into(),
                "the kubeconfig names no current context".into(),
            ));
        }
    };
    if let Some(path) = explicit {
        return Ok(KubeTarget {
            kubeconfig: crate::kubeconfig::expand_home(path),
            context,
        });
    }
    let files: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
        Some(list) if !list.is_empty() => std::env::split_paths(&list).collect(),
        _ => vec![crate::kubeconfig::expand_home(Path::new("~/.kube/config"))],
    };
    let holder = files.iter().find(|file| {
        crate::kubeconfig::load(Some(file)).is_ok_and(|loaded| {
            loaded
                .config
                .contexts
                .iter()
                .any(|named| named.name == context)
        })
    });
    match holder {
        Some(file) => Ok(KubeTarget {
            kubeconfig: file.clone(),
            context,
        }),
        None => Err((context, "no kubeconfig file defines it".into())),
    }
}

//! One file per step kind, each owning everything about its kind: how it runs, how it is
//! checked server-side without changing anything (`install --dry-run`), how it previews what it
//! would change (`plan` and `diff` against live clusters), how a failure is undone, and when the
//! journal lets it be skipped:
//!
//! - [`helm`]: `helm upgrade --install` of one release (and how to undo a failed release and
//!   recover one a dead run left `pending-*`);
//! - [`apply`]: rendered objects or a pinned remote manifest, server-side;
//! - [`wait`]: a condition on one object;
//! - [`read`]: a public value that later steps use;
//! - [`remove`]: what an earlier run made, taken away (`module remove`, `uninstall`);
//! - [`restart`]: Deployments restarted to load certificates that changed (`plane sync-ca`).
//!
//! [`execute`] is the one place that dispatches on a step's kind and the run's [`Mode`];
//! [`decide`] is the one place that asks a kind whether the journal lets its step be skipped.
//! The loop that calls them is `src/engine/walk.rs`.

pub mod apply;
pub mod crds;
pub mod helm;
pub mod read;
pub mod remove;
pub mod restart;
pub mod wait;

use std::time::Duration;

use miette::Diagnostic;
use serde::Serialize;
use serde_json::Value;

use super::helm::{HelmError, HelmProcess, KubeTarget, StoredRelease};
use super::journal::{Digest, StepRecord};
use super::kube::{Cluster, KubeError};
use super::wait::WaitTimeout;
use crate::catalog::model::ResourceRef;
use crate::plan::{Action, Step};

/// How a plan is walked: the same loop, three ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Change the clusters (`install`).
    Run,
    /// Check every step server-side, change nothing (`install --dry-run`).
    DryRun,
    /// Say what each step would change, change nothing (`plan` and `diff` against live
    /// clusters).
    Preview,
}

impl Mode {
    /// Whether objects are only checked, never stored.
    pub fn changes_nothing(self) -> bool {
        self != Mode::Run
    }
}

/// What every step runs with: its cluster and how to reach it, and the run's settings.
pub struct StepEnv<'a> {
    /// How the plan is walked.
    pub mode: Mode,
    /// The cluster of the step's plane.
    pub cluster: &'a Cluster,
    /// The helm binary and the step's cluster as helm is told it (`--kubeconfig`,
    /// `--kube-context`); `None` in a preview, which runs no helm.
    pub helm: Option<(&'a HelmProcess, &'a KubeTarget)>,
    /// `--timeout`: replaces every helm and wait step's own timeout.
    pub timeout: Option<Duration>,
    /// `--force-conflicts`: take over fields any other field manager owns.
    pub force_conflicts: bool,
    /// Whether `http://` manifest URLs may be fetched (the profile's manifest mirror is plain
    /// HTTP).
    pub manifests_plain_http: bool,
    /// The installation the run belongs to: the label of every release it runs.
    pub installation: &'a str,
}

impl StepEnv<'_> {
    /// The step's own timeout, unless `--timeout` replaces it.
    pub fn timeout(&self, seconds: u64) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(seconds))
    }

    /// The helm binary and target; a preview never asks for them.
    fn helm(&self) -> (&HelmProcess, &KubeTarget) {
        self.helm
            .expect("runs and dry runs connect helm before walking the plan")
    }
}

/// What the walk knows about a step before it runs, besides the step itself.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Helm steps: the release's latest revision in helm's storage before the run (read in
    /// bulk), `None` if it has none.
    pub release: Option<&'a StoredRelease>,
    /// Whether the journal lets the step be skipped ([`decide`]); a dry run does not ask.
    pub decision: &'a StepDecision,
    /// The read step whose output the step still carries as a placeholder (it could not be
    /// read), if any.
    pub waiting_for: Option<&'a str>,
}

/// What a finished step produced.
#[derive(Debug, Default, Clone)]
pub struct StepDone {
    /// Helm steps: the release revision now deployed.
    pub revision: Option<u32>,
    /// Read steps: the value read.
    pub output: Option<String>,
    /// Things the user should know (a `pending-*` release recovered, ...).
    pub notes: Vec<String>,
    /// The step did not run: the journal shows it done with the same inputs and its release
    /// is still deployed at that revision.
    pub unchanged: bool,
    /// A preview: what the step would change.
    pub preview: Option<Preview>,
    /// Apply steps in a run: each object applied, with the namespace the cluster gave it.
    pub applied: Vec<ResourceRef>,
    /// Helm steps: the release is someone else's, used as it is (nothing ran, so `unchanged`
    /// too).
    pub external: bool,
}

/// What a step would change, as a preview finds it.
#[derive(Debug, Clone)]
pub struct Preview {
    /// What an install would do.
    pub change: Change,
    /// Why, for the user (empty for a plain no-op).
    pub reason: String,
    /// Apply steps: each object as it is live and as the apply would leave it.
    pub objects: Vec<ObjectState>,
}

impl Preview {
    /// A preview without objects.
    pub fn new(change: Change, reason: impl Into<String>) -> Self {
        Self {
            change,
            reason: reason.into(),
            objects: Vec::new(),
        }
    }
}

impl From<Preview> for StepDone {
    fn from(preview: Preview) -> Self {
        StepDone {
            preview: Some(preview),
            ..StepDone::default()
        }
    }
}

/// What an install would do to one step's object(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Absent (release or object): it would be created.
    Install,
    /// Present but different: it would be changed.
    Upgrade,
    /// Present, and no longer wanted: it would be removed.
    Remove,
    /// Cannot tell before an earlier step runs (an output not readable yet, a condition that
    /// does not hold now).
    Unknown,
    /// Nothing would change.
    NoOp,
    /// The plane's cluster cannot be reached.
    Unreachable,
}

impl Change {
    /// How the change is written: `install`, `upgrade`, `remove`, `no-op`, `unknown`,
    /// `unreachable`.
    pub fn label(self) -> &'static str {
        match self {
            Change::Install => "install",
            Change::Upgrade => "upgrade",
            Change::Remove => "remove",
            Change::NoOp => "no-op",
            Change::Unknown => "unknown",
            Change::Unreachable => "unreachable",
        }
    }
}

/// An object of an apply step, live and after a server-side dry-run apply.
#[derive(Debug, Clone)]
pub struct ObjectState {
    /// `Kind namespace/name`.
    pub label: String,
    /// The object as the cluster has it (`None`: absent), without server bookkeeping.
    pub live: Option<Value>,
    /// The object as the apply would leave it (`None`: could not be dry-run; see the step's
    /// reason), without server bookkeeping.
    pub applied: Option<Value>,
}

/// Whether a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepDecision {
    /// Journaled with the same inputs and still in place: nothing to do.
    Skip,
    /// A helm step whose release someone else installed, of a chart the catalog lets be used
    /// as it is: its version is checked, nothing else is done.
    External,
    /// Run it, and why.
    Run(RunReason),
}

/// Why a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunReason {
    /// Apply, wait and read steps run every time (cheap; they repair drift).
    AlwaysRuns,
    /// Never finished before.
    NotJournaled,
    /// Its rendered inputs changed since it last finished.
    InputsChanged,
    /// The journal says it was installed, but the release is gone.
    ReleaseMissing,
    /// The release was left `pending-*` (a dead run): recover it first.
    ReleasePending {
        /// The pending status.
        status: String,
        /// Its revision.
        revision: u32,
    },
    /// The release's last revision is not `deployed` (failed, uninstalled, ...).
    ReleaseNotDeployed {
        /// Its status.
        status: String,
    },
    /// Someone upgraded or rolled the release back since.
    ReleaseMoved {
        /// The revision this step produced.
        journaled: u32,
        /// The live revision.
        live: u32,
    },
}

impl std::fmt::Display for RunReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunReason::AlwaysRuns => f.write_str("runs every time"),
            RunReason::NotJournaled => f.write_str("not installed by choreoctl before"),
            RunReason::InputsChanged => f.write_str("its inputs changed since the last install"),
            RunReason::ReleaseMissing => f.write_str("release absent"),
            RunReason::ReleasePending { status, revision } => {
                write!(f, "release left {status} at revision {revision}")
            }
            RunReason::ReleaseNotDeployed { status } => write!(f, "release is {status}"),
            RunReason::ReleaseMoved { journaled, live } => {
                write!(
                    f,
                    "release moved from revision {journaled} (last install) to {live}"
                )
            }
        }
    }
}

/// Whether the journal lets a step of `kind` be skipped: `record` is its journal entry,
/// `digest` the digest of its rendered inputs, `release` (helm steps) its release's latest
/// revision in helm's storage.
///
/// Only helm steps are ever skipped ([`helm::decide`]): a helm process costs seconds, and
/// release storage tells cheaply whether anyone changed the release since. Apply, wait and read
/// steps always run: each costs one request per object, a server-side apply of unchanged objects
/// changes nothing (no new generation, no rollout), a satisfied wait returns at once, and running
/// them is what repairs drift (a deleted plane resource, an edited ClusterSecretStore, a rotated
/// agent CA read afresh). So a no-op run makes no helm calls and still converges.
///
/// Before that, a helm step whose release someone else installed (not labelled with
/// `installation`, not journaled as choreoctl's) is [`StepDecision::External`] when its chart
/// may be used as it is ([`helm::is_external`]).
pub fn decide(
    action: &Action,
    installation: &str,
    record: Option<&StepRecord>,
    digest: &Digest,
    release: Option<&StoredRelease>,
) -> StepDecision {
    match action {
        Action::Helm(helm) if helm::is_external(helm, installation, record, release) => {
            StepDecision::External
        }
        Action::Helm(_) => helm::decide(record, digest, release),
        Action::Apply(_)
        | Action::Wait(_)
        | Action::Read(_)
        | Action::Remove(_)
        | Action::Restart(_) => StepDecision::Run(RunReason::AlwaysRuns),
    }
}

/// Runs, dry-runs or previews `step` (already rendered with the outputs read so far) as `env`'s
/// mode says.
///
/// # Errors
///
/// [`StepError`] when the step fails; a preview never fails (what it cannot tell is
/// [`Change::Unknown`]).
pub async fn execute(
    env: &StepEnv<'_>,
    step: &Step,
    known: Known<'_>,
) -> Result<StepDone, StepError> {
    let namespace = step.namespace.as_deref();
    match (&step.action, env.mode) {
        (Action::Helm(action), Mode::Run) => {
            helm::run(env, action, namespace.unwrap_or("default"), known).await
        }
        (Action::Helm(action), Mode::DryRun) => {
            helm::dry_run(env, action, namespace.unwrap_or("default")).await
        }
        (Action::Helm(_), Mode::Preview) => Ok(helm::preview(known).into()),
        (Action::Apply(action), Mode::Run | Mode::DryRun) => {
            apply::run(env, action, namespace).await
        }
        (Action::Apply(action), Mode::Preview) => {
            Ok(apply::preview(env, action, namespace, known.waiting_for)
                .await
                .into())
        }
        (Action::Wait(action), Mode::Run) => wait::run(env, action, namespace).await,
        (Action::Wait(action), Mode::DryRun) => wait::dry_run(env, action, namespace).await,
        (Action::Wait(action), Mode::Preview) => {
            Ok(wait::preview(env, action, namespace).await.into())
        }
        (Action::Read(action), Mode::Run) => read::run(env, action, namespace).await,
        (Action::Read(action), Mode::DryRun) => Ok(read::dry_run(env, action, namespace).await),
        (Action::Read(action), Mode::Preview) => Ok(read::preview(env, action, namespace).await),
        (Action::Remove(action), Mode::Run) => {
            remove::run(env, &action.what, namespace, known.release).await
        }
        (Action::Remove(action), Mode::DryRun) => {
            remove::dry_run(env, &action.what, namespace, known.release).await
        }
        (Action::Remove(action), Mode::Preview) => {
            Ok(remove::preview(env, &action.what, namespace, known.release)
                .await
                .into())
        }
        (Action::Restart(action), Mode::Run) => restart::run(env, action, namespace).await,
        (Action::Restart(action), Mode::DryRun) => restart::dry_run(env, action, namespace).await,
        (Action::Restart(action), Mode::Preview) => {
            Ok(restart::preview(env, action, namespace).await.into())
        }
    }
}

/// What was done about a failed helm release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Rolled back to the revision before the failed one.
    RolledBack,
    /// The release was new: uninstalled.
    Uninstalled,
    /// The failed operation stored no revision: the release is as it was.
    Untouched,
    /// Undoing failed too; the release is left as helm left it.
    Failed(String),
}

impl std::fmt::Display for Undo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undo::RolledBack => f.write_str("rolled back to the previous revision"),
            Undo::Uninstalled => f.write_str("uninstalled (it was new)"),
            Undo::Untouched => f.write_str("left as it was (no revision was stored)"),
            Undo::Failed(reason) => write!(f, "could not be undone: {reason}"),
        }
    }
}

/// Why a step failed.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum StepError {
    /// A request to the cluster failed.
    #[error(transparent)]
    Kube(#[from] KubeError),
    /// A wait ran out of time.
    #[error(transparent)]
    Wait(Box<WaitTimeout>),
    /// helm failed; the release was undone as `undo` says.
    #[error("{error}\n  release {undo}")]
    Helm {
        /// helm's error.
        error: HelmError,
        /// What became of the release.
        undo: Undo,
    },
    /// A `pending-*` release left by a dead run could not be recovered.
    #[error("{error}")]
    Recover {
        /// helm's error.
        error: HelmError,
    },
    /// A remote manifest could not be fetched or read.
    #[error("cannot fetch manifest {url}: {reason}")]
    Manifest {
        /// Where from.
        url: String,
        /// Why.
        reason: String,
    },
    /// A release someone else installed is of a version choreoctl cannot use.
    #[error(
        "{chart} {version} in release {namespace}/{release} was installed by someone else and is \
         not a version OpenChoreo's charts work with ({compatible})"
    )]
    #[diagnostic(help(
        "upgrade it to a version in {compatible}, or let choreoctl take it over: add `adopt: \
         [{chart}]` under `spec` in the profile (choreoctl then upgrades it with its own values \
         and uninstalls it with the installation)"
    ))]
    Incompatible {
        /// The chart (also the key `adopt` takes).
        chart: String,
        /// Its version as installed.
        version: String,
        /// The release's namespace.
        namespace: String,
        /// The release.
        release: String,
        /// The versions that can be used.
        compatible: String,
    },
    /// A read step found nothing to read, or was asked for something that is not public.
    #[error("cannot read {what}: {reason}")]
    Read {
        /// `Secret ns/name key ca.crt`.
        what: String,
        /// Why.
        reason: String,
    },
}

impl StepError {
    /// What became of a failed helm release, if this is one.
    pub fn undo(&self) -> Option<&Undo> {
        match self {
            StepError::Helm { undo, .. } => Some(undo),
            _ => None,
        }
    }
}

impl From<WaitTimeout> for StepError {
    fn from(timeout: WaitTimeout) -> Self {
        StepError::Wait(Box::new(timeout))
    }
}

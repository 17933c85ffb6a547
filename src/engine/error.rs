//! Why a run could not start, stopped, or did not fully succeed; src/error.rs maps each to its
//! exit code (docs/exit-codes.md).

use miette::Diagnostic;

use super::helm::HelmError;
use super::journal::{ClusterChanged, InterruptedRun, JournalError};
use super::kube::KubeError;
use super::lock::{LockError, LockLost};
use super::ownership::ControlPlaneMoved;

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
    /// An interrupted run stands in the way: a changed profile, or another operation.
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
         the same command again: finished steps are not repeated"
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

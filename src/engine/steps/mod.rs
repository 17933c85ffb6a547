//! One file per step kind, each knowing how to run its step: [`helm`] (and how to undo a failed
//! release and recover one a dead run left `pending-*`), [`apply`] (rendered objects or a pinned
//! remote manifest, server-side), [`wait`] and [`read`] (a public value that later steps use).
//!
//! Whether a step runs at all is decided before, from the journal
//! ([`decide_step`](super::journal::decide_step)); a step here just runs.

pub mod apply;
pub mod helm;
pub mod read;
pub mod wait;

use std::time::Duration;

use miette::Diagnostic;

use super::helm::{HelmError, HelmProcess, KubeTarget};
use super::kube::{ApplyOptions, Cluster, KubeError};
use super::wait::WaitTimeout;

/// What every step runs with: its cluster and how to reach it, and the run's settings.
pub struct StepEnv<'a> {
    /// The cluster of the step's plane.
    pub cluster: &'a Cluster,
    /// The helm binary.
    pub helm: &'a HelmProcess,
    /// The same cluster as helm is told it (`--kubeconfig`, `--kube-context`).
    pub helm_target: &'a KubeTarget,
    /// `--timeout`: replaces every helm and wait step's own timeout.
    pub timeout: Option<Duration>,
    /// How objects are applied.
    pub apply: ApplyOptions,
    /// Whether `http://` manifest URLs may be fetched (the profile's manifest mirror is plain
    /// HTTP).
    pub manifests_plain_http: bool,
}

impl StepEnv<'_> {
    /// The step's own timeout, unless `--timeout` replaces it.
    pub fn timeout(&self, seconds: u64) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(seconds))
    }
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

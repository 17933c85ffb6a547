//! The journal of runs of one installation, kept on the control plane's cluster as the Secret
//! `choreoctl-<installation>` in [`SYSTEM_NAMESPACE`] (a Secret, because the resolved profile it
//! holds may contain secret values). It records:
//!
//! - the profile the last run used, and its digest, so later commands need no file;
//! - the current run: in progress (run id, start, who, its [`Operation`]) or finished;
//! - per finished step: the digest of its rendered inputs, the helm revision it produced, when;
//! - the outputs read (step id → value: public CA data, endpoints);
//! - each plane's cluster identity (the `kube-system` namespace UID), recorded at first install.
//!
//! It is saved with optimistic concurrency (`resourceVersion`) and stored as gzip-compressed
//! JSON, which keeps even a large installation far below a Secret's 1 MiB limit.
//!
//! Its parts, one job each:
//!
//! - [`digest`]: input digests of steps and profiles;
//! - [`model`]: the journal itself and how a run changes it;
//! - [`decide`]: the pure decisions made from it, tested without a cluster —
//!   [`decide_run_start`] (start, resume or refuse: exit 6) and [`check_cluster`] (same cluster as
//!   recorded, or refused: exit 4). Whether a step may be skipped is its kind's own rule
//!   (`src/engine/steps/`);
//! - [`store`]: the Secret it is kept in; [`writer`]: its one writer during a run.
//!
//! [`SYSTEM_NAMESPACE`]: crate::names::SYSTEM_NAMESPACE

pub mod decide;
pub mod digest;
#[cfg(test)]
mod fixtures;
pub mod model;
pub mod store;
pub mod writer;

pub use decide::{
    ClusterChanged, ClusterCheck, InterruptedRun, InterruptedRunChoice, RunStart, check_cluster,
    decide_run_start,
};
pub use digest::{Digest, step_input_digest};
pub use model::{ClusterIdentity, Journal, Made, Operation, Run, RunStatus, StepRecord};
pub use store::{
    JOURNAL_FORMAT, JOURNAL_KEY, JournalError, JournalStore, MAX_JOURNAL_BYTES, Stored,
    cluster_uid, list_installations, secret_name,
};
pub use writer::{Finished, JournalWriter};

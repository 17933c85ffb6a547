//! The install engine (DESIGN.md §10): executes a [`Plan`](crate::plan::Plan) against live
//! clusters.
//!
//! Everything that talks to a cluster is async (tokio); everything that decides is a pure
//! function tested without a cluster. Its parts so far:
//!
//! - [`helm`]: the helm binary behind a small trait (upgrade --install, rollback, uninstall,
//!   get values/manifest, history, template), and the bulk reader of release state from helm's
//!   storage Secrets (one list per cluster).
//! - [`kube`]: one client per cluster, discovery, server-side apply; [`wait`] and
//!   [`conditions`]: waits built on watches and the pure readiness checks behind them.
//! - [`lock`] and [`journal`]: the run lock (a Lease) and the journal of runs (a Secret), with
//!   the pure decisions made from them (skip a step, resume a run, refuse a re-pointed context).
//! - [`executor`]: runs the plan's DAG as each step's needs finish, bounded per cluster.
//! - [`steps`]: how each step kind runs (and a failed helm release is undone); [`outputs`]:
//!   read values substituted into later steps.
//! - [`live`]: what an install would change, read without changing anything (`plan`, `diff`).
//! - `dry_run`: `install --dry-run`, every step checked server-side, nothing changed.
//! - [`gateway_tls`]: whether the cluster gateway's certificate covers the name a plane dials.
//! - [`preflight`]: the checks `choreoctl check` runs, and `install` before taking the lock.
//! - [`run`]: one run of a plan, from connecting to releasing the lock; the [`Reporter`] it
//!   tells as it goes is implemented by the command layer.

pub mod conditions;
mod dry_run;
pub mod executor;
pub mod gateway_tls;
pub mod helm;
pub mod journal;
pub mod kube;
pub mod live;
pub mod lock;
pub mod outputs;
pub mod ownership;
pub mod preflight;
mod run;
pub mod steps;
pub mod wait;

pub use run::{EngineError, Options, Outcome, PlaneSummary, Reporter, Summary, run};

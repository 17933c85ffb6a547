//! The install engine: executes a [`Plan`](crate::plan::Plan) against live clusters
//! (docs/architecture.md, "The engine"; docs/engine.md for what users see).
//!
//! Everything that talks to a cluster is async (tokio); everything that decides is a pure
//! function tested without a cluster. Its parts:
//!
//! - [`run`]: one run of a plan, from connecting to releasing the lock; [`walk`]: the one loop
//!   over a plan, in each [`Mode`](steps::Mode) (run, dry run, preview); [`preview`]: what an
//!   install would change (`plan`, `diff`).
//! - [`steps`]: one file per step kind, each owning its run, dry run, preview, undo and skip
//!   rule; [`outputs`]: read values substituted into later steps.
//! - [`executor`]: runs a DAG as each node's needs finish, bounded per cluster and per group.
//! - [`connect`]: a plan's planes connected (one client per cluster) and their release state;
//!   [`kube`]: the clients, discovery, server-side apply; [`wait`] and [`conditions`]: waits
//!   built on watches and the pure readiness checks behind them; [`helm`]: the helm binary
//!   behind a small trait, and release state from helm's storage Secrets.
//! - [`lock`] and [`journal`]: the run lock (a Lease) and the journal of runs (a Secret), with
//!   the pure decisions made from them; [`ownership`]: which control plane a cluster belongs to.
//! - [`reporter`]: what a run tells as it goes, implemented by the command layer;
//!   [`summary`]: its end, per plane, kind and outcome; [`error`]: why a run did not succeed.
//! - [`preflight`]: the checks `choreoctl check` runs, and `install` before taking the lock;
//!   [`gateway_tls`]: whether the cluster gateway's certificate covers the name a plane dials.

pub mod conditions;
pub mod connect;
pub mod error;
pub mod executor;
pub mod forget;
pub mod gateway_tls;
pub mod helm;
pub mod journal;
pub mod kube;
pub mod lock;
pub mod namespaces;
pub mod outputs;
pub mod ownership;
pub mod preflight;
pub mod preview;
pub mod removal;
pub mod reporter;
pub mod run;
pub mod steps;
pub mod summary;
pub mod wait;
pub mod walk;

pub use error::EngineError;
pub use reporter::Reporter;
pub use run::{Options, Outcome, run};
pub use summary::{PlaneSummary, StepOutcome, Summary};

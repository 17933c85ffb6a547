//! The install engine (DESIGN.md §10): executes a [`Plan`](crate::plan::Plan) against live
//! clusters.
//!
//! Everything that talks to a cluster is async (tokio); everything that decides is a pure
//! function tested without a cluster. So far the engine has its helm layer:
//!
//! - [`helm`]: the helm binary behind a small trait (upgrade --install, rollback, uninstall,
//!   get values/manifest, history, template), and the bulk reader of release state from helm's
//!   storage Secrets (one list per cluster).

pub mod helm;

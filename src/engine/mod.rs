//! The install engine: executes a plan against live clusters (DESIGN.md §10).

pub mod conditions;
pub mod executor;
pub mod kube;
pub mod wait;

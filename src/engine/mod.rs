//! The engine: executes a plan against live clusters (DESIGN.md §10).

pub mod conditions;
pub mod kube;
pub mod wait;

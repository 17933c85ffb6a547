//! The engine: executes a plan against live clusters (DESIGN.md §10).

pub mod journal;
pub mod lock;

//! The single integration-test binary of choreoctl (DESIGN.md §9).
//! Each area of the product is a module below.

mod cli;
mod fixtures;
mod harness;
mod helm;
mod install;
mod kube;
mod malformed;
mod real_charts;
mod rendered_values;
mod run_state;
mod sandbox;
mod smoke;
mod snapshots;
mod standins;

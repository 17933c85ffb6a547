//! The single integration-test binary of choreoctl (DESIGN.md §9).
//! Each area of the product is a module below.

mod cli;
mod crd_waits;
mod fixtures;
mod harness;
mod helm;
mod init;
mod install;
mod kube;
mod malformed;
mod mirror;
mod real_charts;
mod rendered_values;
mod run_state;
mod sandbox;
mod secret_store;
mod smoke;
mod snapshots;
mod standins;
mod wiring;

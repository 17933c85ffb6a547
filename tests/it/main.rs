//! The single integration-test binary of choreoctl (docs/sandbox.md, "Rust test support").
//! Each area of the product is a module below.

mod background;
mod check;
mod cli;
mod crd_waits;
mod diff;
mod docs;
mod fixtures;
mod gateway_tls;
mod gitops;
mod harness;
mod helm;
mod helmfile_sync;
mod init;
mod install;
mod install_output;
mod install_runs;
mod kube;
mod log_format;
mod malformed;
mod mirror;
mod module_add;
mod module_remove;
mod ownership;
mod real_charts;
mod rendered_values;
mod run_state;
mod sandbox;
mod secret_store;
mod smoke;
mod snapshots;
mod standins;
mod status;
mod step_modes;
mod uninstall;
mod wiring;

//! The single integration-test binary of choreoctl (DESIGN.md §9).
//! Each area of the product is a module below.

mod cli;
mod fixtures;
mod harness;
mod init;
mod malformed;
mod rendered_values;
mod sandbox;
mod smoke;
mod snapshots;
mod standins;

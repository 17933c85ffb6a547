//! `choreoctl mirror`: what an air-gapped site must carry across the gap.
//!
//! - [`charts`]: the chart versions a plan installs, and copying one with `helm pull` and
//!   `helm push` from where the plan pulls it into another OCI registry.
//! - [`bundle`]: the same charts, and the pinned manifests, in one tar file carried across.
//! - [`images`]: the container images named in rendered manifests (`helm template` output and
//!   apply steps), for the site to copy with the tool it trusts.

pub mod bundle;
pub mod charts;
pub mod images;

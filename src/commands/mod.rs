//! One function per command: resolved inputs in, output and a result out.

pub mod catalog_info;
pub mod plan;
pub mod profile;
pub mod render;
pub mod version;

use std::path::Path;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::plan::Plan;
use crate::profile::ProfileRequest;
use crate::resolve::{self, Resolved};

/// Loads the profile, resolves it against the catalog and the kubeconfig.
pub fn resolve_profile(
    catalog: &Catalog,
    request: &ProfileRequest,
    kubeconfig: Option<&Path>,
) -> Result<Resolved, Error> {
    let loaded = request.load(catalog)?;
    Ok(resolve::resolve(catalog, &loaded, kubeconfig)?)
}

/// Loads, resolves and plans.
pub fn compute_plan(
    catalog: &Catalog,
    request: &ProfileRequest,
    kubeconfig: Option<&Path>,
) -> Result<Plan, Error> {
    let resolved = resolve_profile(catalog, request, kubeconfig)?;
    Ok(crate::plan::build(catalog, &resolved)?)
}

//! One function per command: resolved inputs in, output and a result out.

pub mod catalog_info;
pub mod install;
pub mod plan;
pub mod profile;
pub mod render;
pub mod version;

use std::path::Path;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::kubeconfig::KnownContexts;
use crate::plan::Plan;
use crate::profile::ProfileRequest;
use crate::resolve::{self, Resolved};

/// Loads the profile, reads the contexts of the kubeconfigs its planes use (`kubeconfig` is the
/// default one: `--kubeconfig`) and resolves it against the catalog and those contexts.
pub fn resolve_profile(
    catalog: &Catalog,
    request: &ProfileRequest,
    kubeconfig: Option<&Path>,
) -> Result<Resolved, Error> {
    let loaded = request.load(catalog)?;
    let planes = &loaded.profile.spec.planes;
    let known_contexts = KnownContexts::read(
        kubeconfig,
        planes.iter().map(|plane| plane.kubeconfig.as_deref()),
    );
    Ok(resolve::resolve(catalog, &loaded, &known_contexts)?)
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

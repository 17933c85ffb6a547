//! Profiles and helpers shared by the resolver's unit tests.

use super::{ResolveError, Resolved, ResolvedModule, resolve};
use crate::catalog::Catalog;
use crate::kubeconfig::KnownContexts;
use crate::profile::LoadedProfile;
use crate::profile::load::parse;
use crate::source::SourceFile;

/// Resolves a profile against the embedded catalog.
pub(super) fn resolve_yaml(yaml: &str) -> Result<Resolved, ResolveError> {
    let catalog = Catalog::embedded().expect("embedded catalog loads");
    resolve_with(&catalog, yaml)
}

/// Resolves a profile against `catalog`, with no kubeconfig known (contexts unchecked).
pub(super) fn resolve_with(catalog: &Catalog, yaml: &str) -> Result<Resolved, ResolveError> {
    resolve(catalog, &loaded(yaml), &KnownContexts::default())
}

/// A profile as loaded from `test.yaml`.
pub(super) fn loaded(yaml: &str) -> LoadedProfile {
    let source = SourceFile::new("test.yaml", yaml);
    let profile = parse(&source).expect("test profile parses");
    LoadedProfile { profile, source }
}

/// A profile with the given edition, `planes:` items and `modules:` items.
pub(super) fn profile(edition: &str, planes: &str, modules: &str) -> String {
    format!(
        "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: t}}\n\
         spec:\n  edition: {edition}\n  planes:\n{planes}  modules:\n{modules}"
    )
}

/// Five planes: control, two data, workflow, observability serving `eu`.
pub(super) const TOPOLOGY: &str = "    - {name: control, type: control, context: cp}\n\
    \x20   - {name: eu, type: data, context: eu}\n\
    \x20   - {name: us, type: data, context: us}\n\
    \x20   - {name: ci, type: workflow, context: cp}\n\
    \x20   - {name: obs, type: observability, context: obs, serves: [eu]}\n";

/// An error as `message | help`, with its place when it has one.
pub(super) fn message(error: ResolveError) -> String {
    match error {
        ResolveError::At(located) => {
            format!("{} | {}", located, located.help.clone().unwrap_or_default())
        }
        ResolveError::Input { message, help } => format!("{message} | {help}"),
    }
}

/// The resolved module `name`.
pub(super) fn module<'a>(resolved: &'a Resolved, name: &str) -> &'a ResolvedModule {
    resolved
        .modules
        .iter()
        .find(|module| module.name == name)
        .unwrap_or_else(|| panic!("module {name} resolved"))
}

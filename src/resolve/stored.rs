//! A resolved profile read back from where an install kept it (the journal holds
//! [`Resolved`] serialized to JSON), so later commands (`status`) need no profile file.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::{GatewayAddress, Plane, PlannedModule, Resolved, ResolvedModule};
use crate::catalog::Catalog;
use crate::profile::model::{ChartsSpec, Edition, ManifestsSpec};

/// [`Resolved`] as it serializes: everything but the release pins, which come from the catalog.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    name: String,
    edition: Edition,
    version: String,
    domain: String,
    planes: Vec<Plane>,
    modules: Vec<ResolvedModule>,
    #[serde(default)]
    planned: Vec<PlannedModule>,
    #[serde(default)]
    charts: ChartsSpec,
    #[serde(default)]
    manifests: ManifestsSpec,
    #[serde(default)]
    values: BTreeMap<String, Value>,
    #[serde(default)]
    cluster_gateway: Option<GatewayAddress>,
    #[serde(default)]
    adopt: BTreeSet<String>,
}

/// Why a stored resolved profile cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum StoredProfileError {
    /// It does not have the shape of a resolved profile.
    #[error("the stored profile cannot be read: {0}")]
    Shape(String),
    /// It names an OpenChoreo release this catalog does not pin.
    #[error(
        "the stored profile installs OpenChoreo {0}, which this choreoctl's catalog does not know"
    )]
    #[diagnostic(help("use the choreoctl that installed it, or pass --profile"))]
    UnknownRelease(String),
}

/// Reads back a resolved profile serialized from [`Resolved`], taking its release pins from
/// `catalog`.
pub fn from_stored(catalog: &Catalog, profile: &Value) -> Result<Resolved, StoredProfileError> {
    let stored = Stored::deserialize(profile)
        .map_err(|error| StoredProfileError::Shape(error.to_string()))?;
    let release = catalog
        .release(&stored.version)
        .ok_or_else(|| StoredProfileError::UnknownRelease(stored.version.clone()))?
        .clone();
    Ok(Resolved {
        name: stored.name,
        edition: stored.edition,
        release,
        version: stored.version,
        domain: stored.domain,
        planes: stored.planes,
        modules: stored.modules,
        planned: stored.planned,
        charts: stored.charts,
        manifests: stored.manifests,
        values: stored.values,
        cluster_gateway: stored.cluster_gateway,
        adopt: stored.adopt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::KnownContexts;
    use crate::profile::ProfileRequest;

    /// Every preset resolved on both editions (where the edition supports it).
    fn every_resolved(catalog: &Catalog) -> Vec<Resolved> {
        let presets = [
            "single-plane",
            "multi-plane",
            "shared-observability",
            "fully-isolated",
            "fintech",
            "saas-startup",
            "healthcare",
            "ai-platform",
        ];
        let mut all = Vec::new();
        for preset in presets {
            for edition in Edition::ALL {
                let request = ProfileRequest {
                    preset: Some(preset.into()),
                    edition: Some(edition),
                    ..ProfileRequest::default()
                };
                let loaded = request.load(catalog).unwrap();
                if let Ok(resolved) =
                    super::super::resolve(catalog, &loaded, &KnownContexts::default())
                {
                    all.push(resolved);
                }
            }
        }
        assert!(all.len() > 8, "{}", all.len());
        all
    }

    #[test]
    fn a_resolved_profile_reads_back_to_the_same_plan() {
        let catalog = Catalog::embedded().unwrap();
        for resolved in every_resolved(&catalog) {
            let stored = serde_json::to_value(&resolved).unwrap();
            let back = from_stored(&catalog, &stored).unwrap();
            assert_eq!(
                serde_json::to_value(&back).unwrap(),
                stored,
                "{}",
                resolved.name
            );
            let plan = |r: &Resolved| {
                serde_json::to_value(crate::plan::build(&catalog, r).unwrap()).unwrap()
            };
            assert_eq!(plan(&back), plan(&resolved), "{}", resolved.name);
        }
    }

    #[test]
    fn a_stored_profile_of_an_unknown_release_is_refused() {
        let catalog = Catalog::embedded().unwrap();
        let resolved = every_resolved(&catalog).remove(0);
        let mut stored = serde_json::to_value(&resolved).unwrap();
        stored["version"] = "0.0.1".into();
        assert_eq!(
            from_stored(&catalog, &stored).unwrap_err(),
            StoredProfileError::UnknownRelease("0.0.1".into())
        );
        assert!(matches!(
            from_stored(&catalog, &serde_json::json!({"name": "x"})),
            Err(StoredProfileError::Shape(_))
        ));
    }
}

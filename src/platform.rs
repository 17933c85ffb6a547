//! The words of the platform that the catalog and profiles both speak: the Secure Core's
//! editions and the plane types. A low layer: it imports nothing from the crate.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The Secure Core edition.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// Cilium is the CNI: encryption, Cilium policies, Hubble; every module.
    Cilium,
    /// The cluster keeps its CNI; plain NetworkPolicy; fewer modules.
    Generic,
}

impl Edition {
    /// Both editions, in matrix order.
    pub const ALL: [Edition; 2] = [Edition::Cilium, Edition::Generic];

    /// Lower-case name as written in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Cilium => "cilium",
            Edition::Generic => "generic",
        }
    }
}

impl std::fmt::Display for Edition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Plane types: what a plane runs (docs/profiles.md, "Fields").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PlaneType {
    /// OpenChoreo API, UI, controllers and cluster gateway.
    Control,
    /// Where workloads run.
    Data,
    /// Where builds and pipelines run (formerly the build plane).
    Workflow,
    /// Logs, metrics, traces.
    Observability,
}

impl PlaneType {
    /// All plane types in install order.
    pub const ALL: [PlaneType; 4] = [
        PlaneType::Control,
        PlaneType::Data,
        PlaneType::Workflow,
        PlaneType::Observability,
    ];

    /// Lower-case name as written in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaneType::Control => "control",
            PlaneType::Data => "data",
            PlaneType::Workflow => "workflow",
            PlaneType::Observability => "observability",
        }
    }
}

impl std::fmt::Display for PlaneType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

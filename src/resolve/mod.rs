//! From a profile and the catalog to a checked topology: planes bound to contexts, modules
//! with their requirements, edition support and placement.
//!
//! One file per job: `values.rs` (edition, release, domain, value overrides), `topology.rs`
//! (planes, contexts, serves), `modules.rs` (selection and edition support), `order.rs`
//! (dependency order), `placement.rs` (planes per module) and `options.rs` (module options).

mod error;
mod modules;
mod options;
mod order;
mod placement;
mod profile_of;
mod stored;
mod topology;
mod values;

#[cfg(test)]
mod fixtures;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Location;

pub use error::ResolveError;
pub use profile_of::profile_of;
pub use stored::{StoredProfileError, from_stored};

use crate::catalog::Catalog;
use crate::catalog::model::{Release, SupportLevel};
use crate::kubeconfig::KnownContexts;
use crate::profile::LoadedProfile;
use crate::profile::model::{ChartsSpec, Edition, ManifestsSpec, PlaneType};
use crate::source::SourceFile;

/// Domain used when the profile sets none.
pub const DEFAULT_DOMAIN: &str = "openchoreo.localhost";

/// The checked, fully defaulted installation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    /// Installation name (`metadata.name`).
    pub name: String,
    /// The edition.
    pub edition: Edition,
    /// The OpenChoreo release and its pinned versions.
    #[serde(skip)]
    pub release: Release,
    /// OpenChoreo release version.
    pub version: String,
    /// Base domain.
    pub domain: String,
    /// Planes in profile order.
    pub planes: Vec<Plane>,
    /// Modules to install, requirements before the modules that need them.
    pub modules: Vec<ResolvedModule>,
    /// Modules asked for that are planned but not installable yet.
    pub planned: Vec<PlannedModule>,
    /// Chart source settings.
    pub charts: ChartsSpec,
    /// Manifest source settings.
    pub manifests: ManifestsSpec,
    /// Per-release value overrides.
    pub values: BTreeMap<String, Value>,
    /// The cluster gateway's external address, when the profile names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_gateway: Option<GatewayAddress>,
    /// Prerequisites (chart keys) taken over when someone else installed them
    /// (`spec.adopt`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub adopt: BTreeSet<String>,
}

/// The address under which agents on other clusters dial the control plane's cluster
/// gateway (`planes[].clusterGateway.address`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAddress {
    /// As written in the profile.
    pub address: String,
    /// Whether it is an IP address (covered by the certificate's IP SANs) rather than a DNS
    /// name (covered by its DNS SANs).
    pub ip: bool,
}

impl GatewayAddress {
    /// A DNS name or an IP address (v4, or v6 without brackets); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let ip = text.parse::<std::net::IpAddr>().is_ok();
        (ip || is_dns_name(text)).then(|| Self {
            address: text.to_string(),
            ip,
        })
    }

    /// The host as written in a URL: IPv6 addresses in brackets.
    pub fn url_host(&self) -> String {
        if self.address.contains(':') {
            format!("[{}]", self.address)
        } else {
            self.address.clone()
        }
    }
}

/// A plane bound to a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plane {
    /// Plane name (also its plane ID).
    pub name: String,
    /// Plane type.
    #[serde(rename = "type")]
    pub plane_type: PlaneType,
    /// kubeconfig context; `None` means the current context of an unreadable kubeconfig.
    pub context: Option<String>,
    /// kubeconfig file for this plane, when not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// For observability planes: the planes served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serves: Vec<String>,
}

impl Plane {
    /// Identifies the cluster: planes with the same key share it.
    pub fn cluster_key(&self) -> (Option<&str>, Option<&str>) {
        (self.kubeconfig.as_deref(), self.context.as_deref())
    }

    /// The context as shown to users.
    pub fn context_label(&self) -> &str {
        self.context.as_deref().unwrap_or("(current)")
    }
}

/// A module to install, where, and with what.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedModule {
    /// Catalog name.
    pub name: String,
    /// Support level on the chosen edition.
    pub level: SupportLevel,
    /// Features that level turns on.
    pub features: Vec<String>,
    /// Planes the module is placed on.
    pub planes: Vec<String>,
    /// Options, defaults filled in.
    pub options: BTreeMap<String, Value>,
    /// Set when the module was added only because others require it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_by: Vec<String>,
}

/// A module the profile asks for that cannot be installed yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedModule {
    /// Catalog name.
    pub name: String,
    /// Why it is not installed.
    pub reason: String,
}

/// Resolution of one profile.
struct Resolver<'a> {
    catalog: &'a Catalog,
    source: &'a SourceFile,
    known_contexts: &'a KnownContexts,
}

/// Checks the profile against the catalog and binds its planes to contexts, checking them
/// against `known_contexts` where their kubeconfig is known. Reads no files.
pub fn resolve(
    catalog: &Catalog,
    loaded: &LoadedProfile,
    known_contexts: &KnownContexts,
) -> Result<Resolved, ResolveError> {
    Resolver {
        catalog,
        source: &loaded.source,
        known_contexts,
    }
    .resolve(loaded)
}

impl Resolver<'_> {
    /// An error at `at` in the profile, or without a place when `at` is unknown.
    fn fail<T>(&self, at: Location, message: String, help: String) -> Result<T, ResolveError> {
        if at == Location::UNKNOWN {
            Err(ResolveError::Input { message, help })
        } else {
            Err(ResolveError::At(self.source.error_at(
                at,
                message,
                Some(help),
            )))
        }
    }

    fn resolve(&self, loaded: &LoadedProfile) -> Result<Resolved, ResolveError> {
        let spec = &loaded.profile.spec;
        let edition = self.edition(spec.edition.as_ref())?;
        let release = self.release(spec.version.as_ref())?;
        let planes = self.planes(loaded)?;
        let cluster_gateway = self.cluster_gateway(loaded)?;
        let (modules, planned) = self.modules(&spec.modules, edition, &planes)?;
        let domain = match &spec.domain {
            Some(domain) => self.domain(domain)?,
            None => DEFAULT_DOMAIN.to_string(),
        };
        self.check_value_overrides(&spec.values, &modules)?;
        let adopt = self.adopted(&spec.adopt, &release)?;
        Ok(Resolved {
            name: loaded.profile.metadata.name.clone(),
            edition,
            version: release.version.clone(),
            release,
            domain,
            planes,
            modules,
            planned,
            charts: spec.charts.clone().unwrap_or_default(),
            manifests: spec.manifests.clone().unwrap_or_default(),
            values: spec
                .values
                .iter()
                .map(|(release, value)| (release.clone(), value.value.clone()))
                .collect(),
            cluster_gateway,
            adopt,
        })
    }
}

/// The 1-based line on which `key:` is written (first occurrence).
pub(super) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with(':')
        })
        .map(|index| index + 1)
}

/// How a base domain is written, for messages about one that is not.
pub const DOMAIN_HELP: &str = "give a base domain such as `choreo.example.com`: lower-case labels separated by dots, no scheme, port or path";

/// Whether `domain` is a base domain the resolver accepts: a DNS name of two labels or more.
pub fn is_dns_name(domain: &str) -> bool {
    domain.len() <= 253 && domain.contains('.') && domain.split('.').all(is_dns_label)
}

/// Whether `name` is a DNS label (RFC 1123): plane names and each part of a domain.
fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !name.is_empty()
        && name.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}
